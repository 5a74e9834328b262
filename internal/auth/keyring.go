package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeySize is the size in bytes of a generated master key; a key given as
// text must have at least this many bytes.
const KeySize = 32

// Keyring holds a home's master key. It derives a separate key for every
// purpose, so a hash made for one use is worthless for another.
type Keyring struct {
	master []byte
}

// NewKeyring returns a keyring on the master key (at least KeySize bytes).
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) < KeySize {
		return nil, fmt.Errorf("secret key has %d bytes, want at least %d: %w", len(master), KeySize, ErrInvalid)
	}
	return &Keyring{master: append([]byte(nil), master...)}, nil
}

// ParseKeyring returns a keyring on a master key given as text (as in
// FERRY_SECRET_KEY): hexadecimal (openssl rand -hex 32) or standard base64,
// of at least KeySize bytes. The error never quotes the text.
func ParseKeyring(text string) (*Keyring, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil {
		return NewKeyring(b)
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil {
		return NewKeyring(b)
	}
	return nil, fmt.Errorf("secret key is neither hexadecimal nor base64: %w", ErrInvalid)
}

// OpenKeyring reads the master key file at path (hexadecimal text), creating
// it with a new random key and mode 0600 when it does not exist. Two
// processes creating it at once agree on one key. It refuses a key file that
// others than its owner may read.
func OpenKeyring(path string) (*Keyring, error) {
	k, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	return readKeyFile(path)
}

func readKeyFile(path string) (*Keyring, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading secret key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key %s has mode %04o: it must be readable by its owner only (chmod 600 %s)",
			path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading secret key: %w", err)
	}
	k, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("reading secret key %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so no reader ever sees a partial key and a concurrent creator's key
// wins or loses whole.
func createKeyFile(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("creating secret key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating secret key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secret.key-*")
	if err != nil {
		return fmt.Errorf("creating secret key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("creating secret key: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("creating secret key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("creating secret key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("creating secret key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating secret key: %w", err)
	}
	return nil
}

// Hash returns HMAC-SHA256 of value under the key derived for purpose
// (for example "cache" or "sigv4-secret").
func (k *Keyring) Hash(purpose string, value []byte) []byte {
	sub := hmac.New(sha256.New, k.master)
	sub.Write([]byte("ferry/" + purpose))
	m := hmac.New(sha256.New, sub.Sum(nil))
	m.Write(value)
	return m.Sum(nil)
}

// Seal encrypts and authenticates plaintext with AES-256-GCM under the key
// derived for purpose; the result holds a random nonce and the ciphertext.
func (k *Keyring) Seal(purpose string, plaintext []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(purpose)), nil
}

// ErrSealed means sealed data could not be opened: it was sealed under
// another key (the home's secret key changed) or for another purpose, or
// it was altered.
var ErrSealed = errors.New("sealed data does not open with this secret key")

// Open returns the plaintext of data sealed by Seal for purpose;
// ErrSealed when it was sealed under another key or altered.
func (k *Keyring) Open(purpose string, sealed []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrSealed
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, ErrSealed
	}
	return out, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Hash("seal/"+purpose, nil))
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	return aead, nil
}
