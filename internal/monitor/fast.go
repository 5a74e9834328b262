package monitor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The data-quality path reads captured data at a rate a profiler can
// keep up with: capture lines are scanned without reflection, CSV
// payloads are profiled cell by cell without building records, and the
// work is spread over workers whose profiles are merged.

// captureFields is what the fast scanner extracts from a capture line.
type captureFields struct {
	inType, inData, inEnc    []byte
	outType, outData, outEnc []byte
	eventID, inferenceID     []byte
	time                     []byte
}

// scanCaptureLine extracts the fields of one capture line. It reports ok
// false for any layout it does not expect, and the caller then decodes the
// line with encoding/json.
func scanCaptureLine(line []byte, f *captureFields) bool {
	s := jsonScanner{b: line}
	// Keys match case-insensitively, as encoding/json matches them.
	is := func(key []byte, name string) bool {
		return len(key) == len(name) && (string(key) == name || strings.EqualFold(string(key), name))
	}
	return s.object(func(key []byte) bool {
		switch {
		case is(key, "captureData"):
			return s.object(func(key []byte) bool {
				var typ, data, enc *[]byte
				switch {
				case is(key, "endpointInput"):
					typ, data, enc = &f.inType, &f.inData, &f.inEnc
				case is(key, "endpointOutput"):
					typ, data, enc = &f.outType, &f.outData, &f.outEnc
				default:
					return s.skip()
				}
				return s.object(func(key []byte) bool {
					switch {
					case is(key, "observedContentType"):
						return s.str(typ)
					case is(key, "data"):
						return s.str(data)
					case is(key, "encoding"):
						return s.str(enc)
					}
					return s.skip()
				})
			})
		case is(key, "eventMetadata"):
			return s.object(func(key []byte) bool {
				switch {
				case is(key, "eventId"):
					return s.str(&f.eventID)
				case is(key, "inferenceId"):
					return s.str(&f.inferenceID)
				case is(key, "inferenceTime"):
					return s.str(&f.time)
				}
				return s.skip()
			})
		}
		return s.skip()
	}) && s.end()
}

// jsonScanner is a minimal JSON reader for capture lines.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *jsonScanner) end() bool { s.ws(); return s.i == len(s.b) }

func (s *jsonScanner) object(field func(key []byte) bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		var key []byte
		if !s.str(&key) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		if !field(key) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string into dst: a slice of the line when it has no
// escapes (no copy), else the unescaped copy. Escapes other than \" \\
// \/ \n \r \t and \uXXXX (non-surrogate) make it give up.
func (s *jsonScanner) str(dst *[]byte) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	s.i++
	start := s.i
	// Fast path: the closing quote, with no backslash or control
	// character before it (found by the vectorised IndexByte and eight
	// bytes at a time).
	if q := bytes.IndexByte(s.b[start:], '"'); q >= 0 {
		seg := s.b[start : start+q]
		if plainString(seg) {
			*dst = seg
			s.i = start + q + 1
			return true
		}
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		if !strSpecial[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			*dst = s.b[start:s.i]
			s.i++
			return true
		case c == '\\':
			return s.escaped(start, dst)
		}
		return false // a control character
	}
	return false
}

// plainString reports whether b holds neither a backslash nor a control
// character (below 0x20), testing eight bytes at a time: a word x has a
// byte below n when (x - n per byte) borrows into the high bit of a byte
// whose own high bit is clear, and a backslash where x XOR 0x5C per byte
// has a zero byte.
func plainString(b []byte) bool {
	const ones, hi, ctl, bs = 0x0101010101010101, 0x8080808080808080, 0x2020202020202020, 0x5C5C5C5C5C5C5C5C
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		y := x ^ bs
		if ((x-ctl)&^x|(y-ones)&^y)&hi != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}

// strSpecial marks the bytes that end a run of plain string bytes: the
// quote, the backslash and the control characters.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (s *jsonScanner) escaped(start int, dst *[]byte) bool {
	buf := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			*dst = buf
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			e := s.b[s.i+1]
			s.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				if s.i+4 > len(s.b) {
					return false
				}
				r, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
				if err != nil || (r >= 0xD800 && r < 0xE000) {
					return false
				}
				buf = utf8.AppendRune(buf, rune(r))
				s.i += 4
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			buf = append(buf, c)
			s.i++
		}
	}
	return false
}

// skip skips one value of any kind.
func (s *jsonScanner) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		var x []byte
		return s.str(&x)
	case '{':
		return s.object(func([]byte) bool { return s.skip() })
	case '[':
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip() {
				return false
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ']' {
				s.i++
				return true
			}
			if s.b[s.i] != ',' {
				return false
			}
			s.i++
		}
	}
	// A number, true, false or null.
	start := s.i
	for s.i < len(s.b) && !strings.ContainsRune(",}] \t\r\n", rune(s.b[s.i])) {
		s.i++
	}
	return s.i > start
}

