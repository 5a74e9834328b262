//go:build browser

package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// failDefinition is the second pipeline: its second step fails with a
// message in its log.
const failDefinition = `version: 1
name: broken-demo
steps:
  - name: load
    kind: command
    command: [/bin/sh, -c, 'echo loading claims']
  - name: join
    kind: command
    command: [/bin/sh, -c, 'echo "joining claims with customers"; echo "no such column: customer_id" >&2; exit 2']
    depends_on: [load]
`

// slowDefinition runs long enough to watch its graph change live.
const slowDefinition = `version: 1
name: slow-demo
steps:
  - name: nap
    kind: command
    command: [/bin/sh, -c, 'echo napping; sleep 2; echo awake']
    cache: {enabled: false}
  - name: after
    kind: command
    command: [/bin/sh, -c, 'echo done']
    depends_on: [nap]
    cache: {enabled: false}
`

const (
	qsGroup    = "fraud-detect-xgb-model-group"
	qsEndpoint = "fraud-detect-xgb-pipeline-endpoint"
)

// journey is a ferry server over a home where the quickstart and a
// failing pipeline have run, with a token per role, and a browser.
type journey struct {
	t       *testing.T
	bin     string
	home    string
	url     string
	tokens  map[string]string
	shots   string
	ctx     context.Context
	shotNum int
}

// ferry runs the ferry binary on the journey's home.
func (j *journey) ferry(args ...string) string {
	j.t.Helper()
	cmd := exec.Command(j.bin, args...)
	cmd.Env = append(os.Environ(), "FERRY_HOME="+j.home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		j.t.Fatalf("ferry %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startJourney builds ferry, lets prepare run pipelines on a fresh home,
// creates a token per role, and starts a server and a browser.
func startJourney(t *testing.T, prepare func(j *journey, dir string)) *journey {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no /usr/bin/chromium (apt-get install -y chromium)")
	}
	dir := t.TempDir()
	j := &journey{t: t, bin: filepath.Join(dir, "ferry"), home: filepath.Join(dir, "home"), tokens: map[string]string{}}
	build := exec.Command("go", "build", "-o", j.bin, "github.com/ferryml/ferry/cmd/ferry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building ferry: %v\n%s", err, out)
	}
	prepare(j, dir)
	for _, role := range []string{"viewer", "invoker", "operator", "approver"} {
		var sec struct {
			Token string `json:"token"`
		}
		out := j.ferry("tokens", "create", "--name", role+"-ann", "--role", role, "--output", "json")
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &sec); err != nil || sec.Token == "" {
			t.Fatalf("token for %s: %v %q", role, err, out)
		}
		j.tokens[role] = sec.Token
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(j.bin, "server", "--addr", addr, "--poll", "100ms")
	srv.Env = append(os.Environ(), "FERRY_HOME="+j.home)
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	j.url = "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(j.url + "/ping"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	j.shots = os.Getenv("FERRY_SCREENSHOTS")
	if j.shots == "" {
		j.shots = filepath.Join(os.TempDir(), "ferry-console-screenshots")
	}
	if err := os.MkdirAll(j.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(cancel)
	j.ctx = ctx
	return j
}

// prepareJourney runs the quickstart, a pipeline that fails and a slow
// one.
func prepareJourney(j *journey, dir string) {
	t := j.t
	j.ferry("quickstart")
	j.ferry("models", "groups", "set-endpoint", qsGroup, qsEndpoint)
	def := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(def, []byte(failDefinition), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(j.bin, "run", def)
	cmd.Env = append(os.Environ(), "FERRY_HOME="+j.home)
	_ = cmd.Run() // it fails, as it should
	slow := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(slow, []byte(slowDefinition), 0o644); err != nil {
		t.Fatal(err)
	}
	j.ferry("run", slow)
}

// run runs browser actions, failing the test on error.
func (j *journey) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, actions...); err != nil {
		j.failed(what, err)
	}
}

// failed ends the test with a screenshot of where the browser is.
func (j *journey) failed(what string, err error) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(j.ctx), 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(j.shots, "failure.png"), png, 0o644)
	}
	j.t.Fatalf("%s (at %s): %v", what, loc, err)
}

