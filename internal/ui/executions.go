package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/run"
)

// execRow is one row of the executions list.
type execRow struct {
	app.Execution
	Took time.Duration
}

type executionsData struct {
	Rows             []execRow
	Pipeline, Status string
	Statuses         []run.Status
	Pipelines        []string
	Limit            int
	Next, Prev       string // query strings, "" when none
	Offset           int
}

func (c *Console) executionsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	d := executionsData{Pipeline: q.Get("pipeline"), Status: q.Get("status"), Limit: app.DefaultPageSize,
		Statuses: []run.Status{run.Executing, run.Succeeded, run.Failed, run.Stopped, run.Interrupted}}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= 500 {
		d.Limit = n
	}
	d.Offset, _ = strconv.Atoi(q.Get("page"))
	d.Offset = max(d.Offset, 0)
	pg, err := c.cfg.App.ListExecutions(r.Context(), app.ListOptions{Pipeline: d.Pipeline, Status: run.Status(d.Status),
		Limit: d.Limit, PageToken: strconv.Itoa(d.Offset)})
	if err != nil {
		return err
	}
	now := c.cfg.Now()
	d.Rows = make([]execRow, 0, len(pg.Executions))
	for _, ex := range pg.Executions {
		end := now
		if ex.EndedAt != nil {
			end = *ex.EndedAt
		}
		d.Rows = append(d.Rows, execRow{Execution: ex, Took: end.Sub(ex.StartedAt)})
	}
	link := func(off int) string {
		u := url.Values{}
		if d.Pipeline != "" {
			u.Set("pipeline", d.Pipeline)
		}
		if d.Status != "" {
			u.Set("status", d.Status)
		}
		if d.Limit != app.DefaultPageSize {
			u.Set("limit", strconv.Itoa(d.Limit))
		}
		if off > 0 {
			u.Set("page", strconv.Itoa(off))
		}
		return "/executions?" + u.Encode()
	}
	if pg.NextPageToken != "" {
		d.Next = link(d.Offset + d.Limit)
	}
	if d.Offset > 0 {
		d.Prev = link(max(0, d.Offset-d.Limit))
	}
	if d.Pipelines, err = c.pipelineNames(r); err != nil {
		return err
	}
	return c.render(w, r, v, "executions", "Executions", d)
}

// namesTTL is how long the filter's list of pipeline names is reused:
// listing pipelines counts their executions, which costs more than the
// page itself on a home with many.
const namesTTL = 10 * time.Second

// pipelineNames returns the names of the pipelines, cached for namesTTL.
func (c *Console) pipelineNames(r *http.Request) ([]string, error) {
	now := c.cfg.Now()
	c.names.Lock()
	defer c.names.Unlock()
	if c.names.list != nil && now.Sub(c.names.at) < namesTTL && now.After(c.names.at) {
		return c.names.list, nil
	}
	ps, err := c.cfg.App.Pipelines(r.Context())
	if err != nil {
		return nil, err
	}
	list := make([]string, 0, len(ps))
	for _, p := range ps {
		list = append(list, p.Name)
	}
	sort.Strings(list)
	c.names.list, c.names.at = list, now
	return list, nil
}

// bar is one step of the timeline of durations.
type bar struct {
	Name, Status string
	Left, Width  float64 // percent of the execution's span
	Took         time.Duration
}

// paramField is one parameter of the "run again" form.
type paramField struct {
	Name, Value string
}

type executionData struct {
	Ex        app.Execution
	Graph     Graph
	Bars      []bar
	Took      time.Duration
	Params    []paramField
	Running   bool
	Resumable bool
	Summary   map[string]int
	GraphErr  string
}

