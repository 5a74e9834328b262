-- Trials of tuning steps (internal/step/tuning): each a step run of its
-- own, STEP/trial-NNN, a child record of the tuning step's run. The
-- columns are what listings and the trial cache select on; record holds
-- the whole run.Trial as JSON. Times are Unix nanoseconds.
CREATE TABLE step_trials (
	execution_id  TEXT NOT NULL,
	step          TEXT NOT NULL,
	trial         INTEGER NOT NULL CHECK (trial >= 1),
	name          TEXT NOT NULL,
	cache_key     TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('Completed', 'Stopped', 'Failed')),
	objective     REAL,
	stopped_early INTEGER NOT NULL DEFAULT 0,
	reused        INTEGER NOT NULL DEFAULT 0,
	started_at    INTEGER NOT NULL DEFAULT 0,
	ended_at      INTEGER NOT NULL DEFAULT 0,
	record        TEXT NOT NULL,
	PRIMARY KEY (execution_id, step, trial)
);
-- The trial cache: the newest trained (not reused), unfailed trial of a key.
CREATE INDEX step_trials_cache ON step_trials(cache_key, reused, ended_at);
