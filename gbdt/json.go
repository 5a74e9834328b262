package gbdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/tree"
)

// XGBoost JSON model format (Booster.save_model("model.json")). The reader
// accepts the 1.7 layout and later ones (2.x adds iteration_indptr; 3.x
// writes base_score as "[5E-1]" and a cats object); UBJSON models are
// transcoded to the same text first (ubjson.go). The writer (write.go)
// emits the 1.7 layout, which every version loads.

type jsonModel struct {
	Learner *jsonLearner `json:"learner"`
	Version []int        `json:"version"`
	// Snapshot is the model of a memory snapshot ({"Config": ...,
	// "Model": ...}), what a pickled Booster holds in XGBoost 1.x.
	Snapshot *jsonModel `json:"Model"`
}

type jsonLearner struct {
	Attributes       map[string]string `json:"attributes"`
	FeatureNames     []string          `json:"feature_names"`
	FeatureTypes     []string          `json:"feature_types"`
	GradientBooster  *jsonBooster      `json:"gradient_booster"`
	LearnerModelParm map[string]scalar `json:"learner_model_param"`
	Objective        *jsonObjective    `json:"objective"`
}

// jsonBooster is learner.gradient_booster: a gbtree (name, model) or a
// dart booster (name, gbtree, weight_drop).
type jsonBooster struct {
	Name       string        `json:"name"`
	Model      *jsonGBTModel `json:"model"`
	GBTree     *jsonBooster  `json:"gbtree"`
	WeightDrop []jfloat      `json:"weight_drop"`
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
	ID                 *int              `json:"id"`
	Param              map[string]scalar `json:"tree_param"`
	Left               []int32           `json:"left_children"`
	Right              []int32           `json:"right_children"`
	SplitIndices       []int32           `json:"split_indices"`
	SplitConditions    []jfloat          `json:"split_conditions"`
	DefaultLeft        []boolish         `json:"default_left"`
	BaseWeights        []jfloat          `json:"base_weights"`
	LossChanges        []jfloat          `json:"loss_changes"`
	SumHessian         []jfloat          `json:"sum_hessian"`
	SplitType          []int32           `json:"split_type"`
	Categories         []int64           `json:"categories"`
	CategoriesNodes    []int64           `json:"categories_nodes"`
	CategoriesSegments []int64           `json:"categories_segments"`
	CategoriesSizes    []int64           `json:"categories_sizes"`
}

// jfloat is a number in a float array. XGBoost writes a non-finite float
// as a bare NaN, Infinity or -Infinity, which quoteNonFinite turns into
// a string before decoding.
type jfloat float64

func (f *jfloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		switch string(b) {
		case `"NaN"`:
			*f = jfloat(math.NaN())
		case `"Infinity"`:
			*f = jfloat(math.Inf(1))
		case `"-Infinity"`:
			*f = jfloat(math.Inf(-1))
		default:
			return fmt.Errorf("string %s where a number belongs", b)
		}
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s is not a number", b)
	}
	*f = jfloat(v)
	return nil
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
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", string(s))
	}
	return f, nil
}

// floats reads base_score: one number, or XGBoost 3.x's vector "[a,b,c]"
// of per-class scores (returned as the slice when they differ).
func (s scalar) floats() (float64, []float64, error) {
	v := strings.TrimSpace(string(s))
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") || !strings.Contains(v, ",") {
		f, err := s.float()
		return f, nil, err
	}
	parts := strings.Split(v[1:len(v)-1], ",")
	if len(parts) > maxClasses {
		return 0, nil, fmt.Errorf("%d base scores, more than a model has classes", len(parts))
	}
	out := make([]float64, len(parts))
	same := true
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return 0, nil, fmt.Errorf("%q is not a list of numbers", string(s))
		}
		out[i] = f
		same = same && f == out[0]
	}
	if same {
		return out[0], nil, nil
	}
	return out[0], out, nil
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

// readJSON reads an XGBoost JSON model from its text.
func readJSON(data []byte) (*Model, error) {
	var jm jsonModel
	if err := json.Unmarshal(quoteNonFinite(data), &jm); err != nil {
		return nil, describeJSONError(data, err)
	}
	return jm.model()
}

// quoteNonFinite returns data with every bare NaN, Infinity and -Infinity
// outside strings quoted (XGBoost writes them so; encoding/json does not
// read them). It returns data itself when there is none.
func quoteNonFinite(data []byte) []byte {
	var out []byte
	last := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		var tok string
		switch c {
		case '"':
			inString = true
			continue
		case 'N':
			tok = "NaN"
		case 'I':
			tok = "Infinity"
		case '-':
			tok = "-Infinity"
		default:
			continue
		}
		if !strings.HasPrefix(string(data[i:min(len(data), i+len(tok))]), tok) {
			continue
		}
		out = append(out, data[last:i]...)
		out = append(out, '"')
		out = append(out, tok...)
		out = append(out, '"')
		i += len(tok) - 1
		last = i + 1
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// describeJSONError turns an encoding/json error into what is wrong with
// the model file, in the model's terms.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))):
		return fmt.Errorf("the text ends after %d bytes in the middle of a value: the file is truncated", len(data))
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return fmt.Errorf("malformed at line %d, column %d (byte %d)%s", line, col, syn.Offset, near(data, syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the text ends after %d bytes in the middle of a value: the file is truncated", len(data))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Errorf("field %s holds %s where the XGBoost format has %s", field, article(typ.Value), describeType(typ.Type))
	}
	// Errors of the custom element types (jfloat, scalar, boolish) already
	// say what is wrong.
	return err
}

func lineCol(data []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

// near shows the bytes around a syntax error's offset.
func near(data []byte, off int64) string {
	lo := max(0, int(off)-16)
	hi := min(len(data), int(off)+16)
	if lo >= hi {
		return ""
	}
	return fmt.Sprintf(", near %q", data[lo:hi])
}

// article prefixes a or an.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "0 or 1"
	}
	return t.String()
}