// get runs one browser action that returns a value.
func get[T any](j *journey, what string, a chromedp.Action[T]) T {
	j.t.Helper()
	v, err := chromedp.Run(j.ctx, a)
	if err != nil {
		j.failed(what, err)
	}
	return v
}

// shoot writes screenshots of the current page at 1280 and 390 pixels
// wide.
func (j *journey) shoot(name string) {
	j.t.Helper()
	j.shotNum++
	for _, w := range []int64{1280, 390} {
		j.run("viewport", chromedp.EmulateViewport(w, 900), chromedp.Sleep(150*time.Millisecond))
		png := get(j, "screenshot "+name, chromedp.FullScreenshot(100))
		file := filepath.Join(j.shots, fmt.Sprintf("%02d-%s-%d.png", j.shotNum, name, w))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			j.t.Fatal(err)
		}
	}
	j.run("viewport", chromedp.EmulateViewport(1280, 900))
}

func (j *journey) signIn(role string) {
	j.t.Helper()
	j.run("sign in as "+role,
		chromedp.Navigate(j.url+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), j.tokens[role]),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
}

func (j *journey) signOut() {
	j.t.Helper()
	j.run("sign out", chromedp.Navigate(j.url+"/models"), chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("#token")))
}

func (j *journey) text(sel string) string {
	j.t.Helper()
	return get(j, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// TestBrowserJourney drives the console's journey in Debian's chromium:
// start the quickstart pipeline and watch its graph go green, open a
// failed step's log in a second pipeline, compare two executions, open
// the bias report, approve a version as approver (the button absent as
// viewer), see the endpoint switch to it and invoke it from the form.
func TestBrowserJourney(t *testing.T) {
	j := startJourney(t, prepareJourney)
	j.run("sign-in page", chromedp.Navigate(j.url+"/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	j.shoot("signin")

	// An operator starts the quickstart pipeline, registering a version
	// that waits for approval.
	j.signIn("operator")
	j.run("pipelines", chromedp.Navigate(j.url+"/pipelines"), chromedp.WaitVisible(chromedp.CSS(`input[name="p.model_approval_status"]`)))
	j.shoot("pipelines")
	j.run("start the quickstart",
		chromedp.SetValue(chromedp.CSS(`section[aria-labelledby="pl-fraud-detect-xgb"] input[name="p.model_approval_status"]`), "PendingManualApproval"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="pl-fraud-detect-xgb"] form.params button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("svg.graph")),
	)
	loc := get(j, "location", chromedp.Location())
	if !strings.Contains(loc, "/executions/e-") {
		t.Fatalf("starting went to %s", loc)
	}
	// The graph goes green: the deploy step's node turns Succeeded and
	// the execution ends Succeeded (events, then the finished page).
	j.run("graph goes green",
		chromedp.WaitVisible(chromedp.CSS(`.graph .node[data-step="deploy"][data-status="Succeeded"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ex-status.ok`)),
		// The page reloads when the events end: wait for the finished one.
		chromedp.WaitVisible(chromedp.CSS(`#ex-status[data-live=""]`)),
	)
	if s := j.text("#ex-status"); s != "Succeeded" {
		t.Errorf("execution status %q, want Succeeded", s)
	}
	red := get(j, "red nodes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.graph .node.bad')].map(n => n.dataset.step)`))
	if len(red) > 0 {
		t.Errorf("failed nodes after the run: %v", red)
	}
	j.shoot("execution")

	// Live: a slow pipeline's step turns green on the page while the
	// execution still runs (before the page reloads at the end).
	j.run("start the slow pipeline",
		chromedp.Navigate(j.url+"/pipelines"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="pl-slow-demo"] form.params button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("svg.graph")),
	)
	live := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !live; {
		live = get(j, "live state", chromedp.Evaluate[bool](`(() => {
			const n = document.querySelector('.graph .node[data-step="nap"]');
			const b = document.getElementById('ex-status');
			return !!n && !!b && b.dataset.live === "1" && n.dataset.status === "Succeeded" && n.classList.contains("ok");
		})()`))
		time.Sleep(50 * time.Millisecond)
	}
	if !live {
		t.Errorf("the nap step did not turn green live")
	}
	j.run("slow pipeline ends", chromedp.WaitVisible(chromedp.CSS(`#ex-status.ok[data-live=""]`)))

	// The failed step of the second pipeline, with its log.
	j.run("the failed pipeline",
		chromedp.Navigate(j.url+"/executions?pipeline=broken-demo"),
		chromedp.Click(chromedp.CSS(`table.list tbody a[href^="/executions/e-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graph .node.bad[data-step="join"]`)),
	)
	j.shoot("execution-failed")
	j.run("open the failed step", chromedp.Click(chromedp.CSS(`.graph .node[data-step="join"]`)), chromedp.WaitVisible(chromedp.CSS("#log")))
	if log := j.text("#log"); !strings.Contains(log, "no such column: customer_id") {
		t.Errorf("the failed step's log does not say why:\n%s", log)
	}
	j.shoot("step-log")

	// Compare the two quickstart runs.
	j.run("compare",
		chromedp.Navigate(j.url+"/executions?pipeline=fraud-detect-xgb"),
		chromedp.Click(chromedp.CSS(`table.list tbody tr:nth-child(1) input[type=checkbox]`)),
		chromedp.Click(chromedp.CSS(`table.list tbody tr:nth-child(2) input[type=checkbox]`)),
		chromedp.Click(chromedp.CSS(`.bar button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("table.compare")),
	)
	if s := j.text("table.compare"); !strings.Contains(s, "model_approval_status") {
		t.Errorf("the comparison does not show the parameter that differs:\n%s", s)
	}
	j.shoot("compare")

	// A new version waits for approval; the endpoint serves version 2.
	var v1 struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal([]byte(j.ferry("models", "show", qsGroup+"/1", "--output", "json")), &v1); err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(j.home, "artifacts", "sha256", strings.TrimPrefix(v1.Model, "sha256:"))
	j.ferry("models", "register", qsGroup, modelDir, "--description", "retrained by hand")

	// The bias report of version 2.
	j.run("version 2", chromedp.Navigate(j.url+"/models/"+qsGroup+"/versions/2"), chromedp.WaitVisible(chromedp.CSS(`#r-bias_post_training`)))
	j.shoot("version")
	report := get(j, "bias report link", chromedp.AttributeValue(chromedp.CSS(`a.report-link[data-step="model-bias-check"]`), "href")).Value
	j.run("open the bias report", chromedp.Navigate(j.url+report), chromedp.WaitReady(chromedp.CSS("body")))
	title := get(j, "report title", chromedp.Title())
	t.Logf("bias report: %s (%q)", report, title)
	j.shoot("bias-report")
	j.signOut()

	// As viewer, there is no approve button.
	j.signIn("viewer")
	j.run("version 3 as viewer", chromedp.Navigate(j.url+"/models/"+qsGroup+"/versions/3"), chromedp.WaitVisible(chromedp.CSS("#approval-status")))
	n := get(j, "approve button", chromedp.Evaluate[int](`document.querySelectorAll('#approve').length`))
	if n != 0 {
		t.Errorf("a viewer is offered the approve button")
	}
	j.shoot("version-viewer")
	j.signOut()

	// As approver, approve version 3: the endpoint switches to it.
	j.signIn("approver")
	j.run("approve version 3",
		chromedp.Navigate(j.url+"/models/"+qsGroup+"/versions/3"),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "ROC-AUC holds, bias within bounds"),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS(`#approval-status.ok`)),
	)
	if s := j.text(".history"); !strings.Contains(s, "approver-ann") || !strings.Contains(s, "ROC-AUC holds") {
		t.Errorf("the history does not say who approved and why:\n%s", s)
	}
	j.shoot("version-approved")
	j.run("endpoint", chromedp.Navigate(j.url+"/endpoints/"+qsEndpoint), chromedp.WaitVisible(chromedp.CSS("#variants")))
	if s := j.text("#variants"); !strings.Contains(s, qsGroup+" v3") {
		t.Errorf("the endpoint does not serve version 3:\n%s", s)
	}
	rows, err := os.ReadFile(filepath.Join(j.home, "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	row := strings.SplitN(string(rows), "\n", 2)[0]
	j.run("invoke",
		chromedp.SetValue(chromedp.CSS("#body"), row),
		chromedp.Click(chromedp.CSS(`input[name=explain]`)),
		chromedp.Click(chromedp.CSS(`form.invoke button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".explained")),
	)
	if s := j.text(".explained"); !strings.Contains(s, "largest SHAP values") || !strings.Contains(s, "prediction") {
		t.Errorf("the explained answer shows no SHAP values:\n%s", s)
	}
	// Traffic for the charts: invocations through the runtime route while
	// the page samples the server's metrics.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 40 {
			req, _ := http.NewRequest("POST", j.url+"/endpoints/"+qsEndpoint+"/invocations", strings.NewReader(row+"\n"))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+j.tokens["invoker"])
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	j.run("charts sample", chromedp.Sleep(6500*time.Millisecond))
	<-done
	j.shoot("endpoint")
	t.Logf("screenshots in %s", j.shots)
}

// TestBrowserTrials drives a tuning step's page in chromium after the
// tuning example ran: every trial is a row of the table and a dot of the
// chart, the best trial's row is marked and carries the best objective,
// the best-so-far line is drawn, and a trial's log opens from its row.
func TestBrowserTrials(t *testing.T) {
	const trials = 8
	def, err := filepath.Abs("../../examples/fraud-detection/tuning.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := startJourney(t, func(j *journey, dir string) {
		j.ferry("run", def, "-p", fmt.Sprintf("max_trials=%d", trials))
	})
	j.signIn("viewer")
	j.run("the tuning execution",
		chromedp.Navigate(j.url+"/executions?pipeline=fraud-detect-xgb-tuning"),
		chromedp.Click(chromedp.CSS(`table.list tbody a[href^="/executions/e-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graph .node[data-step="tune"][data-status="Succeeded"]`)),
		chromedp.Click(chromedp.CSS(`.graph .node[data-step="tune"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.trials")),
	)
	type view struct {
		Rows, Dots, Best int
		Line             bool
		BestObjective    string
		Objectives       []string
	}
	got := get(j, "the trials view", chromedp.Evaluate[view](`(() => {
		const rows = [...document.querySelectorAll('table.trials tbody tr')];
		const best = rows.filter(r => r.classList.contains('best'));
		return {
			Rows: rows.length,
			Dots: document.querySelectorAll('.trials-chart circle.trial').length,
			Best: best.length,
			Line: !!document.querySelector('.trials-chart polyline.best'),
			BestObjective: best.length ? best[0].cells[2].textContent.trim() : "",
			Objectives: rows.map(r => r.cells[2].textContent.trim()),
		};
	})()`))
	if got.Rows != trials || got.Dots != trials || got.Best != 1 || !got.Line {
		t.Errorf("trials view: %d rows, %d dots, %d best rows, line %v; want %d, %d, 1, true", got.Rows, got.Dots, got.Best, got.Line, trials, trials)
	}
	best, err := strconv.ParseFloat(got.BestObjective, 64)
	if err != nil {
		t.Errorf("the best row's objective %q: %v", got.BestObjective, err)
	}
	for _, o := range got.Objectives {
		if v, err := strconv.ParseFloat(o, 64); err != nil || v > best {
			t.Errorf("trial objective %q: not a number, or beats the marked best %v", o, best)
		}
	}
	j.shoot("trials")
	j.run("a trial's log",
		chromedp.Click(chromedp.CSS(`table.trials tbody tr:first-child a[href$="/log"]`)),
		chromedp.WaitVisible(chromedp.CSS("body")),
	)
	if log := j.text("body"); !strings.Contains(log, "validation-auc") {
		t.Errorf("the first trial's log does not show its rounds:\n%.300s", log)
	}
}
