package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// TestRoleActionMatrix is the whole policy, role x action.
func TestRoleActionMatrix(t *testing.T) {
	t.Parallel()
	const (
		y = true
		n = false
	)
	//                        read invoke operate approve manage
	want := map[auth.Role][5]bool{
		auth.Viewer:   {y, n, n, n, n},
		auth.Invoker:  {y, y, n, n, n},
		auth.Operator: {y, y, y, n, n},
		auth.Approver: {y, y, n, y, n},
		auth.Admin:    {y, y, y, y, y},
		"":            {n, n, n, n, n},
		"root":        {n, n, n, n, n},
	}
	actions := auth.Actions()
	for role, row := range want {
		for i, a := range actions {
			t.Run(string(role)+"/"+string(a), func(t *testing.T) {
				t.Parallel()
				if got := role.Can(a); got != row[i] {
					t.Errorf("%q.Can(%s) = %v, want %v", role, a, got, row[i])
				}
				ctx := auth.NewContext(context.Background(), auth.Principal{Name: "ci", Role: role})
				err := auth.Check(ctx, a)
				var fe *auth.ForbiddenError
				switch {
				case row[i] && err != nil:
					t.Errorf("Check(%s) as %q = %v, want nil", a, role, err)
				case !row[i] && !errors.As(err, &fe):
					t.Errorf("Check(%s) as %q = %v, want *ForbiddenError", a, role, err)
				case !row[i] && (fe.Principal.Name != "ci" || fe.Action != a):
					t.Errorf("ForbiddenError = %+v, want principal ci and action %s", fe, a)
				}
			})
		}
	}
	if got := auth.Role("viewer").Can("delete"); got {
		t.Errorf("an unknown action is allowed")
	}
}

func TestCheckWithoutPrincipalIsUnauthenticated(t *testing.T) {
	t.Parallel()
	if err := auth.Check(context.Background(), auth.Read); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Check without a principal = %v, want ErrUnauthenticated", err)
	}
	svc := auth.NewService(nil, nil, nil)
	if err := svc.Check(context.Background(), auth.Read); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Service.Check without a principal = %v, want ErrUnauthenticated", err)
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, r := range auth.Roles() {
		got, err := auth.ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "Admin", "root", " viewer"} {
		if _, err := auth.ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) accepted", bad)
		}
	}
}

func TestPrincipalContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	p := auth.Principal{Name: "alice", Role: auth.Approver}
	got, ok := auth.FromContext(auth.NewContext(context.Background(), p))
	if !ok || got != p {
		t.Errorf("FromContext = %+v, %v, want %+v", got, ok, p)
	}
}