// model converts a decoded JSON (or transcoded UBJSON) model.
func (jm *jsonModel) model() (*Model, error) {
	if jm.Learner == nil && jm.Snapshot != nil {
		jm = jm.Snapshot
	}
	l := jm.Learner
	if l == nil {
		return nil, errors.New(`no "learner" object: not an XGBoost model`)
	}
	b := l.GradientBooster
	if b == nil {
		return nil, errors.New("no learner.gradient_booster")
	}
	m := &Model{
		FeatureNames:   l.FeatureNames,
		FeatureTypes:   l.FeatureTypes,
		Attributes:     l.Attributes,
		ScalePosWeight: 1,
	}
	switch b.Name {
	case "gbtree":
	case "dart":
		if b.GBTree == nil {
			return nil, errors.New("dart booster without its gbtree object")
		}
		if len(b.WeightDrop) == 0 && b.GBTree.Model != nil && len(b.GBTree.Model.Trees) > 0 {
			return nil, errors.New("dart booster without weight_drop")
		}
		m.TreeWeights = make([]float64, len(b.WeightDrop))
		for i, w := range b.WeightDrop {
			m.TreeWeights[i] = float64(w)
		}
		b = b.GBTree
	case "gblinear":
		return nil, errors.New("booster gblinear is not supported: Ferry reads tree models (gbtree, dart); a linear booster has no trees to predict or explain with")
	default:
		return nil, fmt.Errorf("booster %q is not supported (Ferry reads gbtree and dart)", b.Name)
	}
	if b.Model == nil {
		return nil, errors.New("no learner.gradient_booster.model")
	}
	if l.Objective == nil {
		return nil, errors.New("no learner.objective")
	}
	m.Objective = l.Objective.Name
	if m.Objective == regLinearOldName {
		m.Objective = RegSquaredError
	}
	p := l.LearnerModelParm
	var err error
	if m.BaseScore, m.BaseScores, err = p["base_score"].floats(); err != nil {
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
			return nil, fmt.Errorf("learner_model_param.num_target %q is not supported: Ferry reads single-target models (one output per class)", string(v))
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
	gm := b.Model
	m.NumParallelTree = 1
	if v, ok := gm.Param["num_parallel_tree"]; ok {
		if m.NumParallelTree, err = v.int(); err != nil || m.NumParallelTree < 1 {
			return nil, fmt.Errorf("gbtree_model_param.num_parallel_tree %q is not a positive count", string(v))
		}
	}
	if v, ok := gm.Param["num_trees"]; ok {
		if nt, err := v.int(); err != nil || nt != len(gm.Trees) {
			return nil, fmt.Errorf("gbtree_model_param.num_trees %q but %d trees stored", string(v), len(gm.Trees))
		}
	}
	m.TreeInfo = gm.TreeInfo
	m.Trees = make([]tree.Tree, len(gm.Trees))
	budget := maxCategoryWords
	for i := range gm.Trees {
		if err := convertTree(&gm.Trees[i], &m.Trees[i], &budget); err != nil {
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

// maxCategoryWords bounds the category bit sets of a model (64 MB), so a
// small corrupt file cannot ask for huge sets.
const maxCategoryWords = 1 << 24

func convertTree(jt *jsonTree, t *tree.Tree, budget *int) error {
	n := len(jt.Left)
	if n == 0 {
		return errors.New("no nodes")
	}
	for _, c := range []struct {
		name string
		l    int
	}{
		{"right_children", len(jt.Right)}, {"split_indices", len(jt.SplitIndices)},
		{"split_conditions", len(jt.SplitConditions)}, {"default_left", len(jt.DefaultLeft)},
		{"base_weights", len(jt.BaseWeights)}, {"sum_hessian", len(jt.SumHessian)},
	} {
		if c.l != n {
			return fmt.Errorf("%s has %d entries for %d nodes", c.name, c.l, n)
		}
	}
	if len(jt.LossChanges) != 0 && len(jt.LossChanges) != n {
		return fmt.Errorf("loss_changes has %d entries for %d nodes", len(jt.LossChanges), n)
	}
	if len(jt.SplitType) != 0 && len(jt.SplitType) != n {
		return fmt.Errorf("split_type has %d entries for %d nodes", len(jt.SplitType), n)
	}
	if v, ok := jt.Param["size_leaf_vector"]; ok {
		// 1.7 writes 0, 3.x 1: a scalar leaf either way.
		if k, err := v.int(); err != nil || k > 1 {
			return fmt.Errorf("tree_param.size_leaf_vector %q is not supported: vector leaves belong to multi-target models, Ferry reads scalar leaves", string(v))
		}
	}
	t.Left, t.Right, t.Feature = jt.Left, jt.Right, jt.SplitIndices
	t.Threshold = make([]float32, n)
	t.DefaultLeft = make([]bool, n)
	t.Value = make([]float64, n)
	t.Cover = make([]float64, n)
	t.Gain = make([]float64, n)
	for i := range n {
		t.Cover[i] = float64(jt.SumHessian[i])
		if len(jt.LossChanges) == n {
			t.Gain[i] = float64(jt.LossChanges[i])
		}
		if err := checkChildren(i, t.Left[i], t.Right[i]); err != nil {
			return err
		}
		if t.Left[i] < 0 {
			t.Value[i] = float64(float32(jt.SplitConditions[i]))
			t.Gain[i] = 0
			continue
		}
		t.Threshold[i] = float32(jt.SplitConditions[i])
		t.DefaultLeft[i] = bool(jt.DefaultLeft[i])
		t.Value[i] = float64(jt.BaseWeights[i])
	}
	return readCategories(jt, t, budget)
}

// checkChildren rejects child indices XGBoost never writes: a leaf has
// both children −1, a split has two non-negative ones.
func checkChildren(i int, l, r int32) error {
	switch {
	case l == -1 && r == -1, l >= 0 && r >= 0:
		return nil
	case l < -1 || r < -1:
		return fmt.Errorf("node %d has child index %d: a leaf's children are -1, a split's are node ids", i, min(l, r))
	case l == -1:
		return fmt.Errorf("node %d has a right child but no left child", i)
	}
	return fmt.Errorf("node %d has a left child but no right child", i)
}

// readCategories fills t.Categories from XGBoost's categorical-split
// arrays: categories_nodes[k] is a node whose categories (those that go
// right) are categories[segments[k] : segments[k]+sizes[k]].
func readCategories(jt *jsonTree, t *tree.Tree, budget *int) error {
	nc := len(jt.CategoriesNodes)
	if len(jt.CategoriesSegments) != nc || len(jt.CategoriesSizes) != nc {
		return fmt.Errorf("categories_nodes, categories_segments and categories_sizes have %d, %d and %d entries, want the same", nc, len(jt.CategoriesSegments), len(jt.CategoriesSizes))
	}
	n := len(t.Left)
	isCat := func(i int) bool { return len(jt.SplitType) == n && jt.SplitType[i] == 1 }
	for i, st := range jt.SplitType {
		if st != 0 && st != 1 {
			return fmt.Errorf("node %d has split_type %d: 0 (numerical) and 1 (categorical) are known", i, st)
		}
		if st == 1 && t.Left[i] < 0 {
			return fmt.Errorf("leaf %d has split_type 1 (categorical)", i)
		}
	}
	if nc == 0 {
		for i := range n {
			if isCat(i) {
				return fmt.Errorf("node %d is a categorical split with no categories_nodes entry", i)
			}
		}
		return nil
	}
	t.Categories = make([][]uint32, n)
	for k, node := range jt.CategoriesNodes {
		if node < 0 || node >= int64(n) || !isCat(int(node)) {
			return fmt.Errorf("categories_nodes[%d] = %d is not a categorical split of this tree", k, node)
		}
		if t.Categories[node] != nil {
			return fmt.Errorf("categories_nodes lists node %d twice", node)
		}
		seg, size := jt.CategoriesSegments[k], jt.CategoriesSizes[k]
		if seg < 0 || size < 0 || seg > int64(len(jt.Categories)) || size > int64(len(jt.Categories))-seg {
			return fmt.Errorf("node %d: categories segment [%d, %d+%d) is outside the %d categories", node, seg, seg, size, len(jt.Categories))
		}
		cats := jt.Categories[seg : seg+size]
		top := int64(-1)
		for _, c := range cats {
			if c < 0 || c >= tree.MaxCategory {
				return fmt.Errorf("node %d: category %d is outside [0, 2^24)", node, c)
			}
			top = max(top, c)
		}
		words := int(top/32 + 1)
		if *budget -= words; *budget < 0 {
			return fmt.Errorf("node %d: the model's category sets need more than %d MB", node, maxCategoryWords*4>>20)
		}
		set := make([]uint32, words)
		for _, c := range cats {
			set[c/32] |= 1 << (c % 32)
		}
		t.Categories[node] = set
		// XGBoost writes NaN (1.7) or a tiny number (3.x) here; it is not
		// a threshold.
		t.Threshold[node] = 0
	}
	for i := range n {
		if isCat(i) && t.Categories[i] == nil {
			return fmt.Errorf("node %d is a categorical split with no categories_nodes entry", i)
		}
	}
	return nil
}
