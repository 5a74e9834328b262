package auth_test

import (
	"errors"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// FuzzParseKeyring: any text is a key of at least KeySize bytes or an
// error that does not quote it; never a panic.
func FuzzParseKeyring(f *testing.F) {
	f.Add("0707070707070707070707070707070707070707070707070707070707070707")
	f.Add("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, text string) {
		k, err := auth.ParseKeyring(text)
		if err == nil && k == nil {
			t.Fatal("nil keyring without error")
		}
		if err != nil && !errors.Is(err, auth.ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
	})
}

// FuzzAuthenticate: any bearer text either authenticates as the one
// issued token or is ErrUnauthenticated; never a panic.
func FuzzAuthenticate(f *testing.F) {
	svc := auth.NewService(&memStore{}, testKeyring(f), nil)
	_, sec, err := svc.Create(f.Context(), "fuzz", auth.Viewer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sec.Token)
	f.Add("ferry_")
	f.Add("Bearer x")
	f.Add(sec.Token[:len(sec.Token)-1] + "\xff")
	f.Fuzz(func(t *testing.T, bearer string) {
		p, err := svc.Authenticate(t.Context(), bearer)
		switch {
		case bearer == sec.Token:
			if err != nil || p.Name != "fuzz" {
				t.Fatalf("the issued token: %+v, %v", p, err)
			}
		case !errors.Is(err, auth.ErrUnauthenticated):
			t.Fatalf("Authenticate(%q) = %+v, %v; want ErrUnauthenticated", bearer, p, err)
		}
	})
}
