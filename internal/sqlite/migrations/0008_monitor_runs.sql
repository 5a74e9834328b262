-- Monitoring runs. A scheduled run is claimed by inserting its window end
-- (scheduled); the unique index makes the claim atomic across processes,
-- so two servers never run the same window. Runs on demand have no
-- scheduled time ('').
CREATE TABLE monitor_runs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	monitor      TEXT NOT NULL REFERENCES monitors(name) ON DELETE CASCADE,
	scheduled    TEXT NOT NULL DEFAULT '',
	window_from  TEXT NOT NULL,
	window_to    TEXT NOT NULL,
	status       TEXT NOT NULL,
	records      INTEGER NOT NULL DEFAULT 0,
	violations   INTEGER NOT NULL DEFAULT 0,
	output       TEXT NOT NULL DEFAULT '',
	failure      TEXT NOT NULL DEFAULT '',
	owner        TEXT NOT NULL DEFAULT '',
	started_at   TEXT NOT NULL,
	ended_at     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX monitor_runs_window ON monitor_runs(monitor, scheduled) WHERE scheduled != '';
CREATE INDEX monitor_runs_monitor ON monitor_runs(monitor, id);
