package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/google/go-cmp/cmp"
)

func ref(n int) artifact.Ref {
	return artifact.Ref(fmt.Sprintf("sha256:%064x", n))
}

// setup opens a real database file in a temp dir and returns a registry on it.
func setup(t testing.TB) (*registry.Registry, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(artifacttest.TempDir(t), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return registry.New(sqlite.NewRegistryStore(db), slog.New(slog.DiscardHandler)), db
}

func TestConcurrentRegistrationNumbersVersionsWithoutGapOrDuplicate(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	const workers, each = 8, 100
	var wg sync.WaitGroup
	got := make([][]int, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				v, err := reg.Register(ctx, registry.RegisterRequest{Group: "fraud", Model: ref(w*each + i)})
				if err != nil {
					errs[w] = err
					return
				}
				got[w] = append(got[w], v.Version)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]int)
	for _, vs := range got {
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("one goroutine got versions %d then %d: not increasing", vs[i-1], vs[i])
			}
		}
		for _, v := range vs {
			seen[v]++
		}
	}
	for v := 1; v <= workers*each; v++ {
		if seen[v] != 1 {
			t.Errorf("version %d allocated %d times, want once", v, seen[v])
		}
	}
	if len(seen) != workers*each {
		t.Errorf("got %d distinct versions, want %d", len(seen), workers*each)
	}
	stored, err := reg.Versions(ctx, "fraud")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != workers*each {
		t.Fatalf("stored %d versions, want %d", len(stored), workers*each)
	}
	for i, v := range stored {
		if v.Version != i+1 {
			t.Fatalf("stored version at %d is %d, want %d", i, v.Version, i+1)
		}
	}
	g, err := reg.Group(ctx, "fraud")
	if err != nil {
		t.Fatal(err)
	}
	if g.LatestVersion != workers*each {
		t.Errorf("latest version %d, want %d", g.LatestVersion, workers*each)
	}
}

func TestRegisterRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	req := registry.RegisterRequest{
		Group:       "fraud-detect-xgb-model-group",
		Model:       ref(1),
		Description: "first",
		Status:      registry.Approved,
		By:          "pipeline",
		Metrics: map[string]artifact.Ref{
			registry.KeyBiasPostTraining: ref(2), registry.KeyExplainability: ref(3),
		},
		DriftBaselines: map[string]artifact.Ref{
			registry.KeyBiasPostTrainingConstraints: ref(4), registry.KeyExplainabilityConstraints: ref(5),
			registry.KeyExplainabilityConfigFile: ref(6),
		},
		Inference: registry.InferenceSpec{ContentTypes: []string{"text/csv"}, ResponseTypes: []string{"text/csv"}},
		Metadata:  map[string]string{"team": "fraud"},
		Lineage: registry.Lineage{PipelineName: "FraudDetectXGBPipeline", ExecutionID: "exec-1", Step: "XGBRegisterModel",
			Inputs: map[string]artifact.Ref{"model": ref(1)}},
	}
	v, err := reg.Register(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg.Version(ctx, registry.PackageRef{Group: req.Group, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, got); diff != "" {
		t.Errorf("stored version differs from returned (-returned +stored):\n%s", diff)
	}
	want := registry.Version{
		Group: req.Group, Version: 1, Model: req.Model, Description: req.Description, Status: registry.Approved,
		Metrics: req.Metrics, DriftBaselines: req.DriftBaselines, Inference: req.Inference, Metadata: req.Metadata,
		Lineage: req.Lineage,
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		s := p.String()
		return s == "History" || s == "CreatedAt" || s == "UpdatedAt"
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("version (-want +got):\n%s", diff)
	}
	if len(got.History) != 1 || got.History[0].Status != registry.Approved || got.History[0].By != "pipeline" {
		t.Errorf("history = %+v, want one Approved entry by pipeline", got.History)
	}
}

func TestApprovalTransitionsAndHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		steps   []registry.ApprovalStatus
		wantErr error // for the last step
	}{
		{"OK pending to approved", []registry.ApprovalStatus{registry.Approved}, nil},
		{"OK pending to rejected", []registry.ApprovalStatus{registry.Rejected}, nil},
		{"OK approved then revoked", []registry.ApprovalStatus{registry.Approved, registry.Rejected}, nil},
		{"OK rejected then approved", []registry.ApprovalStatus{registry.Rejected, registry.Approved}, nil},
		// Approving twice is a no-op, not a conflict: see
		// registry's TestSetApprovalToTheSameStatusIsANoOp.
		{"ErrConflict back to pending", []registry.ApprovalStatus{registry.PendingManualApproval}, registry.ErrConflict},
		{"ErrInvalid unknown status", []registry.ApprovalStatus{"Maybe"}, registry.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, _ := setup(t)
			ctx := t.Context()
			v, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1)})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != registry.PendingManualApproval {
				t.Fatalf("initial status %s, want PendingManualApproval", v.Status)
			}
			for i, s := range tt.steps {
				v, err = reg.SetApproval(ctx, v.Ref(), s, "alice", fmt.Sprintf("step %d", i))
				if i < len(tt.steps)-1 && err != nil {
					t.Fatal(err)
				}
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if len(v.History) != len(tt.steps)+1 {
				t.Fatalf("history has %d entries, want %d: %+v", len(v.History), len(tt.steps)+1, v.History)
			}
			for i, s := range tt.steps {
				h := v.History[i+1]
				if h.Status != s || h.By != "alice" || h.Reason != fmt.Sprintf("step %d", i) || h.At.IsZero() {
					t.Errorf("history[%d] = %+v, want %s by alice", i+1, h, s)
				}
			}
		})
	}
}

