package auth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/auth"
)

// memStore is an in-memory auth.Store; the sqlite adapter has its own
// tests against a real database file.
type memStore struct {
	mu      sync.Mutex
	recs    []auth.Record
	reads   int
	touches int
}

func (m *memStore) CreateToken(_ context.Context, r auth.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.recs {
		if x.Name == r.Name && x.Revoked == nil {
			return auth.ErrTokenExists
		}
	}
	m.recs = append(m.recs, r)
	return nil
}

func (m *memStore) Tokens(context.Context) ([]auth.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []auth.Token
	for _, r := range m.recs {
		out = append(out, r.Token)
	}
	return out, nil
}

func (m *memStore) find(match func(auth.Record) bool) (auth.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	for _, r := range m.recs {
		if match(r) {
			return r.Token, nil
		}
	}
	return auth.Token{}, auth.ErrTokenNotFound
}

func (m *memStore) TokenByHash(_ context.Context, h string) (auth.Token, error) {
	return m.find(func(r auth.Record) bool { return r.Hash == h })
}

func (m *memStore) TokenByAccessKey(_ context.Context, id string) (auth.Token, error) {
	return m.find(func(r auth.Record) bool { return r.AccessKeyID == id })
}

func (m *memStore) RevokeToken(_ context.Context, s string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.recs {
		if r.Revoked == nil && (r.ID == s || r.Name == s) {
			m.recs[i].Revoked = &at
			return nil
		}
	}
	return auth.ErrTokenNotFound
}

func (m *memStore) TouchToken(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touches++
	for i, r := range m.recs {
		if r.ID == id {
			m.recs[i].LastUsed = &at
		}
	}
	return nil
}

func (m *memStore) HasActiveTokens(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.Revoked == nil {
			return true, nil
		}
	}
	return false, nil
}

func testKeyring(t testing.TB) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	tokenRE     = regexp.MustCompile(`^ferry_[0-9A-Za-z]{40}$`)
	idRE        = regexp.MustCompile(`^tok_[0-9a-f]{16}$`)
	accessKeyRE = regexp.MustCompile(`^FKIA[A-Z2-7]{16}$`)
)

