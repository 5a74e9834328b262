package clarify

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// reportPNG is where TestReportInChromium saves its screenshot for people
// to look at (FERRY_REPORT_PNG overrides it).
func reportPNG() string {
	if p := os.Getenv("FERRY_REPORT_PNG"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "ferry-clarify-report.png")
}

// writeFullReport runs bias, SHAP and PDP for the fraud model on 800 rows
// and returns the report's path.
func writeFullReport(t testing.TB) string {
	t.Helper()
	m := loadFraudModel(t)
	cfg, err := ParseConfig([]byte(`{"dataset_type":"text/csv","label":"fraud","label_values_or_threshold":[0],
		"facet":[{"name_or_index":"customer_gender_female","value_or_threshold":[1]}],
		"excluded_columns":["predicted_fraud"],"probability_threshold":0.5,
		"methods":{"pre_training_bias":{"methods":"all"},"post_training_bias":{"methods":["DPPL","DI","AD","RD"]},
		"shap":{"num_samples":100,"agg_method":"mean_abs","seed":42},
		"pdp":{"top_k_features":3,"grid_resolution":10},
		"report":{"name":"report","title":"Fraud model analysis"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rows := 800
	if raceEnabled {
		rows = 60
	}
	if _, err := Run(t.Context(), cfg, headRows(t, fraudData, rows), FromModel(m), out, Options{}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, "report.html")
}

// checkSelfContained checks that the report loads nothing: no scripts,
// no external references.
func checkSelfContained(t *testing.T, report string) {
	t.Helper()
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, bad := range []string{"<script", "src=", "<link", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q: it must not load anything", bad)
		}
	}
	for _, want := range []string{"Fraud model analysis", "Difference in Positive Proportions in Predicted Labels (DPPL)", "[-1, 1]", `class="shap-chart"`, `class="pdp-chart"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func chromium(ctx context.Context, t *testing.T, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, "/usr/bin/chromium", append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReport checks that report.html is self-contained, then renders it
// in headless Chromium: the rendered DOM holds the bias tables, the SHAP
// bar chart (one bar per feature) and the PDP charts; a screenshot is
// saved to reportPNG().
func TestReport(t *testing.T) {
	t.Parallel()
	report := writeFullReport(t)
	checkSelfContained(t, report)
	if testing.Short() {
		t.Skip("rendering in a browser is skipped with -short")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("chromium is not installed at /usr/bin/chromium: report rendering not checked")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	url := "file://" + report
	dom := string(chromium(ctx, t, "--dump-dom", url))
	counts := map[string]*regexp.Regexp{
		"shap chart":  regexp.MustCompile(`<svg[^>]*class="shap-chart"`),
		"shap bars":   regexp.MustCompile(`<rect class="bar" x="220"`),
		"pdp charts":  regexp.MustCompile(`<svg[^>]*class="pdp-chart"`),
		"pdp lines":   regexp.MustCompile(`<polyline class="line" points="[0-9]`),
		"bias tables": regexp.MustCompile(`<table class="bias-metrics">`),
		"metric rows": regexp.MustCompile(`<td title="(CI|DPL|DPPL|DI|AD|RD|KL|JS|LP|TVD|KS|CDDL)">`),
	}
	want := map[string]int{"shap chart": 1, "shap bars": 48, "pdp charts": 3, "pdp lines": 3, "bias tables": 2, "metric rows": 12}
	for name, re := range counts {
		if got := len(re.FindAllString(dom, -1)); got != want[name] {
			t.Errorf("rendered DOM has %d %s, want %d", got, name, want[name])
		}
	}
	png := reportPNG()
	chromium(ctx, t, "--screenshot="+png, "--window-size=1200,2400", "--hide-scrollbars", url)
	st, err := os.Stat(png)
	if err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %s missing or too small: %v", png, err)
	}
	t.Logf("report screenshot: %s", png)
}
