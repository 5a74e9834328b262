package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/serving"
)

// statusError is an error page with its status and a message for the
// visitor.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// page is what every template receives.
type page struct {
	Title string
	Nav   string // the section: executions, pipelines, models, endpoints
	V     *viewer
	D     any
}

var funcs = template.FuncMap{
	"time":      timeTag,
	"dur":       durText,
	"short":     short,
	"pathesc":   url.PathEscape,
	"queryesc":  url.QueryEscape,
	"json":      jsonText,
	"val":       valueText,
	"glimpse":   glimpse,
	"pct":       func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"lower":     strings.ToLower,
	"statusCls": statusClass,
	"took": func(start, end *time.Time) string {
		if start == nil || end == nil {
			return ""
		}
		return durText(end.Sub(*start))
	},
	"sortedKeys": func(m map[string]any) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing the templates: %w", err)
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", n, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page into a buffer first, so that a template error
// becomes an error page rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, v *viewer, name, title string, data any) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("rendering page %q: no such template", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", page{Title: title, Nav: navOf(name), V: v, D: data}); err != nil {
		return fmt.Errorf("rendering page %q: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

func navOf(name string) string {
	switch name {
	case "executions", "execution", "step", "compare", "artifact":
		return "executions"
	case "pipelines":
		return "pipelines"
	case "groups", "group", "version":
		return "models"
	case "endpoints", "endpoint":
		return "endpoints"
	}
	return ""
}

// fail renders err as an error page with its status; unknown errors are
// logged and shown as a 500 without their details.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return
		}
		c.cfg.Logger.Error("console request", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Something went wrong on the server; its log says what."
	}
	if v == nil {
		v = &viewer{signIn: !c.open(r.Context())}
	}
	t := c.pages["error"]
	var buf bytes.Buffer
	if t == nil || t.ExecuteTemplate(&buf, "layout.html", page{Title: http.StatusText(status), V: v, D: msg}) != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// classify maps an error to a status and the message shown.
func classify(err error) (int, string) {
	var (
		se  *statusError
		fe  *auth.ForbiddenError
		ipe *app.InvalidPipelineError
		sve *serving.StatusError
	)
	switch {
	case errors.As(err, &se):
		return se.status, se.msg
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized, "Sign in first."
	case errors.As(err, &fe):
		return http.StatusForbidden, err.Error()
	case errors.As(err, &ipe):
		return http.StatusBadRequest, err.Error()
	case errors.As(err, &sve):
		return sve.Status, err.Error()
	case errors.Is(err, app.ErrNotFound), errors.Is(err, run.ErrNotFound), errors.Is(err, run.ErrPipelineNotFound),
		errors.Is(err, registry.ErrNotFound), errors.Is(err, artifact.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, app.ErrInvalid), errors.Is(err, registry.ErrInvalid), errors.Is(err, engine.ErrSourceWithoutSelection):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, app.ErrConflict), errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, err.Error()
	}
	return http.StatusInternalServerError, ""
}

// timeTag renders a time in UTC inside <time datetime>, which the
// console's script rewrites in the reader's time zone.
func timeTag(t any) template.HTML {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return ""
		}
		tt = *x
	default:
		return ""
	}
	if tt.IsZero() {
		return ""
	}
	u := tt.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `">` + u.Format("2006-01-02 15:04:05") + ` UTC</time>`)
}

// durText shows a duration rounded for reading.
func durText(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// short shows the first 12 characters of a digest or reference (without
// its "sha256:" prefix).
func short(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// glimpseRunes is how much of a long property value the step page shows
// before the reader opens it.
const glimpseRunes = 160

// glimpse is the start of a value too long to show whole (SageMaker-shaped
// properties such as TrainingJobSummaries run to kilobytes), or "" when
// the value is short enough to show as it is.
func glimpse(s string) string {
	r := []rune(s)
	if len(r) <= glimpseRunes+40 {
		return ""
	}
	return string(r[:glimpseRunes]) + "…"
}

func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// valueText shows a parameter or property value: scalars as they are,
// the rest as compact JSON.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return fmt.Sprintf("%.6g", x)
	case int, int64, bool:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// statusClass names the CSS class of an execution or step status.
func statusClass(s any) string {
	switch fmt.Sprint(s) {
	case "Succeeded", "CacheHit", "Approved", "InService":
		return "ok"
	case "Failed", "Rejected", "Interrupted":
		return "bad"
	case "Executing", "Stopping", "Starting", "Creating", "Updating":
		return "run"
	}
	return "idle"
}
