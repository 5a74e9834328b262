package awsapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"

	"github.com/ferryml/ferry/internal/auth"
)

// JobKey is a key pair for the jobs and Lambda functions a server runs:
// made at start, kept in memory only, valid while the server runs (a
// restart revokes it). Its principal is "jobs" with the operator role, so
// a function can create models and endpoints but not approve versions.
type JobKey struct {
	ID, Secret string
}

// JobPrincipal is who requests signed with a JobKey are.
var JobPrincipal = auth.Principal{Name: "jobs", Role: auth.Operator}

// NewJobKey makes a random job key pair.
func NewJobKey() (JobKey, error) {
	var id [10]byte
	var secret [30]byte
	if _, err := rand.Read(id[:]); err != nil {
		return JobKey{}, fmt.Errorf("making the jobs' key: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return JobKey{}, fmt.Errorf("making the jobs' key: %w", err)
	}
	return JobKey{ID: "FKIAJOB" + base32.StdEncoding.EncodeToString(id[:])[:13], Secret: base64.StdEncoding.EncodeToString(secret[:])}, nil
}

// Over returns a key source that knows k besides the keys of base.
func (k JobKey) Over(base KeySource) KeySource { return jobKeys{k, base} }

type jobKeys struct {
	k    JobKey
	base KeySource
}

func (j jobKeys) AccessKey(ctx context.Context, id string) (auth.Principal, string, error) {
	if subtle.ConstantTimeCompare([]byte(id), []byte(j.k.ID)) == 1 {
		return JobPrincipal, j.k.Secret, nil
	}
	return j.base.AccessKey(ctx, id)
}