// execution loads an execution with its graph and timeline.
func (c *Console) execution(r *http.Request, id string) (executionData, error) {
	ctx := r.Context()
	ex, err := c.cfg.App.Execution(ctx, id)
	if err != nil {
		return executionData{}, err
	}
	d := executionData{Ex: ex, Running: !ex.Status.Terminal(), Summary: map[string]int{}}
	d.Resumable = ex.Status == run.Failed || ex.Status == run.Stopped || ex.Status == run.Interrupted
	// The graph: every step of the definition, with its run's status.
	var names []string
	deps := map[string][]string{}
	if src, err := c.cfg.App.PipelineSource(ctx, ex.Pipeline, ex.PipelineDigest); err == nil {
		if p, err := c.cfg.App.Validate(ex.Pipeline, src); err == nil {
			for _, st := range p.Steps {
				names = append(names, st.Name)
				deps[st.Name] = p.Dependencies(st)
			}
		} else {
			d.GraphErr = "The definition of this pipeline version no longer validates; only the steps that ran are shown."
		}
	}
	if names == nil {
		for _, s := range ex.Steps {
			names = append(names, s.Name)
		}
	}
	d.Graph = Layout(names, deps)
	runs := map[string]app.StepRun{}
	for _, s := range ex.Steps {
		runs[s.Name] = s
	}
	for i := range d.Graph.Nodes {
		n := &d.Graph.Nodes[i]
		n.Href = "/executions/" + url.PathEscape(ex.ID) + "/steps/" + url.PathEscape(n.Name)
		if s, ok := runs[n.Name]; ok {
			n.Status, n.Attempts, n.Cache = string(s.Status), s.Attempts, s.Status == run.StepCacheHit
		}
		d.Summary[n.Status]++
	}
	// The timeline.
	end := c.cfg.Now()
	if ex.EndedAt != nil {
		end = *ex.EndedAt
	}
	d.Took = end.Sub(ex.StartedAt)
	span := float64(max(d.Took, time.Millisecond))
	for _, s := range ex.Steps {
		if s.StartedAt == nil {
			continue
		}
		se := end
		if s.EndedAt != nil {
			se = *s.EndedAt
		}
		took := se.Sub(*s.StartedAt)
		left := 100 * float64(s.StartedAt.Sub(ex.StartedAt)) / span
		width := 100 * float64(took) / span
		left = min(max(left, 0), 100)
		width = min(max(width, 0.5), 100-left)
		d.Bars = append(d.Bars, bar{Name: s.Name, Status: string(s.Status), Left: left, Width: width, Took: took})
	}
	for _, k := range sortedKeysOf(ex.Parameters) {
		d.Params = append(d.Params, paramField{Name: k, Value: valueText(ex.Parameters[k])})
	}
	return d, nil
}

func (c *Console) executionPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := c.execution(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.render(w, r, v, "execution", "Execution "+d.Ex.ID, d)
}

// executionLive streams the execution's events (app.Watch) as
// server-sent events named "status" and "step".
func (c *Console) executionLive(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	if _, err := c.cfg.App.Execution(r.Context(), id); err != nil {
		return err
	}
	es := newStream(w)
	err := c.cfg.App.Watch(r.Context(), id, func(e app.Event) error {
		name := "step"
		if e.Step == "" {
			name = "status"
		}
		return es.send(name, e)
	})
	if err != nil && r.Context().Err() == nil {
		c.cfg.Logger.Warn("console event stream", "execution", id, "err", err)
	}
	return es.send("end", map[string]string{})
}

// stream writes server-sent events.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newStream(w http.ResponseWriter) *stream {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	return &stream{w: w, rc: rc}
}

