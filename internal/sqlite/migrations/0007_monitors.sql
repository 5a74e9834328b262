-- Model monitors (internal/monitor): one row per monitoring schedule on an
-- endpoint. baseline and config are JSON; times are RFC 3339 UTC text.
CREATE TABLE monitors (
	name       TEXT PRIMARY KEY,
	endpoint   TEXT NOT NULL,
	type       TEXT NOT NULL CHECK (type IN ('data_quality', 'model_quality', 'bias_drift', 'feature_attribution')),
	schedule   TEXT NOT NULL DEFAULT '',
	baseline   TEXT NOT NULL DEFAULT '{}',
	config     TEXT NOT NULL DEFAULT '{}',
	created_at TEXT NOT NULL
);
CREATE INDEX monitors_endpoint ON monitors(endpoint);
