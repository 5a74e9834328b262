package main

import (
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// terminalSize returns the size in lines and columns of the terminal w
// writes to, or zeros when it cannot tell.
func terminalSize(w io.Writer) (rows, cols int) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Row), int(ws.Col)
}

// logWriter is the writer behind Main.Logger. While a live progress table
// is drawn on the terminal (attach), each log record is written above the
// table: the table is erased, the record written, the table redrawn below
// it. Without this, a log line written between two redraws shifts the
// screen under the table's cursor-up moves, so stale rows stay on screen
// and later redraws overwrite the log lines.
type logWriter struct {
	mu    sync.Mutex
	w     io.Writer
	table *progress
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.table == nil {
		return l.w.Write(p)
	}
	return l.table.writeAbove(l.w, p)
}

// attach routes log records above pr's table until the returned function
// is called. A nil logWriter (a Main built without NewMain) does nothing.
func (l *logWriter) attach(pr *progress) (detach func()) {
	if l == nil {
		return func() {}
	}
	l.mu.Lock()
	l.table = pr
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.table = nil
		l.mu.Unlock()
	}
}
