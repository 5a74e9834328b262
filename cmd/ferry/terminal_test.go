package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of the given size and returns its
// master and slave ends.
func openPTY(t *testing.T, rows, cols int) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// screen is a minimal terminal emulator: enough of VT100 for what ferry
// writes (text, CR, LF, cursor up, erase line, erase below). Lines that
// scroll off the top are kept in history.
type screen struct {
	rows, cols int
	grid       [][]rune
	r, c       int
	history    []string
}

func newScreen(rows, cols int) *screen {
	s := &screen{rows: rows, cols: cols}
	for range rows {
		s.grid = append(s.grid, s.blank())
	}
	return s
}

func (s *screen) blank() []rune { return []rune(strings.Repeat(" ", s.cols)) }

func (s *screen) lineFeed() {
	if s.r < s.rows-1 {
		s.r++
		return
	}
	s.history = append(s.history, strings.TrimRight(string(s.grid[0]), " "))
	s.grid = append(s.grid[1:], s.blank())
}

// write interprets the bytes a terminal receives.
func (s *screen) write(b []byte) {
	for len(b) > 0 {
		if b[0] == 0x1b && len(b) > 1 && b[1] == '[' {
			i := 2
			for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == ';' || b[i] == '?') {
				i++
			}
			if i == len(b) {
				return
			}
			n, _ := strconv.Atoi(string(b[2:i]))
			switch b[i] {
			case 'A':
				s.r = max(0, s.r-max(n, 1))
			case 'K':
				for c := s.c; c < s.cols; c++ {
					s.grid[s.r][c] = ' '
				}
				if n == 2 {
					s.grid[s.r] = s.blank()
				}
			case 'J':
				for c := s.c; c < s.cols; c++ {
					s.grid[s.r][c] = ' '
				}
				for r := s.r + 1; r < s.rows; r++ {
					s.grid[r] = s.blank()
				}
			}
			b = b[i+1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch r {
		case '\r':
			s.c = 0
		case '\n':
			s.lineFeed()
		case '\b':
			s.c = max(0, s.c-1)
		default:
			if s.c == s.cols {
				s.c = 0
				s.lineFeed()
			}
			s.grid[s.r][s.c] = r
			s.c++
		}
	}
}

// lines returns the history and the screen, trailing blanks removed.
func (s *screen) lines() []string {
	out := append([]string(nil), s.history...)
	for _, l := range s.grid {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// TestLiveTableUnderPTY runs `ferry run` under a real pseudo-terminal on a
// pipeline whose training steps log INFO records while the live table is
// redrawn, feeds everything the terminal received to a terminal emulator
// and checks the final screen: no stale "Executing" row, and every INFO
// record still there.
func TestLiveTableUnderPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline in a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	var data strings.Builder
	data.WriteString("y,a,b\n")
	for i := range 200 {
		fmt.Fprintf(&data, "%d,%d,%d\n", i%2, i%7, (i*13)%11)
	}
	if err := os.MkdirAll(filepath.Join(dir, "train"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train", "train.csv"), []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const trainings = 8
	var src strings.Builder
	src.WriteString("version: 1\nname: pty\nsteps:\n")
	for i := 1; i <= trainings; i++ {
		fmt.Fprintf(&src, "  - name: train-%d\n    kind: training\n    algorithm: xgboost\n    inputs: {train: train}\n"+
			"    hyperparameters: {objective: \"binary:logistic\", num_round: %d, seed: %d}\n", i, 2+i, i)
		// A command step beside each training step keeps the table
		// redrawing while the training steps log.
		fmt.Fprintf(&src, "  - name: wait-%d\n    kind: command\n    command: [/bin/sh, -c, 'sleep 0.0%d']\n", i, i)
	}
	file := writePipeline(t, dir, src.String())

	const rows, cols = 120, 160
	master, slave := openPTY(t, rows, cols)
	cmd := ferryCommand(home, "run", "--parallelism", "4", file)
	cmd.Env = append(cmd.Env, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO when the last slave closes
		got <- b
	}()
	werr := cmd.Wait()
	slave.Close()
	raw := <-got
	if werr != nil {
		t.Fatalf("ferry run: %v\n%s", werr, raw)
	}
	if !strings.Contains(string(raw), "\x1b[") {
		t.Fatalf("no live table drawn (stdout not seen as a terminal?):\n%q", raw)
	}

	s := newScreen(rows, cols)
	s.write(raw)
	lines := s.lines()
	screenText := strings.Join(lines, "\n")
	infos := 0
	for _, l := range lines {
		if strings.Contains(l, "Executing") {
			t.Errorf("stale row on the final screen: %q", l)
		}
		if strings.Contains(l, "level=INFO") && strings.Contains(l, "model trained") {
			infos++
		}
	}
	if infos != trainings {
		t.Errorf("%d INFO lines \"model trained\" on the screen, want %d", infos, trainings)
	}
	for i := 1; i <= trainings; i++ {
		for _, step := range []string{"train-", "wait-"} {
			name := step + strconv.Itoa(i)
			if n := strings.Count(screenText, "  "+name+" "); n != 1 {
				t.Errorf("step %s has %d rows on the screen, want 1", name, n)
			}
		}
	}
	if !strings.Contains(screenText, "Succeeded in") {
		t.Errorf("no final status line")
	}
	if t.Failed() {
		t.Logf("screen:\n%s", screenText)
	}
}
