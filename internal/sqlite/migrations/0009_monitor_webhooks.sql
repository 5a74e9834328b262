-- The outcome of a monitoring run's webhook call (JSON: url, id,
-- delivered, attempts, status, error; '' when none was made). The
-- webhook itself is part of the monitor's config; its secret is never
-- stored, only the name of the variable that holds it.
ALTER TABLE monitor_runs ADD COLUMN webhook TEXT NOT NULL DEFAULT '';
