-- Multipart uploads in progress (internal/objstore): each part's bytes are
-- a blob until CompleteMultipartUpload assembles them into an object.
CREATE TABLE multipart_uploads (
	id           TEXT PRIMARY KEY,
	bucket       TEXT NOT NULL REFERENCES buckets(name),
	key          TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	metadata     TEXT NOT NULL DEFAULT '{}',
	created_at   TEXT NOT NULL
);

CREATE TABLE multipart_parts (
	upload_id  TEXT NOT NULL REFERENCES multipart_uploads(id) ON DELETE CASCADE,
	number     INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),
	blob       TEXT NOT NULL,
	size       INTEGER NOT NULL CHECK (size >= 0),
	etag       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (upload_id, number)
);

CREATE INDEX multipart_parts_blob ON multipart_parts (blob);
