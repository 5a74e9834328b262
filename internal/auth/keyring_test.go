package auth_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

func TestOpenKeyringCreatesOwnerOnlyKeyOnceAndReadsItBack(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "home", "secret.key")
	const n = 8
	keys := make([]*auth.Keyring, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = auth.OpenKeyring(path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret.key mode = %04o, want 0600", fi.Mode().Perm())
	}
	want := keys[0].Hash("cache", []byte("x"))
	for i, k := range keys {
		if got := k.Hash("cache", []byte("x")); !bytes.Equal(got, want) {
			t.Errorf("opener %d has another key", i)
		}
	}
	again, err := auth.OpenKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Hash("cache", []byte("x")), want) {
		t.Error("reopening gives another key")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret.key-*"))
	if len(left) > 0 {
		t.Errorf("temporary key files left: %v", left)
	}
}

func TestOpenKeyringRefusesKeyReadableByOthers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("ab", 32)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := auth.OpenKeyring(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("OpenKeyring of a 0644 key = %v, want an error saying chmod 600", err)
	}
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	hexKey := hex.EncodeToString(key)
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"Hex", hexKey, true},
		{"HexWithNewline", hexKey + "\n", true},
		{"Base64", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", true},
		{"ErrShort", "abcd", false},
		{"ErrEmpty", "", false},
		{"ErrNotEncoded", "correct horse battery staple correct horse", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := auth.ParseKeyring(tt.text)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKeyring(%q) error = %v, want ok=%v", tt.text, err, tt.ok)
			}
			if err != nil && tt.text != "" && strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q quotes the key text", err)
			}
			if k != nil {
				ref, _ := auth.NewKeyring(key)
				if !bytes.Equal(k.Hash("p", []byte("v")), ref.Hash("p", []byte("v"))) {
					t.Error("parsed key differs from the raw key")
				}
			}
		})
	}
}

func TestKeyringHashSeparatesPurposesAndKeys(t *testing.T) {
	t.Parallel()
	k1, _ := auth.NewKeyring(bytes.Repeat([]byte{1}, 32))
	k2, _ := auth.NewKeyring(bytes.Repeat([]byte{2}, 32))
	v := []byte("hunter2")
	a, b, c := k1.Hash("cache", v), k1.Hash("sigv4-secret", v), k2.Hash("cache", v)
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Error("hashes for different purposes or keys are equal")
	}
	if !bytes.Equal(a, k1.Hash("cache", v)) {
		t.Error("Hash is not deterministic")
	}
	if len(a) != 32 {
		t.Errorf("len(Hash) = %d, want 32", len(a))
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, _ := auth.NewKeyring(bytes.Repeat([]byte{1}, 32))
	k2, _ := auth.NewKeyring(bytes.Repeat([]byte{2}, 32))
	msg := []byte(`{"token":"hunter2"}`)
	sealed, err := k1.Seal("params", msg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed data holds the plaintext")
	}
	again, _ := k1.Seal("params", msg)
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one message are equal (nonce reuse)")
	}
	got, err := k1.Open("params", sealed)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"OtherKey":     func() ([]byte, error) { return k2.Open("params", sealed) },
		"OtherPurpose": func() ([]byte, error) { return k1.Open("other", sealed) },
		"Tampered":     func() ([]byte, error) { return k1.Open("params", tampered) },
		"Short":        func() ([]byte, error) { return k1.Open("params", sealed[:5]) },
	} {
		if _, err := open(); !errors.Is(err, auth.ErrSealed) {
			t.Errorf("%s: Open = %v, want ErrSealed", name, err)
		}
	}
}
