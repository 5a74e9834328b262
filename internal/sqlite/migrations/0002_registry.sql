-- The model registry and endpoints (internal/registry). Times are RFC 3339
-- UTC text; artifact references are "sha256:<hex>"; maps and lists are JSON.
CREATE TABLE model_groups (
	name           TEXT PRIMARY KEY,
	description    TEXT NOT NULL DEFAULT '',
	endpoint       TEXT NOT NULL DEFAULT '',
	latest_version INTEGER NOT NULL DEFAULT 0,
	created_at     TEXT NOT NULL
);

CREATE TABLE model_versions (
	group_name      TEXT NOT NULL REFERENCES model_groups(name),
	version         INTEGER NOT NULL CHECK (version >= 1),
	model           TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	approval_status TEXT NOT NULL CHECK (approval_status IN ('PendingManualApproval', 'Approved', 'Rejected')),
	metrics         TEXT NOT NULL DEFAULT '{}',
	drift_baselines TEXT NOT NULL DEFAULT '{}',
	inference_spec  TEXT NOT NULL DEFAULT '{}',
	metadata        TEXT NOT NULL DEFAULT '{}',
	lineage         TEXT NOT NULL DEFAULT '{}',
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	PRIMARY KEY (group_name, version)
);

CREATE TABLE model_approvals (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	group_name TEXT NOT NULL,
	version    INTEGER NOT NULL,
	status     TEXT NOT NULL,
	by_name    TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	at         TEXT NOT NULL,
	FOREIGN KEY (group_name, version) REFERENCES model_versions(group_name, version)
);
CREATE INDEX model_approvals_version ON model_approvals(group_name, version);

CREATE TABLE named_models (
	name       TEXT PRIMARY KEY,
	artifact   TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE endpoints (
	name           TEXT PRIMARY KEY,
	config_version INTEGER NOT NULL,
	status         TEXT NOT NULL,
	failure_reason TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
);

CREATE TABLE endpoint_configs (
	endpoint   TEXT NOT NULL,
	version    INTEGER NOT NULL,
	config     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (endpoint, version)
);

CREATE TABLE registry_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         TEXT NOT NULL,
	type       TEXT NOT NULL,
	group_name TEXT NOT NULL DEFAULT '',
	version    INTEGER NOT NULL DEFAULT 0,
	endpoint   TEXT NOT NULL DEFAULT '',
	model      TEXT NOT NULL DEFAULT '',
	detail     TEXT NOT NULL DEFAULT '{}'
);
