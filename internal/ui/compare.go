package ui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ferryml/ferry/internal/app"
)

// maxCompared bounds how many executions one comparison holds.
const maxCompared = 10

type compareRow struct {
	Section, Name string
	Values        []string
	Differs       bool
}

type compareData struct {
	Execs   []app.Execution
	Rows    []compareRow
	All     bool
	Hidden  int // rows left out because they do not differ
	IDs     []string
	Missing string
}

// comparePage compares executions (?id=A&id=B...) side by side:
// parameters, metrics (the steps' numeric properties), step statuses and
// durations; only the rows that differ unless ?all=1.
func (c *Console) comparePage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ids := r.URL.Query()["id"]
	d := compareData{All: r.URL.Query().Get("all") != "", IDs: ids}
	if len(ids) < 2 {
		d.Missing = "Choose two or more executions to compare (tick them in the executions list)."
		return c.render(w, r, v, "compare", "Compare executions", d)
	}
	if len(ids) > maxCompared {
		return &statusError{http.StatusBadRequest, "Compare at most " + strconv.Itoa(maxCompared) + " executions at once."}
	}
	for _, id := range ids {
		ex, err := c.cfg.App.Execution(r.Context(), id)
		if err != nil {
			return err
		}
		d.Execs = append(d.Execs, ex)
	}
	type key struct{ section, name string }
	var order []key
	vals := map[key][]string{}
	put := func(i int, section, name, val string) {
		k := key{section, name}
		if _, ok := vals[k]; !ok {
			order = append(order, k)
			vals[k] = make([]string, len(d.Execs))
		}
		vals[k][i] = val
	}
	for i, ex := range d.Execs {
		put(i, "Execution", "pipeline", ex.Pipeline)
		put(i, "Execution", "version", short(ex.PipelineDigest))
		put(i, "Execution", "status", string(ex.Status))
		for _, k := range sortedKeysOf(ex.Parameters) {
			put(i, "Parameters", k, valueText(ex.Parameters[k]))
		}
	}
	for i, ex := range d.Execs {
		for _, s := range ex.Steps {
			for _, k := range sortedKeysOf(s.Properties) {
				raw, err := json.Marshal(s.Properties[k])
				if err != nil {
					continue
				}
				for _, m := range flatten(raw, 50) {
					name := s.Name + "." + k
					if m.Name != "" {
						name += "." + m.Name
					}
					put(i, "Metrics", name, strconv.FormatFloat(m.Value, 'g', 6, 64))
				}
			}
		}
	}
	for i, ex := range d.Execs {
		for _, s := range ex.Steps {
			put(i, "Step status", s.Name, string(s.Status))
		}
	}
	durs := map[string][]time.Duration{}
	for i, ex := range d.Execs {
		for _, s := range ex.Steps {
			if s.StartedAt != nil && s.EndedAt != nil {
				took := s.EndedAt.Sub(*s.StartedAt)
				put(i, "Step duration", s.Name, durText(took))
				durs[s.Name] = append(durs[s.Name], took)
			}
		}
	}
	for _, k := range order {
		row := compareRow{Section: k.section, Name: k.name, Values: vals[k]}
		if k.section == "Step duration" && len(durs[k.name]) == len(d.Execs) {
			row.Differs = durationsDiffer(durs[k.name])
		} else {
			for _, x := range row.Values[1:] {
				if x != row.Values[0] {
					row.Differs = true
				}
			}
		}
		if !row.Differs && !d.All {
			d.Hidden++
			continue
		}
		d.Rows = append(d.Rows, row)
	}
	return c.render(w, r, v, "compare", "Compare executions", d)
}

// durationsDiffer reports whether step durations differ by more than
// run-to-run noise: by over a second and over a fifth of the longest.
func durationsDiffer(ds []time.Duration) bool {
	lo, hi := ds[0], ds[0]
	for _, d := range ds[1:] {
		lo, hi = min(lo, d), max(hi, d)
	}
	return hi-lo > time.Second && hi-lo > hi/5
}
