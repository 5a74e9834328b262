// Package jsonget is the sagemaker_json_get step kind: it reads one value
// from a JSON file, for a SageMaker definition's Std:JsonGet with an S3Uri
// (the translation in internal/sagemaker/definition adds the step).
package jsonget

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
	"github.com/ferryml/ferry/internal/step"
)

// Objects reads the s3:// object namespace: Import stores the object (or
// every object under the prefix) named by uri as one artifact directory,
// a single object keeping its base name.
type Objects interface {
	Import(ctx context.Context, uri string) (artifact.Ref, error)
}

// Kind is the sagemaker_json_get kind.
type Kind struct {
	objects Objects
}

// New returns the kind; objects may be nil, and then only artifact
// references (sha256:..., optionally /path inside) can be read.
func New(objects Objects) *Kind { return &Kind{objects: objects} }

var _ step.Kind = (*Kind)(nil)

// Spec implements step.Kind.
func (k *Kind) Spec() step.Spec {
	s, _ := definition.KindSpec(definition.KindJSONGet)
	s.Description = "Read one value of a JSON file (SageMaker's Std:JsonGet with an S3Uri). Never cached: the file behind an s3:// URI may change."
	s.Version = "1"
	return s
}

type args struct {
	S3Uri string `json:"S3Uri"`
	Path  string `json:"Path"`
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	file, err := k.file(ctx, env, a.S3Uri)
	if err != nil {
		return step.Result{}, err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("reading %s: %w", a.S3Uri, err))
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("%s is not JSON: %w", a.S3Uri, err))
	}
	v, err := definition.Lookup(doc, a.Path)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("%s: %w", a.S3Uri, err))
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "%s %s = %v\n", a.S3Uri, a.Path, v)
	}
	return step.Result{Properties: map[string]any{definition.PropValue: v}}, nil
}

// file finds the JSON file a URI names: an artifact reference with an
// optional path inside it, or an s3:// object imported through Objects.
func (k *Kind) file(ctx context.Context, env step.Env, uri string) (string, error) {
	var ref artifact.Ref
	var sub string
	switch {
	case strings.HasPrefix(uri, "s3://"):
		if k.objects == nil {
			return "", step.Permanent(fmt.Errorf("reading %s: s3:// objects need Ferry's object namespace, which this run does not have", uri))
		}
		r, err := k.objects.Import(ctx, uri)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", uri, err)
		}
		ref, sub = r, uri[strings.LastIndexByte(uri, '/')+1:]
	case strings.HasPrefix(uri, "sha256:"):
		head, rest, _ := strings.Cut(uri, "/")
		ref, sub = artifact.Ref(head), rest
	default:
		return "", step.Permanent(fmt.Errorf("S3Uri %q: want an s3:// URI or an artifact reference", uri))
	}
	dir, err := env.Store.Path(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", uri, err)
	}
	path := filepath.Join(dir, filepath.FromSlash(sub))
	if rel, err := filepath.Rel(dir, path); err != nil || strings.HasPrefix(rel, "..") {
		return "", step.Permanent(fmt.Errorf("S3Uri %q leaves the artifact", uri))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", step.Permanent(fmt.Errorf("reading %s: %w", uri, err))
	}
	if !fi.IsDir() {
		return path, nil
	}
	matches, _ := filepath.Glob(filepath.Join(path, "*.json"))
	if len(matches) != 1 {
		return "", step.Permanent(fmt.Errorf("reading %s: a directory with %d .json files; name the file", uri, len(matches)))
	}
	return matches[0], nil
}
