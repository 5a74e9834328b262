// Package layout holds no code: its test enforces the dependency rules of
// docs/architecture.md (the learners import nothing of the platform; only
// cmd/ferry imports the sqlite adapter), as depguard would.
package layout
