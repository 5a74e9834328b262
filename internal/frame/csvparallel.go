package frame

import (
	"bytes"
	"sync"
)

// parallelMinBytes is the body size from which ParseCSV parses in
// parallel chunks.
const parallelMinBytes = 1 << 20

// csvChunk is one part of a CSV body, parsed by one goroutine.
type csvChunk struct {
	lo, hi int // byte range in the document
	rows   int
	row0   int // rows in the chunks before
	ncols  int // fields of the first record; -1 with no record
	kinds  []kindSet
	failed bool
}

// parseParallel parses the body data[bodyStart:] in chunks on several
// goroutines. Chunks start after a line feed, which is a record boundary
// unless it lies inside a quoted field; then the chunk before ends inside
// an open quote and fails to parse. ok is false when the body is small,
// there is one core, or any chunk fails in any way (a boundary inside
// quotes, a short record, a bad value): the caller then parses
// sequentially, which gives the same table and the errors with their
// line numbers. With ok, err reports errors that do not depend on rows
// (a wrong number of names, an unknown column in Types).
// It uses workers goroutines on chunks of at least minBytes/4 bytes, and
// only for a body of at least minBytes.
func parseParallel(data []byte, bodyStart int, comma byte, na *naSet, names []string, opts CSVOptions, workers, minBytes int) (f *Frame, ok bool, err error) {
	body := len(data) - bodyStart
	if workers < 2 || body < max(minBytes, 1) {
		return nil, false, nil
	}
	n := min(4*workers, body/max(minBytes/4, 1))
	chunks := make([]csvChunk, 0, n)
	lo := bodyStart
	for i := 1; i <= n && lo < len(data); i++ {
		hi := len(data)
		if i < n {
			at := bodyStart + body*i/n
			if at <= lo {
				continue
			}
			j := bytes.IndexByte(data[at:], '\n')
			if j < 0 {
				hi = len(data)
			} else {
				hi = at + j + 1
			}
		}
		chunks = append(chunks, csvChunk{lo: lo, hi: hi})
		lo = hi
	}
	run := func(fn func(c *csvChunk)) bool {
		var wg sync.WaitGroup
		next := make(chan int, len(chunks))
		for i := range chunks {
			next <- i
		}
		close(next)
		for range min(workers, len(chunks)) {
			wg.Go(func() {
				for i := range next {
					fn(&chunks[i])
				}
			})
		}
		wg.Wait()
		for i := range chunks {
			if chunks[i].failed {
				return false
			}
		}
		return true
	}

	// Pass 1: count records and infer kinds, per chunk.
	want := len(names)
	if !run(func(c *csvChunk) {
		c.ncols = -1
		tok := tokenizer{data: data[c.lo:c.hi], comma: comma}
		for {
			fields, _, ok, err := tok.next()
			if err != nil {
				c.failed = true
				return
			}
			if !ok {
				return
			}
			if c.kinds == nil {
				c.ncols = len(fields)
				if names != nil && c.ncols != want {
					c.failed = true
					return
				}
				c.kinds = make([]kindSet, c.ncols)
			}
			if len(fields) != c.ncols {
				c.failed = true
				return
			}
			for i, b := range fields {
				c.kinds[i] |= classify(b, na)
			}
			c.rows++
		}
	}) {
		return nil, false, nil
	}
	ncols := -1
	var kinds []kindSet
	rows := 0
	for i := range chunks {
		c := &chunks[i]
		c.row0 = rows
		rows += c.rows
		if c.ncols < 0 {
			continue
		}
		if ncols < 0 {
			ncols = c.ncols
			kinds = make([]kindSet, ncols)
		}
		if c.ncols != ncols {
			return nil, false, nil
		}
		for j, k := range c.kinds {
			kinds[j] |= k
		}
	}
	if rows == 0 {
		return nil, false, nil
	}
	cols, _, err := newColumns(names, ncols, kinds, rows, opts)
	if err != nil {
		return nil, true, err
	}

	// Pass 2: parse the values into the shared columns, each chunk into
	// its own rows.
	if !run(func(c *csvChunk) {
		builders := make([]colBuilder, len(cols))
		for i, col := range cols {
			builders[i] = newColBuilder(col)
		}
		tok := tokenizer{data: data[c.lo:c.hi], comma: comma}
		for r := c.row0; ; r++ {
			fields, _, ok, err := tok.next()
			if err != nil {
				c.failed = true
				return
			}
			if !ok {
				return
			}
			for i, b := range fields {
				if builders[i].set(r, b, na) != nil {
					c.failed = true
					return
				}
			}
		}
	}) {
		return nil, false, nil
	}
	f, err = New(cols...)
	return f, true, err
}
