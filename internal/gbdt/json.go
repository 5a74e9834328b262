package gbdt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/tree"
)

// XGBoost JSON model format (Booster.save_model("model.json")). The reader
// accepts the 1.7 layout and later ones (2.x adds iteration_indptr; 3.x
// writes base_score as "[5E-1]"); the writer emits the 1.7 layout, which
// every version loads.

type jsonModel struct {
	Learner *jsonLearner `json:"learner"`
	Version []int        `json:"version"`
}

type jsonLearner struct {
	Attributes       map[string]string `json:"attributes"`
	FeatureNames     []string          `json:"feature_names"`
	FeatureTypes     []string          `json:"feature_types"`
	GradientBooster  *jsonBooster      `json:"gradient_booster"`
	LearnerModelParm map[string]scalar `json:"learner_model_param"`
	Objective        *jsonObjective    `json:"objective"`
}

type jsonBooster struct {
	Name  string        `json:"name"`
	Model *jsonGBTModel `json:"model"`
}

type jsonGBTModel struct {
	Param    map[string]scalar `json:"gbtree_model_param"`
	TreeInfo []int32           `json:"tree_info"`
	Trees    []jsonTree        `json:"trees"`
}

type jsonObjective struct {
	Name         string            `json:"name"`
	RegLoss      map[string]scalar `json:"reg_loss_param"`
	Softmax      map[string]scalar `json:"softmax_multiclass_param"`
	PoissonParam map[string]scalar `json:"poisson_regression_param"`
}

type jsonTree struct {
	ID              *int              `json:"id"`
	Param           map[string]scalar `json:"tree_param"`
	Left            []int32           `json:"left_children"`
	Right           []int32           `json:"right_children"`
	SplitIndices    []int32           `json:"split_indices"`
	SplitConditions []float64         `json:"split_conditions"`
	DefaultLeft     []boolish         `json:"default_left"`
	BaseWeights     []float64         `json:"base_weights"`
	LossChanges     []float64         `json:"loss_changes"`
	SumHessian      []float64         `json:"sum_hessian"`
	SplitType       []int             `json:"split_type"`
	CategoriesNodes []int             `json:"categories_nodes"`
}

// scalar is a parameter written as a string ("5E-1", "[5E-1]", "3") or
// as a bare number.
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalar(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("parameter %s is neither a string nor a number", b)
	}
	*s = scalar(n)
	return nil
}

func (s scalar) float() (float64, error) {
	v := strings.TrimSpace(string(s))
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = strings.TrimSpace(v[1 : len(v)-1])
		if strings.Contains(v, ",") {
			return 0, fmt.Errorf("vector value %q is not supported (multi-target model)", string(s))
		}
	}
	return strconv.ParseFloat(v, 64)
}

func (s scalar) int() (int, error) {
	f, err := s.float()
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < 0 || f > 1<<30 {
		return 0, fmt.Errorf("%q is not a count", string(s))
	}
	return int(f), nil
}

// boolish is a default_left entry: 0/1 or false/true.
type boolish bool

func (b *boolish) UnmarshalJSON(d []byte) error {
	switch string(d) {
	case "0", "false":
		*b = false
	case "1", "true":
		*b = true
	default:
		return fmt.Errorf("default_left entry %s is not 0, 1, false or true", d)
	}
	return nil
}

