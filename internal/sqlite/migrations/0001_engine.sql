-- The execution engine (internal/engine, internal/run). Times are Unix
-- nanoseconds (0: not set), so they sort and compare as numbers; maps and
-- lists are JSON.
CREATE TABLE pipelines (
	digest     TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	source     BLOB NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE executions (
	id               TEXT PRIMARY KEY,
	pipeline_digest  TEXT NOT NULL REFERENCES pipelines(digest),
	pipeline_name    TEXT NOT NULL,
	definition_path  TEXT NOT NULL DEFAULT '',
	params           TEXT NOT NULL DEFAULT '{}',
	overrides        TEXT NOT NULL DEFAULT '{}',
	status           TEXT NOT NULL CHECK (status IN ('Executing', 'Stopping', 'Stopped', 'Failed', 'Succeeded', 'Interrupted')),
	started_at       INTEGER NOT NULL,
	ended_at         INTEGER NOT NULL DEFAULT 0,
	failure_reason   TEXT NOT NULL DEFAULT '',
	source_execution TEXT NOT NULL DEFAULT '',
	selected_steps   TEXT NOT NULL DEFAULT '[]',
	parallelism      INTEGER NOT NULL DEFAULT 0,
	no_cache         INTEGER NOT NULL DEFAULT 0,
	owner_pid        INTEGER NOT NULL DEFAULT 0,
	owner_host       TEXT NOT NULL DEFAULT '',
	heartbeat_at     INTEGER NOT NULL DEFAULT 0,
	stop_requested   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX executions_started ON executions(started_at);
CREATE INDEX executions_pipeline ON executions(pipeline_name, started_at);

CREATE TABLE step_runs (
	execution_id     TEXT NOT NULL REFERENCES executions(id),
	step             TEXT NOT NULL,
	kind             TEXT NOT NULL,
	status           TEXT NOT NULL CHECK (status IN ('Pending', 'Starting', 'Executing', 'Succeeded', 'Failed', 'Skipped', 'Stopped', 'CacheHit')),
	attempts         INTEGER NOT NULL DEFAULT 0,
	started_at       INTEGER NOT NULL DEFAULT 0,
	ended_at         INTEGER NOT NULL DEFAULT 0,
	failure_reason   TEXT NOT NULL DEFAULT '' CHECK (length(failure_reason) <= 1024),
	outputs          TEXT NOT NULL DEFAULT '{}',
	properties       TEXT NOT NULL DEFAULT '{}',
	cache_key        TEXT NOT NULL DEFAULT '',
	cache_inputs     TEXT NOT NULL DEFAULT '',
	cache_note       TEXT NOT NULL DEFAULT '',
	provenance       TEXT NOT NULL DEFAULT '',
	source_execution TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (execution_id, step)
);
-- Cache lookups: the newest Succeeded run with a key.
CREATE INDEX step_runs_cache ON step_runs(cache_key, status, ended_at);