// addCSVPayload profiles a text/csv payload without building records.
// A payload with quotes goes through the CSV reader.
func (p *Profiler) addCSVPayload(body []byte) error {
	if bytes.IndexByte(body, '"') >= 0 {
		recs, err := parseCSVRecords(body)
		if err != nil {
			return err
		}
		for _, r := range recs {
			p.Add(r)
		}
		return nil
	}
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		p.items++
		for c := 0; ; c++ {
			var cell []byte
			// Cells are short: a plain loop beats IndexByte's call.
			i := 0
			for i < len(line) && line[i] != ',' {
				i++
			}
			if i == len(line) {
				i = -1
			}
			if i >= 0 {
				cell, line = line[:i], line[i+1:]
			} else {
				cell = line
			}
			col := c
			if c >= len(p.names) {
				col = p.column("_c" + strconv.Itoa(c))
			}
			if len(cell) > 0 && (cell[0] == ' ' || cell[len(cell)-1] == ' ') {
				cell = bytes.TrimSpace(cell)
			}
			p.cols[col].addBytes(cell)
			if i < 0 {
				break
			}
		}
	}
	return nil
}

// addCaptured profiles one captured request's input.
func (p *Profiler) addCaptured(inType string, data []byte) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(inType, ";")[0]))
	if ct == "text/csv" || ct == "" {
		return p.addCSVPayload(data)
	}
	recs, err := ParseInput(inType, data)
	if err != nil {
		return err
	}
	for _, r := range recs {
		p.Add(r)
	}
	return nil
}

// ProfileCaptures profiles the inputs of every request captured for
// endpoint under root in w, spreading the work over workers (GOMAXPROCS
// when <= 0). Chunks go to workers in turn and the profiles merge in
// worker order, so the result does not depend on timing.
func ProfileCaptures(root, endpoint string, w Window, names []string, workers int) (*Profiler, error) {
	return ProfileCapturesChunked(root, endpoint, w, names, workers, 4<<20)
}

// ProfileCapturesChunked is ProfileCaptures with chunks of about
// chunkSize bytes (whole lines).
func ProfileCapturesChunked(root, endpoint string, w Window, names []string, workers, chunkSize int) (*Profiler, error) {
	files, err := captureFiles(root, endpoint, w)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type chunk struct {
		path      string
		firstLine int
		data      []byte
	}
	chans := make([]chan chunk, workers)
	profs := make([]*Profiler, workers)
	errs := make([]error, workers)
	fw := newFastWindow(w)
	bufs := make(chan []byte, 3*workers)
	var wg sync.WaitGroup
	for i := range workers {
		chans[i] = make(chan chunk, 2)
		profs[i] = NewProfiler(names)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f captureFields
			for c := range chans[i] {
				if errs[i] != nil {
					continue
				}
				errs[i] = profileChunk(profs[i], c.data, c.path, c.firstLine, fw, &f)
				select {
				case bufs <- c.data:
				default:
				}
			}
		}()
	}
	readErr := func() error {
		next := 0
		for _, path := range files {
			err := splitFile(path, chunkSize, bufs, func(data []byte, firstLine int) {
				chans[next] <- chunk{path, firstLine, data}
				next = (next + 1) % workers
			})
			if err != nil {
				return err
			}
		}
		return nil
	}()
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	if err := errors.Join(append([]error{readErr}, errs...)...); err != nil {
		return nil, err
	}
	for _, q := range profs[1:] {
		profs[0].merge(q)
	}
	return profs[0], nil
}

// splitFile reads a file in chunks of whole lines, each in a buffer from
// bufs (returned there by the chunk's consumer).
func splitFile(path string, size int, bufs chan []byte, fn func(data []byte, firstLine int)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading captured data: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	line := 1
	for {
		var buf []byte
		select {
		case buf = <-bufs:
		default:
			buf = make([]byte, size, size+64<<10)
		}
		buf = buf[:size]
		n, err := io.ReadFull(r, buf)
		buf = buf[:n]
		if n == size {
			// Complete the last line.
			for {
				rest, rerr := r.ReadSlice('\n')
				buf = append(buf, rest...)
				if errors.Is(rerr, bufio.ErrBufferFull) {
					continue
				}
				if rerr != nil && !errors.Is(rerr, io.EOF) {
					return fmt.Errorf("reading captured data: %w", rerr)
				}
				break
			}
		}
		if len(buf) > 0 {
			lines := bytes.Count(buf, []byte{'\n'})
			fn(buf, line)
			line += lines
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading captured data: %w", err)
		}
	}
}

