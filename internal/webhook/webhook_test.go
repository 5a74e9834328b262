package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// receiver is a real HTTP server on 127.0.0.1 that answers with the
// statuses given, one per request (the last one repeated), and records
// what it received.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	Event, Delivery, Signature, ContentType string
	Body                                    string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{Event: req.Header.Get(HeaderEvent), Delivery: req.Header.Get(HeaderDelivery),
			Signature: req.Header.Get(HeaderSignature), ContentType: req.Header.Get("Content-Type"), Body: string(b)})
		st := r.statuses[min(n, len(r.statuses)-1)]
		r.mu.Unlock()
		w.WriteHeader(st)
		_, _ = io.WriteString(w, http.StatusText(st))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// fakeSleep records the waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return ctx.Err()
}

func TestSend(t *testing.T) {
	t.Parallel()
	body := []byte(`{"monitor":"dq","violations":2}`)
	tests := []struct {
		name      string
		statuses  []int
		secret    string
		want      Delivery
		wantReqs  int
		wantWaits []time.Duration
		wantErr   string
	}{
		{name: "delivered", statuses: []int{200}, want: Delivery{Delivered: true, Attempts: 1, Status: 200}, wantReqs: 1},
		{name: "signed", statuses: []int{204}, secret: "s3cr3t", want: Delivery{Delivered: true, Attempts: 1, Status: 204, Signed: true}, wantReqs: 1},
		{name: "retried until it answers", statuses: []int{503, 500, 200}, want: Delivery{Delivered: true, Attempts: 3, Status: 200}, wantReqs: 3,
			wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "too many requests is retried", statuses: []int{429, 202}, want: Delivery{Delivered: true, Attempts: 2, Status: 202}, wantReqs: 2,
			wantWaits: []time.Duration{time.Second}},
		{name: "failing receiver gives up", statuses: []int{500}, want: Delivery{Attempts: 4, Status: 500}, wantReqs: 4,
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, wantErr: "answered 500 Internal Server Error"},
		{name: "client error is not retried", statuses: []int{400}, want: Delivery{Attempts: 1, Status: 400}, wantReqs: 1,
			wantErr: `answered 400 Bad Request: "Bad Request"`},
		{name: "redirect is not followed", statuses: []int{302}, want: Delivery{Attempts: 1, Status: 302}, wantReqs: 1, wantErr: "answered 302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t, tt.statuses...)
			fs := &fakeSleep{}
			s := &Sender{Sleep: fs.sleep}
			got := s.Send(t.Context(), rcv.URL+"/hook?token=abc", "monitor.violations", body, []byte(tt.secret))
			if !strings.Contains(got.Error, tt.wantErr) || (tt.wantErr == "") != (got.Error == "") {
				t.Errorf("error %q, want it to contain %q", got.Error, tt.wantErr)
			}
			tt.want.URL = rcv.URL + "/hook"
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Delivery{}, "ID", "Error")); diff != "" {
				t.Errorf("delivery (-want +got):\n%s", diff)
			}
			if strings.Contains(got.Error, "abc") {
				t.Errorf("error %q quotes the URL's query", got.Error)
			}
			reqs := rcv.requests()
			if len(reqs) != tt.wantReqs {
				t.Fatalf("receiver got %d requests, want %d", len(reqs), tt.wantReqs)
			}
			for _, r := range reqs {
				if r.Body != string(body) || r.Event != "monitor.violations" || r.Delivery != got.ID || r.ContentType != "application/json" {
					t.Errorf("request %+v: want the body, event, delivery id %s and JSON", r, got.ID)
				}
				switch {
				case tt.secret == "" && r.Signature != "":
					t.Errorf("unsigned delivery has signature %q", r.Signature)
				case tt.secret != "" && !Verify([]byte(tt.secret), []byte(r.Body), r.Signature):
					t.Errorf("signature %q does not verify", r.Signature)
				}
			}
			if diff := cmp.Diff(tt.wantWaits, fs.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	t.Parallel()
	rcv := httptest.NewServer(http.NotFoundHandler())
	addr := rcv.URL
	rcv.Close() // nothing listens there any more
	fs := &fakeSleep{}
	got := (&Sender{Sleep: fs.sleep, Attempts: 2}).Send(t.Context(), addr+"/x?key=k", "e", []byte("{}"), nil)
	if got.Delivered || got.Attempts != 2 || got.Status != 0 || got.Error == "" || strings.Contains(got.Error, "key=k") {
		t.Errorf("delivery %+v: want 2 failed attempts without a status, the error without the query", got)
	}
}

func TestSendCancelled(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 503)
	ctx, cancel := context.WithCancel(t.Context())
	s := &Sender{Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}
	got := s.Send(ctx, rcv.URL, "e", []byte("{}"), nil)
	if got.Delivered || got.Attempts != 1 || !strings.Contains(got.Error, "giving up") {
		t.Errorf("delivery %+v: want one attempt, then giving up", got)
	}
}

func TestValidateURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url, wantErr string
	}{
		{"https://hooks.example.com/ferry", ""},
		{"http://127.0.0.1:9000/", ""},
		{"ftp://example.com/", "want an http:// or https:// URL"},
		{"hooks.example.com/x", "want an http:// or https:// URL"},
		{"http:///path", "has no host"},
		{"http://a b/", "invalid character"},
		{"https://user:pw@example.com/?token=t", ""},
	} {
		err := ValidateURL(tt.url)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateURL(%q) = %v, want %q", tt.url, err, tt.wantErr)
		}
	}
	if got := Redact("https://user:pw@example.com/h?token=t#f"); got != "https://example.com/h" {
		t.Errorf("Redact = %q", got)
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	// The HMAC-SHA256 of "hello" keyed with "key", as `openssl dgst -sha256 -hmac key` computes it.
	const want = "sha256=9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"
	if got := Sign([]byte("key"), []byte("hello")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify([]byte("key"), []byte("hello"), want) || Verify([]byte("key"), []byte("hello!"), want) || Verify([]byte("other"), []byte("hello"), want) {
		t.Error("Verify accepts a wrong body or key, or refuses the right one")
	}
}
