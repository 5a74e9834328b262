package forest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/ferryml/ferry/tree"
)

// FormatName identifies Ferry's random-forest model file.
const FormatName = "ferry-random-forest"

// FormatVersion is the version of the model file Write produces.
const FormatVersion = 1

// fileModel is the JSON model file:
//
//	{"format": "ferry-random-forest", "version": 1,
//	 "task": "regression", "num_features": 10,
//	 "params": {"n_estimators": 100, ...},
//	 "trees": [{"left": [1, -1, -1], "right": [2, -1, -1],
//	            "feature": [3, 0, 0], "threshold": [0.5, 0, 0],
//	            "default_left": [true, false, false],
//	            "value": [9.9, 8.1, 11.2], "cover": [2923, 1500, 1423],
//	            "gain": [120.5, 0, 0]}, ...]}
//
// Trees use the arrays of [tree.Tree]: node 0 is the root, -1 marks a
// leaf, x < threshold (compared in float32) goes left, NaN follows
// default_left.
type fileModel struct {
	Format      string     `json:"format"`
	Version     int        `json:"version"`
	Task        string     `json:"task"`
	NumFeatures int        `json:"num_features"`
	Params      Params     `json:"params"`
	Trees       []fileTree `json:"trees"`
}

type fileTree struct {
	Left        []int32   `json:"left"`
	Right       []int32   `json:"right"`
	Feature     []int32   `json:"feature"`
	Threshold   []float32 `json:"threshold"`
	DefaultLeft []bool    `json:"default_left"`
	Value       []float64 `json:"value"`
	Cover       []float64 `json:"cover"`
	Gain        []float64 `json:"gain,omitempty"`
}

// Write writes the model as JSON (see the format on [Read]).
func (md *Model) Write(w io.Writer) error {
	f := fileModel{
		Format: FormatName, Version: FormatVersion, Task: md.Task,
		NumFeatures: md.Features, Params: md.Params, Trees: make([]fileTree, len(md.Trees)),
	}
	for i, t := range md.Trees {
		f.Trees[i] = fileTree{
			Left: t.Left, Right: t.Right, Feature: t.Feature, Threshold: t.Threshold,
			DefaultLeft: t.DefaultLeft, Value: t.Value, Cover: t.Cover, Gain: t.Gain,
		}
	}
	if err := json.NewEncoder(w).Encode(f); err != nil {
		return fmt.Errorf("writing random forest model: %w", err)
	}
	return nil
}

// Read reads a model written by [Model.Write]. The file is JSON:
// {"format": "ferry-random-forest", "version": 1, "task", "num_features",
// "params", "trees": [{"left", "right", "feature", "threshold",
// "default_left", "value", "cover", "gain"}]}, each tree's arrays indexed
// by node id with node 0 the root and -1 for a leaf's children. A
// malformed file, a tree that is not a tree, a split feature out of range
// or a non-finite value is an error naming what and where.
func Read(r io.Reader) (*Model, error) {
	var f fileModel
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading random forest model: %w", err)
	}
	if f.Format != FormatName {
		return nil, fmt.Errorf("reading random forest model: format is %q, want %q", f.Format, FormatName)
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("reading random forest model: version %d, want %d", f.Version, FormatVersion)
	}
	if f.Task != TaskRegression && f.Task != TaskBinary {
		return nil, fmt.Errorf("reading random forest model: task %q, want %q or %q", f.Task, TaskRegression, TaskBinary)
	}
	if f.NumFeatures < 1 || f.NumFeatures > 1<<24 {
		return nil, fmt.Errorf("reading random forest model: num_features %d, want 1..%d", f.NumFeatures, 1<<24)
	}
	if len(f.Trees) == 0 {
		return nil, fmt.Errorf("reading random forest model: %w", errNoTrees)
	}
	trees := make([]tree.Tree, len(f.Trees))
	for i, ft := range f.Trees {
		t := tree.Tree{
			Left: ft.Left, Right: ft.Right, Feature: ft.Feature, Threshold: ft.Threshold,
			DefaultLeft: ft.DefaultLeft, Value: ft.Value, Cover: ft.Cover, Gain: ft.Gain,
		}
		if err := t.Validate(f.NumFeatures); err != nil {
			return nil, fmt.Errorf("reading random forest model: tree %d: %w", i, err)
		}
		if d := depth(&t); d > maxReadDepth {
			return nil, fmt.Errorf("reading random forest model: tree %d has depth %d, more than %d", i, d, maxReadDepth)
		}
		for j := range t.Left {
			if math.IsNaN(t.Value[j]) || math.IsInf(t.Value[j], 0) || !(t.Cover[j] >= 0) || math.IsInf(t.Cover[j], 0) {
				return nil, fmt.Errorf("reading random forest model: tree %d node %d: value %v, cover %v: want finite, cover >= 0",
					i, j, t.Value[j], t.Cover[j])
			}
		}
		trees[i] = t
	}
	return newModel(f.Task, f.NumFeatures, trees, f.Params), nil
}

// maxReadDepth bounds the depth of a tree Read accepts, which bounds the
// TreeSHAP scratch space and recursion.
const maxReadDepth = 1024

// depth returns the depth of a valid tree without recursion.
func depth(t *tree.Tree) int {
	type item struct{ node, depth int32 }
	deepest := int32(0)
	stack := []item{{0, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		deepest = max(deepest, it.depth)
		if l := t.Left[it.node]; l >= 0 {
			stack = append(stack, item{l, it.depth + 1}, item{t.Right[it.node], it.depth + 1})
		}
	}
	return int(deepest)
}
