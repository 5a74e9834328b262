package gbdt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/tree"
)

// WriteJSON writes the model in XGBoost 1.7's JSON layout, which XGBoost
// 1.7 and later load: float32 values as their shortest text in exponent
// form (never an integer-looking literal), right child = left child + 1,
// sum_hessian as covers, every array XGBoost requires. Dart models are
// written as dart boosters with their weights; categorical splits with
// XGBoost's categories arrays. The output is a deterministic function of
// the model.
func (m *Model) WriteJSON(w io.Writer) error {
	e := &jsonEncoder{}
	if err := m.encode(e); err != nil {
		return err
	}
	_, err := w.Write(e.b.Bytes())
	return err
}

// WriteUBJSON writes the model as XGBoost's UBJSON (save_model("x.ubj")):
// the layout of [Model.WriteJSON] with the container types XGBoost 1.7
// writes and reads (float32 arrays "[$d#", int32 "[$l#", int64 "[$L#",
// uint8 "[$U#"), so XGBoost 1.7 and later load it.
func (m *Model) WriteUBJSON(w io.Writer) error {
	e := &ubjEncoder{}
	if err := m.encode(e); err != nil {
		return err
	}
	_, err := w.Write(e.b.Bytes())
	return err
}

// encoder receives a model document; jsonEncoder and ubjEncoder write it.
type encoder interface {
	open(object bool)
	close(object bool)
	key(k string)
	str(s string)
	integer(v int64)
	f32s(v []float32) // typed float32 array
	i32s(v []int32)   // typed int32 array
	i64s(v []int64)   // typed int64 array
	u8s(v []uint8)    // typed uint8 array
	ints(v []int64)   // array of integers, each with its own type
	floats(v []float32)
	strs(v []string)
}

func (m *Model) encode(e encoder) error {
	e.open(true)
	e.key("learner")
	e.open(true)
	e.key("attributes")
	e.open(true)
	for _, k := range sortedKeys(m.Attributes) {
		e.key(k)
		e.str(m.Attributes[k])
	}
	e.close(true)
	e.key("feature_names")
	e.strs(m.FeatureNames)
	e.key("feature_types")
	e.strs(m.FeatureTypes)
	e.key("gradient_booster")
	e.open(true)
	if m.TreeWeights != nil {
		e.key("gbtree")
		e.open(true)
		if err := m.encodeGBTree(e); err != nil {
			return err
		}
		e.close(true)
		e.key("name")
		e.str("dart")
		e.key("weight_drop")
		w := make([]float32, len(m.TreeWeights))
		for i, v := range m.TreeWeights {
			w[i] = float32(v)
		}
		e.floats(w)
	} else if err := m.encodeGBTree(e); err != nil {
		return err
	}
	e.close(true)
	e.key("learner_model_param")
	e.open(true)
	e.key("base_score")
	if m.BaseScores != nil {
		// XGBoost 3.x's per-class form; 1.7 reads one number only.
		parts := make([]string, len(m.BaseScores))
		for i, v := range m.BaseScores {
			parts[i] = f32(v)
		}
		e.str("[" + strings.Join(parts, ",") + "]")
	} else {
		e.str(f32(m.BaseScore))
	}
	e.key("boost_from_average")
	e.str("1")
	e.key("num_class")
	e.str(strconv.Itoa(m.NumClass))
	e.key("num_feature")
	e.str(strconv.Itoa(m.NumFeature))
	e.key("num_target")
	e.str("1")
	e.close(true)
	e.key("objective")
	e.open(true)
	e.key("name")
	e.str(m.Objective)
	switch m.Objective {
	case MultiSoftprob, MultiSoftmax:
		e.key("softmax_multiclass_param")
		e.open(true)
		e.key("num_class")
		e.str(strconv.Itoa(m.NumClass))
		e.close(true)
	case CountPoisson:
		e.key("poisson_regression_param")
		e.open(true)
		e.key("max_delta_step")
		e.str(f32(m.MaxDeltaStep))
		e.close(true)
	default:
		e.key("reg_loss_param")
		e.open(true)
		e.key("scale_pos_weight")
		e.str(f32(m.ScalePosWeight))
		e.close(true)
	}
	e.close(true)
	e.close(true)
	e.key("version")
	e.ints([]int64{1, 7, 4})
	e.close(true)
	return nil
}

