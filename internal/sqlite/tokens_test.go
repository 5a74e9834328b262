package sqlite_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/google/go-cmp/cmp"
)

// tokenService opens a real database file and returns a token service on
// it (with a fixed clock and no authentication cache) and the file's path.
func tokenService(t testing.TB) (*auth.Service, *sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ferry.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := auth.NewKeyring(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	svc := auth.NewService(sqlite.NewTokenStore(db), keys, func() time.Time { return now })
	svc.CacheTTL = 0
	return svc, db, path
}

func TestTokenStoreRoundTripsAndStoresNoCredential(t *testing.T) {
	t.Parallel()
	svc, db, path := tokenService(t)
	ctx := t.Context()
	var secrets []auth.Secrets
	var want []auth.Token
	for _, c := range []struct {
		name string
		role auth.Role
	}{{"viewer-bot", auth.Viewer}, {"alice", auth.Approver}, {"root", auth.Admin}} {
		tok, sec, err := svc.Create(ctx, c.name, c.role)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tok)
		secrets = append(secrets, sec)
	}
	got, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Same created_at: the list is ordered by (created_at, id).
	sorted := slices.Clone(want)
	slices.SortFunc(sorted, func(a, b auth.Token) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(sorted, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	for i, sec := range secrets {
		p, err := svc.Authenticate(ctx, sec.Token)
		if err != nil || p.Name != want[i].Name || p.Role != want[i].Role {
			t.Errorf("Authenticate(token %d) = %+v, %v", i, p, err)
		}
		p, secret, err := svc.AccessKey(ctx, sec.AccessKeyID)
		if err != nil || p.Name != want[i].Name || secret != sec.SecretAccessKey {
			t.Errorf("AccessKey(%s) = %+v, %q, %v", sec.AccessKeyID, p, secret, err)
		}
	}
	// The token table has the hash, not the token; the secret key is nowhere.
	db.Close()
	for _, f := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			for _, s := range []string{sec.Token, sec.Token[10:], sec.SecretAccessKey} {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%s contains a credential %q", filepath.Base(f), s)
				}
			}
		}
	}
}

func TestTokenStoreRevokeByNameOrIDAndReuseOfNames(t *testing.T) {
	t.Parallel()
	svc, _, _ := tokenService(t)
	ctx := t.Context()
	a, secA, err := svc.Create(ctx, "ci", auth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Create(ctx, "ci", auth.Viewer); !errors.Is(err, auth.ErrTokenExists) {
		t.Fatalf("duplicate name = %v, want ErrTokenExists", err)
	}
	if err := svc.Revoke(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, secA.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("revoked token authenticates: %v", err)
	}
	if ok, err := svc.Any(ctx); err != nil || ok {
		t.Errorf("Any = %v, %v; want false", ok, err)
	}
	b, secB, err := svc.Create(ctx, "ci", auth.Viewer)
	if err != nil {
		t.Fatalf("reusing a revoked name: %v", err)
	}
	if ok, err := svc.Any(ctx); err != nil || !ok {
		t.Errorf("Any = %v, %v; want true", ok, err)
	}
	if err := svc.Revoke(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, secB.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token revoked by name authenticates: %v", err)
	}
	for _, s := range []string{"ci", a.ID, b.ID, "nobody"} {
		if err := svc.Revoke(ctx, s); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Errorf("Revoke(%q) = %v, want ErrTokenNotFound", s, err)
		}
	}
	toks, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0].Revoked == nil || toks[1].Revoked == nil {
		t.Errorf("List = %+v, want two revoked tokens", toks)
	}
}

func TestTokenStoreRecordsLastUse(t *testing.T) {
	t.Parallel()
	svc, _, _ := tokenService(t)
	ctx := t.Context()
	_, sec, err := svc.Create(ctx, "x", auth.Invoker)
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := svc.List(ctx)
	if toks[0].LastUsed != nil {
		t.Fatalf("new token has LastUsed %v", toks[0].LastUsed)
	}
	if _, err := svc.Authenticate(ctx, sec.Token); err != nil {
		t.Fatal(err)
	}
	toks, _ = svc.List(ctx)
	if toks[0].LastUsed == nil || !toks[0].LastUsed.Equal(toks[0].CreatedAt) {
		t.Errorf("LastUsed = %v, want %v", toks[0].LastUsed, toks[0].CreatedAt)
	}
}

func TestTokenStoreConcurrentCreatesOfOneNameLeaveOne(t *testing.T) {
	t.Parallel()
	svc, _, _ := tokenService(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _, errs[i] = svc.Create(t.Context(), "race", auth.Viewer) })
	}
	wg.Wait()
	var ok int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, auth.ErrTokenExists):
			t.Errorf("Create = %v, want nil or ErrTokenExists", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

func TestOpenCreatesTheDatabaseForItsOwnerOnly(t *testing.T) {
	t.Parallel()
	_, db, path := tokenService(t)
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO ferry_meta (key, value) VALUES ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
}
