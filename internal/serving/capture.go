package serving

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Capture records follow SageMaker's data capture layout: one JSON object
// per line, in files grouped as DEST/ENDPOINT/VARIANT/yyyy/mm/dd/hh/.

type captureRecord struct {
	CaptureData   captureData   `json:"captureData"`
	EventMetadata eventMetadata `json:"eventMetadata"`
	EventVersion  string        `json:"eventVersion"`
}

type captureData struct {
	EndpointInput  captureItem `json:"endpointInput"`
	EndpointOutput captureItem `json:"endpointOutput"`
}

type captureItem struct {
	ObservedContentType string `json:"observedContentType"`
	Mode                string `json:"mode"`
	Data                string `json:"data"`
	Encoding            string `json:"encoding"`
}

type eventMetadata struct {
	EventID       string `json:"eventId"`
	InferenceID   string `json:"inferenceId,omitempty"`
	InferenceTime string `json:"inferenceTime"`
}

// captureEncoding returns the encoding SageMaker uses for a content type
// and the data as it is stored.
func captureEncoding(contentType string, data []byte) (string, string) {
	switch baseType(contentType) {
	case ctCSV:
		return "CSV", string(data)
	case ctJSON, ctJSONLines, "application/jsonl", "application/x-jsonlines":
		return "JSON", string(data)
	}
	return "BASE64", base64.StdEncoding.EncodeToString(data)
}

// capturer appends records to one file per endpoint, variant and hour.
type capturer struct {
	now   func() time.Time
	newID func() string

	mu    sync.Mutex
	files map[string]*os.File // by hour directory
}

func newCapturer(now func() time.Time, newID func() string) *capturer {
	return &capturer{now: now, newID: newID, files: make(map[string]*os.File)}
}

// write appends one record for a request answered at t.
func (c *capturer) write(dest, endpoint, variant, inferenceID string, t time.Time,
	inType string, in []byte, outType string, out []byte) error {
	inEnc, inData := captureEncoding(inType, in)
	outEnc, outData := captureEncoding(outType, out)
	id := c.newID()
	rec := captureRecord{
		CaptureData: captureData{
			EndpointInput:  captureItem{ObservedContentType: inType, Mode: "INPUT", Data: inData, Encoding: inEnc},
			EndpointOutput: captureItem{ObservedContentType: outType, Mode: "OUTPUT", Data: outData, Encoding: outEnc},
		},
		EventMetadata: eventMetadata{EventID: id, InferenceID: inferenceID, InferenceTime: t.UTC().Format("2006-01-02T15:04:05.000Z")},
		EventVersion:  "0",
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding capture record: %w", err)
	}
	line = append(line, '\n')
	u := t.UTC()
	dir := filepath.Join(dest, endpoint, variant, u.Format("2006"), u.Format("01"), u.Format("02"), u.Format("15"))
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.files[dir]
	if f == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating capture directory: %w", err)
		}
		// SageMaker names files MM-SS-mmm-<id>.jsonl after the first record.
		name := fmt.Sprintf("%s-%03d-%s.jsonl", u.Format("04-05"), u.Nanosecond()/1e6, id)
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening capture file: %w", err)
		}
		c.closeOlder(dest, endpoint, variant)
		c.files[dir] = f
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("writing capture record: %w", err)
	}
	return nil
}

// closeOlder closes the files of earlier hours of the same variant.
func (c *capturer) closeOlder(dest, endpoint, variant string) {
	prefix := filepath.Join(dest, endpoint, variant) + string(filepath.Separator)
	for dir, f := range c.files {
		if len(dir) > len(prefix) && dir[:len(prefix)] == prefix {
			f.Close()
			delete(c.files, dir)
		}
	}
}

func (c *capturer) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for dir, f := range c.files {
		errs = append(errs, f.Close())
		delete(c.files, dir)
	}
	return errors.Join(errs...)
}
