package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/webhook"
)

// noEndpoints has no endpoint: every run fails, which is enough to check
// the webhook and its record (runs with violations are checked end to end
// in cmd/ferry's TestMonitorsEndToEnd).
type noEndpoints struct{}

func (noEndpoints) Endpoint(_ context.Context, name string) (registry.Endpoint, error) {
	return registry.Endpoint{}, fmt.Errorf("endpoint %q: %w", name, registry.ErrNotFound)
}

func (noEndpoints) Version(context.Context, registry.PackageRef) (registry.Version, error) {
	return registry.Version{}, registry.ErrNotFound
}

type hookRequest struct {
	header http.Header
	body   []byte
}

// hookReceiver is a real HTTP receiver on 127.0.0.1 answering status.
func hookReceiver(t *testing.T, status int) (*httptest.Server, func() []hookRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []hookRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, hookRequest{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []hookRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]hookRequest(nil), got...)
	}
}

// TestMonitorWebhook runs monitors whose runs fail (their endpoint is
// gone) against real receivers: the notification is posted and signed,
// a failing receiver is retried and then given up, a secret whose
// variable is unset sends nothing, and in every case the run is recorded
// with the delivery's outcome in its record and its event, and the
// secret appears in no record, event or log line.
func TestMonitorWebhook(t *testing.T) {
	t.Parallel()
	const secret = "hook-s3cr3t-value"
	tests := []struct {
		name         string
		status       int
		on           string
		secretEnv    string
		wantRequests int
		want         *webhook.Delivery // nil: no call
		wantErr      string
	}{
		{name: "delivered and signed", status: 200, on: monitor.WebhookOnAlways, secretEnv: "HOOK_SECRET", wantRequests: 1,
			want: &webhook.Delivery{Delivered: true, Attempts: 1, Status: 200, Signed: true}},
		{name: "unsigned", status: 202, on: monitor.WebhookOnAlways, wantRequests: 1,
			want: &webhook.Delivery{Delivered: true, Attempts: 1, Status: 202}},
		{name: "failing receiver", status: 500, on: monitor.WebhookOnAlways, secretEnv: "HOOK_SECRET", wantRequests: 3,
			want: &webhook.Delivery{Attempts: 3, Status: 500, Signed: true}, wantErr: "500 Internal Server Error"},
		{name: "secret variable unset", status: 200, on: monitor.WebhookOnAlways, secretEnv: "UNSET_SECRET",
			want: &webhook.Delivery{Signed: true}, wantErr: "UNSET_SECRET is not set"},
		{name: "only on violations", status: 200, on: monitor.WebhookOnViolations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := t.TempDir()
			db := openDB(t, filepath.Join(dir, "ferry.db"))
			store := sqlite.NewMonitorStore(db)
			srv, requests := hookReceiver(t, tt.status)
			hook := &monitor.Webhook{URL: srv.URL + "/hook?token=abc", On: tt.on}
			if tt.secretEnv != "" {
				hook.Secret = &monitor.EnvSecret{FromEnv: tt.secretEnv}
			}
			m := monitor.Monitor{Name: "dq", Endpoint: "gone", Type: monitor.DataQuality, CreatedAt: at("2026-01-01T00:00:00Z"),
				Config: monitor.Config{Webhook: hook}}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := store.CreateMonitor(ctx, m); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			now := at("2026-01-01T12:00:00Z")
			svc := &monitor.Service{Store: store, Endpoints: noEndpoints{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				Now: func() time.Time { return now }, ConsoleURL: "http://127.0.0.1:8080",
				Webhooks:  &webhook.Sender{Attempts: 3, Backoff: time.Millisecond},
				LookupEnv: func(name string) (string, bool) { return secret, name == "HOOK_SECRET" }}
			r, err := svc.RunNow(ctx, "dq", monitor.Window{From: now.Add(-time.Hour), To: now})
			if err == nil || r.Status != monitor.RunFailed {
				t.Fatalf("run %+v, %v: want a failed run", r, err)
			}
			runs, err := store.Runs(ctx, "dq", 0)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs %+v, %v: want the run recorded", runs, err)
			}
			got := runs[0].Webhook
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("webhook delivery %+v, want none", got)
			case tt.want != nil && got == nil:
				t.Fatal("no webhook delivery recorded")
			case tt.want != nil:
				if got.URL != srv.URL+"/hook" || got.Delivered != tt.want.Delivered || got.Attempts != tt.want.Attempts ||
					got.Status != tt.want.Status || got.Signed != tt.want.Signed || !strings.Contains(got.Error, tt.wantErr) {
					t.Errorf("webhook delivery %+v, want %+v with error %q", got, tt.want, tt.wantErr)
				}
			}
			reqs := requests()
			if len(reqs) != tt.wantRequests {
				t.Fatalf("receiver got %d requests, want %d", len(reqs), tt.wantRequests)
			}
			for _, req := range reqs {
				var n monitor.Notification
				if err := json.Unmarshal(req.body, &n); err != nil {
					t.Fatal(err)
				}
				if n.Event != monitor.EventRunFailed || n.Monitor != "dq" || n.Endpoint != "gone" || n.RunID != r.ID ||
					n.Status != monitor.RunFailed || !strings.Contains(n.Failure, "gone") || n.Violations.Count != 0 || !n.Window.To.Equal(now) {
					t.Errorf("notification %s", req.body)
				}
				if req.header.Get(webhook.HeaderEvent) != monitor.EventRunFailed || req.header.Get(webhook.HeaderDelivery) != got.ID {
					t.Errorf("headers %v", req.header)
				}
				sig := req.header.Get(webhook.HeaderSignature)
				if tt.secretEnv == "" && sig != "" || tt.secretEnv != "" && !webhook.Verify([]byte(secret), req.body, sig) {
					t.Errorf("signature %q (secret from %q)", sig, tt.secretEnv)
				}
			}
			events, err := sqlite.NewRegistryStore(db).Events(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ev *registry.Event
			for i := range events {
				if events[i].Type == monitor.EventRunFailed {
					ev = &events[i]
				}
			}
			if ev == nil || ev.Endpoint != "gone" {
				t.Fatalf("events %+v: want monitor.run_failed on endpoint gone", events)
			}
			var detail struct {
				Webhook *webhook.Delivery `json:"webhook"`
			}
			if err := json.Unmarshal([]byte(ev.Detail), &detail); err != nil {
				t.Fatal(err)
			}
			if (detail.Webhook == nil) != (tt.want == nil) || detail.Webhook != nil && *detail.Webhook != *got {
				t.Errorf("event's webhook %+v, want %+v", detail.Webhook, got)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "ferry.db"))
			if err != nil {
				t.Fatal(err)
			}
			wal, _ := os.ReadFile(filepath.Join(dir, "ferry.db-wal"))
			for what, b := range map[string][]byte{"database": raw, "database WAL": wal, "log": logs.Bytes(), "event": []byte(ev.Detail)} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("the %s holds the webhook secret", what)
				}
				if bytes.Contains(b, []byte("token=abc")) && what != "database" && what != "database WAL" {
					t.Errorf("the %s holds the webhook URL's query", what)
				}
			}
		})
	}
}
