package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
)

// progress shows an execution's progress: on a terminal, a step table
// redrawn in place; otherwise one line per event. Its methods may be
// called from several goroutines (engine events, log records).
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	order  []string
	width  int
	rows   map[string]*progressRow
	id     string
	drawn  int // lines of the last table drawn
	status run.Status
	// height is the terminal's height in lines (0: unknown). A table that
	// would not fit shows the counts per status and the active steps only,
	// since a redraw cannot move the cursor above the screen.
	height int
	// cols is the terminal's width (0: unknown); table lines are cut to
	// fit, since a wrapped line would throw the redraw's line count off.
	cols int
}

type progressRow struct {
	status  run.StepStatus
	attempt int
	started time.Time
	ended   time.Time
	note    string
}

func newProgress(w io.Writer, p *pipeline.Pipeline, tty bool) *progress {
	pr := &progress{w: w, tty: tty, rows: make(map[string]*progressRow), width: 4}
	for _, st := range p.TopoOrder() {
		pr.order = append(pr.order, st.Name)
		pr.rows[st.Name] = &progressRow{status: run.StepPending}
		pr.width = max(pr.width, len(st.Name))
	}
	return pr
}

// startProgress returns the progress display of a `ferry run` or
// `ferry resume` on m.Stdout. On a terminal it sizes the table to the
// screen and routes m.Logger's records above the table; call the
// returned function when the execution has finished.
func (m *Main) startProgress(p *pipeline.Pipeline) (*progress, func()) {
	tty := isTerminal(m.Stdout, m.Getenv)
	pr := newProgress(m.Stdout, p, tty)
	if !tty {
		return pr, func() {}
	}
	pr.height, pr.cols = terminalSize(m.Stdout)
	return pr, m.logs.attach(pr)
}

// writeAbove writes p (whole log records) to w above the table: it erases
// the table, writes p and redraws the table below it.
func (pr *progress) writeAbove(w io.Writer, p []byte) (int, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.drawn == 0 {
		return w.Write(p)
	}
	// Back to the table's first line, clear to the end of the screen.
	fmt.Fprintf(pr.w, "\x1b[%dA\x1b[J", pr.drawn)
	pr.drawn = 0
	n, err := w.Write(p)
	pr.draw()
	return n, err
}

// event is the engine's OnEvent callback.
func (pr *progress) event(ev engine.Event) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if ev.Step == "" {
		if pr.id == "" && !pr.tty {
			fmt.Fprintf(pr.w, "execution %s %s\n", ev.ExecutionID, ev.Status)
		}
		pr.id, pr.status = ev.ExecutionID, ev.Status
		if pr.tty {
			pr.draw()
		}
		return
	}
	row, ok := pr.rows[ev.Step]
	if !ok {
		row = &progressRow{}
		pr.rows[ev.Step] = row
		pr.order = append(pr.order, ev.Step)
	}
	row.status, row.attempt = ev.StepStatus, ev.Attempt
	if ev.Message != "" {
		row.note = ev.Message
	}
	switch {
	case ev.StepStatus == run.StepStarting:
		row.started = ev.Time
	case ev.StepStatus.Done():
		row.ended = ev.Time
	}
	if pr.tty {
		pr.draw()
		return
	}
	if ev.StepStatus == run.StepStarting {
		return // Executing or CacheHit follows at once
	}
	line := fmt.Sprintf("%s  %-*s  %-9s", ev.Time.Local().Format("15:04:05"), pr.width, ev.Step, ev.StepStatus)
	if ev.Attempt > 1 {
		line += fmt.Sprintf("  attempt %d", ev.Attempt)
	}
	if ev.Message != "" {
		line += "  " + oneLine(ev.Message, 200)
	}
	fmt.Fprintln(pr.w, line)
}

// draw redraws the table over the previous one.
func (pr *progress) draw() {
	var b strings.Builder
	if pr.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", pr.drawn)
	}
	lines := []string{fmt.Sprintf("execution %s  %s", pr.id, pr.status)}
	order := pr.order
	if pr.height > 0 && len(order)+2 > pr.height {
		order, lines = pr.compact(lines)
	}
	for _, name := range order {
		r := pr.rows[name]
		d := ""
		if !r.started.IsZero() {
			d = duration(r.started, r.ended)
		}
		att := ""
		if r.attempt > 1 {
			att = fmt.Sprintf("x%d", r.attempt)
		}
		lines = append(lines, fmt.Sprintf("  %-*s  %-9s %-3s %7s  %s", pr.width, name, r.status, att, d, oneLine(r.note, 70)))
	}
	for _, l := range lines {
		if pr.cols > 1 {
			l = cut(l, pr.cols-1)
		}
		b.WriteString("\x1b[2K")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	// Clear what a taller earlier table left below this one.
	b.WriteString("\x1b[J")
	pr.drawn = len(lines)
	io.WriteString(pr.w, b.String())
}

// compact returns the rows to show when the table is taller than the
// terminal: a line of counts per status, then as many of the steps that
// are neither waiting nor done as fit.
func (pr *progress) compact(lines []string) ([]string, []string) {
	counts := map[run.StepStatus]int{}
	var active []string
	for _, name := range pr.order {
		st := pr.rows[name].status
		counts[st]++
		if st != run.StepPending && !st.Done() {
			active = append(active, name)
		}
	}
	var parts []string
	for _, st := range []run.StepStatus{run.StepPending, run.StepStarting, run.StepExecuting, run.StepSucceeded,
		run.StepCacheHit, run.StepSkipped, run.StepFailed, run.StepStopped} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	lines = append(lines, "  "+strings.Join(parts, ", "))
	if room := max(pr.height-len(lines)-1, 0); len(active) > room {
		active = active[:room]
	}
	return active, lines
}

// cut returns s cut to at most n runes.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// finish prints the outcome.
func (pr *progress) finish(ex *run.Execution) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.status = ex.Status
	if pr.tty {
		pr.draw()
	}
	msg := fmt.Sprintf("execution %s %s in %s", ex.ID, ex.Status, duration(ex.StartedAt, ex.EndedAt))
	if ex.FailureReason != "" {
		msg += ": " + ex.FailureReason
	}
	fmt.Fprintln(pr.w, msg)
}