func TestNotFoundAndInvalid(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	if _, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func() error
		want error
	}{
		{"missing version", func() error { _, err := reg.Version(ctx, registry.PackageRef{Group: "g", Version: 9}); return err }, registry.ErrNotFound},
		{"missing group", func() error { _, err := reg.Versions(ctx, "nope"); return err }, registry.ErrNotFound},
		{"approve missing", func() error {
			_, err := reg.Approve(ctx, registry.PackageRef{Group: "nope", Version: 1}, "a", "")
			return err
		}, registry.ErrNotFound},
		{"approve without who", func() error {
			_, err := reg.Approve(ctx, registry.PackageRef{Group: "g", Version: 1}, " ", "")
			return err
		}, registry.ErrInvalid},
		{"bad group name", func() error {
			_, err := reg.Register(ctx, registry.RegisterRequest{Group: "a b", Model: ref(1)})
			return err
		}, registry.ErrInvalid},
		{"bad model ref", func() error {
			_, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: "x"})
			return err
		}, registry.ErrInvalid},
		{"bad metric ref", func() error {
			_, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1), Metrics: map[string]artifact.Ref{"m": "sha256:zz"}})
			return err
		}, registry.ErrInvalid},
		{"missing endpoint", func() error { _, err := reg.Endpoint(ctx, "nope"); return err }, registry.ErrNotFound},
		{"delete missing endpoint", func() error { return reg.DeleteEndpoint(ctx, "nope") }, registry.ErrNotFound},
		{"set endpoint of missing group", func() error { return reg.SetGroupEndpoint(ctx, "nope", "ep") }, registry.ErrNotFound},
		{"missing model", func() error { _, err := reg.Model(ctx, "nope"); return err }, registry.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f(); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeployIsIdempotentAndRefusesRejected(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	v1, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1), Status: registry.Approved})
	if err != nil {
		t.Fatal(err)
	}
	ep, changed, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: v1.Ref()})
	if err != nil || !changed {
		t.Fatalf("first deploy: changed=%v err=%v", changed, err)
	}
	if ep.ConfigVersion != 1 || ep.Status != registry.EndpointCreating || len(ep.Config.Variants) != 1 ||
		ep.Config.Variants[0].Name != registry.DefaultVariant || ep.Config.Variants[0].Model != ref(1) {
		t.Fatalf("endpoint after create = %+v", ep)
	}
	ep2, changed, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: v1.Ref()})
	if err != nil || changed || ep2.ConfigVersion != 1 {
		t.Fatalf("re-deploy: changed=%v version=%d err=%v, want a no-op", changed, ep2.ConfigVersion, err)
	}
	v2, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Reject(ctx, v2.Ref(), "bob", "bias too high"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: v2.Ref()}); !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("deploying a rejected version: err = %v, want ErrRejected", err)
	}
	v3, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(3)})
	if err != nil {
		t.Fatal(err)
	}
	ep3, changed, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: v3.Ref(), InstanceCount: 2})
	if err != nil || !changed {
		t.Fatalf("update: changed=%v err=%v", changed, err)
	}
	if ep3.ConfigVersion != 2 || ep3.Status != registry.EndpointUpdating || ep3.Config.Variants[0].Version != 3 ||
		ep3.Config.Variants[0].InstanceCount != 2 {
		t.Errorf("endpoint after update = %+v", ep3)
	}
	if err := reg.DeleteEndpoint(ctx, "ep"); err != nil {
		t.Fatal(err)
	}
	ep4, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: v1.Ref()})
	if err != nil {
		t.Fatal(err)
	}
	if ep4.ConfigVersion != 3 {
		t.Errorf("re-created endpoint config version %d, want 3 (numbering continues)", ep4.ConfigVersion)
	}
}

