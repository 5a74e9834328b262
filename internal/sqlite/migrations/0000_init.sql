-- Ferry's schema starts here; each later file adds one numbered step.
CREATE TABLE IF NOT EXISTS ferry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