// ReadModel reads an XGBoost JSON model (gbtree booster). Malformed or
// unsupported input is an error naming what is wrong.
func ReadModel(r io.Reader) (*Model, error) {
	var jm jsonModel
	dec := json.NewDecoder(bufio.NewReader(r))
	if err := dec.Decode(&jm); err != nil {
		return nil, fmt.Errorf("decoding XGBoost JSON model: %w", err)
	}
	l := jm.Learner
	if l == nil {
		return nil, errors.New("decoding XGBoost JSON model: no \"learner\" object")
	}
	if l.GradientBooster == nil || l.GradientBooster.Model == nil {
		return nil, errors.New("decoding XGBoost JSON model: no learner.gradient_booster.model")
	}
	if name := l.GradientBooster.Name; name != "gbtree" {
		return nil, fmt.Errorf("decoding XGBoost JSON model: booster %q is not supported (only gbtree)", name)
	}
	if l.Objective == nil {
		return nil, errors.New("decoding XGBoost JSON model: no learner.objective")
	}
	m := &Model{
		Objective:      l.Objective.Name,
		FeatureNames:   l.FeatureNames,
		FeatureTypes:   l.FeatureTypes,
		Attributes:     l.Attributes,
		ScalePosWeight: 1,
	}
	if m.Objective == regLinearOldName {
		m.Objective = RegSquaredError
	}
	p := l.LearnerModelParm
	var err error
	if m.BaseScore, err = p["base_score"].float(); err != nil {
		return nil, fmt.Errorf("reading learner_model_param.base_score: %w", err)
	}
	if m.NumFeature, err = p["num_feature"].int(); err != nil {
		return nil, fmt.Errorf("reading learner_model_param.num_feature: %w", err)
	}
	if v, ok := p["num_class"]; ok {
		if m.NumClass, err = v.int(); err != nil {
			return nil, fmt.Errorf("reading learner_model_param.num_class: %w", err)
		}
	}
	if v, ok := p["num_target"]; ok {
		if nt, err := v.int(); err != nil || nt > 1 {
			return nil, fmt.Errorf("reading learner_model_param.num_target %q: only single-target models are supported", string(v))
		}
	}
	if v, ok := l.Objective.RegLoss["scale_pos_weight"]; ok {
		if m.ScalePosWeight, err = v.float(); err != nil {
			return nil, fmt.Errorf("reading objective scale_pos_weight: %w", err)
		}
	}
	if v, ok := l.Objective.PoissonParam["max_delta_step"]; ok {
		if m.MaxDeltaStep, err = v.float(); err != nil {
			return nil, fmt.Errorf("reading objective max_delta_step: %w", err)
		}
	}
	gm := l.GradientBooster.Model
	if v, ok := gm.Param["num_parallel_tree"]; ok {
		if np, err := v.int(); err != nil || np > 1 {
			return nil, fmt.Errorf("reading gbtree_model_param.num_parallel_tree %q: only 1 is supported", string(v))
		}
	}
	if v, ok := gm.Param["num_trees"]; ok {
		if nt, err := v.int(); err != nil || nt != len(gm.Trees) {
			return nil, fmt.Errorf("gbtree_model_param.num_trees %q but %d trees stored", string(v), len(gm.Trees))
		}
	}
	m.TreeInfo = gm.TreeInfo
	m.Trees = make([]tree.Tree, len(gm.Trees))
	for i := range gm.Trees {
		if err := convertTree(&gm.Trees[i], &m.Trees[i]); err != nil {
			return nil, fmt.Errorf("reading tree %d: %w", i, err)
		}
		if d := treeDepth(&m.Trees[i]); d > MaxReadDepth {
			return nil, fmt.Errorf("reading tree %d: tree is deeper than %d levels, the most a model may have", i, MaxReadDepth)
		}
	}
	if err := m.Init(); err != nil {
		return nil, fmt.Errorf("reading XGBoost JSON model: %w", err)
	}
	return m, nil
}

// MaxReadDepth is the deepest tree [ReadModel] accepts (as the random
// forest reader): it bounds TreeSHAP's scratch space, which grows with the
// square of the depth, and its recursion.
const MaxReadDepth = 1024

