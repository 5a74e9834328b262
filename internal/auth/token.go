package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Token is an identity's record, without any credential: what a list shows.
type Token struct {
	// ID is "tok_" and 16 hexadecimal digits.
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Prefix is the bearer token's first characters ("ferry_" and four
	// more), to recognise a token without revealing it.
	Prefix string `json:"prefix"`
	// AccessKeyID names the identity's SigV4 key pair.
	AccessKeyID string     `json:"access_key_id"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsed    *time.Time `json:"last_used_at,omitempty"`
	Revoked     *time.Time `json:"revoked_at,omitempty"`
}

// Secrets are the credentials of a new token, shown once and never stored.
type Secrets struct {
	Token           string `json:"token"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// Record is a token as stored: its metadata and the hex SHA-256 of its
// bearer token.
type Record struct {
	Token
	Hash string
}

// Store keeps token records. The sqlite adapter implements it.
type Store interface {
	// CreateToken stores r; ErrTokenExists when an unrevoked token has
	// r.Name.
	CreateToken(ctx context.Context, r Record) error
	// Tokens returns every token, revoked ones included, oldest first.
	Tokens(ctx context.Context) ([]Token, error)
	// TokenByHash returns the token (revoked or not) whose bearer token
	// hashes to hash; ErrTokenNotFound when none does.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// TokenByAccessKey returns the token (revoked or not) with the access
	// key id; ErrTokenNotFound when none has it.
	TokenByAccessKey(ctx context.Context, accessKeyID string) (Token, error)
	// RevokeToken marks the unrevoked token whose ID or name is nameOrID
	// revoked at at; ErrTokenNotFound when there is none.
	RevokeToken(ctx context.Context, nameOrID string, at time.Time) error
	// TouchToken records that the token id was used at at.
	TouchToken(ctx context.Context, id string, at time.Time) error
	// HasActiveTokens reports whether any unrevoked token exists.
	HasActiveTokens(ctx context.Context) (bool, error)
}

const (
	// TokenPrefix starts every bearer token, so a leaked one is greppable.
	TokenPrefix = "ferry_"
	// tokenRandLen is the number of base62 characters after TokenPrefix
	// (about 238 bits).
	tokenRandLen = 40
	// idPrefix starts every token ID; names may not start with it, so
	// "revoke NAME|ID" is never ambiguous.
	idPrefix = "tok_"
	// accessKeyPrefix starts every access key id (AWS's start with AKIA).
	accessKeyPrefix = "FKIA"
	// secretPurpose is the keyring purpose of SigV4 secret keys.
	secretPurpose = "sigv4-secret"
	// touchEvery bounds how often a token's last use is written.
	touchEvery = time.Minute
	// maxNameLen bounds token names.
	maxNameLen = 64
)

// Service issues, lists, revokes and checks tokens.
type Service struct {
	store Store
	keys  *Keyring
	now   func() time.Time

	// CacheTTL is how long a successful authentication is remembered in
	// memory, so a busy endpoint does not read the database per request.
	// A revocation through this Service takes effect at once; one made by
	// another process (the CLI beside a server) within CacheTTL. Zero
	// disables the cache.
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[string]cached // by token hash
}

type cached struct {
	tok Token
	at  time.Time
}

// maxCached bounds the authentication cache; it is emptied when full.
const maxCached = 4096

// NewService returns a token service on store. keys derives the access-key
// secrets and must not be nil; now is the clock (time.Now when nil).
func NewService(store Store, keys *Keyring, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, keys: keys, now: now, CacheTTL: 5 * time.Second, cache: make(map[string]cached)}
}

// ValidateName checks a token name: 1 to 64 letters, digits and ".-_@",
// starting with a letter or digit, and not starting with "tok_".
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("token name is empty: %w", ErrInvalid)
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("token name %q is longer than %d characters: %w", quoteShort(name), maxNameLen, ErrInvalid)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '.' || r == '-' || r == '_' || r == '@')
		if !ok {
			return fmt.Errorf("token name %q: character %q at %d is not allowed (letters, digits and .-_@, starting with a letter or digit): %w",
				quoteShort(name), r, i, ErrInvalid)
		}
	}
	if strings.HasPrefix(name, idPrefix) {
		return fmt.Errorf("token name %q may not start with %q (token ids do): %w", name, idPrefix, ErrInvalid)
	}
	return nil
}

