package registry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
)

func modelRef(n int) artifact.Ref { return artifact.Ref(fmt.Sprintf("sha256:%064x", n)) }

func newSQLiteRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return registry.New(sqlite.NewRegistryStore(db), slog.New(slog.DiscardHandler))
}

// Two deploys of different variants read the same config version; the
// loser of the write must re-read and re-apply, not fail with ErrConflict.
func TestConcurrentDeploysOfTwoVariantsBothLand(t *testing.T) {
	t.Parallel()
	reg := newSQLiteRegistry(t)
	ctx := t.Context()
	var vs []registry.Version
	for i := 1; i <= 3; i++ {
		v, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: modelRef(i), Status: registry.Approved})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: vs[0].Ref()}); err != nil {
		t.Fatal(err)
	}
	// CheckModel runs between Deploy's read and its write: hold the first
	// two calls until both deploys have read config version 1.
	var arrived atomic.Int32
	release := make(chan struct{})
	reg.CheckModel = func(ctx context.Context, _ artifact.Ref) error {
		n := arrived.Add(1)
		if n == 2 {
			close(release)
		}
		if n <= 2 {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"blue", "green"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: vs[i+1].Ref(), Variant: name})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("deploy %d: %v", i, err)
		}
	}
	ep, err := reg.Endpoint(ctx, "ep")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, v := range ep.Config.Variants {
		got[v.Name] = v.Version
	}
	if len(got) != 3 || got[registry.DefaultVariant] != 1 || got["blue"] != 2 || got["green"] != 3 {
		t.Errorf("variants %v, want AllTraffic:1 blue:2 green:3", got)
	}
	if ep.ConfigVersion != 3 {
		t.Errorf("config version %d, want 3", ep.ConfigVersion)
	}
}

// A failed first deploy of a re-created endpoint records its reason on the
// config version actually stored (numbering continues after a delete).
func TestFailedDeployOfRecreatedEndpointKeepsReason(t *testing.T) {
	t.Parallel()
	reg := newSQLiteRegistry(t)
	ctx := t.Context()
	bad := modelRef(666)
	good, _ := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: modelRef(1), Status: registry.Approved})
	broken, _ := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: bad, Status: registry.Approved})
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: good.Ref()}); err != nil {
		t.Fatal(err)
	}
	if err := reg.DeleteEndpoint(ctx, "ep"); err != nil {
		t.Fatal(err)
	}
	reg.CheckModel = func(_ context.Context, r artifact.Ref) error {
		if r == bad {
			return errors.New("model.json: unexpected EOF")
		}
		return nil
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: broken.Ref()}); err == nil {
		t.Fatal("want the load error")
	}
	ep, err := reg.Endpoint(ctx, "ep")
	if err != nil {
		t.Fatal(err)
	}
	if ep.ConfigVersion != 2 || ep.Status != registry.EndpointFailed || !strings.Contains(ep.FailureReason, "unexpected EOF") {
		t.Errorf("re-created endpoint = version %d status %s reason %q; want 2, Failed, the load error", ep.ConfigVersion, ep.Status, ep.FailureReason)
	}
}

// Approving an Approved version (or rejecting a Rejected one) succeeds and
// changes nothing: no history entry, no deployment.
func TestSetApprovalToTheSameStatusIsANoOp(t *testing.T) {
	t.Parallel()
	reg := newSQLiteRegistry(t)
	ctx := t.Context()
	v, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: modelRef(1), Status: registry.PendingManualApproval})
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []registry.ApprovalStatus{registry.Approved, registry.Approved, registry.Rejected, registry.Rejected} {
		if _, err := reg.SetApproval(ctx, v.Ref(), status, "alice", "why"); err != nil {
			t.Fatalf("%s: %v", status, err)
		}
	}
	got, err := reg.Version(ctx, v.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 3 || got.Status != registry.Rejected {
		t.Errorf("status %s, history %+v; want Rejected after 3 entries (register, approve, reject)", got.Status, got.History)
	}
}

// A model that is no registered version deploys as a variant naming only
// the model; a bad reference is refused.
func TestDeployBareModel(t *testing.T) {
	t.Parallel()
	reg := newSQLiteRegistry(t)
	ctx := t.Context()
	ep, changed, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Model: modelRef(7), Variant: "Alltraffic"})
	if err != nil || !changed {
		t.Fatalf("Deploy: %v %v", changed, err)
	}
	v := ep.Config.Variants[0]
	if v.Model != modelRef(7) || v.Group != "" || v.Version != 0 || v.Source() != "model "+modelRef(7).Short() {
		t.Errorf("variant %+v (source %q)", v, v.Source())
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep2", Model: "nope"}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("a bad model reference: %v, want ErrInvalid", err)
	}
}

// Only a group that never had a version can be deleted.
func TestDeleteGroup(t *testing.T) {
	t.Parallel()
	reg := newSQLiteRegistry(t)
	ctx := t.Context()
	if _, err := reg.Store().EnsureGroup(ctx, registry.Group{Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(ctx, registry.RegisterRequest{Group: "used", Model: modelRef(1)}); err != nil {
		t.Fatal(err)
	}
	if err := reg.DeleteGroup(ctx, "used"); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("deleting a group with versions: %v, want ErrConflict", err)
	}
	if err := reg.DeleteGroup(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Group(ctx, "empty"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("the deleted group: %v, want ErrNotFound", err)
	}
	if err := reg.DeleteGroup(ctx, "empty"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	evs, err := reg.Store().Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != registry.EventGroupDeleted || last.Group != "empty" {
		t.Errorf("last event %+v, want group.deleted of empty", last)
	}
}
