package layout

import "testing"

// TestAuthImportsNothingOfThePlatform: internal/auth (identities, roles,
// the keyring) sits below every package that checks a principal, so it
// imports no Ferry package; the engine takes its keyed hash through a
// function, not by importing auth.
func TestAuthImportsNothingOfThePlatform(t *testing.T) {
	t.Parallel()
	if imps := imports(t, "../../internal/auth"); len(imps) > 0 {
		t.Errorf("internal/auth imports %v: it imports nothing of the platform", imps)
	}
	for _, pkg := range []string{"internal/engine", "internal/pipeline", "internal/step/command"} {
		for _, imp := range imports(t, "../../"+pkg) {
			if imp == "internal/auth" {
				t.Errorf("%s imports internal/auth: it takes the keyed hash as a function", pkg)
			}
		}
	}
}
