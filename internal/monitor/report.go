package monitor

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"slices"
	"time"
)

var nan = math.NaN()

// report is the content of a run's report.html.
type report struct {
	Monitor     Monitor
	Window      Window
	Records     int64
	Unmatched   int64
	Violations  []Violation
	Drift       []DriftResult
	Statistics  *Statistics
	Baseline    *Statistics
	Metrics     map[string]float64
	Constraints *QualityConstraints
}

type metricRow struct {
	Name       string
	Value      string
	Constraint string
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":  num,
	"time": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"bar": func(v float64) string {
		return fmt.Sprintf("%.1f", math.Min(100, math.Max(0, 100*v)))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.M.Monitor.Name}}: monitoring report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.bad{color:#b00020;font-weight:600}.ok{color:#17803d;font-weight:600}
.bar{display:inline-block;height:10px;background:#4a78c2}.barbad{background:#b00020}
</style></head><body>
<h1>Monitor {{.M.Monitor.Name}}</h1>
<p>Type <b>{{.M.Monitor.Type}}</b> on endpoint <b>{{.M.Monitor.Endpoint}}</b>; window {{time .M.Window.From}} to {{time .M.Window.To}};
{{.M.Records}} records{{if .M.Unmatched}} ({{.M.Unmatched}} predictions without ground truth left out){{end}}.</p>
{{if .M.Violations}}<p class="bad">{{len .M.Violations}} violation(s)</p>
<table><tr><th>feature / metric</th><th>check</th><th>description</th></tr>
{{range .M.Violations}}<tr><td>{{.FeatureName}}{{if .MetricName}} {{.MetricName}}{{end}}</td><td>{{.ConstraintCheckType}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{else}}<p class="ok">No violations.</p>{{end}}
{{if .M.Drift}}<h2>Drift from the baseline</h2>
<table><tr><th>feature</th><th>distance (L-infinity)</th><th>threshold</th><th></th></tr>
{{range .M.Drift}}<tr><td>{{.Feature}}</td><td>{{num .Distance}}</td><td>{{num .Threshold}} ({{.Method}})</td>
<td><span class="bar{{if .Drifted}} barbad{{end}}" style="width:{{bar .Distance}}px"></span></td></tr>
{{end}}</table>{{end}}
{{if .M.Statistics}}<h2>Statistics of the window</h2>
<table><tr><th>feature</th><th>type</th><th>present</th><th>missing</th><th>mean</th><th>min</th><th>max</th><th>distinct</th></tr>
{{range .M.Statistics.Features}}<tr><td>{{.Name}}</td><td>{{.InferredType}}</td>
{{with .Numerical}}<td>{{.Common.NumPresent}}</td><td>{{.Common.NumMissing}}</td><td>{{num .Mean}}</td><td>{{num .Min}}</td><td>{{num .Max}}</td><td></td>{{end}}
{{with .String}}<td>{{.Common.NumPresent}}</td><td>{{.Common.NumMissing}}</td><td></td><td></td><td></td><td>{{.DistinctCount}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Metrics}}<h2>Metrics</h2>
<table><tr><th>metric</th><th>value</th><th>constraint</th></tr>
{{range .Metrics}}<tr><td>{{.Name}}</td><td>{{.Value}}</td><td>{{.Constraint}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))

func (r report) write(path string) error {
	var rows []metricRow
	for k, v := range r.Metrics {
		row := metricRow{Name: k, Value: num(v)}
		if r.Constraints != nil {
			for _, m := range []map[string]MetricConstraint{r.Constraints.Binary, r.Constraints.Regression} {
				if c, ok := m[k]; ok {
					row.Constraint = c.ComparisonOperator + " " + num(c.Threshold)
				}
			}
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b metricRow) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := reportTemplate.Execute(f, struct {
		M       report
		Metrics []metricRow
	}{r, rows}); err != nil {
		f.Close()
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
