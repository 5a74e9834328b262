package clarify

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/ferryml/ferry/bias"
)

// The report is one HTML file with inline CSS and SVG: no scripts, no
// external assets, so it renders offline and in sandboxes.
var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d8dee6;padding-bottom:.3rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0 1rem}
th,td{border:1px solid #d8dee6;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f5f8}td.num{font-family:ui-monospace,Menlo,monospace;white-space:nowrap}
td.err{color:#a33}.muted{color:#5d6b7a;font-size:.85rem}
svg text{font-size:12px;fill:#1d2733}svg .bar{fill:#2f6db5}svg .neg{fill:#c0504d}svg .axis{stroke:#8a96a3}
svg .line{fill:none;stroke:#2f6db5;stroke-width:2}svg .dist{fill:#cfd9e6}svg .pt{fill:#2f6db5}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="muted">SageMaker Clarify-compatible analysis by Ferry. Data rows: {{.Rows}}.</p>
{{range .Sections}}
<h2>{{.Title}}</h2>
<p class="muted">Label <b>{{.Label}}</b>, positive outcome: <b>{{.Positive}}</b>. Group d is the facet value; "the rest" (a) is every other row.</p>
{{range .Facets}}
<h3>Facet {{.Name}} = {{.Value}}</h3>
<table class="bias-metrics"><thead><tr><th>Metric</th><th>Value</th><th>Range</th><th>Meaning</th></tr></thead><tbody>
{{range .Metrics}}<tr><td title="{{.Name}}">{{.Description}}</td>{{if .Error}}<td class="num err">error: {{.Error}}</td>{{else}}<td class="num">{{.Value}}</td>{{end}}<td class="num">{{.Range}}</td><td>{{.Meaning}}</td></tr>
{{end}}</tbody></table>
{{end}}{{end}}
{{if .SHAP}}<h2>Feature importance (global SHAP)</h2>
<p class="muted">{{.SHAPNote}}</p>
{{range .SHAP}}<h3>{{.Label}} (expected value {{.Expected}})</h3>
<svg class="shap-chart" xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="global SHAP values of {{.Label}}">
<line class="axis" x1="{{.X0}}" y1="0" x2="{{.X0}}" y2="{{.H}}"/>
{{range .Bars}}<text x="{{.TX}}" y="{{.TY}}" text-anchor="end">{{.Name}}</text><rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.BH}}"><title>{{.Name}}: {{.Text}}</title></rect><text x="{{.VX}}" y="{{.TY}}">{{.Text}}</text>
{{end}}</svg>
{{end}}{{end}}
{{if .PDP}}<h2>Partial dependence</h2>
<div class="charts">{{range .PDP}}<div><h3>{{.Name}}</h3>{{if .Error}}<p class="err">{{.Error}}</p>{{else}}
<svg class="pdp-chart" xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="partial dependence on {{.Name}}">
{{range .Dist}}<rect class="dist bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.BH}}"><title>{{.Text}}</title></rect>{{end}}
<line class="axis" x1="{{.L}}" y1="{{.B}}" x2="{{.R}}" y2="{{.B}}"/><line class="axis" x1="{{.L}}" y1="{{.T}}" x2="{{.L}}" y2="{{.B}}"/>
{{range .Lines}}<polyline class="line" points="{{.}}"/>{{end}}
{{range .Points}}<circle class="pt" cx="{{.X}}" cy="{{.Y}}" r="2.5"><title>{{.Text}}</title></circle>{{end}}
<text x="{{.L}}" y="{{.LabelY}}">{{.MinX}}</text><text x="{{.R}}" y="{{.LabelY}}" text-anchor="end">{{.MaxX}}</text>
<text x="2" y="{{.TopY}}">{{.MaxY}}</text><text x="2" y="{{.B}}">{{.MinY}}</text>
</svg>{{end}}</div>{{end}}</div>{{end}}
</body></html>
`))

type reportData struct {
	Title    string
	Rows     int
	Sections []sectionView
	SHAP     []shapView
	SHAPNote string
	PDP      []pdpView
}

type sectionView struct {
	Title, Label, Positive string
	Facets                 []facetView
}

type facetView struct {
	Name, Value string
	Metrics     []metricView
}

type metricView struct {
	Name, Description, Value, Error, Range, Meaning string
}

type barView struct {
	Name, Text  string
	X, Y, W, BH float64
	TX, TY, VX  float64
}

type shapView struct {
	Label, Expected string
	W, H, X0        float64
	Bars            []barView
}

type pointView struct {
	X, Y float64
	Text string
}

type pdpView struct {
	Name, Error            string
	W, H, L, R, T, B       float64
	LabelY, TopY           float64
	MinX, MaxX, MinY, MaxY string
	Dist                   []barView
	Lines                  []string
	Points                 []pointView
}

func fmtNum(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func sectionViews(title string, s *bias.Section) sectionView {
	v := sectionView{Title: title, Label: s.Label, Positive: s.LabelValueOrThreshold}
	for _, f := range s.Facets {
		for _, e := range f.Entries {
			fv := facetView{Name: f.Name, Value: e.ValueOrThreshold}
			for _, m := range e.Metrics {
				info, _ := bias.Describe(m.Name)
				mv := metricView{Name: m.Name, Description: m.Description, Error: m.Error, Range: info.Range, Meaning: info.Meaning}
				if m.Value != nil {
					mv.Value = fmtNum(*m.Value)
				}
				fv.Metrics = append(fv.Metrics, mv)
			}
			v.Facets = append(v.Facets, fv)
		}
	}
	return v
}

func shapViews(l LabelSHAP) shapView {
	idx := make([]int, len(l.Features))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(l.GlobalValues[idx[a]]) > math.Abs(l.GlobalValues[idx[b]]) })
	const rowH, labelW, chartW = 20.0, 220.0, 560.0
	maxV := 0.0
	for _, v := range l.GlobalValues {
		maxV = math.Max(maxV, math.Abs(v))
	}
	if maxV == 0 {
		maxV = 1
	}
	v := shapView{Label: l.Label, Expected: fmtNum(l.ExpectedValue), W: labelW + chartW + 90, H: rowH*float64(len(idx)) + 6, X0: labelW}
	for r, i := range idx {
		w := math.Abs(l.GlobalValues[i]) / maxV * chartW
		y := float64(r)*rowH + 3
		v.Bars = append(v.Bars, barView{
			Name: l.Features[i], Text: fmtNum(l.GlobalValues[i]),
			X: labelW, Y: y, W: math.Max(w, 0.5), BH: rowH - 5,
			TX: labelW - 6, TY: y + rowH - 8, VX: labelW + w + 4,
		})
	}
	return v
}

func pdpViews(e PDPEntry) pdpView {
	v := pdpView{Name: e.FeatureName, Error: e.Error, W: 340, H: 230, L: 40, R: 330, T: 12, B: 200}
	if e.Error != "" || len(e.FeatureValues) == 0 {
		if v.Error == "" {
			v.Error = "no values"
		}
		return v
	}
	v.LabelY, v.TopY = v.B+16, v.T+4
	xs := e.FeatureValues
	minX, maxX := xs[0], xs[len(xs)-1]
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, row := range e.ModelPredictions {
		for _, p := range row {
			minY, maxY = math.Min(minY, p), math.Max(maxY, p)
		}
	}
	if maxY == minY {
		maxY, minY = maxY+0.5, minY-0.5
	}
	spanX := maxX - minX
	px := func(x float64) float64 {
		if spanX == 0 {
			return (v.L + v.R) / 2
		}
		return v.L + (x-minX)/spanX*(v.R-v.L)
	}
	py := func(y float64) float64 { return v.B - (y-minY)/(maxY-minY)*(v.B-v.T) }
	v.MinX, v.MaxX, v.MinY, v.MaxY = fmtNum(minX), fmtNum(maxX), fmtNum(minY), fmtNum(maxY)
	bw := (v.R - v.L) / float64(len(xs))
	for g, d := range e.DataDistribution {
		h := d * (v.B - v.T) * 0.5
		v.Dist = append(v.Dist, barView{X: px(xs[g]) - bw/2, Y: v.B - h, W: math.Max(bw-1, 1), BH: h, Text: fmt.Sprintf("%s: %.1f%% of rows", fmtNum(xs[g]), 100*d)})
	}
	for _, row := range e.ModelPredictions {
		var b bytes.Buffer
		for g, p := range row {
			fmt.Fprintf(&b, "%.2f,%.2f ", px(xs[g]), py(p))
			v.Points = append(v.Points, pointView{X: px(xs[g]), Y: py(p), Text: fmt.Sprintf("%s → %s", fmtNum(xs[g]), fmtNum(p))})
		}
		v.Lines = append(v.Lines, b.String())
	}
	return v
}

// writeReport renders the HTML report.
func writeReport(path, title string, res *Result) error {
	d := reportData{Title: title}
	a := res.Analysis
	if a.PreTraining != nil {
		d.Sections = append(d.Sections, sectionViews("Pre-training bias metrics", a.PreTraining))
	}
	if a.PostTraining != nil {
		d.Sections = append(d.Sections, sectionViews("Post-training bias metrics", a.PostTraining))
	}
	if e := a.Explanations; e != nil {
		for _, l := range e.KernelSHAP {
			d.SHAP = append(d.SHAP, shapViews(l))
		}
		for _, p := range e.PDP {
			d.PDP = append(d.PDP, pdpViews(p))
		}
	}
	d.SHAPNote = res.shapNote
	d.Rows = res.rows
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