func (s *stream) send(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding an event: %w", err)
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

type stepData struct {
	Ex      app.Execution
	Step    app.StepRun
	Took    time.Duration
	Log     string
	LogNote string
	LogErr  string
	Offset  int64
	Live    bool
	Outputs []paramField
	Trials  *trialsView // a tuning step's trials (trials.go)
}

// maxLogShown bounds the log a step page shows inline (its end).
const maxLogShown = 256 << 10

func (c *Console) stepPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	ex, err := c.cfg.App.Execution(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	name := r.PathValue("step")
	d := stepData{Ex: ex}
	found := false
	for _, s := range ex.Steps {
		if s.Name == name {
			d.Step, found = s, true
		}
	}
	if !found {
		return fmt.Errorf("execution %s has no step run %q yet: %w", ex.ID, name, app.ErrNotFound)
	}
	if d.Step.StartedAt != nil {
		end := c.cfg.Now()
		if d.Step.EndedAt != nil {
			end = *d.Step.EndedAt
		}
		d.Took = end.Sub(*d.Step.StartedAt)
	}
	for _, k := range sortedKeysOf(d.Step.Outputs) {
		d.Outputs = append(d.Outputs, paramField{Name: k, Value: d.Step.Outputs[k]})
	}
	d.Live = !d.Step.Status.Done() && !ex.Status.Terminal()
	if d.Trials, err = c.trials(ctx, ex.ID, name); err != nil {
		return err
	}
	l, err := c.cfg.App.Log(ctx, ex.ID, name)
	switch {
	case errors.Is(err, app.ErrNotFound):
		d.LogErr = "No log yet."
	case err != nil:
		return err
	default:
		defer l.Close()
		b, err := io.ReadAll(l)
		if err != nil {
			return fmt.Errorf("reading the log of step %q: %w", name, err)
		}
		d.Offset = int64(len(b))
		if len(b) > maxLogShown {
			b = b[len(b)-maxLogShown:]
			d.LogNote = "(the beginning is cut: the whole log is one click away)"
		}
		d.Log = string(b)
		if l.Note != "" {
			d.LogNote = l.Note
		}
	}
	return c.render(w, r, v, "step", name+" · "+ex.ID, d)
}

// stepLog serves a step's whole log as text, or, with ?follow=OFFSET,
// streams it from that byte offset as "log" events until the step ends.
func (c *Console) stepLog(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, step := r.PathValue("id"), r.PathValue("step")
	if off := r.URL.Query().Get("follow"); off != "" {
		n, err := strconv.ParseInt(off, 10, 64)
		if err != nil || n < 0 {
			return &statusError{http.StatusBadRequest, "follow wants a byte offset, a whole number >= 0."}
		}
		if _, err := c.cfg.App.Step(r.Context(), id, step); err != nil {
			return err
		}
		es := newStream(w)
		err = c.cfg.App.TailLog(r.Context(), id, step, n, func(b []byte) error {
			return es.send("log", string(b))
		})
		if err != nil && r.Context().Err() == nil {
			c.cfg.Logger.Warn("console log tail", "execution", id, "step", step, "err", err)
		}
		return es.send("end", map[string]string{})
	}
	l, err := c.cfg.App.Log(r.Context(), id, step)
	if err != nil {
		return err
	}
	defer l.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.Copy(w, l)
	return err
}

type artifactData struct {
	Ref   string
	Files []app.File
}

func (c *Console) artifactPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ref := r.PathValue("ref")
	fs, err := c.cfg.App.ArtifactFiles(r.Context(), ref)
	if err != nil {
		return err
	}
	return c.render(w, r, v, "artifact", "Artifact "+short(ref), artifactData{Ref: ref, Files: fs})
}

