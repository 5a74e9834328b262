package tuningjob

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/tuning"
)

// maxLine bounds a buffered log line: a longer one is dropped (it holds no
// metric the trials report).
const maxLine = 1 << 20

// progress reads a trial's log as the training job writes it and reports
// the objective each time the job logs it: the built-in XGBoost's
// per-round evaluation lines ("[3]\tvalidation-auc:0.81234"), or, in
// script mode, the lines the objective's metric definition matches. Each
// report is one round for the early stopper.
type progress struct {
	mu      sync.Mutex // the job may write stdout and stderr at once
	buf     []byte
	key     string          // built-in: the objective as training names it, validation_auc
	scraper *tuning.Scraper // script mode
	metric  string          // script mode: the objective's metric definition
	report  func(v float64)
}

// builtinKey is SageMaker's metric name (validation:auc) as Ferry's
// learner names it per round (validation_auc).
func builtinKey(metric string) string { return normalKey(strings.Replace(metric, ":", "_", 1)) }

func normalKey(k string) string { return strings.NewReplacer("-", "_", "@", "_", ":", "_").Replace(k) }

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.line(string(bytes.TrimRight(p.buf[:i], "\r")))
		p.buf = p.buf[i+1:]
	}
	if len(p.buf) > maxLine {
		p.buf = p.buf[:0]
	}
	return len(b), nil
}

func (p *progress) line(line string) {
	if p.scraper != nil {
		if v, ok := p.scraper.Feed(line)[p.metric]; ok {
			p.report(v)
		}
		return
	}
	rest, ok := strings.CutPrefix(line, "[")
	if !ok {
		return
	}
	round, rest, ok := strings.Cut(rest, "]")
	if !ok {
		return
	}
	if _, err := strconv.Atoi(round); err != nil {
		return
	}
	for f := range strings.FieldsSeq(rest) {
		k, v, ok := strings.Cut(f, ":")
		if !ok || normalKey(k) != p.key {
			continue
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			p.report(x)
		}
		return
	}
}
