package pipeline

import (
	"strings"

	"github.com/ferryml/ferry/internal/step"
)

// LocalPath is an artifact argument given as a local path: the engine
// imports it into the artifact store before the step runs.
type LocalPath struct {
	Step  string
	Field string // argument path: "inputs.claims"
	Path  string // as written; relative paths resolve against the definition's directory
	Pos   Pos
}

// artifactRefPrefix starts an artifact reference written literally.
const artifactRefPrefix = "sha256:"

// LocalPaths lists the artifact and map<artifact> arguments that hold
// literal local paths (not templates, not sha256: references), in step
// order. Steps whose kind kinds does not know are skipped.
func (p *Pipeline) LocalPaths(kinds KindLookup) []LocalPath {
	var out []LocalPath
	for _, st := range p.Steps {
		if st.Kind == KindCondition || kinds == nil {
			continue
		}
		k, ok := kinds.Lookup(st.Kind)
		if !ok {
			continue
		}
		for _, f := range k.Spec().Args {
			a, ok := st.Args[f.Name]
			if !ok {
				continue
			}
			switch f.Type {
			case step.Artifact:
				out = appendLocal(out, st, f.Name, a)
			case step.ArtifactMap:
				m, _ := a.(map[string]any)
				for _, key := range sortedKeys(m) {
					out = appendLocal(out, st, f.Name+"."+key, m[key])
				}
			}
		}
	}
	return out
}

func appendLocal(out []LocalPath, st *Step, field string, a any) []LocalPath {
	s, ok := a.(string)
	if !ok || s == "" || hasTemplate(s) || strings.HasPrefix(s, artifactRefPrefix) {
		return out
	}
	return append(out, LocalPath{Step: st.Name, Field: field, Path: s, Pos: st.ArgPos[field]})
}