func profileChunk(p *Profiler, data []byte, path string, line int, w *fastWindow, f *captureFields) error {
	for len(data) > 0 {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		if len(bytes.TrimSpace(l)) > 0 {
			if err := profileLine(p, l, w, f); err != nil {
				return fmt.Errorf("%s line %d: %w", path, line, err)
			}
		}
		line++
	}
	return nil
}

func profileLine(p *Profiler, l []byte, w *fastWindow, f *captureFields) error {
	*f = captureFields{}
	if !scanCaptureLine(l, f) {
		var c Captured
		if err := parseCapture(l, &c); err != nil {
			return err
		}
		if !w.Contains(c.Time) {
			return nil
		}
		return p.addCaptured(c.InputType, c.Input)
	}
	in, err := w.contains(f.time)
	if err != nil || !in {
		return err
	}
	data := f.inData
	if len(f.inEnc) > 0 && strings.EqualFold(string(f.inEnc), "BASE64") {
		if data, err = decodePayload(string(data), "BASE64"); err != nil {
			return fmt.Errorf("endpointInput: %w", err)
		}
	}
	return p.addCaptured(string(f.inType), data)
}

// fastWindow compares capture times in their usual text form
// (2006-01-02T15:04:05.000Z) with the window's bounds as text, which
// orders the same as the times when the bounds are whole milliseconds.
type fastWindow struct {
	Window
	from, to string // "" when a bound is not whole milliseconds
}

const captureTimeFormat = "2006-01-02T15:04:05.000Z"

func newFastWindow(w Window) *fastWindow {
	fw := &fastWindow{Window: w}
	if w.From.Nanosecond()%1e6 == 0 && w.To.Nanosecond()%1e6 == 0 && w.From.Year() >= 1000 && w.To.Year() <= 9999 {
		fw.from, fw.to = w.From.UTC().Format(captureTimeFormat), w.To.UTC().Format(captureTimeFormat)
	}
	return fw
}

func (w *fastWindow) contains(t []byte) (bool, error) {
	if w.from != "" && len(t) == len(captureTimeFormat) && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z' {
		s := string(t) // compared, not kept: no copy
		return s >= w.from && s < w.to, nil
	}
	tt, err := time.Parse(time.RFC3339Nano, string(t))
	if err != nil {
		return false, fmt.Errorf("inferenceTime %q: %w", t, err)
	}
	return w.Contains(tt), nil
}

// captureFiles lists the capture files of the window's hours, in order.
func captureFiles(root, endpoint string, w Window) ([]string, error) {
	var files []string
	err := ReadCaptureFiles(root, endpoint, w, func(path string) { files = append(files, path) })
	return files, err
}

// merge adds o's statistics to p's.
func (p *Profiler) merge(o *Profiler) {
	p.items += o.items
	for i, name := range o.names {
		a, b := p.cols[p.column(name)], o.cols[i]
		a.seen += b.seen
		a.present += b.present
		a.nInt += b.nInt
		a.nFrac += b.nFrac
		a.nStr += b.nStr
		a.nNum += b.nNum
		a.sum += b.sum
		a.sumsq += b.sumsq
		a.min, a.max = min(a.min, b.min), max(a.max, b.max)
		// Two low-cardinality columns whose values together still fit the
		// small counts stay without sketches; otherwise both get theirs
		// (from their counts) before the counts merge.
		if !a.lowCard() || !b.lowCard() || unionSmall(a, b) > smallCategories {
			if a.nNum > 0 {
				a.ensureSketch()
			}
			if b.nNum > 0 {
				b.ensureSketch()
			}
		}
		switch {
		case a.sketch == nil:
			a.sketch = b.sketch
		case b.sketch != nil:
			a.sketch.merge(b.sketch)
		}
		a.mergeCats(b)
	}
}

// merge adds o's items to s, level by level, then compacts.
func (s *kll) merge(o *kll) {
	for h, lv := range o.levels {
		for h >= len(s.levels) {
			s.levels = append(s.levels, nil)
			s.flips = append(s.flips, 0)
		}
		if h == 0 {
			s.levels[0] = append(s.levels[0], lv...)
		} else {
			s.levels[h] = mergeSorted(s.levels[h], lv)
		}
	}
	s.n += o.n
	s.rebalance()
}

// lowCard reports whether the accumulator still keeps its values in the
// small counts only (and so has no sketch yet).
func (a *accumulator) lowCard() bool { return !a.overflow && a.cats == nil && a.sketch == nil }

// unionSmall counts the distinct values of a's and b's small counts.
func unionSmall(a, b *accumulator) int {
	n := a.nsmall
	for i := range b.nsmall {
		found := false
		for j := range a.nsmall {
			if a.small[j].Value == b.small[i].Value {
				found = true
				break
			}
		}
		if !found {
			n++
		}
	}
	return n
}
