// Package callback is the sagemaker_callback kind: a SageMaker Callback
// step, which waits until an outside party says it succeeded or failed
// (SageMaker's SendPipelineExecutionStepSuccess / Failure). Locally the
// "queue message" is a pending record that `ferry callback list` shows, and
// `ferry callback success|failure TOKEN` answers it.
//
// Records live in a directory ([Dir]): pending/<token>.json while the step
// waits, answers/<token>.json once answered. A step's token is derived
// from its execution and step name, so an execution resumed after Ferry
// stopped waits for the same token, and an answer given meanwhile counts.
package callback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Pending is a callback that a step waits for: what SageMaker would put
// on the SQS queue.
type Pending struct {
	Token       string         `json:"token"`
	ExecutionID string         `json:"execution_id"`
	StepName    string         `json:"step_name"`
	SqsQueueUrl string         `json:"sqs_queue_url,omitempty"`
	Arguments   map[string]any `json:"arguments,omitempty"`
	Created     time.Time      `json:"created"`
}

// Answer is the outcome an outside party gives.
type Answer struct {
	Succeeded bool `json:"succeeded"`
	// OutputParameters are name → value (strings, as the API sends them).
	OutputParameters map[string]string `json:"output_parameters,omitempty"`
	FailureReason    string            `json:"failure_reason,omitempty"`
	Answered         time.Time         `json:"answered"`
}

// Dir stores pending callbacks and answers. It is safe for concurrent use
// by several processes (writes are atomic renames).
type Dir struct {
	Path string
	// Poll is how often Wait looks for an answer (default 200 ms).
	Poll time.Duration
}

// ErrUnknownToken is an answer for a token nobody waits for or waited for.
var ErrUnknownToken = errors.New("unknown callback token")

var tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Token is the callback token of a step of an execution.
func Token(executionID, stepName string) string {
	h := sha256.Sum256([]byte(executionID + "\x00" + stepName))
	return hex.EncodeToString(h[:16])
}

func (d *Dir) path(kind, token string) string {
	return filepath.Join(d.Path, kind, token+".json")
}

func writeAtomic(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Wait records p as pending and blocks until it is answered or ctx ends.
func (d *Dir) Wait(ctx context.Context, p Pending) (Answer, error) {
	if p.Created.IsZero() {
		p.Created = time.Now().UTC()
	}
	if err := writeAtomic(d.path("pending", p.Token), p); err != nil {
		return Answer{}, fmt.Errorf("recording callback %s: %w", p.Token, err)
	}
	poll := d.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		a, ok, err := d.answer(p.Token)
		if err != nil {
			return Answer{}, err
		}
		if ok {
			os.Remove(d.path("pending", p.Token))
			return a, nil
		}
		select {
		case <-ctx.Done():
			return Answer{}, context.Cause(ctx)
		case <-t.C:
		}
	}
}

func (d *Dir) answer(token string) (Answer, bool, error) {
	b, err := os.ReadFile(d.path("answers", token))
	if errors.Is(err, os.ErrNotExist) {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, fmt.Errorf("reading the answer to callback %s: %w", token, err)
	}
	var a Answer
	if err := json.Unmarshal(b, &a); err != nil {
		return Answer{}, false, fmt.Errorf("reading the answer to callback %s: %w", token, err)
	}
	return a, true, nil
}

// Succeed answers token with success and output parameters.
func (d *Dir) Succeed(token string, outputs map[string]string) error {
	return d.give(token, Answer{Succeeded: true, OutputParameters: outputs})
}

// Fail answers token with failure.
func (d *Dir) Fail(token, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("a failure needs a reason")
	}
	return d.give(token, Answer{FailureReason: reason})
}

func (d *Dir) give(token string, a Answer) error {
	if !tokenRE.MatchString(token) {
		return fmt.Errorf("callback token %q: %w (tokens are 32 hex digits; see ferry callback list)", token, ErrUnknownToken)
	}
	if _, err := os.Stat(d.path("pending", token)); err != nil {
		if _, done, _ := d.answer(token); done {
			return fmt.Errorf("callback %s was already answered", token)
		}
		return fmt.Errorf("callback token %s: %w: no step waits for it (see ferry callback list)", token, ErrUnknownToken)
	}
	a.Answered = time.Now().UTC()
	if err := writeAtomic(d.path("answers", token), a); err != nil {
		return fmt.Errorf("answering callback %s: %w", token, err)
	}
	return nil
}

// List returns the pending callbacks, oldest first.
func (d *Dir) List() ([]Pending, error) {
	entries, err := os.ReadDir(filepath.Join(d.Path, "pending"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Pending
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d.Path, "pending", e.Name()))
		if err != nil {
			continue
		}
		var p Pending
		if json.Unmarshal(b, &p) == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}
