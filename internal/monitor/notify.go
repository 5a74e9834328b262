package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/webhook"
)

// Webhook names a receiver that a monitor's runs are posted to.
type Webhook struct {
	// URL is the receiver (http or https).
	URL string `json:"url"`
	// Secret signs each delivery with HMAC-SHA256 (the
	// X-Ferry-Signature-256 header). It is never stored: only the name of
	// the environment variable of the process running the monitor that
	// holds it, {"from_env": "NAME"}.
	Secret *EnvSecret `json:"secret,omitempty"`
	// On is WebhookOnViolations (the default: runs that found violations)
	// or WebhookOnAlways (every run, failed ones too).
	On string `json:"on,omitempty"`
}

// When a monitor's webhook is called.
const (
	WebhookOnViolations = "violations"
	WebhookOnAlways     = "always"
)

// EnvSecret is a secret taken from the environment: {"from_env": "NAME"}.
type EnvSecret struct {
	FromEnv string `json:"from_env"`
}

// UnmarshalJSON reads {"from_env": "NAME"} and refuses a secret given as
// text, which would be stored.
func (e *EnvSecret) UnmarshalJSON(b []byte) error {
	var v struct {
		FromEnv string `json:"from_env"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf(`webhook secret: want {"from_env": "NAME"}, the environment variable of the server that holds it (a secret is never stored)`)
	}
	e.FromEnv = v.FromEnv
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// Validate checks a webhook's URL, secret and On.
func (w *Webhook) Validate() error {
	if err := webhook.ValidateURL(w.URL); err != nil {
		return err
	}
	if w.Secret != nil && !envName.MatchString(w.Secret.FromEnv) {
		return fmt.Errorf("webhook secret {from_env: %q}: want an environment variable name", w.Secret.FromEnv)
	}
	switch w.On {
	case "", WebhookOnViolations, WebhookOnAlways:
	default:
		return fmt.Errorf("webhook on %q: want %s or %s", w.On, WebhookOnViolations, WebhookOnAlways)
	}
	return nil
}

// calls reports whether the webhook is called for a run that ended as r.
func (w *Webhook) calls(r Run) bool {
	if w.On == WebhookOnAlways {
		return true
	}
	return r.Status == RunCompletedWithViolations
}

// Notifier delivers webhook calls; *webhook.Sender implements it.
type Notifier interface {
	Send(ctx context.Context, url, event string, body, secret []byte) webhook.Delivery
}

// Notification is the JSON body a monitor's webhook receives.
type Notification struct {
	// Event is the run's event type (monitor.violations,
	// monitor.run_completed or monitor.run_failed).
	Event    string    `json:"event"`
	Monitor  string    `json:"monitor"`
	Type     Type      `json:"type"`
	Endpoint string    `json:"endpoint"`
	RunID    int64     `json:"run_id"`
	Status   RunStatus `json:"status"`
	Window   Window    `json:"window"`
	Records  int64     `json:"records"`
	// Violations summarises constraint_violations.json.
	Violations ViolationSummary `json:"violations"`
	Failure    string           `json:"failure_reason,omitempty"`
	// Output is the run's output artifact; Report links to its
	// report.html in the console (a path on the server when the server's
	// URL is not known).
	Output artifact.Ref `json:"output,omitempty"`
	Report string       `json:"report,omitempty"`
	SentAt time.Time    `json:"sent_at"`
}

// ViolationSummary counts a run's violations by check and names the
// features; First holds the first MaxNotifiedViolations of them.
type ViolationSummary struct {
	Count    int            `json:"count"`
	Checks   map[string]int `json:"checks"`
	Features []string       `json:"features"`
	First    []Violation    `json:"first"`
}

// MaxNotifiedViolations bounds the violations a notification quotes.
const MaxNotifiedViolations = 20

func summarize(vs []Violation) ViolationSummary {
	s := ViolationSummary{Count: len(vs), Checks: map[string]int{}, Features: []string{}, First: []Violation{}}
	seen := map[string]bool{}
	for i, v := range vs {
		s.Checks[v.ConstraintCheckType]++
		name := v.FeatureName
		if name == "" {
			name = v.MetricName
		}
		if name != "" && !seen[name] {
			seen[name] = true
			s.Features = append(s.Features, name)
		}
		if i < MaxNotifiedViolations {
			s.First = append(s.First, v)
		}
	}
	sort.Strings(s.Features)
	return s
}

// eventType is the event a finished run writes.
func eventType(r Run) string {
	switch {
	case r.Status == RunFailed:
		return EventRunFailed
	case r.Violations > 0:
		return EventViolations
	}
	return EventRunCompleted
}

// EventType is the event type a finished run writes to the event log.
func (r Run) EventType() string { return eventType(r) }

// ReportPath is the console's path of a run output's report.html.
func ReportPath(output artifact.Ref) string {
	if output == "" {
		return ""
	}
	return "/artifacts/" + url.PathEscape(string(output)) + "/files/" + ReportFile
}

// notify calls m's webhook for the finished run r, when it has one that
// this run calls; nil otherwise. A delivery that fails is reported in
// the result, never as an error: the run is recorded either way.
func (s *Service) notify(ctx context.Context, m Monitor, r Run, vs []Violation) *webhook.Delivery {
	w := m.Config.Webhook
	if w == nil || !w.calls(r) {
		return nil
	}
	n := Notification{Event: eventType(r), Monitor: m.Name, Type: m.Type, Endpoint: m.Endpoint, RunID: r.ID, Status: r.Status,
		Window: r.Window, Records: r.Records, Violations: summarize(vs), Failure: r.Failure, Output: r.Output, SentAt: s.now()}
	if p := ReportPath(r.Output); p != "" {
		n.Report = strings.TrimSuffix(s.ConsoleURL, "/") + p
	}
	body, err := json.Marshal(n)
	if err != nil {
		return &webhook.Delivery{URL: webhook.Redact(w.URL), Error: "encoding the notification: " + err.Error()}
	}
	var secret []byte
	if w.Secret != nil {
		lookup := s.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		v, ok := lookup(w.Secret.FromEnv)
		if !ok || v == "" {
			// Never send unsigned what the receiver expects signed.
			return &webhook.Delivery{URL: webhook.Redact(w.URL), Signed: true,
				Error: fmt.Sprintf("the webhook secret's variable %s is not set in this process's environment: not sent", w.Secret.FromEnv)}
		}
		secret = []byte(v)
	}
	sender := s.Webhooks
	if sender == nil {
		sender = &webhook.Sender{}
	}
	d := sender.Send(ctx, w.URL, n.Event, body, secret)
	log := s.logger().With("monitor", m.Name, "run", r.ID, "webhook", d.URL, "attempts", d.Attempts)
	if d.Delivered {
		log.InfoContext(ctx, "webhook delivered", "status", d.Status)
	} else {
		log.WarnContext(ctx, "webhook not delivered", "err", d.Error)
	}
	return &d
}

// validateWebhook is Monitor.Validate's check of the webhook.
func validateWebhook(w *Webhook) error {
	if w == nil {
		return nil
	}
	if err := w.Validate(); err != nil {
		return fmt.Errorf("%w: %w", err, registry.ErrInvalid)
	}
	return nil
}
