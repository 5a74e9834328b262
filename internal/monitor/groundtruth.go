package monitor

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GroundTruth is one label uploaded for a captured inference, in
// SageMaker's ground-truth record layout.
type GroundTruth struct {
	Data struct {
		Data     string `json:"data"`
		Encoding string `json:"encoding"`
	} `json:"groundTruthData"`
	EventMetadata struct {
		EventID string `json:"eventId"`
	} `json:"eventMetadata"`
	EventVersion string `json:"eventVersion"`
}

// ParseGroundTruth reads uploaded labels: JSON lines in SageMaker's
// layout ({"groundTruthData": {"data": "1", "encoding": "CSV"},
// "eventMetadata": {"eventId": ID}, "eventVersion": "0"}) or CSV lines
// "ID,LABEL" (an optional header row starting with inference_id or
// event_id is skipped). The id is the request's inference id (or its
// event id when it had none). Errors name the line.
func ParseGroundTruth(r io.Reader) ([]GroundTruth, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(1)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the ground truth is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("reading ground truth: %w", err)
	}
	var out []GroundTruth
	if first[0] == '{' {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var g GroundTruth
			if err := json.Unmarshal(line, &g); err != nil {
				return nil, fmt.Errorf("ground truth line %d: %w", n, err)
			}
			if g.EventMetadata.EventID == "" {
				return nil, fmt.Errorf("ground truth line %d: eventMetadata.eventId is empty", n)
			}
			if strings.TrimSpace(g.Data.Data) == "" {
				return nil, fmt.Errorf("ground truth line %d: groundTruthData.data is empty", n)
			}
			out = append(out, g)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading ground truth: %w", err)
		}
		return out, nil
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	for n := 1; ; n++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ground truth: %w", err)
		}
		if n == 1 && len(row) > 0 && (strings.EqualFold(row[0], "inference_id") || strings.EqualFold(row[0], "event_id")) {
			continue
		}
		if len(row) != 2 || strings.TrimSpace(row[0]) == "" || strings.TrimSpace(row[1]) == "" {
			return nil, fmt.Errorf("ground truth line %d: want ID,LABEL", n)
		}
		var g GroundTruth
		g.EventMetadata.EventID = strings.TrimSpace(row[0])
		g.Data.Data = strings.TrimSpace(row[1])
		g.Data.Encoding = "CSV"
		g.EventVersion = "0"
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, errors.New("the ground truth has no records")
	}
	return out, nil
}

// WriteGroundTruth stores labels for an endpoint under
// root/ENDPOINT/yyyy/mm/dd/hh/ as JSON lines, the layout SageMaker's
// ground-truth S3 prefix has. It returns the file written.
func WriteGroundTruth(root, endpoint string, now time.Time, gts []GroundTruth) (string, error) {
	u := now.UTC()
	dir := filepath.Join(root, endpoint, u.Format("2006"), u.Format("01"), u.Format("02"), u.Format("15"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("storing ground truth: %w", err)
	}
	var b bytes.Buffer
	for _, g := range gts {
		line, err := json.Marshal(g)
		if err != nil {
			return "", fmt.Errorf("encoding ground truth: %w", err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	f, err := os.CreateTemp(dir, u.Format("04-05")+"-*.jsonl")
	if err != nil {
		return "", fmt.Errorf("storing ground truth: %w", err)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return "", fmt.Errorf("storing ground truth: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("storing ground truth: %w", err)
	}
	return f.Name(), nil
}

// ReadGroundTruth returns every label uploaded for endpoint, by id; a
// later upload of the same id wins.
func ReadGroundTruth(root, endpoint string) (map[string]string, error) {
	out := make(map[string]string)
	base := filepath.Join(root, endpoint)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".jsonl") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		gts, err := ParseGroundTruth(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, g := range gts {
			out[g.EventMetadata.EventID] = g.Data.Data
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading ground truth: %w", err)
	}
	return out, nil
}