// treeDepth returns the depth of t's deepest node, or MaxReadDepth+1 as
// soon as a node is deeper. It does not recurse, follows each node once,
// and skips child indices out of range (Init reports those).
func treeDepth(t *tree.Tree) int {
	n := len(t.Left)
	if n == 0 || len(t.Right) != n {
		return 0
	}
	type item struct{ node, depth int32 }
	seen := make([]bool, n)
	seen[0] = true
	deepest := int32(0)
	stack := []item{{0, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		deepest = max(deepest, it.depth)
		if deepest > MaxReadDepth {
			return int(deepest)
		}
		for _, c := range [2]int32{t.Left[it.node], t.Right[it.node]} {
			if c < 0 || int(c) >= n || seen[c] {
				continue
			}
			seen[c] = true
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return int(deepest)
}

func convertTree(jt *jsonTree, t *tree.Tree) error {
	n := len(jt.Left)
	if n == 0 {
		return errors.New("no nodes")
	}
	for name, l := range map[string]int{
		"right_children": len(jt.Right), "split_indices": len(jt.SplitIndices),
		"split_conditions": len(jt.SplitConditions), "default_left": len(jt.DefaultLeft),
		"base_weights": len(jt.BaseWeights), "sum_hessian": len(jt.SumHessian),
	} {
		if l != n {
			return fmt.Errorf("%s has %d entries for %d nodes", name, l, n)
		}
	}
	if len(jt.LossChanges) != 0 && len(jt.LossChanges) != n {
		return fmt.Errorf("loss_changes has %d entries for %d nodes", len(jt.LossChanges), n)
	}
	for _, st := range jt.SplitType {
		if st != 0 {
			return errors.New("categorical splits are not supported")
		}
	}
	if len(jt.CategoriesNodes) > 0 {
		return errors.New("categorical splits are not supported")
	}
	t.Left, t.Right, t.Feature = jt.Left, jt.Right, jt.SplitIndices
	t.Threshold = make([]float32, n)
	t.DefaultLeft = make([]bool, n)
	t.Value = make([]float64, n)
	t.Cover = jt.SumHessian
	t.Gain = jt.LossChanges
	if t.Gain == nil {
		t.Gain = make([]float64, n)
	}
	for i := range n {
		if t.Left[i] < 0 {
			t.Left[i], t.Right[i] = -1, -1
			t.Value[i] = float64(float32(jt.SplitConditions[i]))
			continue
		}
		t.Threshold[i] = float32(jt.SplitConditions[i])
		t.DefaultLeft[i] = bool(jt.DefaultLeft[i])
		t.Value[i] = jt.BaseWeights[i]
	}
	return nil
}

// WriteJSON writes the model in XGBoost 1.7's JSON layout, which XGBoost
// 1.7 and later load: float32 values as their shortest text in exponent
// form (never an integer-looking literal), right child = left child + 1,
// sum_hessian as covers, every array XGBoost requires. The output is a
// deterministic function of the model.
func (m *Model) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(`{"learner":{"attributes":{`)
	keys := sortedKeys(m.Attributes)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, k)
		b.WriteByte(':')
		writeString(&b, m.Attributes[k])
	}
	b.WriteString(`},"feature_names":`)
	writeStrings(&b, m.FeatureNames)
	b.WriteString(`,"feature_types":`)
	writeStrings(&b, m.FeatureTypes)
	b.WriteString(`,"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"`)
	b.WriteString(strconv.Itoa(len(m.Trees)))
	b.WriteString(`","size_leaf_vector":"0"},"tree_info":[`)
	for i, g := range m.TreeInfo {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(g)))
	}
	b.WriteString(`],"trees":[`)
	for i := range m.Trees {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeTree(&b, &m.Trees[i], i, m.NumFeature); err != nil {
			return fmt.Errorf("writing tree %d: %w", i, err)
		}
	}
	b.WriteString(`]},"name":"gbtree"},"learner_model_param":{"base_score":"`)
	b.WriteString(f32(m.BaseScore))
	b.WriteString(`","boost_from_average":"1","num_class":"`)
	b.WriteString(strconv.Itoa(m.NumClass))
	b.WriteString(`","num_feature":"`)
	b.WriteString(strconv.Itoa(m.NumFeature))
	b.WriteString(`","num_target":"1"},"objective":{"name":`)
	writeString(&b, m.Objective)
	switch m.Objective {
	case MultiSoftprob, MultiSoftmax:
		fmt.Fprintf(&b, `,"softmax_multiclass_param":{"num_class":"%d"}`, m.NumClass)
	case CountPoisson:
		fmt.Fprintf(&b, `,"poisson_regression_param":{"max_delta_step":"%s"}`, f32(m.MaxDeltaStep))
	default:
		fmt.Fprintf(&b, `,"reg_loss_param":{"scale_pos_weight":"%s"}`, f32(m.ScalePosWeight))
	}
	b.WriteString(`}},"version":[1,7,4]}`)
	_, err := w.Write(b.Bytes())
	return err
}

