package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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
// service (four HMACs each).
type signingKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

func (s *signingKeys) get(secret, date, region, service string) []byte {
	id := secret + "/" + date + "/" + region + "/" + service
	s.mu.Lock()
	k, ok := s.keys[id]
	s.mu.Unlock()
	if ok {
		return k
	}
	k = hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	k = hmacSum(k, "aws4_request")
	s.mu.Lock()
	if s.keys == nil || len(s.keys) >= maxCached {
		s.keys = make(map[string][]byte)
	}
	s.keys[id] = k
	s.mu.Unlock()
	return k
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// headerSignature returns the hex signature of r for the client's signed
// headers, payload hash and credential scope, as the SDK's SignHTTP would.
func (v *Verifier) headerSignature(r *http.Request, ah authHeader, payloadHash, amzDate, secret string) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	if ah.cred.service != "s3" {
		uri = httpbinding.EscapePath(uri, false)
	}
	b.WriteString(uri)
	b.WriteByte('\n')
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for k := range q {
			slices.Sort(q[k])
		}
		b.WriteString(strings.ReplaceAll(q.Encode(), "+", "%20"))
	}
	b.WriteByte('\n')
	names := slices.Clone(ah.signedHeaders)
	if !slices.Contains(names, "host") {
		names = append(names, "host")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	kept := names[:0]
	for _, name := range names {
		switch name {
		case "host":
			b.WriteString("host:")
			b.WriteString(stripExcessSpaces(r.Host))
		case "content-length":
			n := r.Header.Get("Content-Length")
			if n == "" && r.ContentLength > 0 {
				n = strconv.FormatInt(r.ContentLength, 10)
			}
			if n == "" || n == "0" {
				continue // the SDK signs content-length only when positive
			}
			b.WriteString("content-length:")
			b.WriteString(n)
		default:
			vals := r.Header.Values(name)
			if len(vals) == 0 || ignoredHeader(name) {
				continue
			}
			b.WriteString(name)
			b.WriteByte(':')
			for i, val := range vals {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(stripExcessSpaces(val)))
			}
		}
		b.WriteByte('\n')
		kept = append(kept, name)
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(kept, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	sum := sha256.Sum256([]byte(b.String()))

	var s strings.Builder
	s.Grow(160)
	s.WriteString(algorithm + "\n")
	s.WriteString(amzDate)
	s.WriteByte('\n')
	s.WriteString(ah.cred.date + "/" + ah.cred.region + "/" + ah.cred.service + "/aws4_request\n")
	s.WriteString(hex.EncodeToString(sum[:]))
	key := v.keys.get(secret, ah.cred.date, ah.cred.region, ah.cred.service)
	return hex.EncodeToString(hmacSum(key, s.String()))
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
