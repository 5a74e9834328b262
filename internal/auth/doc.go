// Package auth holds Ferry's identities, roles and secrets.
//
// # Roles and actions
//
// A [Principal] is a named identity with one [Role]. Every operation of the
// application layer is one [Action]; [Role.Can] is the whole policy:
//
//	viewer:   read
//	invoker:  read, invoke
//	operator: read, invoke, operate
//	approver: read, invoke, approve
//	admin:    everything (also manage: tokens)
//
// The HTTP layer authenticates a request, puts its principal in the
// context with [NewContext], and the operations call [Service.Check].
//
// # Tokens and access keys
//
// [Service.Create] issues one identity with two credentials, shown once:
// a bearer token ("ferry_" followed by 40 base62 characters) and an
// access-key pair for AWS Signature Version 4. Only the SHA-256 of the
// token is stored. The secret access key is never stored either: it is
// derived from the access key id with the home's [Keyring], so it can be
// recomputed by the server that verifies a signature ([Service.AccessKey]).
//
// # Keyring
//
// The keyring is one random master key per Ferry home (secret.key, mode
// 0600, created on first use). Besides deriving access-key secrets, it keys
// the hashes of secret values ([Keyring.Hash]), so a cache key can depend
// on a secret parameter without letting anyone who reads the database test
// guesses of it, and seals (encrypts) the secret parameters an execution
// keeps for a resume ([Keyring.Seal]).
package auth
