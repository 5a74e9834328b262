package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

// cacheInputs is everything a cache key hashes, and nothing else: the
// kind, its code version, the resolved arguments (input artifacts appear
// in them as content digests; a step.CacheArgser kind leaves some out),
// the digest of user code the kind runs, and the step's property files
// (they shape the properties a hit hands downstream). The learners'
// versions are part of the kind's version.
type cacheInputs struct {
	Kind          string                  `json:"kind"`
	Version       string                  `json:"version"`
	Args          map[string]any          `json:"args"`
	Code          string                  `json:"code,omitempty"`
	PropertyFiles map[string]propertyFile `json:"property_files,omitempty"`
	// Secrets is a keyed hash of the secret values in Args, which hold
	// pipeline.SecretMask in their place.
	Secrets string `json:"secrets,omitempty"`
}

type propertyFile struct {
	Output string `json:"output,omitempty"`
	Path   string `json:"path"`
}

// cacheKey returns the cache key of a step's resolved request and the
// canonical JSON it hashes (encoding/json sorts map keys, so equal inputs
// encode equally).
func cacheKey(ctx context.Context, kind step.Kind, spec step.Spec, st *pipeline.Step, req step.Request, sec *secrets) (key, inputs string, err error) {
	secretsDigest := sec.cacheDigest(req.Args)
	if sec.active() { // no secret in the key's inputs, not even under an unkeyed hash
		req.Args = sec.maskMap(req.Args)
	}
	in := cacheInputs{Kind: spec.Kind, Version: spec.Version, Args: req.Args, Secrets: secretsDigest}
	if ca, ok := kind.(step.CacheArgser); ok {
		in.Args = ca.CacheArgs(in.Args)
	}
	if len(st.PropertyFiles) > 0 { // absent otherwise: earlier keys stay valid
		in.PropertyFiles = make(map[string]propertyFile, len(st.PropertyFiles))
		for name, pf := range st.PropertyFiles {
			in.PropertyFiles[name] = propertyFile{Output: pf.Output, Path: pf.Path}
		}
	}
	if cd, ok := kind.(step.CodeDigester); ok {
		if in.Code, err = cd.CodeDigest(ctx, req); err != nil {
			return "", "", fmt.Errorf("digesting code: %w", err)
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", "", fmt.Errorf("encoding arguments: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), string(b), nil
}

// lookupCache finds a usable cached run for r.CacheKey. It returns the run
// (nil on a miss) and a note saying why it hit or missed.
func (x *execution) lookupCache(ctx context.Context, st *pipeline.Step, spec step.Spec, r *run.StepRun) (*run.StepRun, string, error) {
	c, err := x.e.Store.CachedRun(ctx, r.CacheKey)
	if err != nil {
		return nil, "", err
	}
	if c != nil {
		if exp := st.Cache.ExpireAfter; exp > 0 {
			if age := x.e.now().Sub(c.EndedAt); age > exp {
				return nil, fmt.Sprintf("miss: the cached run in %s expired (ran %s ago, expire_after %s)",
					c.ExecutionID, age.Round(time.Second), exp), nil
			}
		}
		names := make([]string, 0, len(c.Outputs))
		for name := range c.Outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ok, err := x.e.Artifacts.Exists(ctx, c.Outputs[name])
			if err != nil {
				return nil, "", err
			}
			if !ok {
				return nil, fmt.Sprintf("miss: output %s (%s) of the cached run in %s is gone from the artifact store",
					name, c.Outputs[name].Short(), c.ExecutionID), nil
			}
		}
		// Properties from property files are read again from the cached
		// outputs, so they are those the step declares now.
		props, err := properties(ctx, x.e.Artifacts, st.PropertyFiles, c.Properties, c.Outputs)
		if err != nil {
			return nil, fmt.Sprintf("miss: the cached run in %s: %v", c.ExecutionID, err), nil
		}
		c.Properties = props
		return c, "hit: reusing the run in " + c.ExecutionID, nil
	}
	prev, err := x.e.Store.PreviousRun(ctx, x.ex.PipelineName, r.Step, x.ex.ID)
	if err != nil {
		return nil, "", err
	}
	switch {
	case prev == nil:
		return nil, "miss: no earlier run of this step", nil
	case prev.CacheKey == r.CacheKey:
		return nil, fmt.Sprintf("miss: the earlier run with these inputs (in %s) ended %s", prev.ExecutionID, prev.Status), nil
	}
	return nil, "miss: changed since " + prev.ExecutionID + ": " + explainChange(prev.CacheInputs, r.CacheInputs, spec), nil
}

// explainChange lists what differs between two cache inputs: the kind's
// version (which names the learners' versions), the code digest, and each argument path, with
// artifact arguments named as input digests.
func explainChange(before, after string, spec step.Spec) string {
	var a, b cacheInputs
	if json.Unmarshal([]byte(before), &a) != nil || json.Unmarshal([]byte(after), &b) != nil {
		return "cache inputs are not comparable"
	}
	var out []string
	if a.Kind != b.Kind {
		out = append(out, fmt.Sprintf("kind %s → %s", a.Kind, b.Kind))
	}
	if a.Version != b.Version {
		out = append(out, fmt.Sprintf("kind version %s → %s", a.Version, b.Version))
	}
	if a.Code != b.Code {
		out = append(out, "code digest")
	}
	if !reflect.DeepEqual(a.PropertyFiles, b.PropertyFiles) {
		out = append(out, "property files")
	}
	if a.Secrets != b.Secrets {
		out = append(out, "secret values")
	}
	artifacts := make(map[string]bool)
	for _, f := range spec.Args {
		if f.Type == step.Artifact || f.Type == step.ArtifactMap {
			artifacts[f.Name] = true
		}
	}
	var diffs [][]string
	diffValues(nil, a.Args, b.Args, &diffs)
	for _, d := range diffs {
		if artifacts[d[0]] {
			out = append(out, "input digest "+strings.Join(d, "."))
		} else {
			out = append(out, "argument "+strings.Join(d, "."))
		}
	}
	if len(out) == 0 {
		return "nothing that keys the cache (it was not kept)"
	}
	const max = 8
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("and %d more", len(out)-max))
	}
	return strings.Join(out, ", ")
}

// diffValues appends the paths at which a and b differ.
func diffValues(path []string, a, b any, out *[][]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			diffValues(append(slices.Clip(path), k), am[k], bm[k], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		if len(path) == 0 {
			path = []string{"args"}
		}
		*out = append(*out, path)
	}
}
