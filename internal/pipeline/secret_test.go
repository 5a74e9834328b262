package pipeline_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

const secretsPipeline = `
version: 1
name: secrets
parameters:
  token: {secret: true, description: the API token}
  region: {default: eu}
steps:
  - name: call
    kind: command
    command: [/bin/sh, -c, 'echo "${{ params.token }}"']
    env:
      API_KEY: {from_env: FERRY_TEST_API_KEY}
      REGION: "${{ params.region }}"
  - name: again
    kind: command
    command: [/bin/sh, -c, 'true']
    env: {OTHER: {from_env: OTHER_KEY}, SAME: {from_env: FERRY_TEST_API_KEY}}
`

// envScope is a mapScope that also resolves {from_env: NAME}.
type envScope struct {
	mapScope
	env map[string]string
}

func (s envScope) Env(name string) (string, bool) { v, ok := s.env[name]; return v, ok && v != "" }

func TestSecretParametersAndFromEnv(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("secrets.yaml", []byte(secretsPipeline), testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	if pr := p.Param("token"); pr == nil || !pr.Secret || pr.HasDefault {
		t.Errorf("token = %+v, want a secret without default", pr)
	}
	if p.Param("region").Secret {
		t.Error("region is secret")
	}
	if diff := cmp.Diff([]string{"token"}, p.SecretParams()); diff != "" {
		t.Errorf("SecretParams (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"FERRY_TEST_API_KEY", "OTHER_KEY"}, p.EnvNames()); diff != "" {
		t.Errorf("EnvNames (-want +got):\n%s", diff)
	}
	if !bytes.Contains(p.CanonicalJSON(), []byte(`"secret":true`)) {
		t.Errorf("canonical JSON lacks the secret flag: %s", p.CanonicalJSON())
	}

	params, err := p.CoerceParams(map[string]string{"token": "s3cr3t-value"})
	if err != nil {
		t.Fatal(err)
	}
	sc := envScope{mapScope: mapScope{params: params}, env: map[string]string{"FERRY_TEST_API_KEY": "k-123"}}
	args, err := p.Step("call").ResolveArgs(sc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"command": []any{"/bin/sh", "-c", `echo "s3cr3t-value"`},
		"env":     map[string]any{"API_KEY": "k-123", "REGION": "eu"},
	}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("ResolveArgs (-want +got):\n%s", diff)
	}
	// The definition keeps the reference, not a value.
	if got := p.Step("call").Args["env"].(map[string]any)["API_KEY"]; !cmp.Equal(got, map[string]any{"from_env": "FERRY_TEST_API_KEY"}) {
		t.Errorf("Args were modified: %v", got)
	}

	_, err = p.Step("again").ResolveArgs(sc)
	if err == nil || !strings.Contains(err.Error(), "environment variable OTHER_KEY is not set") {
		t.Errorf("unset variable: %v", err)
	}
	_, err = p.Step("call").ResolveArgs(mapScope{params: params})
	if err == nil || !strings.Contains(err.Error(), "cannot be resolved here") {
		t.Errorf("scope without Env: %v", err)
	}
}

func TestSecretParameterErrorsNeverQuoteTheValue(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("secrets.yaml", []byte(secretsPipeline), testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	const value = "hunter2-secret"
	_, err = p.CoerceParams(map[string]string{"token": value, "nope": "x"})
	if err == nil || strings.Contains(err.Error(), value) {
		t.Errorf("CoerceParams error = %v; want an error that does not quote the secret", err)
	}
	if v, err := p.Param("token").Coerce("  spaced  "); err != nil || v != "  spaced  " {
		t.Errorf("Coerce of a secret = %q, %v; want the value as given", v, err)
	}
}