// encodeGBTree writes the members of a gbtree booster object.
func (m *Model) encodeGBTree(e encoder) error {
	e.key("model")
	e.open(true)
	e.key("gbtree_model_param")
	e.open(true)
	e.key("num_parallel_tree")
	e.str(strconv.Itoa(max(1, m.NumParallelTree)))
	e.key("num_trees")
	e.str(strconv.Itoa(len(m.Trees)))
	e.key("size_leaf_vector")
	e.str("0")
	e.close(true)
	e.key("tree_info")
	info := make([]int64, len(m.TreeInfo))
	for i, g := range m.TreeInfo {
		info[i] = int64(g)
	}
	e.ints(info)
	e.key("trees")
	e.open(false)
	for i := range m.Trees {
		if err := encodeTree(e, &m.Trees[i], i, m.NumFeature); err != nil {
			return fmt.Errorf("writing tree %d: %w", i, err)
		}
	}
	e.close(false)
	e.close(true)
	e.key("name")
	e.str("gbtree")
	return nil
}

func encodeTree(e encoder, t *tree.Tree, id, numFeature int) error {
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
	f32s := func(v func(i int) float64) []float32 {
		out := make([]float32, n)
		for i := range n {
			out[i] = float32(v(i))
		}
		return out
	}
	i32s := func(v func(i int) int32) []int32 {
		out := make([]int32, n)
		for i := range n {
			out[i] = v(i)
		}
		return out
	}
	// Categorical splits: node ids, then each node's sorted categories.
	var cats, catNodes, catSegs, catSizes []int64
	splitType := make([]uint8, n)
	for i := range n {
		if t.Left[i] < 0 || !t.IsCategorical(i) {
			continue
		}
		splitType[i] = 1
		catNodes = append(catNodes, int64(i))
		catSegs = append(catSegs, int64(len(cats)))
		for w, word := range t.Categories[i] {
			for b := range 32 {
				if word&(1<<b) != 0 {
					cats = append(cats, int64(w*32+b))
				}
			}
		}
		catSizes = append(catSizes, int64(len(cats))-catSegs[len(catSegs)-1])
	}
	e.open(true)
	e.key("base_weights")
	e.f32s(f32s(func(i int) float64 { return t.Value[i] }))
	e.key("categories")
	e.i32s(toInt32s(cats))
	e.key("categories_nodes")
	e.i32s(toInt32s(catNodes))
	e.key("categories_segments")
	e.i64s(catSegs)
	e.key("categories_sizes")
	e.i64s(catSizes)
	e.key("default_left")
	dl := make([]uint8, n)
	for i := range n {
		if t.Left[i] >= 0 && t.DefaultLeft[i] {
			dl[i] = 1
		}
	}
	e.u8s(dl)
	e.key("id")
	e.integer(int64(id))
	e.key("left_children")
	e.i32s(i32s(func(i int) int32 { return t.Left[i] }))
	e.key("loss_changes")
	e.f32s(f32s(func(i int) float64 {
		if t.Left[i] < 0 || t.Gain == nil {
			return 0
		}
		return t.Gain[i]
	}))
	e.key("parents")
	e.i32s(parents)
	e.key("right_children")
	e.i32s(i32s(func(i int) int32 { return t.Right[i] }))
	e.key("split_conditions")
	e.f32s(f32s(func(i int) float64 {
		switch {
		case t.Left[i] < 0:
			return t.Value[i]
		case splitType[i] == 1:
			return 0
		}
		return float64(t.Threshold[i])
	}))
	e.key("split_indices")
	e.i32s(i32s(func(i int) int32 {
		if t.Left[i] < 0 {
			return 0
		}
		return t.Feature[i]
	}))
	e.key("split_type")
	e.u8s(splitType)
	e.key("sum_hessian")
	e.f32s(f32s(func(i int) float64 { return t.Cover[i] }))
	e.key("tree_param")
	e.open(true)
	for _, kv := range [][2]string{{"num_deleted", "0"}, {"num_feature", strconv.Itoa(numFeature)}, {"num_nodes", strconv.Itoa(n)}, {"size_leaf_vector", "0"}} {
		e.key(kv[0])
		e.str(kv[1])
	}
	e.close(true)
	e.close(true)
	return nil
}

