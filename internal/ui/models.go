package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
)

type groupRow struct {
	registry.Group
	Latest *registry.Version
}

func (c *Console) groupsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	gs, err := c.cfg.App.Groups(r.Context())
	if err != nil {
		return err
	}
	rows := make([]groupRow, 0, len(gs))
	for _, g := range gs {
		row := groupRow{Group: g}
		if g.LatestVersion > 0 {
			if lv, err := c.cfg.App.Version(r.Context(), registry.PackageRef{Group: g.Name, Version: g.LatestVersion}); err == nil {
				row.Latest = &lv
			}
		}
		rows = append(rows, row)
	}
	return c.render(w, r, v, "groups", "Model registry", rows)
}

// metric is one numeric value of a model metric document, by its JSON
// path ("classification_metrics.roc_auc.value").
type metric struct {
	Name  string
	Value float64
}

// headline are the metrics a group's version list shows inline, when
// present.
var headline = []string{"roc_auc", "auc", "accuracy", "f1", "precision", "recall", "mse", "rmse", "r2", "mae"}

type versionRow struct {
	V       registry.Version
	Metrics []metric
}

type groupData struct {
	Group    registry.Group
	Versions []versionRow
}

func (c *Console) groupPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	gd, err := c.cfg.App.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	d := groupData{Group: gd.Group}
	for i := len(gd.Versions) - 1; i >= 0; i-- { // newest first
		ver := gd.Versions[i]
		row := versionRow{V: ver}
		if mv, err := c.cfg.App.MetricValues(r.Context(), ver.Ref()); err == nil {
			row.Metrics = headlineMetrics(mv)
		}
		d.Versions = append(d.Versions, row)
	}
	return c.render(w, r, v, "group", "Model group "+gd.Group.Name, d)
}

