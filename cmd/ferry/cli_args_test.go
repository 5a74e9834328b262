package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// TestRegisterBareModelFile: a bare model.json is refused up front with a
// usage error that says what to give instead (it used to fail while
// storing it, with "file exists").
func TestRegisterBareModelFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(fraudModelDir(t, ""), "model.json")
	res := ferry(t, context.Background(), artifacttest.TempDir(t), "models", "register", "g", file)
	if res.code != 2 || !strings.Contains(res.stderr, "is a file: register a model directory") || strings.Contains(res.stderr, "file exists") {
		t.Errorf("exit %d, stderr %q; want 2 and a clear message", res.code, res.stderr)
	}
}

// TestBadFlagValuesExit2: invalid flag values are usage errors.
func TestBadFlagValuesExit2(t *testing.T) {
	t.Parallel()
	dir := fraudModelDir(t, "")
	for _, args := range [][]string{
		{"models", "register", "g", dir, "--status", "Bogus"},
		{"endpoints", "deploy", "ep", "g/1", "--weight", "-1"},
		{"endpoints", "deploy", "ep", "g/1", "--weight", "NaN"},
		{"endpoints", "deploy", "ep", "g/1", "--instance-count", "0"},
	} {
		res := ferry(t, context.Background(), artifacttest.TempDir(t), args...)
		if res.code != 2 || !strings.Contains(res.stderr, "want") {
			t.Errorf("ferry %s: exit %d, stderr %q; want 2 and what is wanted", strings.Join(args, " "), res.code, res.stderr)
		}
	}
}

// TestNotFoundSaidOnce: a missing group, version or endpoint is named once.
func TestNotFoundSaidOnce(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"models", "list", "nogroup"}, "ferry models: model group \"nogroup\": not found\n"},
		{[]string{"models", "show", "nogroup/1"}, "ferry models: model package nogroup/1: not found\n"},
		{[]string{"models", "approve", "nogroup/1", "--reason", "r"}, "ferry models: model package nogroup/1: not found\n"},
		{[]string{"models", "groups", "set-endpoint", "nogroup", "ep"}, "ferry models: model group \"nogroup\": not found\n"},
		{[]string{"endpoints", "show", "nope"}, "ferry endpoints: endpoint \"nope\": not found\n"},
		{[]string{"endpoints", "delete", "nope"}, "ferry endpoints: endpoint \"nope\": not found\n"},
		{[]string{"endpoints", "invoke", "nope", "--csv", "-"}, "ferry endpoints: endpoint \"nope\": not found\n"},
	} {
		res := ferry(t, context.Background(), home, c.args...)
		if res.code != 1 || res.stderr != c.want {
			t.Errorf("ferry %s: exit %d, stderr %q; want 1 and %q", strings.Join(c.args, " "), res.code, res.stderr, c.want)
		}
	}
}

// TestExtraArgumentsExit2: commands that take no positional argument
// refuse one instead of ignoring it.
func TestExtraArgumentsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"models", "events", "x"},
		{"models", "groups", "x"},
		{"endpoints", "list", "x"},
		{"server", "x"},
	} {
		res := ferry(t, context.Background(), artifacttest.TempDir(t), args...)
		if res.code != 2 || !strings.Contains(res.stderr, `unexpected argument "x"`) {
			t.Errorf("ferry %s: exit %d, stderr %q; want 2 and unexpected argument", strings.Join(args, " "), res.code, res.stderr)
		}
	}
}

// TestSubcommandHelp: --help shows the whole usage line and exits 0.
func TestSubcommandHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"endpoints", "invoke", "--help"}, "Usage: ferry endpoints invoke NAME --csv FILE | --json FILE | --jsonlines FILE [--accept TYPE] [--variant V] [--explain]\n"},
		{[]string{"models", "groups", "set-endpoint", "--help"}, "Usage: ferry models groups set-endpoint GROUP ENDPOINT"},
		{[]string{"models", "--help"}, "Usage: ferry models groups"},
		{[]string{"endpoints", "-h"}, "Usage: ferry endpoints list"},
	} {
		res := ferry(t, context.Background(), artifacttest.TempDir(t), c.args...)
		if res.code != 0 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("ferry %s: exit %d, stderr %q; want 0 and %q", strings.Join(c.args, " "), res.code, res.stderr, c.want)
		}
	}
	if res := ferry(t, context.Background(), artifacttest.TempDir(t), "models", "groups", "set-endpoint", "g"); res.code != 2 {
		t.Errorf("set-endpoint with one argument: exit %d, want 2", res.code)
	}
}