func toInt32s(v []int64) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// jsonEncoder writes JSON text with no spaces.
type jsonEncoder struct {
	b        bytes.Buffer
	counts   []int // values written at each open level
	afterKey bool
}

// sep writes the comma before a value or key when one is due.
func (e *jsonEncoder) sep() {
	if e.afterKey {
		e.afterKey = false
		return
	}
	if n := len(e.counts); n > 0 {
		if e.counts[n-1] > 0 {
			e.b.WriteByte(',')
		}
		e.counts[n-1]++
	}
}

func (e *jsonEncoder) open(object bool) {
	e.sep()
	if object {
		e.b.WriteByte('{')
	} else {
		e.b.WriteByte('[')
	}
	e.counts = append(e.counts, 0)
}

func (e *jsonEncoder) close(object bool) {
	e.counts = e.counts[:len(e.counts)-1]
	if object {
		e.b.WriteByte('}')
	} else {
		e.b.WriteByte(']')
	}
}

func (e *jsonEncoder) key(k string) {
	e.sep()
	writeString(&e.b, k)
	e.b.WriteByte(':')
	e.afterKey = true
}

func (e *jsonEncoder) str(s string) {
	e.sep()
	writeString(&e.b, s)
}

func (e *jsonEncoder) integer(v int64) {
	e.sep()
	var buf [24]byte
	e.b.Write(strconv.AppendInt(buf[:0], v, 10))
}

func jsonArray[T any](e *jsonEncoder, v []T, format func([]byte, T) []byte) {
	e.sep()
	e.b.WriteByte('[')
	var buf [24]byte
	for i, x := range v {
		if i > 0 {
			e.b.WriteByte(',')
		}
		e.b.Write(format(buf[:0], x))
	}
	e.b.WriteByte(']')
}

func (e *jsonEncoder) f32s(v []float32) {
	e.sep()
	e.b.WriteByte('[')
	var buf [32]byte
	for i, x := range v {
		if i > 0 {
			e.b.WriteByte(',')
		}
		e.b.Write(appendF32(buf[:0], float64(x)))
	}
	e.b.WriteByte(']')
}
func (e *jsonEncoder) floats(v []float32) { e.f32s(v) }
func (e *jsonEncoder) i32s(v []int32) {
	jsonArray(e, v, func(b []byte, x int32) []byte { return strconv.AppendInt(b, int64(x), 10) })
}
func (e *jsonEncoder) i64s(v []int64) {
	jsonArray(e, v, func(b []byte, x int64) []byte { return strconv.AppendInt(b, x, 10) })
}
func (e *jsonEncoder) ints(v []int64) { e.i64s(v) }
func (e *jsonEncoder) u8s(v []uint8) {
	jsonArray(e, v, func(b []byte, x uint8) []byte { return strconv.AppendUint(b, uint64(x), 10) })
}
func (e *jsonEncoder) strs(v []string) {
	e.sep()
	writeStrings(&e.b, v)
}

// ubjEncoder writes UBJSON as XGBoost does: keys and lengths as 'L'
// int64, scalars with the smallest integer type.
type ubjEncoder struct {
	b bytes.Buffer
}

func (e *ubjEncoder) open(object bool) {
	if object {
		e.b.WriteByte('{')
	} else {
		e.b.WriteByte('[')
	}
}

func (e *ubjEncoder) close(object bool) {
	if object {
		e.b.WriteByte('}')
	} else {
		e.b.WriteByte(']')
	}
}

