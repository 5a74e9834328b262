-- Secret parameters (pipeline parameters declared secret: true). The params
-- and overrides columns show them as "***"; the values given are kept here,
-- sealed (AES-256-GCM) with the home's keyring, so a resume can use them.
ALTER TABLE executions ADD COLUMN sealed_params BLOB NOT NULL DEFAULT x'';
