package gbdt

import (
	"sync"

	"github.com/ferryml/ferry/table"
)

// derived holds what is made from a binned matrix on first use and then
// shared by every training on it (a tuning step's trials share one binned
// through Quantized, concurrently): the unit kernel's layout
// (histunit.go) and the eval sets' codes (evalwalk.go).
type derived struct {
	unitsOnce sync.Once
	units     *unitLayout

	mu    sync.Mutex
	codes []codedSet

	// rows holds buildHists' row buffers (*[]int32, liveRows).
	rows sync.Pool
}

// codedSet is an eval set's codes, by the eval set's feature matrix.
type codedSet struct {
	x     *float64
	n     int
	codes *evalCodes
}

// maxCodedSets bounds the eval sets whose codes are kept.
const maxCodedSets = 4

// unitLayout returns b's unit layout (nil: none), made on first use.
func (d *derived) unitLayout(b *binned) *unitLayout {
	d.unitsOnce.Do(func() { d.units = newUnitLayout(b) })
	return d.units
}

// evalCodes returns the codes of eval set e against b's cuts (nil: none),
// made on first use: the sets of the trials of a tuning step share their
// feature matrix, which must not change while b is in use (as for
// Quantized).
func (d *derived) evalCodes(b *binned, e *table.Dataset) *evalCodes {
	if len(e.X) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.kept(e); c != nil {
		return c
	}
	codes := newEvalCodes(b, e)
	if len(d.codes) < maxCodedSets {
		d.codes = append(d.codes, codedSet{x: &e.X[0], n: len(e.X), codes: codes})
	}
	return codes
}

// coded reports whether eval set e's codes are kept: a Train validated
// its feature matrix, which must not change while b is in use.
func (d *derived) coded(e *table.Dataset) bool {
	if len(e.X) == 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.kept(e) != nil
}

// kept returns the codes kept for e's feature matrix (not empty), or nil;
// d.mu is held.
func (d *derived) kept(e *table.Dataset) *evalCodes {
	for _, c := range d.codes {
		if c.x == &e.X[0] && c.n == len(e.X) && c.codes != nil && c.codes.cols == e.NumFeature {
			return c.codes
		}
	}
	return nil
}

// rowBuf returns a row buffer of length n.
func (d *derived) rowBuf(n int) *[]int32 {
	buf, _ := d.rows.Get().(*[]int32)
	if buf == nil || cap(*buf) < n {
		b := make([]int32, n)
		return &b
	}
	*buf = (*buf)[:n]
	return buf
}

func (d *derived) putRowBuf(buf *[]int32) { d.rows.Put(buf) }
