package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// The header signature, computed without the SDK signer's allocations
// (the SDK rebuilds maps of headers and query values per request): the
// same canonical request, string to sign and key derivation, checked
// against aws-sdk-go-v2's signer by TestCanonicalMatchesSDK. Presigned
// URLs still go through the SDK's signer.

// signingKeys caches derived signing keys by secret, date, region and
// service (four HMACs each), and a pool of HMACs keyed with each, so that
// a signature costs one HMAC over the string to sign and no allocation.
type signingKeys struct {
	mu   sync.Mutex
	keys map[signingScope]*signingKey
}

type signingScope struct{ secret, date, region, service string }

type signingKey struct {
	key  []byte
	macs sync.Pool // of hash.Hash: HMAC-SHA256 keyed with key
}

func (s *signingKeys) lookup(secret, date, region, service string) *signingKey {
	id := signingScope{secret, date, region, service}
	s.mu.Lock()
	k, ok := s.keys[id]
	s.mu.Unlock()
	if ok {
		return k
	}
	key := hmacSum([]byte("AWS4"+secret), date)
	key = hmacSum(key, region)
	key = hmacSum(key, service)
	key = hmacSum(key, "aws4_request")
	k = &signingKey{key: key}
	k.macs.New = func() any { return hmac.New(sha256.New, k.key) }
	s.mu.Lock()
	if s.keys == nil || len(s.keys) >= maxCached {
		s.keys = make(map[signingScope]*signingKey)
	}
	s.keys[id] = k
	s.mu.Unlock()
	return k
}

// get returns the signing key of a scope.
func (s *signingKeys) get(secret, date, region, service string) []byte {
	return s.lookup(secret, date, region, service).key
}

// sign appends to dst the HMAC of msg with the scope's signing key.
func (s *signingKeys) sign(dst []byte, secret, date, region, service string, msg []byte) []byte {
	k := s.lookup(secret, date, region, service)
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(msg)
	dst = m.Sum(dst)
	k.macs.Put(m)
	return dst
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// hasher is a SHA-256 and a buffer for the canonical request, pooled.
type hasher struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

var hashers = sync.Pool{New: func() any { return &hasher{h: sha256.New(), buf: make([]byte, 0, 1024)} }}

// headerSignature appends to dst the signature of r (32 bytes) for the
// client's signed headers, payload hash and credential scope, as the SDK's
// SignHTTP would compute it.
func (v *Verifier) headerSignature(dst []byte, r *http.Request, ah authHeader, payloadHash, amzDate, secret string) []byte {
	hs := hashers.Get().(*hasher)
	defer hashers.Put(hs)
	b := hs.buf[:0]
	b = append(b, r.Method...)
	b = append(b, '\n')
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	if ah.cred.service != "s3" && !plainPath(uri) {
		uri = httpbinding.EscapePath(uri, false)
	}
	b = append(b, uri...)
	b = append(b, '\n')
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for k := range q {
			slices.Sort(q[k])
		}
		b = append(b, strings.ReplaceAll(q.Encode(), "+", "%20")...)
	}
	b = append(b, '\n')
	names := signedNames(ah.signed)
	var kept [32]string
	keptNames := kept[:0]
	for _, name := range names {
		switch name {
		case "host":
			b = append(b, "host:"...)
			b = append(b, stripExcessSpaces(r.Host)...)
		case "content-length":
			n := r.Header.Get("Content-Length")
			if n == "" && r.ContentLength > 0 {
				n = strconv.FormatInt(r.ContentLength, 10)
			}
			if n == "" || n == "0" {
				continue // the SDK signs content-length only when positive
			}
			b = append(b, "content-length:"...)
			b = append(b, n...)
		default:
			vals := r.Header[headerKey(name)]
			if len(vals) == 0 || ignoredHeader(name) {
				continue
			}
			b = append(b, name...)
			b = append(b, ':')
			for i, val := range vals {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, strings.TrimSpace(stripExcessSpaces(val))...)
			}
		}
		b = append(b, '\n')
		keptNames = append(keptNames, name)
	}
	b = append(b, '\n')
	for i, name := range keptNames {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	b = append(b, '\n')
	b = append(b, payloadHash...)
	hs.h.Reset()
	hs.h.Write(b)
	canonical := hs.h.Sum(hs.sum[:0])

	// The string to sign, in the same buffer.
	b = append(b[:0], algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, ah.cred.date...)
	b = append(b, '/')
	b = append(b, ah.cred.region...)
	b = append(b, '/')
	b = append(b, ah.cred.service...)
	b = append(b, "/aws4_request\n"...)
	b = hex.AppendEncode(b, canonical)
	hs.buf = b
	return v.keys.sign(dst, secret, ah.cred.date, ah.cred.region, ah.cred.service, b)
}

// headerKey is the canonical form of a signed (lower-case) header name:
// the names SDKs sign are spelled out, so that looking them up allocates
// nothing; others go through textproto.
func headerKey(name string) string {
	switch name {
	case "content-type":
		return "Content-Type"
	case "accept":
		return "Accept"
	case "x-amz-date":
		return "X-Amz-Date"
	case "x-amz-content-sha256":
		return "X-Amz-Content-Sha256"
	case "x-amz-target":
		return "X-Amz-Target"
	case "x-amz-security-token":
		return "X-Amz-Security-Token"
	case "x-amz-user-agent":
		return "X-Amz-User-Agent"
	case "x-amz-decoded-content-length":
		return "X-Amz-Decoded-Content-Length"
	case "content-encoding":
		return "Content-Encoding"
	case "content-md5":
		return "Content-Md5"
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// plainPath reports whether EscapePath(p, false) would return p
// unchanged: p holds only unreserved characters and '/'.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			return false
		}
	}
	return true
}

// signedNames returns the SignedHeaders names sorted, without duplicates,
// with "host" (which the SDK always signs). Clients send them sorted, so
// the usual case allocates nothing beyond the split.
func signedNames(signed string) []string {
	names := strings.Split(signed, ";")
	if !slices.Contains(names, "host") {
		names = append(names, "host")
	}
	if !slices.IsSorted(names) {
		slices.Sort(names)
	}
	return slices.Compact(names)
}

// hexDecode decodes the hex s into dst (len(dst) bytes); false when s is
// not that much hex.
func hexDecode(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ignoredHeader reports the headers the SDK never signs.
func ignoredHeader(name string) bool {
	switch name {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding":
		return true
	}
	return false
}

// stripExcessSpaces trims s and folds runs of spaces into one, as the SDK
// does for header values.
func stripExcessSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(s[i])
	}
	return b.String()
}
