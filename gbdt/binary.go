package gbdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/tree"
)

// XGBoost's deprecated binary model format: what save_model wrote to a
// name without .json/.ubj before 2.1, save_raw(raw_format="deprecated"),
// and the xgboost-model file of older SageMaker XGBoost containers. The
// layout is the C structs of XGBoost 0.x-1.x written raw, little-endian
// (src/learner.cc, src/gbm/gbtree_model.h, include/xgboost/tree_model.h):
//
//	"binf"                        optional header (1.x writes it)
//	learner parameters            136 bytes: base_score f32, num_feature u32,
//	                              num_class i32, contain_extra_attrs i32,
//	                              contain_eval_metrics i32, version u32 u32, ...
//	objective, booster            strings (u64 length + bytes)
//	gbtree parameters             160 bytes: num_trees i32, num_parallel_tree i32,
//	                              ..., num_pbuffer i64 at 16, size_leaf_vector i32 at 28
//	trees                         each: 148-byte parameters (num_nodes i32 at 4,
//	                              num_deleted at 8, size_leaf_vector at 20), nodes
//	                              (20 bytes: parent, left, right i32, feature u32
//	                              with default-left in bit 31, value f32), stats
//	                              (16 bytes: loss_chg, sum_hess, base_weight f32, ...)
//	tree_info                     num_trees i32
//	weight_drop                   dart only: u64 count + f32s
//	attributes                    if contain_extra_attrs: u64 count + string pairs
//	max_delta_step                count:poisson only: a string
//	eval metrics                  if contain_eval_metrics: u64 count + strings
//
// Categorical splits never appear in this format (XGBoost refuses to save
// them in it). XGBoost 3.x no longer reads it.

const (
	binaryParamSize     = 136
	binaryGBTParamSize  = 160
	binaryTreeParamSize = 148
	binaryNodeSize      = 20
	binaryStatSize      = 16
	maxBinaryString     = 1 << 20
)

// looksLikeBinaryParams reports whether data starts with a plausible
// headerless (XGBoost 0.x) learner parameter block followed by an
// objective name.
func looksLikeBinaryParams(data []byte) bool {
	if len(data) < binaryParamSize+8 {
		return false
	}
	le := binary.LittleEndian
	nf := le.Uint32(data[4:])
	nc := int32(le.Uint32(data[8:]))
	attrs, metrics := le.Uint32(data[12:]), le.Uint32(data[16:])
	if nf == 0 || nf > maxFeatures || nc < 0 || nc > maxClasses || attrs > 1 || metrics > 1 {
		return false
	}
	n := le.Uint64(data[binaryParamSize:])
	if n == 0 || n > 64 || uint64(len(data)-binaryParamSize-8) < n {
		return false
	}
	name := data[binaryParamSize+8 : binaryParamSize+8+int(n)]
	return strings.Contains(string(name), ":") || string(name) == "reg:linear"
}

type binReader struct {
	data []byte
	pos  int
}

