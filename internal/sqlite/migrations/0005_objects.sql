-- The object namespace (internal/objstore): buckets and the objects named
-- s3://bucket/key. An object's bytes are an immutable blob file under
-- FERRY_HOME/objects/blobs; blob names it. Keys compare in byte order
-- (BINARY collation over UTF-8), as S3 lists them. Times are RFC 3339 UTC
-- text; metadata is a JSON object.
CREATE TABLE buckets (
	name       TEXT PRIMARY KEY,
	created_at TEXT NOT NULL
);

CREATE TABLE objects (
	bucket       TEXT NOT NULL REFERENCES buckets(name),
	key          TEXT NOT NULL,
	blob         TEXT NOT NULL,
	size         INTEGER NOT NULL CHECK (size >= 0),
	etag         TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	metadata     TEXT NOT NULL DEFAULT '{}',
	created_at   TEXT NOT NULL,
	modified_at  TEXT NOT NULL,
	PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE INDEX objects_blob ON objects (blob);