func writeTree(b *bytes.Buffer, t *tree.Tree, id, numFeature int) error {
	n := t.NumNodes()
	parents := make([]int32, n)
	parents[0] = math.MaxInt32
	for i := range n {
		if l := t.Left[i]; l >= 0 {
			if t.Right[i] != l+1 {
				return fmt.Errorf("node %d: right child %d is not left child %d + 1, as XGBoost's predictor requires", i, t.Right[i], l)
			}
			parents[l], parents[l+1] = int32(i), int32(i)
		}
	}
	floats := func(name string, v func(i int) float64) {
		b.WriteString(`"` + name + `":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f32(v(i)))
		}
		b.WriteString(`],`)
	}
	ints := func(name string, v func(i int) int64) {
		b.WriteString(`"` + name + `":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(v(i), 10))
		}
		b.WriteString(`],`)
	}
	b.WriteByte('{')
	floats("base_weights", func(i int) float64 { return t.Value[i] })
	b.WriteString(`"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],`)
	ints("default_left", func(i int) int64 {
		if t.Left[i] >= 0 && t.DefaultLeft[i] {
			return 1
		}
		return 0
	})
	fmt.Fprintf(b, `"id":%d,`, id)
	ints("left_children", func(i int) int64 { return int64(t.Left[i]) })
	floats("loss_changes", func(i int) float64 {
		if t.Left[i] < 0 || t.Gain == nil {
			return 0
		}
		return t.Gain[i]
	})
	ints("parents", func(i int) int64 { return int64(parents[i]) })
	ints("right_children", func(i int) int64 { return int64(t.Right[i]) })
	floats("split_conditions", func(i int) float64 {
		if t.Left[i] < 0 {
			return t.Value[i]
		}
		return float64(t.Threshold[i])
	})
	ints("split_indices", func(i int) int64 {
		if t.Left[i] < 0 {
			return 0
		}
		return int64(t.Feature[i])
	})
	ints("split_type", func(int) int64 { return 0 })
	floats("sum_hessian", func(i int) float64 { return t.Cover[i] })
	fmt.Fprintf(b, `"tree_param":{"num_deleted":"0","num_feature":"%d","num_nodes":"%d","size_leaf_vector":"0"}}`, numFeature, n)
	return nil
}

// f32 formats v rounded to float32 as the shortest text that reads back as
// the same float32, always in exponent form so it never looks like an
// integer (XGBoost 1.7 rejects integer literals in float arrays).
func f32(v float64) string {
	s := strconv.FormatFloat(float64(float32(v)), 'E', -1, 32)
	// Go writes "5E-01"; XGBoost writes "5E-1": both parse, keep it short.
	if i := strings.IndexByte(s, 'E'); i >= 0 {
		exp := s[i+1:]
		sign := ""
		if exp[0] == '-' || exp[0] == '+' {
			if exp[0] == '-' {
				sign = "-"
			}
			exp = exp[1:]
		}
		exp = strings.TrimLeft(exp, "0")
		if exp == "" {
			exp = "0"
		}
		s = s[:i+1] + sign + exp
	}
	return s
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

func writeStrings(b *bytes.Buffer, ss []string) {
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s)
	}
	b.WriteByte(']')
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