func (r *binReader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > len(r.data)-r.pos {
		return nil, fmt.Errorf("byte %d: the file ends inside %s: it is truncated", r.pos, what)
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *binReader) u64(what string) (uint64, error) {
	b, err := r.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *binReader) str(what string) (string, error) {
	at := r.pos
	n, err := r.u64(what)
	if err != nil {
		return "", err
	}
	if n > maxBinaryString {
		return "", fmt.Errorf("byte %d: %s is %d bytes long, more than a model string can be", at, what, n)
	}
	b, err := r.take(int(n), what)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// count reads a u64 element count of elements at least size bytes each.
func (r *binReader) count(what string, size int) (int, error) {
	at := r.pos
	n, err := r.u64(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.data)-r.pos)/uint64(size) {
		return 0, fmt.Errorf("byte %d: %s of %d entries is longer than the file: it is truncated or corrupt", at, what, n)
	}
	return int(n), nil
}

func readBinary(data []byte) (*Model, error) {
	le := binary.LittleEndian
	r := &binReader{data: data}
	if strings.HasPrefix(string(data[:min(4, len(data))]), "binf") {
		r.pos = 4
	}
	p, err := r.take(binaryParamSize, "the learner parameters")
	if err != nil {
		return nil, err
	}
	m := &Model{
		BaseScore:      float64(math.Float32frombits(le.Uint32(p[0:]))),
		NumFeature:     int(le.Uint32(p[4:])),
		NumClass:       int(int32(le.Uint32(p[8:]))),
		ScalePosWeight: 1,
	}
	hasAttrs, hasMetrics := le.Uint32(p[12:]) != 0, le.Uint32(p[16:]) != 0
	if m.NumClass < 0 {
		return nil, fmt.Errorf("num_class %d is negative", m.NumClass)
	}
	if m.Objective, err = r.str("the objective name"); err != nil {
		return nil, err
	}
	if m.Objective == regLinearOldName {
		m.Objective = RegSquaredError
	}
	booster, err := r.str("the booster name")
	if err != nil {
		return nil, err
	}
	switch booster {
	case "gbtree", "dart":
	case "gblinear":
		return nil, errors.New("booster gblinear is not supported: Ferry reads tree models (gbtree, dart); a linear booster has no trees to predict or explain with")
	default:
		return nil, fmt.Errorf("booster %q is not supported (Ferry reads gbtree and dart)", booster)
	}
	g, err := r.take(binaryGBTParamSize, "the gbtree parameters")
	if err != nil {
		return nil, err
	}
	numTrees := int(int32(le.Uint32(g[0:])))
	m.NumParallelTree = max(1, int(int32(le.Uint32(g[4:]))))
	if pbuf := int64(le.Uint64(g[16:])); pbuf != 0 {
		return nil, fmt.Errorf("the model has a prediction buffer (num_pbuffer %d), which only XGBoost before 0.7 wrote: load and save it again with a newer XGBoost", pbuf)
	}
	if slv := int32(le.Uint32(g[28:])); slv != 0 {
		return nil, fmt.Errorf("size_leaf_vector %d is not supported: vector leaves belong to multi-target models, Ferry reads scalar leaves", slv)
	}
	if numTrees < 0 || numTrees > (len(data)-r.pos)/(binaryTreeParamSize+binaryNodeSize+binaryStatSize) {
		return nil, fmt.Errorf("num_trees %d does not fit the %d bytes left: the file is truncated or corrupt", numTrees, len(data)-r.pos)
	}
	trees := make([]jsonTree, numTrees)
	for i := range trees {
		if err := readBinaryTree(r, &trees[i]); err != nil {
			return nil, fmt.Errorf("reading tree %d: %w", i, err)
		}
	}
	info, err := r.take(4*numTrees, "tree_info")
	if err != nil {
		return nil, err
	}
	m.TreeInfo = make([]int32, numTrees)
	for i := range m.TreeInfo {
		m.TreeInfo[i] = int32(le.Uint32(info[4*i:]))
	}
	if booster == "dart" {
		n, err := r.count("weight_drop", 4)
		if err != nil {
			return nil, err
		}
		w, _ := r.take(4*n, "weight_drop")
		m.TreeWeights = make([]float64, n)
		for i := range n {
			m.TreeWeights[i] = float64(math.Float32frombits(le.Uint32(w[4*i:])))
		}
	}
	m.Attributes = map[string]string{}
	if hasAttrs {
		n, err := r.count("the attributes", 16)
		if err != nil {
			return nil, err
		}
		for range n {
			k, err := r.str("an attribute name")
			if err != nil {
				return nil, err
			}
			v, err := r.str("an attribute value")
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(k, "SAVED_PARAM_") {
				continue // training configuration, not a model attribute
			}
			m.Attributes[k] = v
		}
	}
	if m.Objective == CountPoisson {
		s, err := r.str("max_delta_step")
		if err != nil {
			return nil, err
		}
		if m.MaxDeltaStep, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("max_delta_step %q is not a number", s)
		}
	}
	if hasMetrics {
		n, err := r.count("the eval metrics", 8)
		if err != nil {
			return nil, err
		}
		for range n {
			if _, err := r.str("an eval metric name"); err != nil {
				return nil, err
			}
		}
	}
	m.Trees = make([]tree.Tree, numTrees)
	budget := maxCategoryWords
	for i := range trees {
		if err := convertTree(&trees[i], &m.Trees[i], &budget); err != nil {
			return nil, fmt.Errorf("reading tree %d: %w", i, err)
		}
		if d := treeDepth(&m.Trees[i]); d > MaxReadDepth {
			return nil, fmt.Errorf("reading tree %d: tree is deeper than %d levels, the most a model may have", i, MaxReadDepth)
		}
	}
	if err := m.Init(); err != nil {
		return nil, err
	}
	return m, nil
}

// readBinaryTree reads one tree into the JSON reader's form, so both
// formats share its checks.
func readBinaryTree(r *binReader, jt *jsonTree) error {
	le := binary.LittleEndian
	p, err := r.take(binaryTreeParamSize, "the tree parameters")
	if err != nil {
		return err
	}
	n := int(int32(le.Uint32(p[4:])))
	if slv := int32(le.Uint32(p[20:])); slv != 0 {
		return fmt.Errorf("size_leaf_vector %d is not supported: vector leaves belong to multi-target models, Ferry reads scalar leaves", slv)
	}
	if n <= 0 || n > (len(r.data)-r.pos)/(binaryNodeSize+binaryStatSize) {
		return fmt.Errorf("num_nodes %d does not fit the %d bytes left: the file is truncated or corrupt", n, len(r.data)-r.pos)
	}
	nodes, _ := r.take(n*binaryNodeSize, "the nodes")
	stats, _ := r.take(n*binaryStatSize, "the node statistics")
	jt.Left = make([]int32, n)
	jt.Right = make([]int32, n)
	jt.SplitIndices = make([]int32, n)
	jt.SplitConditions = make([]jfloat, n)
	jt.DefaultLeft = make([]boolish, n)
	jt.BaseWeights = make([]jfloat, n)
	jt.LossChanges = make([]jfloat, n)
	jt.SumHessian = make([]jfloat, n)
	for i := range n {
		nd := nodes[i*binaryNodeSize:]
		st := stats[i*binaryStatSize:]
		sindex := le.Uint32(nd[12:])
		if sindex == math.MaxUint32 {
			// A node deleted by pruning: unreachable, kept as a leaf.
			jt.Left[i], jt.Right[i] = -1, -1
			continue
		}
		jt.Left[i] = int32(le.Uint32(nd[4:]))
		jt.Right[i] = int32(le.Uint32(nd[8:]))
		jt.SplitIndices[i] = int32(sindex &^ (1 << 31))
		jt.DefaultLeft[i] = sindex>>31 != 0
		jt.SplitConditions[i] = jfloat(math.Float32frombits(le.Uint32(nd[16:])))
		jt.LossChanges[i] = jfloat(math.Float32frombits(le.Uint32(st[0:])))
		jt.SumHessian[i] = jfloat(math.Float32frombits(le.Uint32(st[4:])))
		jt.BaseWeights[i] = jfloat(math.Float32frombits(le.Uint32(st[8:])))
	}
	return nil
}
