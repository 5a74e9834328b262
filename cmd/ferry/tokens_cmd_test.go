package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/sqlite"
)

func TestTokensCreateListRevoke(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home := t.TempDir()

	text := ferry(t, ctx, home, "tokens", "create", "--name", "ci", "--role", "operator")
	if text.code != 0 {
		t.Fatalf("tokens create: exit %d\n%s", text.code, text.stderr)
	}
	tokenLine := regexp.MustCompile(`token: +(ferry_[0-9A-Za-z]{40})\n`).FindStringSubmatch(text.stdout)
	if tokenLine == nil || !strings.Contains(text.stdout, "secret access key:") {
		t.Fatalf("tokens create printed no token and secret key:\n%s", text.stdout)
	}

	js := ferry(t, ctx, home, "tokens", "create", "--name", "alice", "--role", "approver", "--output", "json")
	if js.code != 0 {
		t.Fatalf("tokens create --output json: exit %d\n%s", js.code, js.stderr)
	}
	var created struct {
		Token, AccessKeyID, SecretAccessKey, Name, Role, ID string
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(js.stdout), &raw); err != nil {
		t.Fatalf("create --output json: %v\n%s", err, js.stdout)
	}
	created.Token, created.AccessKeyID, created.SecretAccessKey = raw["token"], raw["access_key_id"], raw["secret_access_key"]
	created.Name, created.Role, created.ID = raw["name"], raw["role"], raw["id"]
	if !strings.HasPrefix(created.Token, "ferry_") || !strings.HasPrefix(created.AccessKeyID, "FKIA") ||
		len(created.SecretAccessKey) != 40 || created.Name != "alice" || created.Role != "approver" {
		t.Errorf("create --output json = %s", js.stdout)
	}

	// The printed credentials authenticate against the home's store.
	db, err := sqlite.Open(ctx, filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := auth.OpenKeyring(filepath.Join(home, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(sqlite.NewTokenStore(db), keys, nil)
	svc.CacheTTL = 0
	for _, c := range []struct {
		token string
		want  auth.Principal
	}{{tokenLine[1], auth.Principal{Name: "ci", Role: auth.Operator}}, {created.Token, auth.Principal{Name: "alice", Role: auth.Approver}}} {
		if p, err := svc.Authenticate(ctx, c.token); err != nil || p != c.want {
			t.Errorf("Authenticate = %+v, %v; want %+v", p, err, c.want)
		}
	}
	if _, secret, err := svc.AccessKey(ctx, created.AccessKeyID); err != nil || secret != created.SecretAccessKey {
		t.Errorf("AccessKey = %q, %v; want the printed secret", secret, err)
	}

	list := ferry(t, ctx, home, "tokens", "list")
	if list.code != 0 || !strings.Contains(list.stdout, "ci ") || !strings.Contains(list.stdout, "alice") {
		t.Fatalf("tokens list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	for _, secret := range []string{tokenLine[1], created.Token, created.SecretAccessKey} {
		if strings.Contains(list.stdout, secret) {
			t.Errorf("tokens list shows a credential:\n%s", list.stdout)
		}
	}

	// Revoke by id and by name.
	if r := ferry(t, ctx, home, "tokens", "revoke", created.ID); r.code != 0 {
		t.Fatalf("revoke by id: exit %d\n%s", r.code, r.stderr)
	}
	if r := ferry(t, ctx, home, "tokens", "revoke", "ci"); r.code != 0 {
		t.Fatalf("revoke by name: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := svc.Authenticate(ctx, created.Token); err == nil {
		t.Error("a revoked token authenticates")
	}
	var listed []auth.Token
	lj := ferry(t, ctx, home, "tokens", "list", "--output", "json")
	if err := json.Unmarshal([]byte(lj.stdout), &listed); err != nil {
		t.Fatalf("tokens list --output json: %v\n%s", err, lj.stdout)
	}
	if len(listed) != 2 || listed[0].Revoked == nil || listed[1].Revoked == nil {
		t.Errorf("after revoking both: %s", lj.stdout)
	}

	fi, err := os.Stat(filepath.Join(home, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret.key: %v, %v; want mode 0600", fi, err)
	}
}

func TestTokensErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home := t.TempDir()
	if r := ferry(t, ctx, home, "tokens", "create", "--name", "dup", "--role", "viewer"); r.code != 0 {
		t.Fatalf("create: %s", r.stderr)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"ErrNoSubcommand", nil, 2, "Usage: ferry tokens"},
		{"ErrUnknownSubcommand", []string{"rotate"}, 2, `unknown subcommand "rotate"`},
		{"ErrNoRole", []string{"create", "--name", "x"}, 2, "--name and --role are required"},
		{"ErrBadRole", []string{"create", "--name", "x", "--role", "root"}, 2, `unknown role "root"`},
		{"ErrBadName", []string{"create", "--name", "a b", "--role", "viewer"}, 2, "--name: token name"},
		{"ErrDuplicate", []string{"create", "--name", "dup", "--role", "viewer"}, 1, "a token named dup exists"},
		{"ErrRevokeUnknown", []string{"revoke", "nobody"}, 1, `no active token has the name or id "nobody"`},
		{"ErrRevokeNoArg", []string{"revoke"}, 2, "usage: ferry tokens revoke NAME|ID"},
		{"ErrBadOutput", []string{"list", "--output", "yaml"}, 2, `--output "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ferry(t, ctx, home, append([]string{"tokens"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.inStderr) {
				t.Errorf("ferry tokens %v: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.inStderr)
			}
		})
	}
}

func TestKeyringFromEnvironment(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"FERRY_HOME": home, "FERRY_SECRET_KEY": strings.Repeat("5a", 32)}
	m := NewMain(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, func(k string) string { return env[k] })
	k, err := m.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := auth.ParseKeyring(strings.Repeat("5a", 32))
	if string(k.Hash("p", nil)) != string(want.Hash("p", nil)) {
		t.Error("FERRY_SECRET_KEY is not the key")
	}
	if _, err := os.Stat(filepath.Join(home, "secret.key")); !os.IsNotExist(err) {
		t.Errorf("secret.key was created although FERRY_SECRET_KEY is set: %v", err)
	}
	env["FERRY_SECRET_KEY"] = "too short"
	if _, err := m.Keyring(); err == nil || strings.Contains(err.Error(), "too short") {
		t.Errorf("bad FERRY_SECRET_KEY: %v (want an error that does not quote it)", err)
	}
}
