package temporal

import (
	"fmt"
	"path"
	"strings"
)

// InstanceQueue sends the steps whose SageMaker instance type matches
// Pattern (a path.Match glob such as "ml.p3.*") to task queue Queue.
type InstanceQueue struct {
	Pattern string
	Queue   string
}

// InstanceQueues maps SageMaker instance types to task queues: the first
// rule whose pattern matches wins; a step that matches none (or names no
// instance type) goes to the default queue.
type InstanceQueues []InstanceQueue

// ParseInstanceQueues parses "PATTERN=QUEUE,PATTERN=QUEUE,..." (the
// --instance-queues flag), e.g. "ml.p3.*=gpu,ml.g5.*=gpu".
func ParseInstanceQueues(s string) (InstanceQueues, error) {
	var m InstanceQueues
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pat, q, ok := strings.Cut(part, "=")
		pat, q = strings.TrimSpace(pat), strings.TrimSpace(q)
		if !ok || pat == "" || q == "" {
			return nil, fmt.Errorf("instance queue rule %d %q: want PATTERN=QUEUE (for example ml.p3.*=gpu)", i+1, part)
		}
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("instance queue rule %d %q: bad pattern: %w", i+1, part, err)
		}
		if strings.ContainsAny(q, " \t*?[") {
			return nil, fmt.Errorf("instance queue rule %d %q: bad queue name %q", i+1, part, q)
		}
		m = append(m, InstanceQueue{Pattern: pat, Queue: q})
	}
	return m, nil
}

// Queue returns the queue of an instance type ("" when no rule matches).
func (m InstanceQueues) Queue(instanceType string) string {
	if instanceType == "" {
		return ""
	}
	for _, r := range m {
		if ok, _ := path.Match(r.Pattern, instanceType); ok {
			return r.Queue
		}
	}
	return ""
}

// instanceTypePaths are where the SageMaker request shapes carry the
// instance type: training (ResourceConfig), processing
// (ProcessingResources.ClusterConfig) and transform (TransformResources).
var instanceTypePaths = [][]string{
	{"ResourceConfig", "InstanceType"},
	{"ProcessingResources", "ClusterConfig", "InstanceType"},
	{"TransformResources", "InstanceType"},
}

// InstanceType returns the SageMaker instance type a step's resolved
// arguments request, or "".
func InstanceType(args map[string]any) string {
	for _, p := range instanceTypePaths {
		var v any = args
		for _, k := range p {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ""
}
