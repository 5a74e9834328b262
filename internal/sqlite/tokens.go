package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/auth"
)

// TokenStore implements auth.Store on a DB (migration 0003_tokens.sql).
type TokenStore struct {
	db *DB
}

var _ auth.Store = (*TokenStore)(nil)

// NewTokenStore returns the token store of db.
func NewTokenStore(db *DB) *TokenStore { return &TokenStore{db: db} }

const tokenColumns = `id, name, role, prefix, access_key_id, created_at, last_used_at, revoked_at`

// CreateToken implements auth.Store.
func (s *TokenStore) CreateToken(ctx context.Context, r auth.Record) error {
	_, err := s.db.db.ExecContext(ctx, `INSERT INTO tokens (id, name, role, token_hash, prefix, access_key_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Name, string(r.Role), r.Hash, r.Prefix, r.AccessKeyID, fmtTime(r.CreatedAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: tokens.name") {
			return auth.ErrTokenExists
		}
		return fmt.Errorf("storing token: %w", err)
	}
	return nil
}

// Tokens implements auth.Store.
func (s *TokenStore) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	return out, nil
}

// TokenByHash implements auth.Store.
func (s *TokenStore) TokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	return scanToken(s.db.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE token_hash = ?`, hash))
}

// TokenByAccessKey implements auth.Store.
func (s *TokenStore) TokenByAccessKey(ctx context.Context, accessKeyID string) (auth.Token, error) {
	return scanToken(s.db.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE access_key_id = ?`, accessKeyID))
}

// RevokeToken implements auth.Store.
func (s *TokenStore) RevokeToken(ctx context.Context, nameOrID string, at time.Time) error {
	res, err := s.db.db.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL AND (id = ? OR name = ?)`,
		fmtTime(at), nameOrID, nameOrID)
	if err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	if n == 0 {
		return auth.ErrTokenNotFound
	}
	return nil
}

// TouchToken implements auth.Store.
func (s *TokenStore) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.db.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, fmtTime(at), id); err != nil {
		return fmt.Errorf("recording token use: %w", err)
	}
	return nil
}

// HasActiveTokens implements auth.Store.
func (s *TokenStore) HasActiveTokens(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE revoked_at IS NULL)`).Scan(&n); err != nil {
		return false, fmt.Errorf("reading tokens: %w", err)
	}
	return n == 1, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanToken(r rowScanner) (auth.Token, error) {
	var (
		t                 auth.Token
		role, created     string
		lastUsed, revoked sql.NullString
	)
	if err := r.Scan(&t.ID, &t.Name, &role, &t.Prefix, &t.AccessKeyID, &created, &lastUsed, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return auth.Token{}, auth.ErrTokenNotFound
		}
		return auth.Token{}, fmt.Errorf("reading token: %w", err)
	}
	t.Role = auth.Role(role)
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return auth.Token{}, err
	}
	if t.LastUsed, err = parseNullTime(lastUsed); err != nil {
		return auth.Token{}, err
	}
	if t.Revoked, err = parseNullTime(revoked); err != nil {
		return auth.Token{}, err
	}
	return t, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