func TestDeployWithFailingModelCheckKeepsPreviousConfig(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	bad := ref(666)
	reg.CheckModel = func(ctx context.Context, r artifact.Ref) error {
		if r == bad {
			return errors.New("model.json: unexpected EOF")
		}
		return nil
	}
	good, _ := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1), Status: registry.Approved})
	broken, _ := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: bad, Status: registry.Approved})
	ep, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: good.Ref()})
	if err != nil || ep.Status != registry.EndpointInService {
		t.Fatalf("deploy good: status %s err %v", ep.Status, err)
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "ep", Package: broken.Ref()}); err == nil ||
		!strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("deploy broken: err = %v, want the load error", err)
	}
	after, err := reg.Endpoint(ctx, "ep")
	if err != nil {
		t.Fatal(err)
	}
	if after.ConfigVersion != 1 || after.Config.Variants[0].Model != ref(1) || after.Status != registry.EndpointInService ||
		!strings.Contains(after.FailureReason, "unexpected EOF") {
		t.Errorf("endpoint after failed update = %+v, want config 1 still in service with a failure reason", after)
	}
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: "new", Package: broken.Ref()}); err == nil {
		t.Fatal("creating an endpoint with a broken model: want an error")
	}
	created, err := reg.Endpoint(ctx, "new")
	if err != nil || created.Status != registry.EndpointFailed {
		t.Errorf("new endpoint with broken model: %+v, %v; want status Failed", created, err)
	}
}

func TestAutoDeployOnApprovalAndEvents(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	v1, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(1), Status: registry.Approved, Endpoint: "live"})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := reg.Endpoint(ctx, "live")
	if err != nil || ep.Config.Variants[0].Version != v1.Version {
		t.Fatalf("registering an approved version with an endpoint: %+v %v; want it deployed", ep, err)
	}
	v2, err := reg.Register(ctx, registry.RegisterRequest{Group: "g", Model: ref(2)})
	if err != nil {
		t.Fatal(err)
	}
	if ep, _ := reg.Endpoint(ctx, "live"); ep.Config.Variants[0].Version != 1 {
		t.Fatalf("a pending version was deployed: %+v", ep)
	}
	if _, err := reg.Approve(ctx, v2.Ref(), "alice", "metrics ok"); err != nil {
		t.Fatal(err)
	}
	ep, err = reg.Endpoint(ctx, "live")
	if err != nil || ep.Config.Variants[0].Version != 2 || ep.ConfigVersion != 2 {
		t.Fatalf("after approval: %+v %v; want version 2 deployed as config 2", ep, err)
	}
	if b, ok, err := reg.LatestApprovedBaseline(ctx, "g", registry.KeyExplainabilityConstraints); err != nil || ok {
		t.Errorf("baseline with none registered: %v %v %v", b, ok, err)
	}
	events, err := reg.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	want := []string{
		registry.EventGroupCreated, registry.EventGroupUpdated, registry.EventVersionCreated, registry.EventEndpointConfigured,
		registry.EventVersionCreated, registry.EventApprovalChanged, registry.EventEndpointConfigured,
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
	later, err := reg.Events(ctx, events[4].ID)
	if err != nil || len(later) != 2 {
		t.Errorf("events since %d: %d events, %v; want 2", events[4].ID, len(later), err)
	}
}

func TestLatestApprovedBaseline(t *testing.T) {
	t.Parallel()
	reg, _ := setup(t)
	ctx := t.Context()
	key := registry.KeyBiasPostTrainingConstraints
	reg1 := func(n int, status registry.ApprovalStatus, withKey bool) {
		t.Helper()
		req := registry.RegisterRequest{Group: "g", Model: ref(n), Status: status}
		if withKey {
			req.DriftBaselines = map[string]artifact.Ref{key: ref(100 + n)}
		}
		if _, err := reg.Register(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	reg1(1, registry.Approved, true)
	reg1(2, registry.Approved, false)
	reg1(3, registry.Rejected, true)
	reg1(4, registry.PendingManualApproval, true)
	got, ok, err := reg.LatestApprovedBaseline(ctx, "g", key)
	if err != nil || !ok || got != ref(101) {
		t.Errorf("LatestApprovedBaseline = %v %v %v, want %v", got, ok, err, ref(101))
	}
	if _, ok, err := reg.LatestApprovedBaseline(ctx, "missing", key); ok || err != nil {
		t.Errorf("missing group: ok=%v err=%v, want false, nil", ok, err)
	}
}
