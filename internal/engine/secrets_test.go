package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/auth/authtest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

const (
	secretParam = "pw-Quux-7391-param"
	secretEnv   = "pw-Zork-2207-env"
)

const secretsSrc = `
version: 1
name: secrets
parameters:
  token: {secret: true}
  word: {default: plain}
steps:
  - name: echo
    kind: echo
    text: "token=${{ params.token }} word=${{ params.word }}"
    env: {API_KEY: {from_env: FERRY_TEST_KEY}}
  - name: after
    kind: echo
    text: "${{ steps.echo.properties.seen }}"
    depends_on: [echo]
`

// echoKind prints its arguments to the step log, returns them as the
// property "seen", and fails its first attempt with them in the error
// while fail is set.
func echoKind(fail *atomic.Bool) *fakeKind {
	k := &fakeKind{spec: step.Spec{
		Kind: "echo", Version: "1",
		Args:       []step.Field{{Name: "text", Type: step.String}, {Name: "env", Type: step.StringMap}},
		Properties: []step.Field{{Name: "seen", Type: step.String}},
	}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		seen := fmt.Sprintf("%v %v", req.Args["text"], req.Args["env"])
		// Byte by byte: a secret split across writes must be masked too.
		for _, c := range []byte("program says: " + seen + "\n") {
			env.Log.Write([]byte{c})
		}
		if fail != nil && fail.Load() {
			return step.Result{}, step.Permanent(errors.New("bad credentials: " + seen))
		}
		return step.Result{Properties: map[string]any{"seen": seen}}, nil
	}
	return k
}

