package frame

import (
	"fmt"
	"math"
	"strconv"
)

// JoinType is the kind of join.
type JoinType string

// The supported joins.
const (
	InnerJoin JoinType = "inner"
	LeftJoin  JoinType = "left"
)

// Join joins left and right on equal values of the key columns on, which
// both frames must have with compatible types (int and float keys compare
// as numbers; otherwise the types must match).
//
// Every matching pair of rows is emitted, as in SQL and pandas: a key that
// occurs m times on the left and n times on the right gives m×n rows.
// Rows come in left order, and for one left row in right order. In a left
// join a left row without a match is kept once, with missing values in
// the right columns. A missing key matches nothing (SQL semantics; pandas
// instead matches NaN with NaN).
//
// The result has the left columns, then the right columns other than the
// keys. A non-key name present on both sides gets the suffix "_x" on the
// left and "_y" on the right, as pandas' merge does. Time and memory are
// linear in the sizes of the inputs and of the result; when every left row
// matches exactly once, in order, the result shares the left columns.
func Join(left, right *Frame, on []string, how JoinType) (*Frame, error) {
	if how != InnerJoin && how != LeftJoin {
		return nil, fmt.Errorf("joining: unknown join type %q (want inner or left)", how)
	}
	if len(on) == 0 {
		return nil, fmt.Errorf("joining: no key columns")
	}
	lk := make([]*Column, len(on))
	rk := make([]*Column, len(on))
	isKey := make(map[string]bool, len(on))
	for i, name := range on {
		var err error
		if lk[i], err = left.Lookup(name); err != nil {
			return nil, fmt.Errorf("joining: left side: %w", err)
		}
		if rk[i], err = right.Lookup(name); err != nil {
			return nil, fmt.Errorf("joining: right side: %w", err)
		}
		if !keyCompatible(lk[i].Type, rk[i].Type) {
			return nil, fmt.Errorf("joining: key %q is %s on the left and %s on the right", name, lk[i].Type, rk[i].Type)
		}
		isKey[name] = true
	}
	li, ri := matchRows(lk, rk, left.rows, right.rows, how)

	cols := make([]*Column, 0, left.NumCols()+right.NumCols()-len(on))
	identity := len(li) == left.rows
	for i, l := range li {
		if l != i {
			identity = false
			break
		}
	}
	for _, c := range left.cols {
		t := c
		if !identity {
			t = c.Take(li)
		}
		if _, clash := right.index[c.Name]; clash && !isKey[c.Name] {
			cc := *t
			cc.Name += "_x"
			t = &cc
		}
		cols = append(cols, t)
	}
	for _, c := range right.cols {
		if isKey[c.Name] {
			continue
		}
		t := c.Take(ri)
		if _, clash := left.index[c.Name]; clash {
			t.Name += "_y"
		}
		cols = append(cols, t)
	}
	out, err := New(cols...)
	if err != nil {
		return nil, fmt.Errorf("joining: %w", err)
	}
	return out, nil
}

func keyCompatible(a, b Type) bool {
	num := func(t Type) bool { return t == Int || t == Float }
	return a == b || num(a) && num(b)
}