// artifactFile serves one file of an artifact: shown in the browser when
// it is text or an image (HTML reports are sandboxed), downloaded
// otherwise or with ?download=1.
func (c *Console) artifactFile(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f, info, err := c.cfg.App.OpenArtifactFile(r.Context(), r.PathValue("ref"), r.PathValue("path"))
	if err != nil {
		return err
	}
	defer f.Close()
	ct := mime.TypeByExtension(path.Ext(info.Path))
	switch {
	case strings.HasSuffix(info.Path, ".json"), strings.HasSuffix(info.Path, ".csv"), strings.HasSuffix(info.Path, ".txt"),
		strings.HasSuffix(info.Path, ".log"), strings.HasSuffix(info.Path, ".yaml"):
		ct = "text/plain; charset=utf-8"
	case ct == "":
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	if strings.HasPrefix(ct, "text/html") {
		// A report is shown, but runs no script with the console's rights.
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	}
	if r.URL.Query().Get("download") != "" || ct == "application/octet-stream" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(info.Path)}))
	}
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// start starts an execution of a stored pipeline version with the form's
// parameters ("p.NAME" fields), then shows it.
func (c *Console) start(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := r.ParseForm(); err != nil {
		return &statusError{http.StatusBadRequest, "The form could not be read."}
	}
	params := map[string]string{}
	for k, vs := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "p."); ok && len(vs) > 0 {
			params[name] = vs[0]
		}
	}
	pipeline, digest := r.PostFormValue("pipeline"), r.PostFormValue("digest")
	if digest == "" {
		return &statusError{http.StatusBadRequest, "Choose a pipeline version to run."}
	}
	ex, err := c.cfg.App.Start(r.Context(), app.RunRequest{Name: c.definitionPath(r, pipeline, digest),
		Digest: digest, Params: params, NoCache: r.PostFormValue("no_cache") != ""})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/executions/"+url.PathEscape(ex.ID), http.StatusSeeOther)
	return nil
}

// definitionPath is the definition file of the latest execution of a
// pipeline version, so that a new run resolves its local paths (data
// files) as that one did; the pipeline's name when none has one.
func (c *Console) definitionPath(r *http.Request, pipeline, digest string) string {
	pg, err := c.cfg.App.ListExecutions(r.Context(), app.ListOptions{Pipeline: pipeline, Limit: 100})
	if err == nil {
		for _, ex := range pg.Executions {
			if ex.PipelineDigest == digest && ex.DefinitionPath != "" {
				return ex.DefinitionPath
			}
		}
	}
	return pipeline
}

func (c *Console) stop(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ex, err := c.cfg.App.Stop(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/executions/"+url.PathEscape(ex.ID), http.StatusSeeOther)
	return nil
}

func (c *Console) resume(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ex, err := c.cfg.App.StartResume(r.Context(), r.PathValue("id"), app.ResumeRequest{NoCache: r.PostFormValue("no_cache") != ""})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/executions/"+url.PathEscape(ex.ID), http.StatusSeeOther)
	return nil
}

type pipelineRow struct {
	app.Pipeline
	Versions []run.PipelineVersion
	Last     []app.Execution
	Params   []paramField
	Digest   string
}

func (c *Console) pipelinesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	ps, err := c.cfg.App.Pipelines(ctx)
	if err != nil {
		return err
	}
	rows := make([]pipelineRow, 0, len(ps))
	for _, p := range ps {
		row := pipelineRow{Pipeline: p}
		if row.Versions, err = c.cfg.App.PipelineVersions(ctx, p.Name); err != nil {
			return err
		}
		if len(row.Versions) > 0 {
			row.Digest = row.Versions[0].Digest
			if src, err := c.cfg.App.PipelineSource(ctx, p.Name, row.Digest); err == nil {
				if def, err := c.cfg.App.Validate(p.Name, src); err == nil {
					for _, prm := range def.Parameters {
						if prm.Secret {
							continue
						}
						val := ""
						if prm.HasDefault {
							val = valueText(prm.Default)
						}
						row.Params = append(row.Params, paramField{Name: prm.Name, Value: val})
					}
				}
			}
		}
		pg, err := c.cfg.App.ListExecutions(ctx, app.ListOptions{Pipeline: p.Name, Limit: 5})
		if err != nil {
			return err
		}
		row.Last = pg.Executions
		rows = append(rows, row)
	}
	return c.render(w, r, v, "pipelines", "Pipelines", rows)
}

func sortedKeysOf[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