// headlineMetrics picks the well-known quality metrics out of a
// version's metric documents.
func headlineMetrics(mv map[string]app.MetricValue) []metric {
	var out []metric
	seen := map[string]bool{}
	for _, key := range sortedKeysOf(mv) {
		if strings.Contains(key, "bias") || strings.Contains(key, "explainability") || strings.Contains(key, "constraints") {
			continue
		}
		for _, f := range sortedKeysOf(mv[key].Files) {
			for _, m := range flatten(mv[key].Files[f], 400) {
				parts := strings.Split(m.Name, ".")
				leaf := parts[len(parts)-1]
				if leaf == "value" && len(parts) > 1 {
					leaf = parts[len(parts)-2]
				}
				if slicesContains(headline, leaf) && !seen[leaf] {
					seen[leaf] = true
					out = append(out, metric{Name: leaf, Value: m.Value})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return indexOf(headline, out[i].Name) < indexOf(headline, out[j].Name) })
	return out
}

func slicesContains(s []string, x string) bool { return indexOf(s, x) >= 0 }

func indexOf(s []string, x string) int {
	for i, y := range s {
		if y == x {
			return i
		}
	}
	return -1
}

// flatten returns the numbers of a JSON document by path, at most limit.
func flatten(raw json.RawMessage, limit int) []metric {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []metric
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if len(out) >= limit {
			return
		}
		switch x := v.(type) {
		case float64:
			out = append(out, metric{Name: prefix, Value: x})
		case map[string]any:
			for _, k := range sortedKeysOf(x) {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			for i, e := range x {
				// Clarify lists metrics as {"name": ..., "value": ...}.
				if m, ok := e.(map[string]any); ok {
					if n, ok := m["name"].(string); ok {
						walk(prefix+"."+n, m["value"])
						continue
					}
				}
				walk(prefix+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk("", doc)
	return out
}

// report is one metric of a version: its numbers, its SHAP values as
// bars, and its HTML report when the artifact has one.
type report struct {
	Key, Artifact string
	Files         []string
	Numbers       []metric
	SHAP          []shapBar
	HTML          string // the report file's path in the artifact
}

type shapBar struct {
	Feature  string
	Value    float64
	Width    float64 // percent of the largest
	Negative bool
}

// stepReport is an HTML report a step of the lineage execution wrote.
type stepReport struct {
	Step, Output, Artifact, File string
}

type lineageNode struct {
	Label, Kind, Href string
}

type versionData struct {
	V           registry.Version
	Reports     []report
	Headline    []metric
	Lineage     app.Lineage
	Endpoints   []string
	Flow        Graph
	Links       map[string]lineageNode
	Pending     bool
	StepReports []stepReport
}

func (c *Console) version(r *http.Request) (registry.PackageRef, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return registry.PackageRef{}, &statusError{http.StatusNotFound, "A model version is a whole number >= 1."}
	}
	return registry.PackageRef{Group: r.PathValue("group"), Version: n}, nil
}

func (c *Console) versionPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	ref, err := c.version(r)
	if err != nil {
		return err
	}
	ver, err := c.cfg.App.Version(ctx, ref)
	if err != nil {
		return err
	}
	d := versionData{V: ver, Pending: ver.Status == registry.PendingManualApproval, Links: map[string]lineageNode{}}
	mv, err := c.cfg.App.MetricValues(ctx, ref)
	if err != nil {
		return err
	}
	d.Headline = headlineMetrics(mv)
	for _, key := range sortedKeysOf(mv) {
		rep := report{Key: key, Artifact: string(mv[key].Artifact)}
		for _, f := range sortedKeysOf(mv[key].Files) {
			rep.Files = append(rep.Files, f)
			rep.Numbers = append(rep.Numbers, flatten(mv[key].Files[f], 60)...)
			rep.SHAP = append(rep.SHAP, shapValues(mv[key].Files[f])...)
		}
		if files, err := c.cfg.App.ArtifactFiles(ctx, rep.Artifact); err == nil {
			for _, f := range files {
				if strings.HasSuffix(f.Path, "report.html") {
					rep.HTML = f.Path
				}
			}
		}
		d.Reports = append(d.Reports, rep)
	}
	if d.Lineage, err = c.cfg.App.Lineage(ctx, ref); err != nil {
		return err
	}
	eps, err := c.cfg.App.Endpoints(ctx)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		for _, va := range ep.Config.Variants {
			if va.Group == ref.Group && va.Version == ref.Version {
				d.Endpoints = append(d.Endpoints, ep.Name)
				break
			}
		}
	}
	d.Flow, d.Links = lineageFlow(ver, d.Lineage, d.Endpoints)
	if ex := d.Lineage.Execution; ex != nil {
		// The Clarify reports of the execution that registered the
		// version: step outputs that hold a report.html.
		for _, st := range ex.Steps {
			for _, out := range sortedKeysOf(st.Outputs) {
				files, err := c.cfg.App.ArtifactFiles(ctx, st.Outputs[out])
				if err != nil {
					continue
				}
				for _, f := range files {
					if path.Base(f.Path) == "report.html" {
						d.StepReports = append(d.StepReports, stepReport{Step: st.Name, Output: out, Artifact: st.Outputs[out], File: f.Path})
					}
				}
			}
		}
	}
	return c.render(w, r, v, "version", fmt.Sprintf("%s version %d", ref.Group, ref.Version), d)
}

// lineageFlow draws a version's lineage: its input artifacts, the step and
// execution that registered it, the version, and the endpoints that serve
// it.
func lineageFlow(ver registry.Version, l app.Lineage, endpoints []string) (Graph, map[string]lineageNode) {
	links := map[string]lineageNode{}
	deps := map[string][]string{}
	var names []string
	add := func(id string, n lineageNode, after ...string) {
		names = append(names, id)
		links[id] = n
		deps[id] = after
	}
	var inputs []string
	for _, k := range sortedKeysOf(l.Inputs) {
		id := "in:" + k
		add(id, lineageNode{Label: k, Kind: "artifact", Href: "/artifacts/" + url.PathEscape(string(l.Inputs[k]))})
		inputs = append(inputs, id)
	}
	last := inputs
	if l.ExecutionID != "" {
		add("ex", lineageNode{Label: "execution " + short(l.ExecutionID), Kind: "execution", Href: "/executions/" + url.PathEscape(l.ExecutionID)}, inputs...)
		last = []string{"ex"}
		if l.Step != "" {
			add("step", lineageNode{Label: "step " + l.Step, Kind: "step", Href: "/executions/" + url.PathEscape(l.ExecutionID) + "/steps/" + url.PathEscape(l.Step)}, last...)
			last = []string{"step"}
		}
	}
	add("version", lineageNode{Label: fmt.Sprintf("%s v%d", ver.Group, ver.Version), Kind: "version",
		Href: fmt.Sprintf("/models/%s/versions/%d", url.PathEscape(ver.Group), ver.Version)}, last...)
	for _, ep := range endpoints {
		add("ep:"+ep, lineageNode{Label: ep, Kind: "endpoint", Href: "/endpoints/" + url.PathEscape(ep)}, "version")
	}
	const w = 270
	g := layout(names, deps, w)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		l := links[n.Name]
		n.Label, n.Href, n.Status = clip(l.Label, labelChars(w)), l.Href, l.Kind
	}
	return g, links
}

// shapValues finds Clarify's global SHAP values in an analysis document
// (explanations.*.*.global_shap_values), largest first.
func shapValues(raw json.RawMessage) []shapBar {
	var doc struct {
		Explanations map[string]map[string]struct {
			Global map[string]float64 `json:"global_shap_values"`
		} `json:"explanations"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []shapBar
	for _, method := range sortedKeysOf(doc.Explanations) {
		for _, label := range sortedKeysOf(doc.Explanations[method]) {
			for f, val := range doc.Explanations[method][label].Global {
				out = append(out, shapBar{Feature: f, Value: val})
			}
		}
		if len(out) > 0 {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := abs(out[i].Value), abs(out[j].Value); a != b {
			return a > b
		}
		return out[i].Feature < out[j].Feature
	})
	if len(out) > 20 {
		out = out[:20]
	}
	top := 0.0
	for _, b := range out {
		top = max(top, abs(b.Value))
	}
	for i := range out {
		if top > 0 {
			out[i].Width = 100 * abs(out[i].Value) / top
		}
	}
	return out
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// approval approves or rejects a version with the form's reason.
func (c *Console) approval(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ref, err := c.version(r)
	if err != nil {
		return err
	}
	var status registry.ApprovalStatus
	switch r.PostFormValue("decision") {
	case "approve":
		status = registry.Approved
	case "reject":
		status = registry.Rejected
	default:
		return &statusError{http.StatusBadRequest, "Choose approve or reject."}
	}
	if _, err := c.cfg.App.SetApproval(r.Context(), app.ApprovalRequest{Ref: ref, Status: status, By: v.Name,
		Reason: r.PostFormValue("reason")}); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/models/%s/versions/%d", url.PathEscape(ref.Group), ref.Version), http.StatusSeeOther)
	return nil
}
