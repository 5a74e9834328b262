package auth

import (
	"fmt"
	"strings"
)

// Role is what a principal may do. The zero Role may do nothing.
type Role string

// The roles, from least to most privileged (approver and operator are
// siblings: neither includes the other).
const (
	Viewer   Role = "viewer"
	Invoker  Role = "invoker"
	Operator Role = "operator"
	Approver Role = "approver"
	Admin    Role = "admin"
)

// Roles lists every role, in the order of the table in the package comment.
func Roles() []Role { return []Role{Viewer, Invoker, Operator, Approver, Admin} }

// ParseRole returns the role named s (exactly, in lower case).
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, 0, 5)
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("unknown role %q (want one of %s)", quoteShort(s), strings.Join(names, ", "))
}

// Action is one kind of operation, the unit of authorization.
type Action string

// The actions.
const (
	// Read is every read: executions, steps, logs, artifacts, pipelines,
	// the registry, endpoints.
	Read Action = "read"
	// Invoke is calling an endpoint for predictions.
	Invoke Action = "invoke"
	// Operate is starting, stopping and resuming executions, deploying,
	// updating and deleting endpoints, and changing pipelines.
	Operate Action = "operate"
	// Approve is approving or rejecting model versions.
	Approve Action = "approve"
	// Manage is creating, listing and revoking tokens.
	Manage Action = "manage"
)

// Actions lists every action.
func Actions() []Action { return []Action{Read, Invoke, Operate, Approve, Manage} }

// Can reports whether the role may perform the action. Unknown roles and
// unknown actions are denied.
func (r Role) Can(a Action) bool {
	switch a {
	case Read:
		return r == Viewer || r == Invoker || r == Operator || r == Approver || r == Admin
	case Invoke:
		return r == Invoker || r == Operator || r == Approver || r == Admin
	case Operate:
		return r == Operator || r == Admin
	case Approve:
		return r == Approver || r == Admin
	case Manage:
		return r == Admin
	}
	return false
}

// quoteShort shortens s for an error message: user input is quoted, never
// printed whole.
func quoteShort(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