func secretBundle(t *testing.T, fail *atomic.Bool) (*bundle, *fakeKind) {
	t.Helper()
	echo := echoKind(fail)
	b := setup(t, echo)
	keys, err := auth.NewKeyring(bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FERRY_TEST_KEY": secretEnv}
	b.eng.Keys = func() (engine.Keys, error) { return keys, nil }
	b.eng.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return b, echo
}

func TestSecretsAreMaskedEverywhereTheEngineWrites(t *testing.T) {
	t.Parallel()
	b, echo := secretBundle(t, nil)
	ex, rs := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	if ex.Status != run.Succeeded {
		t.Fatalf("run: %s %s", ex.Status, ex.FailureReason)
	}
	// The steps saw the values.
	if got := echo.runs.Load(); got != 2 {
		t.Fatalf("echo ran %d times", got)
	}
	// The records show masks.
	if ex.Params["token"] != pipeline.SecretMask || ex.Overrides["token"] != pipeline.SecretMask || ex.Params["word"] != "plain" {
		t.Errorf("execution params %v, overrides %v", ex.Params, ex.Overrides)
	}
	if got, want := rs["echo"].Properties["seen"], "token=*** word=plain map[API_KEY:***]"; got != want {
		t.Errorf("echo.seen = %q, want %q", got, want)
	}
	if !strings.Contains(rs["echo"].CacheInputs, `"secrets":"`) || !strings.Contains(rs["echo"].CacheInputs, "token=***") {
		t.Errorf("cache inputs %s: want masked arguments and a secrets hash", rs["echo"].CacheInputs)
	}
	log, err := os.ReadFile(b.eng.LogPath(ex.ID, "echo"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "program says: token=*** word=plain map[API_KEY:***]") {
		t.Errorf("log:\n%s", log)
	}
	for _, ev := range b.events.all() {
		authtest.AssertAbsent(t, "event "+ev.Message, []byte(ev.Message), secretParam, secretEnv)
	}
	// The database stays open, so its -wal file is read as it is.
	if n := authtest.AssertAbsentUnder(t, b.home, secretParam, secretEnv); n < 3 {
		t.Errorf("read %d files under the home, want ferry.db, its -wal and logs", n)
	}
	for _, f := range []string{"ferry.db", "ferry.db-wal"} {
		if _, err := os.Stat(b.home + "/" + f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSecretsKeyTheCacheThroughAKeyedHash(t *testing.T) {
	t.Parallel()
	b, echo := secretBundle(t, nil)
	run1, _ := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	run2, rs2 := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	if run1.Status != run.Succeeded || run2.Status != run.Succeeded {
		t.Fatalf("runs: %s, %s", run1.Status, run2.Status)
	}
	if rs2["echo"].Status != run.StepCacheHit {
		t.Errorf("same secret: echo %s (%s), want CacheHit", rs2["echo"].Status, rs2["echo"].CacheNote)
	}
	run3, rs3 := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": "another-secret-value"}})
	if run3.Status != run.Succeeded || rs3["echo"].Status != run.StepSucceeded {
		t.Fatalf("other secret: %s, echo %s", run3.Status, rs3["echo"].Status)
	}
	if note := rs3["echo"].CacheNote; !strings.Contains(note, "secret values") || strings.Contains(note, "another-secret-value") {
		t.Errorf("cache note %q: want 'secret values' changed, without the value", note)
	}
	if rs3["echo"].CacheKey == rs2["echo"].CacheKey {
		t.Error("a different secret gives the same cache key")
	}
	// Another keyring (another home) keys the same secret differently.
	other, _ := auth.NewKeyring(bytes.Repeat([]byte{5}, 32))
	b.eng.Keys = func() (engine.Keys, error) { return other, nil }
	_, rs4 := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	if rs4["echo"].CacheKey == rs2["echo"].CacheKey {
		t.Error("the cache key does not depend on the keyring")
	}
	_ = echo
}

func TestSecretsInFailuresAndResume(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	b, _ := secretBundle(t, &fail)
	ex, rs := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	if ex.Status != run.Failed {
		t.Fatalf("run: %s", ex.Status)
	}
	for name, s := range map[string]string{"execution": ex.FailureReason, "step": rs["echo"].FailureReason} {
		if !strings.Contains(s, "bad credentials: token=***") {
			t.Errorf("%s failure reason %q: want the masked message", name, s)
		}
		authtest.AssertAbsent(t, name+" failure reason", []byte(s), secretParam, secretEnv)
	}
	stored, err := b.store.Execution(t.Context(), ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.SealedParams) == 0 || bytes.Contains(stored.SealedParams, []byte(secretParam)) {
		t.Errorf("sealed params %q", stored.SealedParams)
	}

	// The resume gets the sealed value back: the step sees the secret.
	fail.Store(false)
	var seen atomic.Value
	p, _ := b.load(t, secretsSrc)
	kind, _ := b.kinds.Lookup("echo")
	inner := kind.(*fakeKind).run
	kind.(*fakeKind).run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		if req.StepName == "echo" {
			seen.Store(req.Args["text"])
		}
		return inner(ctx, env, req)
	}
	res, err := b.eng.Resume(t.Context(), p, ex.ID, engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != run.Succeeded || seen.Load() != "token="+secretParam+" word=plain" {
		t.Errorf("resume: %s, echo saw %q", res.Status, seen.Load())
	}
	if res.Params["token"] != pipeline.SecretMask {
		t.Errorf("resumed execution params %v", res.Params)
	}

	// Without the keyring the sealed value cannot be read back.
	other, _ := auth.NewKeyring(bytes.Repeat([]byte{6}, 32))
	fail.Store(true)
	ex2, _ := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}, NoCache: true})
	b.eng.Keys = func() (engine.Keys, error) { return other, nil }
	if _, err := b.eng.Resume(t.Context(), p, ex2.ID, engine.RunOptions{}); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("resume with another key: %v", err)
	}
	authtest.AssertAbsentUnder(t, b.home, secretParam, secretEnv)
}

func TestSecretsNeedAKeyring(t *testing.T) {
	t.Parallel()
	b, _ := secretBundle(t, nil)
	b.eng.Keys = nil
	p, src := b.load(t, secretsSrc)
	_, err := b.eng.Run(t.Context(), p, engine.RunOptions{Source: src, Params: map[string]string{"token": secretParam}})
	if err == nil || !strings.Contains(err.Error(), "Keys is not set") || strings.Contains(err.Error(), secretParam) {
		t.Errorf("Run without Keys: %v", err)
	}
}

func TestFromEnvUnsetFailsTheStepNamingTheVariable(t *testing.T) {
	t.Parallel()
	b, _ := secretBundle(t, nil)
	b.eng.LookupEnv = nil
	ex, rs := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam}})
	if ex.Status != run.Failed || !strings.Contains(rs["echo"].FailureReason, "environment variable FERRY_TEST_KEY is not set") {
		t.Errorf("run: %s, echo: %q", ex.Status, rs["echo"].FailureReason)
	}
}

func TestASecretGivenAsAPlainParameterIsMaskedToo(t *testing.T) {
	t.Parallel()
	b, _ := secretBundle(t, nil)
	ex, rs := b.run(t, secretsSrc, engine.RunOptions{Params: map[string]string{"token": secretParam, "word": "x" + secretEnv}})
	if ex.Status != run.Succeeded {
		t.Fatalf("run: %s %s", ex.Status, ex.FailureReason)
	}
	if ex.Params["word"] != "x***" || ex.Overrides["word"] != "x***" {
		t.Errorf("params %v, overrides %v", ex.Params, ex.Overrides)
	}
	if got := rs["echo"].Properties["seen"]; got != "token=*** word=x*** map[API_KEY:***]" {
		t.Errorf("seen = %q", got)
	}
	authtest.AssertAbsentUnder(t, b.home, secretParam, secretEnv)
}