func (e *ubjEncoder) length(n int) {
	e.b.WriteByte('L')
	e.b.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func (e *ubjEncoder) key(k string) {
	e.length(len(k))
	e.b.WriteString(k)
}

func (e *ubjEncoder) str(s string) {
	e.b.WriteByte('S')
	e.key(s)
}

func (e *ubjEncoder) integer(v int64) {
	var buf [9]byte
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		e.b.Write([]byte{'i', byte(int8(v))})
	case v >= math.MinInt16 && v <= math.MaxInt16:
		buf[0] = 'I'
		binary.BigEndian.PutUint16(buf[1:], uint16(int16(v)))
		e.b.Write(buf[:3])
	case v >= math.MinInt32 && v <= math.MaxInt32:
		buf[0] = 'l'
		binary.BigEndian.PutUint32(buf[1:], uint32(int32(v)))
		e.b.Write(buf[:5])
	default:
		buf[0] = 'L'
		binary.BigEndian.PutUint64(buf[1:], uint64(v))
		e.b.Write(buf[:9])
	}
}

func (e *ubjEncoder) typed(marker byte, n int) {
	e.b.Write([]byte{'[', '$', marker, '#'})
	e.length(n)
}

func (e *ubjEncoder) f32s(v []float32) {
	e.typed('d', len(v))
	for _, x := range v {
		e.b.Write(binary.BigEndian.AppendUint32(nil, math.Float32bits(x)))
	}
}

func (e *ubjEncoder) i32s(v []int32) {
	e.typed('l', len(v))
	for _, x := range v {
		e.b.Write(binary.BigEndian.AppendUint32(nil, uint32(x)))
	}
}

func (e *ubjEncoder) i64s(v []int64) {
	e.typed('L', len(v))
	for _, x := range v {
		e.b.Write(binary.BigEndian.AppendUint64(nil, uint64(x)))
	}
}

func (e *ubjEncoder) u8s(v []uint8) {
	e.typed('U', len(v))
	e.b.Write(v)
}

func (e *ubjEncoder) counted(n int) {
	e.b.Write([]byte{'[', '#'})
	e.length(n)
}

func (e *ubjEncoder) ints(v []int64) {
	e.counted(len(v))
	for _, x := range v {
		e.integer(x)
	}
}

func (e *ubjEncoder) floats(v []float32) {
	e.counted(len(v))
	for _, x := range v {
		e.b.WriteByte('d')
		e.b.Write(binary.BigEndian.AppendUint32(nil, math.Float32bits(x)))
	}
}

func (e *ubjEncoder) strs(v []string) {
	e.counted(len(v))
	for _, s := range v {
		e.str(s)
	}
}

// f32 formats v rounded to float32 as the shortest text that reads back as
// the same float32, always in exponent form so it never looks like an
// integer (XGBoost 1.7 rejects integer literals in float arrays).
func f32(v float64) string {
	var buf [32]byte
	return string(appendF32(buf[:0], v))
}

// appendF32 appends f32(v) to dst.
func appendF32(dst []byte, v float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, float64(float32(v)), 'E', -1, 32)
	// Go writes "5E-01"; XGBoost writes "5E-1": both parse, keep it short.
	i := bytes.IndexByte(dst[start:], 'E')
	if i < 0 {
		return dst
	}
	e := start + i + 1 // the exponent's sign
	digits := e
	if dst[e] == '-' || dst[e] == '+' {
		digits++
	}
	out := e
	if dst[e] == '-' {
		out++ // keep "-", drop "+"
	}
	j := digits
	for j < len(dst)-1 && dst[j] == '0' {
		j++
	}
	return append(dst[:out], dst[j:]...)
}

// writeString writes s as a JSON string exactly as json.Marshal does:
// printable ASCII without quotes, backslashes or the characters Marshal
// escapes for HTML (every key a model has) goes in as it is.
func writeString(b *bytes.Buffer, s string) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
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
