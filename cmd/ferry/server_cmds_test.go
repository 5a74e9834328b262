package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

// A client that sends its body slowly, or never reads the answer, must not
// hold a handler goroutine forever: the read and write timeouts end it.
func TestServerTimeoutsEndSlowReadsAndStuckWrites(t *testing.T) {
	t.Parallel()
	readDone := make(chan error, 1)
	writeDone := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slow-body", func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readDone <- err
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		buf := bytes.Repeat([]byte("x"), 1<<20)
		var err error
		for i := 0; i < 1024 && err == nil; i++ {
			_, err = w.Write(buf)
		}
		writeDone <- err
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- api.Serve(ctx, ln, mux, api.ServeOptions{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	}()
	defer func() {
		cancel()
		<-served
	}()

	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Headers promise 100 bytes; only 10 arrive.
	c := dial()
	fmt.Fprintf(c, "POST /slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	select {
	case err := <-readDone:
		if err == nil {
			t.Error("reading a body that never completes: want an error")
		}
	case <-time.After(5 * time.Second):
		t.Error("a slow body sender held the handler for 5s; want the read timeout to end it")
	}
	// A client that never reads a large answer.
	c = dial()
	fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-writeDone:
		if err == nil {
			t.Error("writing to a client that never reads: want an error")
		}
	case <-time.After(5 * time.Second):
		t.Error("a client that never reads held the handler for 5s; want the write timeout to end it")
	}
}

type constPredictor struct{}

func (constPredictor) NumFeatures() int { return 1 }
func (constPredictor) NumOutputs() int  { return 1 }
func (constPredictor) Predict(dst, x []float64) {
	for i := range dst {
		dst[i] = 0.5
	}
}

// A model loader that panics while `ferry server` reloads endpoints is a
// load error: the process survives and the previous config keeps serving.
func TestServerSurvivesPanickingModelLoader(t *testing.T) {
	t.Parallel()
	good := artifact.Ref(fmt.Sprintf("sha256:%064x", 1))
	bad := artifact.Ref(fmt.Sprintf("sha256:%064x", 2))
	srv, err := serving.NewServer(func(_ context.Context, ref artifact.Ref) (*serving.Model, error) {
		if ref == bad {
			panic("index out of range [3] with length 3")
		}
		return &serving.Model{Predictor: constPredictor{}}, nil
	}, serving.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ep := func(version int, ref artifact.Ref) registry.Endpoint {
		return registry.Endpoint{Name: "ep", ConfigVersion: version, Config: registry.EndpointConfig{
			Variants: []registry.Variant{{Name: registry.DefaultVariant, Group: "g", Version: version, Model: ref, Weight: 1, InstanceCount: 1}}}}
	}
	if err := srv.Apply(t.Context(), []registry.Endpoint{ep(1, good)}, nil); err != nil {
		t.Fatal(err)
	}
	var status registry.EndpointStatus
	var reason string
	err = srv.Apply(t.Context(), []registry.Endpoint{ep(2, bad)}, func(_ string, _ int, st registry.EndpointStatus, r string) {
		status, reason = st, r
	})
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("Apply with a panicking loader: err = %v, want a load error naming the panic", err)
	}
	if status != registry.EndpointFailed || !strings.Contains(reason, "config 1 keeps serving") {
		t.Errorf("reported %s %q, want Failed with config 1 still serving", status, reason)
	}
}

// TestServerLinksNameTheBoundPort: with --addr 127.0.0.1:0 the links the
// server puts in monitor reports and webhooks carry the port the kernel
// chose, not 0.
func TestServerLinksNameTheBoundPort(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &syncBuffer{}
	env := map[string]string{"FERRY_HOME": artifacttest.TempDir(t)}
	m := NewMain(strings.NewReader(""), io.Discard, stderr, func(k string) string { return env[k] })
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"server", "--addr", "127.0.0.1:0"}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("server exit %d: %s", code, stderr.String())
		}
	}()
	addrRE := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// The log line is written after m.consoleURL, and syncBuffer's
		// lock orders the two.
		if mm := addrRE.FindStringSubmatch(stderr.String()); mm != nil {
			if m.consoleURL != mm[1] {
				t.Errorf("links name %q; the server listens on %s", m.consoleURL, mm[1])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", stderr.String())
		}
	}
}