func TestCreateIssuesCredentialsOnceAndStoresOnlyAHash(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	svc := auth.NewService(st, testKeyring(t), nil)
	tok, sec, err := svc.Create(t.Context(), "ci", auth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	if !tokenRE.MatchString(sec.Token) {
		t.Errorf("token %q does not look like ferry_ + 40 base62", sec.Token)
	}
	if !idRE.MatchString(tok.ID) || !accessKeyRE.MatchString(tok.AccessKeyID) || sec.AccessKeyID != tok.AccessKeyID {
		t.Errorf("token = %+v, access key %q", tok, sec.AccessKeyID)
	}
	if len(sec.SecretAccessKey) != 40 {
		t.Errorf("secret access key has %d characters, want 40", len(sec.SecretAccessKey))
	}
	if tok.Prefix != sec.Token[:10] {
		t.Errorf("prefix %q, want %q", tok.Prefix, sec.Token[:10])
	}
	rec := st.recs[0]
	if rec.Hash == sec.Token || len(rec.Hash) != 64 {
		t.Errorf("stored hash %q", rec.Hash)
	}
	for _, s := range []string{sec.Token, sec.SecretAccessKey} {
		for _, field := range []string{rec.Hash, rec.ID, rec.Name, rec.Prefix, rec.AccessKeyID} {
			if field == s {
				t.Errorf("a secret is stored: %q", s)
			}
		}
	}
	_, sec2, err := svc.Create(t.Context(), "ci2", auth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	if sec2.Token == sec.Token || sec2.SecretAccessKey == sec.SecretAccessKey {
		t.Error("two tokens share a credential")
	}
}

func TestCreateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tname string
		role  auth.Role
		want  error
	}{
		{"ErrEmptyName", "", auth.Viewer, auth.ErrInvalid},
		{"ErrNameWithSpace", "my token", auth.Viewer, auth.ErrInvalid},
		{"ErrNameLikeAnID", "tok_abc", auth.Viewer, auth.ErrInvalid},
		{"ErrNameStartsWithDash", "-x", auth.Viewer, auth.ErrInvalid},
		{"ErrLongName", string(bytes.Repeat([]byte("a"), 65)), auth.Viewer, auth.ErrInvalid},
		{"ErrUnknownRole", "x", "root", auth.ErrInvalid},
		{"ErrDuplicateName", "taken", auth.Viewer, auth.ErrTokenExists},
	}
	svc := auth.NewService(&memStore{}, testKeyring(t), nil)
	if _, _, err := svc.Create(t.Context(), "taken", auth.Admin); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := svc.Create(t.Context(), tt.tname, tt.role)
			if !errors.Is(err, tt.want) {
				t.Errorf("Create(%q, %q) = %v, want %v", tt.tname, tt.role, err, tt.want)
			}
		})
	}
	for _, ok := range []string{"a", "ci-bot", "alice@example.com", "A.b_c-9"} {
		if err := auth.ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	svc := auth.NewService(&memStore{}, testKeyring(t), nil)
	svc.CacheTTL = 0
	_, sec, err := svc.Create(t.Context(), "alice", auth.Approver)
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := svc.Create(t.Context(), "gone", auth.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Revoke(t.Context(), "gone"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bearer string
		want   auth.Principal
		err    error
	}{
		{"OK", sec.Token, auth.Principal{Name: "alice", Role: auth.Approver}, nil},
		{"ErrEmpty", "", auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrUnknown", "ferry_" + string(bytes.Repeat([]byte("A"), 40)), auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrRevoked", other.Token, auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrTruncated", sec.Token[:30], auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrNoPrefix", sec.Token[6:], auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrNotBase62", sec.Token[:45] + "!", auth.Principal{}, auth.ErrUnauthenticated},
		{"ErrSecretKeyAsToken", sec.SecretAccessKey, auth.Principal{}, auth.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := svc.Authenticate(t.Context(), tt.bearer)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("Authenticate = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestRevokeTakesEffectAtOnceThroughTheService(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	svc := auth.NewService(st, testKeyring(t), nil)
	tok, sec, err := svc.Create(t.Context(), "bob", auth.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(t.Context(), sec.Token); err != nil {
		t.Fatal(err)
	}
	if ok, _ := svc.Any(t.Context()); !ok {
		t.Error("Any = false with an unrevoked token")
	}
	if err := svc.Revoke(t.Context(), tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(t.Context(), sec.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate after revoke = %v, want ErrUnauthenticated", err)
	}
	if _, _, err := svc.AccessKey(t.Context(), sec.AccessKeyID); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("AccessKey after revoke = %v, want ErrUnauthenticated", err)
	}
	if err := svc.Revoke(t.Context(), "bob"); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Errorf("second revoke = %v, want ErrTokenNotFound", err)
	}
	if ok, _ := svc.Any(t.Context()); ok {
		t.Error("Any = true with every token revoked")
	}
	// The name is free again.
	if _, _, err := svc.Create(t.Context(), "bob", auth.Viewer); err != nil {
		t.Errorf("recreating a revoked name: %v", err)
	}
}

func TestAuthenticateCachesAndTouchesSparingly(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc := auth.NewService(st, testKeyring(t), c.now)
	_, sec, err := svc.Create(t.Context(), "svc", auth.Invoker)
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := svc.Authenticate(t.Context(), sec.Token); err != nil {
			t.Fatal(err)
		}
	}
	if st.reads != 1 || st.touches != 1 {
		t.Errorf("100 authentications within the TTL: %d reads, %d touches; want 1, 1", st.reads, st.touches)
	}
	c.add(10 * time.Second)
	if _, err := svc.Authenticate(t.Context(), sec.Token); err != nil {
		t.Fatal(err)
	}
	if st.reads != 2 || st.touches != 1 {
		t.Errorf("after the TTL: %d reads, %d touches; want 2, 1 (touches at most once a minute)", st.reads, st.touches)
	}
	c.add(2 * time.Minute)
	if _, err := svc.Authenticate(t.Context(), sec.Token); err != nil {
		t.Fatal(err)
	}
	if st.touches != 2 {
		t.Errorf("after two minutes: %d touches, want 2", st.touches)
	}
	toks, _ := svc.List(t.Context())
	if toks[0].LastUsed == nil || !toks[0].LastUsed.Equal(c.now()) {
		t.Errorf("LastUsed = %v, want %v", toks[0].LastUsed, c.now())
	}
	// A revocation by another process shows after the TTL.
	if err := st.RevokeToken(t.Context(), "svc", c.now()); err != nil {
		t.Fatal(err)
	}
	c.add(svc.CacheTTL)
	if _, err := svc.Authenticate(t.Context(), sec.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after another process revoked and the TTL passed: %v, want ErrUnauthenticated", err)
	}
}

func TestAccessKeyDerivesTheSecretFromTheKeyring(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	svc := auth.NewService(st, testKeyring(t), nil)
	_, sec, err := svc.Create(t.Context(), "boto", auth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	p, secret, err := svc.AccessKey(t.Context(), sec.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if p != (auth.Principal{Name: "boto", Role: auth.Operator}) || secret != sec.SecretAccessKey {
		t.Errorf("AccessKey = %+v, %q; want boto/operator, %q", p, secret, sec.SecretAccessKey)
	}
	// Another home (another key) derives another secret for the same id.
	other, _ := auth.NewKeyring(bytes.Repeat([]byte{1}, 32))
	_, secret2, err := auth.NewService(st, other, nil).AccessKey(t.Context(), sec.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if secret2 == secret {
		t.Error("the secret does not depend on the keyring")
	}
	for _, bad := range []string{"", "AKIAIOSFODNN7EXAMPLE", "FKIAAAAAAAAAAAAAAAAA"} {
		if _, _, err := svc.AccessKey(t.Context(), bad); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("AccessKey(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer ferry_abc", "ferry_abc", true},
		{"bearer ferry_abc", "ferry_abc", true},
		{"Bearer  ferry_abc ", "ferry_abc", true},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		got, ok := auth.BearerToken(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}