// Create issues a token named name with role: its bearer token and its
// access-key pair are returned once, in Secrets, and never stored.
func (s *Service) Create(ctx context.Context, name string, role Role) (Token, Secrets, error) {
	if err := ValidateName(name); err != nil {
		return Token{}, Secrets{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, Secrets{}, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	bearer, err := randomBase62(tokenRandLen)
	if err != nil {
		return Token{}, Secrets{}, fmt.Errorf("creating token: %w", err)
	}
	bearer = TokenPrefix + bearer
	var idb [8]byte
	var keyb [10]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Token{}, Secrets{}, fmt.Errorf("creating token: %w", err)
	}
	if _, err := rand.Read(keyb[:]); err != nil {
		return Token{}, Secrets{}, fmt.Errorf("creating token: %w", err)
	}
	t := Token{
		ID:          idPrefix + hex.EncodeToString(idb[:]),
		Name:        name,
		Role:        role,
		Prefix:      bearer[:len(TokenPrefix)+4],
		AccessKeyID: accessKeyPrefix + base32.StdEncoding.EncodeToString(keyb[:]),
		CreatedAt:   s.now().UTC(),
	}
	if err := s.store.CreateToken(ctx, Record{Token: t, Hash: hashToken(bearer)}); err != nil {
		return Token{}, Secrets{}, fmt.Errorf("creating token %s: %w", name, err)
	}
	return t, Secrets{Token: bearer, AccessKeyID: t.AccessKeyID, SecretAccessKey: s.secretKey(t.AccessKeyID)}, nil
}

// List returns every token, revoked ones included, oldest first.
func (s *Service) List(ctx context.Context) ([]Token, error) {
	ts, err := s.store.Tokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return ts, nil
}

// Revoke revokes the unrevoked token with the ID or name nameOrID;
// ErrTokenNotFound when there is none.
func (s *Service) Revoke(ctx context.Context, nameOrID string) error {
	if err := s.store.RevokeToken(ctx, nameOrID, s.now().UTC()); err != nil {
		return fmt.Errorf("revoking token %s: %w", quoteShort(nameOrID), err)
	}
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
	return nil
}

// Any reports whether unrevoked tokens exist (a server on a non-loopback
// address requires them).
func (s *Service) Any(ctx context.Context) (bool, error) {
	ok, err := s.store.HasActiveTokens(ctx)
	if err != nil {
		return false, fmt.Errorf("reading tokens: %w", err)
	}
	return ok, nil
}

// Authenticate returns the principal of a bearer token; ErrUnauthenticated
// when it is empty, malformed, unknown or revoked.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if !wellFormed(bearer) {
		return Principal{}, ErrUnauthenticated
	}
	h := hashToken(bearer)
	now := s.now()
	if s.CacheTTL > 0 {
		s.mu.Lock()
		c, ok := s.cache[h]
		s.mu.Unlock()
		if ok && now.Sub(c.at) < s.CacheTTL && now.Sub(c.at) >= 0 {
			return Principal{Name: c.tok.Name, Role: c.tok.Role}, nil
		}
	}
	t, err := s.store.TokenByHash(ctx, h)
	if err != nil {
		return Principal{}, s.lookupError(err)
	}
	if t.Revoked != nil {
		return Principal{}, ErrUnauthenticated
	}
	s.touch(ctx, t, now)
	if s.CacheTTL > 0 {
		s.mu.Lock()
		if len(s.cache) >= maxCached {
			clear(s.cache)
		}
		s.cache[h] = cached{tok: t, at: now}
		s.mu.Unlock()
	}
	return Principal{Name: t.Name, Role: t.Role}, nil
}

// AccessKey returns the principal and the secret access key of an access
// key id, for verifying a SigV4 signature; ErrUnauthenticated when the id is
// unknown or its token revoked.
func (s *Service) AccessKey(ctx context.Context, accessKeyID string) (Principal, string, error) {
	if !strings.HasPrefix(accessKeyID, accessKeyPrefix) || len(accessKeyID) > 64 {
		return Principal{}, "", ErrUnauthenticated
	}
	t, err := s.store.TokenByAccessKey(ctx, accessKeyID)
	if err != nil {
		return Principal{}, "", s.lookupError(err)
	}
	if t.Revoked != nil {
		return Principal{}, "", ErrUnauthenticated
	}
	s.touch(ctx, t, s.now())
	return Principal{Name: t.Name, Role: t.Role}, s.secretKey(accessKeyID), nil
}

// Check returns nil when the principal in ctx may perform a:
// ErrUnauthenticated without a principal, *ForbiddenError when its role
// may not.
func (s *Service) Check(ctx context.Context, a Action) error {
	return Check(ctx, a)
}

// Check is Service.Check without a service: the policy needs none.
func Check(ctx context.Context, a Action) error {
	p, ok := FromContext(ctx)
	if !ok {
		return ErrUnauthenticated
	}
	if !p.Role.Can(a) {
		return &ForbiddenError{Principal: p, Action: a}
	}
	return nil
}

func (s *Service) lookupError(err error) error {
	if isNotFound(err) {
		return ErrUnauthenticated
	}
	return fmt.Errorf("reading tokens: %w", err)
}

// touch records the token's use at most once per touchEvery. It is best
// effort: a busy database must not turn a valid token away.
func (s *Service) touch(ctx context.Context, t Token, now time.Time) {
	if t.LastUsed != nil && now.Sub(*t.LastUsed) < touchEvery {
		return
	}
	_ = s.store.TouchToken(ctx, t.ID, now.UTC())
}

// secretKey derives the SigV4 secret access key of an access key id: 40
// characters, as AWS's are.
func (s *Service) secretKey(accessKeyID string) string {
	return base64.StdEncoding.EncodeToString(s.keys.Hash(secretPurpose, []byte(accessKeyID)))[:40]
}

func hashToken(bearer string) string {
	sum := sha256.Sum256([]byte(bearer))
	return hex.EncodeToString(sum[:])
}

func wellFormed(bearer string) bool {
	if len(bearer) != len(TokenPrefix)+tokenRandLen || !strings.HasPrefix(bearer, TokenPrefix) {
		return false
	}
	for _, r := range bearer[len(TokenPrefix):] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomBase62 returns n uniformly random base62 characters.
func randomBase62(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting the rest keeps the digits uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}
