package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// TestMonitorMarks checks the endpoints' marks: the endpoint whose
// data-quality monitor's latest run found violations is marked on the
// list and its page, the mark links to that run's report, which a viewer
// can open (sandboxed), and the model-quality monitor, whose latest run
// found none, is not shown.
func TestMonitorMarks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	href := regexp.MustCompile(`class="badge bad monitor-mark" href="([^"]+)"`)
	var links []string
	for _, path := range []string{"/endpoints", "/endpoints/" + endpoint} {
		w := f.do(t, auth.Viewer, "GET", path, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
		body := w.Body.String()
		m := href.FindAllStringSubmatch(body, -1)
		if len(m) != 1 || !strings.Contains(body, "dq: 4 violations") || strings.Contains(body, "mq:") {
			t.Fatalf("GET %s: want one mark, of monitor dq:\n%s", path, body)
		}
		links = append(links, m[0][1])
	}
	if links[0] != links[1] || !strings.HasSuffix(links[0], "/files/report.html") {
		t.Fatalf("mark links %q: want the run's report on both pages", links)
	}
	w := f.do(t, auth.Viewer, "GET", links[0], "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Monitoring report") ||
		!strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("GET %s: %d %v\n%s", links[0], w.Code, w.Header(), w.Body)
	}
}
