// Package jsonget is the sagemaker_json_get kind: the S3Uri form of
// SageMaker's Std:JsonGet ({"S3Uri": ..., "Path": "a.b[0].c"}), which
// reads a JSON file (the return value of an @step function, for example)
// and exposes the value at Path as the property Value.
package jsonget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "sagemaker_json_get"

// Kind is the sagemaker_json_get kind.
type Kind struct{ R *job.Runner }

var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)

// Spec implements step.Kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Std:JsonGet with S3Uri: reads the JSON file at S3Uri (an s3:// URI or an artifact, with an optional /path/inside) and exposes the value at Path (a.b[0].c) as the property Value.",
		Version:     "1",
		NoCache:     true,
		Args: []step.Field{
			{Name: "S3Uri", Type: step.String, Required: true, Description: "the JSON file"},
			{Name: "Path", Type: step.String, Required: true, Description: "dotted path with [i] indexes"},
		},
		Properties: []step.Field{{Name: "Value", Type: step.Any, Description: "the value at Path"}},
	}
}

// ValidateArgs implements step.Validator.
func (*Kind) ValidateArgs(a map[string]any) []error {
	if p, ok := a["Path"].(string); ok {
		if _, err := ParsePath(p); err != nil {
			return []error{&step.FieldError{Field: "Path", Msg: err.Error()}}
		}
	}
	return nil
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[struct {
		S3Uri string `json:"S3Uri"`
		Path  string `json:"Path"`
	}](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	path, err := ParsePath(a.Path)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("argument Path: %w", err))
	}
	ref, err := k.R.Resolve(ctx, env.Store, a.S3Uri)
	if err != nil {
		return step.Result{}, err
	}
	dir, err := env.Store.Path(ctx, ref)
	if err != nil {
		return step.Result{}, err
	}
	file, err := onlyFile(dir)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("S3Uri %s: %w", a.S3Uri, err))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return step.Result{}, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("S3Uri %s: not JSON: %w", a.S3Uri, err))
	}
	v, err := Get(doc, path)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("S3Uri %s: Path %q: %w", a.S3Uri, a.Path, err))
	}
	return step.Result{Properties: map[string]any{"Value": v}}, nil
}

func onlyFile(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if len(files) != 1 {
		return "", fmt.Errorf("want one JSON file, found %d files", len(files))
	}
	return files[0], nil
}

// Segment is one step of a path: a key, or an index when Key is "".
type Segment struct {
	Key   string
	Index int
}

// ParsePath parses "a.b[0].c", "a['b'][1]" and "[0].a".
func ParsePath(s string) ([]Segment, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty path")
	}
	var out []Segment
	i := 0
	expectKey := true // at the start or after a dot
	for i < len(s) {
		switch {
		case s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: missing ]", s)
			}
			inner := s[i+1 : i+end]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				out = append(out, Segment{Key: inner[1 : len(inner)-1]})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("path %q: index %q is not a number or a quoted key", s, inner)
				}
				out = append(out, Segment{Index: n})
			}
			i += end + 1
			expectKey = false
		case s[i] == '.':
			if expectKey {
				return nil, fmt.Errorf("path %q: empty key", s)
			}
			i++
			expectKey = true
			if i == len(s) {
				return nil, fmt.Errorf("path %q: empty key at the end", s)
			}
		default:
			if !expectKey {
				return nil, fmt.Errorf("path %q: unexpected %q (want . or [)", s, s[i:])
			}
			end := strings.IndexAny(s[i:], ".[")
			if end < 0 {
				end = len(s) - i
			}
			out = append(out, Segment{Key: s[i : i+end]})
			i += end
			expectKey = false
		}
	}
	return out, nil
}

// Get walks doc along path.
func Get(doc any, path []Segment) (any, error) {
	v := doc
	for i, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			if seg.Key == "" {
				return nil, fmt.Errorf("segment %d: [%d] on an object", i+1, seg.Index)
			}
			var ok bool
			if v, ok = x[seg.Key]; !ok {
				return nil, fmt.Errorf("no key %q", seg.Key)
			}
		case []any:
			if seg.Key != "" {
				return nil, fmt.Errorf("key %q on a list", seg.Key)
			}
			if seg.Index >= len(x) {
				return nil, fmt.Errorf("index %d out of range (%d elements)", seg.Index, len(x))
			}
			v = x[seg.Index]
		default:
			return nil, fmt.Errorf("segment %d: %v is not an object or a list", i+1, v)
		}
	}
	return v, nil
}
