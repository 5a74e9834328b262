package gbdt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// chainModel returns a one-feature model whose tree is a chain of depth
// internal nodes, each with a leaf on the left.
func chainModel(depth int) *Model {
	n := 2*depth + 1
	t := tree.Tree{
		Left: make([]int32, n), Right: make([]int32, n), Feature: make([]int32, n),
		Threshold: make([]float32, n), DefaultLeft: make([]bool, n),
		Value: make([]float64, n), Cover: make([]float64, n), Gain: make([]float64, n),
	}
	for i := range n {
		t.Left[i], t.Right[i], t.Cover[i] = -1, -1, 1
		if i%2 == 0 && i < n-1 {
			t.Left[i], t.Right[i] = int32(i+1), int32(i+2)
			t.Threshold[i] = float32(i)
		} else {
			t.Value[i] = 0.1
		}
	}
	return &Model{Objective: RegSquaredError, BaseScore: 0.5, NumFeature: 1, ScalePosWeight: 1,
		Trees: []tree.Tree{t}, TreeInfo: []int32{0}}
}

// ReadModel rejects a tree deeper than MaxReadDepth, naming it.
func TestReadModelDepthCap(t *testing.T) {
	for _, tc := range []struct {
		depth int
		ok    bool
	}{{MaxReadDepth, true}, {MaxReadDepth + 1, false}} {
		var buf bytes.Buffer
		if err := chainModel(tc.depth).WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		_, err := ReadModel(&buf)
		if tc.ok && err != nil {
			t.Errorf("depth %d: %v", tc.depth, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "tree 0") || !strings.Contains(err.Error(), "deeper than 1024")) {
			t.Errorf("depth %d: error %v, want tree 0 deeper than 1024", tc.depth, err)
		}
	}
}

// num_class is capped at training, and a label at or above num_class is
// an error naming its row.
func TestNumClassCapAndLabels(t *testing.T) {
	p := DefaultParams()
	if err := p.Set("num_class", MaxNumClass+1); err == nil {
		t.Errorf("num_class %d accepted", MaxNumClass+1)
	}
	p.Objective, p.NumClass = MultiSoftprob, MaxNumClass+1
	d := &table.Dataset{NumFeature: 1, X: []float64{0, 1, 2}, Y: []float64{0, 1, 2}}
	if _, err := Train(t.Context(), d, p); err == nil || !strings.Contains(err.Error(), "num_class") {
		t.Errorf("Train with num_class %d: %v, want a num_class error", p.NumClass, err)
	}
	if err := p.Set("num_class", 2); err != nil {
		t.Fatal(err)
	}
	_, err := Train(t.Context(), d, p)
	if err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Errorf("label 2 with num_class 2: %v, want an error naming row 3", err)
	}
}
