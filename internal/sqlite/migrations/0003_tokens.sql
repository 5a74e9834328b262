-- Identities (internal/auth): one row per token. Only the SHA-256 of the
-- bearer token is stored (hex); the SigV4 secret key is derived from the
-- access key id with the home's keyring and never stored. Times are RFC 3339
-- UTC text; NULL last_used_at / revoked_at: never used / not revoked.
CREATE TABLE tokens (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('viewer', 'invoker', 'operator', 'approver', 'admin')),
	token_hash    TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	prefix        TEXT NOT NULL,
	access_key_id TEXT NOT NULL UNIQUE,
	created_at    TEXT NOT NULL,
	last_used_at  TEXT,
	revoked_at    TEXT
);
-- A name belongs to one unrevoked token at a time; revoked names may be reused.
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL;
