package ui_test

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/ui"
)

// TestPagesGolden renders the main pages as an approver (who sees the
// approval form but not the operator's) and compares them with golden
// HTML.
func TestPagesGolden(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct{ name, path string }{
		{"executions", "/"},
		{"executions-filtered", "/executions?pipeline=uitest&status=Succeeded&limit=1"},
		{"execution", "/executions/" + f.ok[0]},
		{"execution-failed", "/executions/" + f.failed},
		{"step-failed", "/executions/" + f.failed + "/steps/broken"},
		{"step", "/executions/" + f.ok[0] + "/steps/write"},
		{"compare", "/compare?id=" + f.ok[0] + "&id=" + f.ok[1]},
		{"pipelines", "/pipelines"},
		{"groups", "/models"},
		{"group", "/models/" + group},
		{"version", "/models/" + group + "/versions/2"},
		{"endpoints", "/endpoints"},
		{"endpoint", "/endpoints/" + endpoint},
		{"notfound", "/executions/e-nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := f.do(t, auth.Approver, "GET", c.path, "")
			want := http.StatusOK
			if c.name == "notfound" {
				want = http.StatusNotFound
			}
			if w.Code != want {
				t.Fatalf("GET %s: %d, want %d\n%s", c.path, w.Code, want, w.Body)
			}
			golden(t, c.name, w.Body.String())
		})
	}
	t.Run("signin", func(t *testing.T) {
		t.Parallel()
		w := f.do(t, "", "GET", "/signin?next=/models", "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET /signin: %d", w.Code)
		}
		golden(t, "signin", w.Body.String())
	})
}

// consoleMatrix is the authorization matrix: the action each console
// route needs ("" for the public ones). Every route must be here, and
// every role is tried on every route.
var consoleMatrix = map[string]auth.Action{
	"GET /signin":           "",
	"POST /signin":          "",
	"POST /signout":         "",
	"GET /static/{file...}": "",

	"GET /{$}":                                         "read",
	"GET /executions":                                  "read",
	"POST /executions":                                 "operate",
	"GET /executions/{id}":                             "read",
	"GET /executions/{id}/live":                        "read",
	"POST /executions/{id}/stop":                       "operate",
	"POST /executions/{id}/resume":                     "operate",
	"GET /executions/{id}/steps/{step}":                "read",
	"GET /executions/{id}/steps/{step}/log":            "read",
	"GET /artifacts/{ref}":                             "read",
	"GET /artifacts/{ref}/files/{path...}":             "read",
	"GET /compare":                                     "read",
	"GET /pipelines":                                   "read",
	"GET /models":                                      "read",
	"GET /models/{group}":                              "read",
	"GET /models/{group}/versions/{version}":           "read",
	"POST /models/{group}/versions/{version}/approval": "approve",
	"GET /endpoints":                                   "read",
	"GET /endpoints/{name}":                            "read",
	"GET /endpoints/{name}/stats":                      "read",
	"POST /endpoints/{name}/invoke":                    "invoke",

	// A tuning step's trials (trials.go).
	"GET /executions/{id}/steps/{step}/trials/{trial}/log": "read",
}

// TestAuthorizationMatrix checks that every console route is in the
// matrix with the action it declares, and that each role x route answers
// as the role allows: 403 for a role that may not, 303 to the sign-in
// page (GET) or 401 (POST) without a token, and neither for a role that
// may.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f := setup(t)
	routes := ui.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		want, ok := consoleMatrix[key]
		if !ok {
			t.Errorf("route %s is not in the authorization matrix", key)
			continue
		}
		if rt.Action != want {
			t.Errorf("route %s needs %q; the matrix says %q", key, rt.Action, want)
		}
	}
	for key := range consoleMatrix {
		if !seen[key] {
			t.Errorf("the matrix names %s, which is not a console route", key)
		}
	}
	// Real values for the path's wildcards, so that allowed requests
	// reach their handler.
	ex, err := f.app.Execution(t.Context(), f.ok[0])
	if err != nil {
		t.Fatal(err)
	}
	out := ex.Steps[0].Outputs["text"]
	fill := strings.NewReplacer("{$}", "", "{id}", f.failed, "{step}", "broken", "{ref}", url.PathEscape(out),
		"{path...}", "word.txt", "{file...}", "console.css", "{group}", group, "{version}", "2", "{name}", endpoint, "{trial}", "1")
	forms := map[string]string{
		"POST /executions": "pipeline=uifail&digest=" + ex.PipelineDigest,
		"POST /models/{group}/versions/{version}/approval": "decision=reject&reason=matrix",
		"POST /endpoints/{name}/invoke":                    "body=1,2,3&content_type=text/csv",
	}
	for _, rt := range routes {
		if rt.Action == "" {
			continue
		}
		path := fill.Replace(rt.Pattern)
		if rt.Pattern == "/executions/{id}/live" || rt.Pattern == "/executions/{id}/steps/{step}/log" {
			path = strings.Replace(path, f.failed, f.ok[0], 1)
			path = strings.Replace(path, "broken", "write", 1)
		}
		for _, role := range append([]auth.Role{""}, auth.Roles()...) {
			form := forms[rt.Method+" "+rt.Pattern]
			if rt.Method == "POST" && role != "" {
				form = strings.TrimPrefix(form+"&csrf="+url.QueryEscape(f.csrf(t, role)), "&")
			}
			w := f.do(t, role, rt.Method, path, form)
			switch {
			case role == "" && rt.Method == "GET":
				if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/signin") {
					t.Errorf("%s %s without a token: %d (Location %q), want 303 to /signin", rt.Method, path, w.Code, w.Header().Get("Location"))
				}
			case role == "":
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s %s without a token: %d, want 401", rt.Method, path, w.Code)
				}
			case role.Can(rt.Action):
				if w.Code == http.StatusForbidden || w.Code == http.StatusUnauthorized || w.Code >= 500 {
					t.Errorf("%s %s as %s: %d, want it allowed\n%.600s", rt.Method, path, role, w.Code, w.Body)
				}
			default:
				if w.Code != http.StatusForbidden {
					t.Errorf("%s %s as %s: %d, want 403", rt.Method, path, role, w.Code)
				}
			}
		}
	}
}

