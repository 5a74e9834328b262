// Package layout holds no code: its test enforces the dependency rules of
// docs/architecture.md (the learners import nothing of the platform; only
// cmd/ferry imports the sqlite adapter; the storage packages, artifact,
// artifact/s3, objstore and s3api, stay leaves), as depguard would.
package layout
