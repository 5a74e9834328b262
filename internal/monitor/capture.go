package monitor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Window is a half-open time range [From, To) of captured requests.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t is in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

// Captured is one captured request.
type Captured struct {
	EventID     string
	InferenceID string
	Time        time.Time
	InputType   string
	Input       []byte
	OutputType  string
	Output      []byte
}

// Key is the id ground truth joins on: the inference id the client gave,
// else the event id.
func (c *Captured) Key() string {
	if c.InferenceID != "" {
		return c.InferenceID
	}
	return c.EventID
}

// captureLine is the layout of one line of a data capture file
// (SageMaker's, as internal/serving writes it).
type captureLine struct {
	CaptureData struct {
		EndpointInput  captureItem `json:"endpointInput"`
		EndpointOutput captureItem `json:"endpointOutput"`
	} `json:"captureData"`
	EventMetadata struct {
		EventID       string `json:"eventId"`
		InferenceID   string `json:"inferenceId"`
		InferenceTime string `json:"inferenceTime"`
	} `json:"eventMetadata"`
}

type captureItem struct {
	ObservedContentType string `json:"observedContentType"`
	Data                string `json:"data"`
	Encoding            string `json:"encoding"`
}

// ReadCaptures calls fn for every request captured for endpoint under
// root (root/ENDPOINT/VARIANT/yyyy/mm/dd/hh/*.jsonl) whose inference time
// is in w, file by file in time order. A line that is not a capture
// record is an error naming its file and line.
func ReadCaptures(root, endpoint string, w Window, fn func(*Captured) error) error {
	files, err := captureFiles(root, endpoint, w)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := readCaptureFile(f, w, fn); err != nil {
			return err
		}
	}
	return nil
}

// ReadCaptureFiles calls fn with each capture file of the endpoint whose
// hour overlaps w, in order.
func ReadCaptureFiles(root, endpoint string, w Window, fn func(path string)) error {
	base := filepath.Join(root, endpoint)
	variants, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading captured data: %w", err)
	}
	var files []string
	for _, v := range variants {
		if !v.IsDir() {
			continue
		}
		for h := w.From.UTC().Truncate(time.Hour); h.Before(w.To); h = h.Add(time.Hour) {
			dir := filepath.Join(base, v.Name(), h.Format("2006"), h.Format("01"), h.Format("02"), h.Format("15"))
			es, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range es {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".jsonl") {
					files = append(files, filepath.Join(dir, e.Name()))
				}
			}
		}
	}
	slices.Sort(files)
	for _, f := range files {
		fn(f)
	}
	return nil
}

func readCaptureFile(path string, w Window, fn func(*Captured) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading captured data: %w", err)
	}
	defer f.Close()
	return ScanCaptures(f, w, func(line int, c *Captured, err error) error {
		if err != nil {
			return fmt.Errorf("%s line %d: %w", path, line, err)
		}
		return fn(c)
	})
}

// ScanCaptures reads capture lines from r and calls fn with each record in
// w (or with the error of a bad line).
func ScanCaptures(r io.Reader, w Window, fn func(line int, c *Captured, err error) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var c Captured
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: read the rest of it.
			long := slices.Clone(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(bytes.TrimSpace(line)) > 0 {
			perr := parseCapture(line, &c)
			if perr != nil {
				if ferr := fn(n, nil, perr); ferr != nil {
					return ferr
				}
			} else if w.Contains(c.Time) {
				if ferr := fn(n, &c, nil); ferr != nil {
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading captured data: %w", err)
		}
	}
}

// parseCapture decodes one capture line into c.
func parseCapture(line []byte, c *Captured) error {
	var l captureLine
	if err := json.Unmarshal(line, &l); err != nil {
		return fmt.Errorf("not a capture record: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, l.EventMetadata.InferenceTime)
	if err != nil {
		return fmt.Errorf("inferenceTime %q: %w", l.EventMetadata.InferenceTime, err)
	}
	in, err := decodePayload(l.CaptureData.EndpointInput.Data, l.CaptureData.EndpointInput.Encoding)
	if err != nil {
		return fmt.Errorf("endpointInput: %w", err)
	}
	out, err := decodePayload(l.CaptureData.EndpointOutput.Data, l.CaptureData.EndpointOutput.Encoding)
	if err != nil {
		return fmt.Errorf("endpointOutput: %w", err)
	}
	*c = Captured{
		EventID: l.EventMetadata.EventID, InferenceID: l.EventMetadata.InferenceID, Time: t,
		InputType: l.CaptureData.EndpointInput.ObservedContentType, Input: in,
		OutputType: l.CaptureData.EndpointOutput.ObservedContentType, Output: out,
	}
	return nil
}
