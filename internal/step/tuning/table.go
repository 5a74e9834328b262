package tuning

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Files of the trials output.
const (
	TrialsCSV  = "trials.csv"
	TrialsJSON = "trials.json"
)

// TableColumns are trials.csv's leading columns; the tuned hyperparameters
// follow, by name, then the model.
var tableColumns = []string{"trial", "name", "status", "objective", "stopped_early", "rounds", "seconds", "reused"}

// writeTable writes trials.csv and trials.json into dir, one row per trial
// in trial order.
func writeTable(dir string, recs []*Record, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, TrialsCSV))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	hdr := append(append(append([]string{}, tableColumns...), names...), "model")
	_ = w.Write(hdr)
	for _, r := range recs {
		obj := ""
		if r.Objective != nil {
			obj = strconv.FormatFloat(*r.Objective, 'g', -1, 64)
		}
		row := []string{strconv.Itoa(r.Trial), r.Name, r.Status, obj, strconv.FormatBool(r.StoppedEarly),
			strconv.Itoa(r.Rounds), strconv.FormatFloat(r.Seconds, 'f', 3, 64), strconv.FormatBool(r.Reused)}
		for _, n := range names {
			row = append(row, r.Hyperparameters[n])
		}
		row = append(row, r.Model)
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, TrialsJSON), append(b, '\n'), 0o644)
}

// findFile returns the file in dir named want, or else the only file
// ending in want (searched recursively), as training reads its inputs.
func findFile(dir, want string) (string, error) {
	if st, err := os.Stat(filepath.Join(dir, want)); err == nil && !st.IsDir() {
		return filepath.Join(dir, want), nil
	}
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), want) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no %s file in the artifact", want)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d %s files in the artifact; want exactly one", len(found), want)
}