// matchRows returns the row indexes of each output row in left and right
// (-1 for a left row without a match).
func matchRows(lk, rk []*Column, nl, nr int, how JoinType) (li, ri []int) {
	// Chain the right rows of equal keys: head[key] is the first row,
	// next[row] the following one (-1 ends).
	next := make([]int, nr)
	var lookup func(row int) (first int)
	if lo, span, ok := denseKeys(lk, rk, nr); ok {
		// Int keys in a narrow range (row numbers, IDs): a table indexed
		// by key - lo instead of a map.
		lc, rc := lk[0], rk[0]
		head := make([]int, span)
		tail := make([]int, span)
		for i := range head {
			head[i] = -1
		}
		for r := 0; r < nr; r++ {
			next[r] = -1
			if !rc.IsValid(r) {
				continue
			}
			k := rc.Ints[r] - lo
			if t := tail[k]; head[k] >= 0 {
				next[t] = r
			} else {
				head[k] = r
			}
			tail[k] = r
		}
		lookup = func(row int) int {
			if !lc.IsValid(row) {
				return -1
			}
			// A key below lo or far above wraps to a large value.
			k := uint64(lc.Ints[row] - lo)
			if k >= uint64(span) {
				return -1
			}
			return head[k]
		}
	} else if len(lk) == 1 && lk[0].Type == Int && rk[0].Type == Int {
		lc, rc := lk[0], rk[0]
		head := make(map[int64]int, nr)
		tail := make(map[int64]int, nr)
		for r := 0; r < nr; r++ {
			next[r] = -1
			if !rc.IsValid(r) {
				continue
			}
			k := rc.Ints[r]
			if t, ok := tail[k]; ok {
				next[t] = r
			} else {
				head[k] = r
			}
			tail[k] = r
		}
		lookup = func(row int) int {
			if !lc.IsValid(row) {
				return -1
			}
			if h, ok := head[lc.Ints[row]]; ok {
				return h
			}
			return -1
		}
	} else {
		head := make(map[string]int, nr)
		tail := make(map[string]int, nr)
		var buf []byte
		for r := 0; r < nr; r++ {
			next[r] = -1
			var ok bool
			buf, ok = appendKey(buf[:0], rk, r)
			if !ok {
				continue
			}
			if t, found := tail[string(buf)]; found {
				next[t] = r
			} else {
				head[string(buf)] = r
			}
			tail[string(buf)] = r
		}
		lookup = func(row int) int {
			var ok bool
			buf, ok = appendKey(buf[:0], lk, row)
			if !ok {
				return -1
			}
			if h, found := head[string(buf)]; found {
				return h
			}
			return -1
		}
	}
	li = make([]int, 0, nl)
	ri = make([]int, 0, nl)
	for l := 0; l < nl; l++ {
		h := lookup(l)
		if h < 0 {
			if how == LeftJoin {
				li = append(li, l)
				ri = append(ri, -1)
			}
			continue
		}
		for r := h; r >= 0; r = next[r] {
			li = append(li, l)
			ri = append(ri, r)
		}
	}
	return li, ri
}

// denseKeys reports whether the join is on one int key whose present
// right-side values span at most 2·nr+1024 consecutive integers, and
// returns the smallest and the span.
func denseKeys(lk, rk []*Column, nr int) (lo int64, span int, ok bool) {
	if len(lk) != 1 || lk[0].Type != Int || rk[0].Type != Int {
		return 0, 0, false
	}
	rc := rk[0]
	hi, any := int64(0), false
	for r := 0; r < nr; r++ {
		if !rc.IsValid(r) {
			continue
		}
		v := rc.Ints[r]
		if !any {
			lo, hi, any = v, v, true
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if !any {
		return 0, 0, false
	}
	// hi - lo is below 2^64: as uint64 it is exact even when it wraps
	// in int64.
	d := uint64(hi - lo)
	if d >= uint64(2*nr+1024) {
		return 0, 0, false
	}
	return lo, int(d) + 1, true
}

// appendKey encodes the key of a row; ok is false when a key is missing.
// Numbers are encoded by value so that int 1 and float 1.0 match.
func appendKey(dst []byte, keys []*Column, row int) ([]byte, bool) {
	for _, c := range keys {
		if !c.IsValid(row) {
			return dst, false
		}
		switch c.Type {
		case Int:
			dst = strconv.AppendFloat(append(dst, 'n'), float64(c.Ints[row]), 'g', -1, 64)
			if c.Ints[row] > 1<<53 || c.Ints[row] < -(1<<53) {
				dst = strconv.AppendInt(append(dst, 'i'), c.Ints[row], 10)
			}
		case Float:
			f := c.Floats[row]
			if math.IsNaN(f) {
				return dst, false
			}
			dst = strconv.AppendFloat(append(dst, 'n'), f, 'g', -1, 64)
		case String:
			dst = strconv.AppendInt(append(dst, 's'), int64(len(c.Strings[row])), 10)
			dst = append(append(dst, ':'), c.Strings[row]...)
		case Bool:
			if c.Bools[row] {
				dst = append(dst, 'T')
			} else {
				dst = append(dst, 'F')
			}
		}
		dst = append(dst, 0)
	}
	return dst, true
}
