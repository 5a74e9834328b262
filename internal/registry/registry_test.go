package registry

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
)

func TestCanBecome(t *testing.T) {
	t.Parallel()
	all := []ApprovalStatus{PendingManualApproval, Approved, Rejected, "Bogus"}
	legal := map[[2]ApprovalStatus]bool{
		{PendingManualApproval, Approved}: true, {PendingManualApproval, Rejected}: true,
		{Approved, Rejected}: true, {Rejected, Approved}: true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"_to_"+string(to), func(t *testing.T) {
				if got := from.CanBecome(to); got != legal[[2]ApprovalStatus{from, to}] {
					t.Errorf("%s.CanBecome(%s) = %v", from, to, got)
				}
			})
		}
	}
}

func TestParsePackageRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    PackageRef
		wantErr bool
	}{
		{"fraud/1", PackageRef{"fraud", 1}, false},
		{"fraud-detect-xgb-model-group/42", PackageRef{"fraud-detect-xgb-model-group", 42}, false},
		{"fraud", PackageRef{}, true},
		{"fraud/0", PackageRef{}, true},
		{"fraud/-1", PackageRef{}, true},
		{"fraud/x", PackageRef{}, true},
		{"/1", PackageRef{}, true},
		{"a b/1", PackageRef{}, true},
		{"a/1/2", PackageRef{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePackageRef(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParsePackageRef(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func FuzzParsePackageRef(f *testing.F) {
	for _, s := range []string{"g/1", "g/0", "a-b.c_d/123", "/", "g/1/2", "g/+1", "g/01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePackageRef(s)
		if err != nil {
			return
		}
		if p.Version < 1 || ValidateName("model group", p.Group) != nil {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		if q, err := ParsePackageRef(p.String()); err != nil || q != p {
			t.Fatalf("%q does not round-trip: %+v %v", s, q, err)
		}
	})
}

func ref(n int) artifact.Ref { return artifact.Ref(fmt.Sprintf("sha256:%064x", n)) }

func TestEndpointConfigValidate(t *testing.T) {
	t.Parallel()
	v := func(name string, w float64) Variant {
		return Variant{Name: name, Model: ref(1), Weight: w, InstanceCount: 1}
	}
	tests := []struct {
		name    string
		cfg     EndpointConfig
		wantErr bool
	}{
		{"OK one variant", EndpointConfig{Variants: []Variant{v("A", 1)}}, false},
		{"OK a zero weight beside a positive one", EndpointConfig{Variants: []Variant{v("A", 1), v("B", 0)}}, false},
		{"OK capture", EndpointConfig{Variants: []Variant{v("A", 1)}, DataCapture: DataCapture{Enabled: true, SamplingPercentage: 10, Destination: "/tmp/c"}}, false},
		{"no variant", EndpointConfig{}, true},
		{"duplicate variant", EndpointConfig{Variants: []Variant{v("A", 1), v("A", 1)}}, true},
		{"weights sum to zero", EndpointConfig{Variants: []Variant{v("A", 0)}}, true},
		{"negative weight", EndpointConfig{Variants: []Variant{v("A", 1), v("B", -1)}}, true},
		{"bad model ref", EndpointConfig{Variants: []Variant{{Name: "A", Model: "x", Weight: 1, InstanceCount: 1}}}, true},
		{"zero instances", EndpointConfig{Variants: []Variant{{Name: "A", Model: ref(1), Weight: 1}}}, true},
		{"capture without destination", EndpointConfig{Variants: []Variant{v("A", 1)}, DataCapture: DataCapture{Enabled: true, SamplingPercentage: 10}}, true},
		{"capture over 100 percent", EndpointConfig{Variants: []Variant{v("A", 1)}, DataCapture: DataCapture{SamplingPercentage: 101}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}