// TestNotOffered: what a role may not do is not on its pages.
func TestNotOffered(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		path, marker string
		roles        []auth.Role // the roles that see it
	}{
		{"/models/" + group + "/versions/2", `value="approve"`, []auth.Role{auth.Approver, auth.Admin}},
		{"/executions/" + f.failed, `/resume"`, []auth.Role{auth.Operator, auth.Admin}},
		{"/executions/" + f.failed, `Run again with these parameters`, []auth.Role{auth.Operator, auth.Admin}},
		{"/pipelines", `action="/executions"`, []auth.Role{auth.Operator, auth.Admin}},
		{"/endpoints/" + endpoint, `/invoke"`, []auth.Role{auth.Invoker, auth.Operator, auth.Approver, auth.Admin}},
	}
	for _, c := range cases {
		for _, role := range auth.Roles() {
			w := f.do(t, role, "GET", c.path, "")
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s as %s: %d", c.path, role, w.Code)
			}
			want := false
			for _, r := range c.roles {
				want = want || r == role
			}
			if got := strings.Contains(w.Body.String(), c.marker); got != want {
				t.Errorf("GET %s as %s: offers %q = %v, want %v", c.path, role, c.marker, got, want)
			}
		}
	}
}

// TestCSRF: a form without the token, with another session's token or
// from another site is refused.
func TestCSRF(t *testing.T) {
	t.Parallel()
	f := setup(t)
	path := "/models/" + group + "/versions/2/approval"
	cases := []struct {
		name, form, origin string
		want               int
	}{
		{"none", "decision=approve&reason=x", "", http.StatusForbidden},
		{"other session", "decision=approve&reason=x&csrf=" + url.QueryEscape(f.csrf(t, auth.Admin)), "", http.StatusForbidden},
		{"other site", "decision=approve&reason=x&csrf=" + url.QueryEscape(f.csrf(t, auth.Approver)), "http://evil.example", http.StatusForbidden},
		{"good", "decision=approve&reason=x&csrf=" + url.QueryEscape(f.csrf(t, auth.Approver)), "http://example.com", http.StatusSeeOther},
	}
	for _, c := range cases {
		req := httptestRequest(t, path, c.form, f.tokens[auth.Approver])
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		w := serve(f, req)
		if w.Code != c.want {
			t.Errorf("%s: %d, want %d\n%.400s", c.name, w.Code, c.want, w.Body)
		}
	}
}

// TestSignIn: a good token sets an HttpOnly, SameSite=Strict cookie and
// goes on to the page asked for; a bad one is refused; the next page
// stays on this site.
func TestSignIn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(t, "", "POST", "/signin", "token="+url.QueryEscape(f.tokens[auth.Viewer])+"&next=/models")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/models" {
		t.Fatalf("sign-in: %d %q", w.Code, w.Header().Get("Location"))
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Value != f.tokens[auth.Viewer] {
		t.Fatalf("cookie: %+v", ck)
	}
	if w := f.do(t, "", "POST", "/signin", "token=nope&next=/"); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "not valid") {
		t.Errorf("bad token: %d", w.Code)
	}
	if w := f.do(t, "", "POST", "/signin", "token="+url.QueryEscape(f.tokens[auth.Viewer])+"&next=//evil.example/"); w.Header().Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %q", w.Header().Get("Location"))
	}
}

// TestPageWeight keeps the console light: its JavaScript and CSS,
// gzipped, stay under 150 KB.
func TestPageWeight(t *testing.T) {
	t.Parallel()
	const budget = 150 << 10
	total := 0
	err := filepath.WalkDir("static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".js" && ext != ".css" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		t.Logf("%s: %d bytes, %d gzipped", p, len(b), buf.Len())
		total += buf.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("JavaScript and CSS: %d bytes gzipped (budget %d)", total, budget)
	if total >= budget {
		t.Errorf("JavaScript and CSS weigh %d bytes gzipped; the budget is %d", total, budget)
	}
}

// TestInvokeExplain: the test-invoke form answers with the prediction
// and draws the record's SHAP values.
func TestInvokeExplain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	row, err := os.ReadFile("testdata/row.csv")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"body": {string(row)}, "content_type": {"text/csv"}, "explain": {"1"}, "csrf": {f.csrf(t, auth.Invoker)}}
	w := f.do(t, auth.Invoker, "POST", "/endpoints/"+endpoint+"/invoke", form.Encode())
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="invoke-result"`) || !strings.Contains(body, "the largest SHAP values") {
		t.Fatalf("invoke: %d\n%s", w.Code, body)
	}
	form.Set("body", "1,2")
	w = f.do(t, auth.Invoker, "POST", "/endpoints/"+endpoint+"/invoke", form.Encode())
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `class="alert"`) {
		t.Errorf("a bad record: %d, want the page with the error\n%.500s", w.Code, w.Body)
	}
}
