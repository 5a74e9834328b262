package awsapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/ferryml/ferry/internal/auth"
)

// KeySource returns the principal and the secret access key of an access
// key id; auth.ErrUnauthenticated when the id is unknown or revoked.
// *auth.Service implements it.
type KeySource interface {
	AccessKey(ctx context.Context, accessKeyID string) (auth.Principal, string, error)
}

// AuthFailure says why a request's signature was refused. Each protocol
// turns it into the error code its SDK expects.
type AuthFailure int

// The failures.
const (
	// Missing: no SigV4 signature at all.
	Missing AuthFailure = iota + 1
	// Malformed: an Authorization header or presigned query that does not
	// parse, or a credential scope that does not match the request.
	Malformed
	// UnknownKey: an access key id that no unrevoked token has.
	UnknownKey
	// BadSignature: the signature is not the one the secret key gives.
	BadSignature
	// Skewed: the signing time is more than MaxSkew from the server's
	// clock, or a presigned URL has expired.
	Skewed
	// BadPayload: the body does not hash to x-amz-content-sha256.
	BadPayload
)

// AuthError is a refused signature.
type AuthError struct {
	Failure AuthFailure
	Message string
}

func (e *AuthError) Error() string { return e.Message }

// MaxSkew is how far a signing time may be from the server's clock, as
// AWS allows.
const MaxSkew = 15 * time.Minute

// maxSignedBody bounds the body read to hash it when the client does not
// send x-amz-content-sha256 (every service but S3 signs the body's hash).
const maxSignedBody = 64 << 20

const (
	algorithm       = "AWS4-HMAC-SHA256"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	amzDateFormat   = "20060102T150405Z"
)

// Verifier checks SigV4 signatures with keys from Keys.
type Verifier struct {
	Keys KeySource
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// keys caches lookups for keyTTL, so a busy endpoint does not read the
	// database per request (a revocation by another process takes effect
	// within keyTTL, as for bearer tokens).
	mu    sync.Mutex
	cache map[string]cachedKey

	// signer is shared so that its derived signing keys (four HMACs per
	// key, date, region and service) are cached across requests.
	signerOnce sync.Once
	signer     *v4.Signer
	keys       signingKeys
}

func (v *Verifier) v4() *v4.Signer {
	v.signerOnce.Do(func() { v.signer = v4.NewSigner() })
	return v.signer
}

// bare returns a request with r's method, URL and host and no headers:
// what the signer reads.
func bare(r *http.Request) *http.Request {
	u := *r.URL
	return &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: make(http.Header)}
}

type cachedKey struct {
	p      auth.Principal
	secret string
	at     time.Time
}

const (
	keyTTL    = 5 * time.Second
	maxCached = 4096
)

// credential is a parsed SigV4 credential scope.
type credential struct {
	keyID, date, region, service string
}

func parseCredential(s string) (credential, error) {
	var f [5]string
	rest, n := s, 0
	for ; n < 5 && rest != ""; n++ {
		f[n], rest, _ = strings.Cut(rest, "/")
	}
	if n != 5 || rest != "" || strings.HasSuffix(s, "/") || f[4] != "aws4_request" || f[0] == "" || len(f[1]) != 8 || f[2] == "" || f[3] == "" {
		return credential{}, fmt.Errorf("credential %q: want ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request", short(s))
	}
	return credential{keyID: f[0], date: f[1], region: f[2], service: f[3]}, nil
}

// authHeader is a parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header.
type authHeader struct {
	cred credential
	// signed is the SignedHeaders value: lower-case names joined by ';'.
	signed    string
	signature string
}

func parseAuthHeader(h string) (authHeader, error) {
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return authHeader{}, fmt.Errorf("authorization header: want the %s scheme", algorithm)
	}
	var a authHeader
	var credStr string
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "Credential":
			credStr = v
		case "SignedHeaders":
			a.signed = v
		case "Signature":
			a.signature = v
		}
	}
	switch {
	case credStr == "":
		return a, errors.New("authorization header has no Credential")
	case a.signed == "":
		return a, errors.New("authorization header has no SignedHeaders")
	case a.signature == "":
		return a, errors.New("authorization header has no Signature")
	}
	var err error
	if a.cred, err = parseCredential(credStr); err != nil {
		return a, fmt.Errorf("authorization header: %w", err)
	}
	return a, nil
}

// Signed reports whether r carries a SigV4 signature (header or
// presigned query).
func Signed(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), algorithm+" ") || r.URL.Query().Get("X-Amz-Algorithm") != ""
}

// Verify checks r's SigV4 signature and returns the principal of its key
// and the credential's service. The body of r may be replaced by one that
// verifies the payload hash as it is read (S3's signed payloads); a
// mismatch then surfaces as a read error wrapping an *AuthError.
func (v *Verifier) Verify(r *http.Request) (auth.Principal, string, error) {
	if strings.HasPrefix(r.Header.Get("Authorization"), algorithm+" ") {
		return v.verifyHeader(r)
	}
	if r.URL.Query().Get("X-Amz-Algorithm") != "" {
		return v.verifyPresigned(r)
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS ") || r.URL.Query().Get("AWSAccessKeyId") != "" {
		return auth.Principal{}, "", &AuthError{Missing, "signature version 2 is not supported: sign requests with SigV4 (AWS4-HMAC-SHA256)"}
	}
	return auth.Principal{}, "", &AuthError{Missing, "the request is not signed: sign it with SigV4 using an access key from `ferry tokens create`"}
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// lookup returns the principal and credentials of the key id.
func (v *Verifier) lookup(ctx context.Context, keyID string) (auth.Principal, aws.Credentials, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[keyID]
	v.mu.Unlock()
	if ok && now.Sub(c.at) < keyTTL && now.Sub(c.at) >= 0 {
		return c.p, aws.Credentials{AccessKeyID: keyID, SecretAccessKey: c.secret}, nil
	}
	p, secret, err := v.Keys.AccessKey(ctx, keyID)
	if err == nil {
		v.mu.Lock()
		if v.cache == nil || len(v.cache) >= maxCached {
			v.cache = make(map[string]cachedKey)
		}
		v.cache[keyID] = cachedKey{p: p, secret: secret, at: now}
		v.mu.Unlock()
	}
	if errors.Is(err, auth.ErrUnauthenticated) {
		return p, aws.Credentials{}, &AuthError{UnknownKey, fmt.Sprintf("the access key id %s does not exist or was revoked", short(keyID))}
	}
	if err != nil {
		return p, aws.Credentials{}, fmt.Errorf("looking up access key: %w", err)
	}
	return p, aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, nil
}

// checkTime parses the signing time and checks it against the clock and
// the credential's date.
func (v *Verifier) checkTime(amzDate string, cred credential) (time.Time, error) {
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return t, &AuthError{Malformed, fmt.Sprintf("x-amz-date %q: want YYYYMMDDTHHMMSSZ", short(amzDate))}
	}
	if cred.date != amzDate[:8] {
		return t, &AuthError{Malformed, fmt.Sprintf("credential date %s is not the date of x-amz-date %s", cred.date, amzDate)}
	}
	now := v.now().UTC()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return t, &AuthError{Skewed, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.) or later than %s (%s + 15 min.)",
			amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat), now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}
	return t, nil
}

func (v *Verifier) verifyHeader(r *http.Request) (auth.Principal, string, error) {
	ah, err := parseAuthHeader(r.Header.Get("Authorization"))
	if err != nil {
		return auth.Principal{}, "", &AuthError{Malformed, err.Error()}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return auth.Principal{}, "", &AuthError{Malformed, "the request has no x-amz-date header"}
	}
	_, err = v.checkTime(amzDate, ah.cred)
	if err != nil {
		return auth.Principal{}, "", err
	}
	p, creds, err := v.lookup(r.Context(), ah.cred.keyID)
	if err != nil {
		return p, "", err
	}
	payloadHash, err := payloadHash(r)
	if err != nil {
		return p, "", err
	}

	// Recompute the signature over exactly the headers the client signed.
	var want, got [sha256.Size]byte
	v.headerSignature(want[:0], r, ah, payloadHash, amzDate, creds.SecretAccessKey)
	if len(ah.signature) != hex.EncodedLen(sha256.Size) || !hexDecode(got[:], ah.signature) || !hmac.Equal(want[:], got[:]) {
		return p, "", &AuthError{BadSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
	}
	if payloadHash == streamingPayload && r.Body != nil && r.Body != http.NoBody {
		key := v.keys.get(creds.SecretAccessKey, ah.cred.date, ah.cred.region, ah.cred.service)
		scope := ah.cred.date + "/" + ah.cred.region + "/" + ah.cred.service + "/aws4_request"
		r.Body = newChunkVerifier(r.Body, key, amzDate, scope, ah.signature)
	}
	return p, ah.cred.service, nil
}

// payloadHash returns the hash the client signed: x-amz-content-sha256
// when sent (a signed hex hash is then checked as the body is read), else
// the SHA-256 of the body, read here.
func payloadHash(r *http.Request) (string, error) {
	h := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case h == unsignedPayload || strings.HasPrefix(h, "STREAMING-"):
		return h, nil
	case h != "":
		want, err := hex.DecodeString(h)
		if err != nil || len(want) != sha256.Size {
			return "", &AuthError{BadPayload, fmt.Sprintf("x-amz-content-sha256 %q is not a hex SHA-256, UNSIGNED-PAYLOAD or STREAMING-*", short(h))}
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &hashCheckReader{r: r.Body, c: r.Body, h: sha256.New(), want: want}
		}
		return h, nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		return hex.EncodeToString(sha256.New().Sum(nil)), nil
	}
	body, buf, err := readAll(r.Body, r.ContentLength, maxSignedBody)
	if err != nil {
		return "", err
	}
	_ = r.Body.Close()
	bb := &bufferedBody{data: body, buf: buf}
	bb.Reset(body)
	r.Body = bb
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// hashCheckReader fails the read that reaches the end of a body whose
// SHA-256 is not the signed one.
type hashCheckReader struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	want []byte
}

func (h *hashCheckReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if errors.Is(err, io.EOF) && !hmac.Equal(h.h.Sum(nil), h.want) {
		return n, &AuthError{BadPayload, "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return n, err
}

func (h *hashCheckReader) Close() error { return h.c.Close() }

func (v *Verifier) verifyPresigned(r *http.Request) (auth.Principal, string, error) {
	q := r.URL.Query()
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return auth.Principal{}, "", &AuthError{Malformed, fmt.Sprintf("X-Amz-Algorithm %q: only %s is supported", short(alg), algorithm)}
	}
	cred, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return auth.Principal{}, "", &AuthError{Malformed, "X-Amz-Credential: " + err.Error()}
	}
	sig := q.Get("X-Amz-Signature")
	signed := q.Get("X-Amz-SignedHeaders")
	if sig == "" || signed == "" {
		return auth.Principal{}, "", &AuthError{Malformed, "a presigned URL needs X-Amz-Signature and X-Amz-SignedHeaders"}
	}
	amzDate := q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil || cred.date != amzDate[:8] {
		return auth.Principal{}, "", &AuthError{Malformed, fmt.Sprintf("X-Amz-Date %q: want YYYYMMDDTHHMMSSZ on the credential's date", short(amzDate))}
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 1 || exp > 7*24*3600 {
		return auth.Principal{}, "", &AuthError{Malformed, "X-Amz-Expires: want seconds from 1 to 604800"}
	}
	now := v.now()
	if now.After(t.Add(time.Duration(exp) * time.Second)) {
		return auth.Principal{}, "", &AuthError{Skewed, "Request has expired"}
	}
	if t.Sub(now) > MaxSkew {
		return auth.Principal{}, "", &AuthError{Skewed, "Request is not valid yet: X-Amz-Date is in the future"}
	}
	p, creds, err := v.lookup(r.Context(), cred.keyID)
	if err != nil {
		return p, "", err
	}
	c := bare(r)
	for _, name := range strings.Split(signed, ";") {
		if name != "host" && name != "content-length" {
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	q.Del("X-Amz-Signature")
	c.URL = new(url.URL)
	*c.URL = *r.URL
	c.URL.RawQuery = q.Encode()
	hashValue := unsignedPayload
	if h := q.Get("X-Amz-Content-Sha256"); h != "" {
		hashValue = h
	}
	uri, _, err := v.v4().PresignHTTP(r.Context(), creds, c, hashValue, cred.service, cred.region, t,
		func(o *v4.SignerOptions) {
			o.DisableURIPathEscaping = cred.service == "s3"
			o.DisableHeaderHoisting = true
			o.DisableSessionToken = true
		})
	if err != nil {
		return p, "", fmt.Errorf("computing signature: %w", err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return p, "", fmt.Errorf("computing signature: %w", err)
	}
	if !hmac.Equal([]byte(u.Query().Get("X-Amz-Signature")), []byte(sig)) {
		return p, "", &AuthError{BadSignature, "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return p, cred.service, nil
}

// short shortens user input for a message.
func short(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// bufferedBody is a body read whole to hash it; handlers take its bytes
// without copying them again (bodyBytes) and may give the buffer back
// (releaseBody) once nothing refers to it.
type bufferedBody struct {
	bytes.Reader
	data []byte
	buf  *[]byte // pooled, nil when not
}

func (b *bufferedBody) Close() error { return nil }

// bodyPool recycles the buffers of bodies up to 1 MiB.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledBody = 1 << 20

// readAll reads at most limit bytes of r, sized by the request's length
// when known (into a pooled buffer when small); a longer body is an
// *AuthError.
func readAll(r io.Reader, length, limit int64) ([]byte, *[]byte, error) {
	if length > limit {
		return nil, nil, &AuthError{BadPayload, fmt.Sprintf("the request body is larger than %d bytes", limit)}
	}
	if length >= 0 && length <= maxPooledBody {
		bp := bodyPool.Get().(*[]byte)
		buf := *bp
		if int64(cap(buf)) < length {
			buf = make([]byte, length)
		}
		buf = buf[:length]
		if _, err := io.ReadFull(r, buf); err != nil {
			*bp = buf[:0]
			bodyPool.Put(bp)
			return nil, nil, fmt.Errorf("reading the request body: %w", err)
		}
		var one [1]byte
		if n, _ := r.Read(one[:]); n > 0 {
			*bp = buf[:0]
			bodyPool.Put(bp)
			return nil, nil, fmt.Errorf("reading the request body: longer than its Content-Length")
		}
		*bp = buf
		return buf, bp, nil
	}
	var buf []byte
	if length > 0 {
		buf = make([]byte, 0, length+512)
	}
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, nil, fmt.Errorf("reading the request body: %w", err)
	}
	if int64(b.Len()) > limit {
		return nil, nil, &AuthError{BadPayload, fmt.Sprintf("the request body is larger than %d bytes", limit)}
	}
	return b.Bytes(), nil, nil
}

// bodyBytes returns the bytes of a body the verifier already read, or
// reads at most limit+1 bytes of it.
func bodyBytes(r *http.Request, limit int64) ([]byte, error) {
	if b, ok := r.Body.(*bufferedBody); ok && b.Len() == len(b.data) {
		return b.data, nil
	}
	var buf []byte
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf = make([]byte, 0, r.ContentLength+512)
	}
	b := bytes.NewBuffer(buf)
	_, err := b.ReadFrom(io.LimitReader(r.Body, limit+1))
	return b.Bytes(), err
}

// releaseBody gives a buffered body's pooled buffer back; the caller must
// hold no reference to its bytes.
func releaseBody(r *http.Request) {
	if b, ok := r.Body.(*bufferedBody); ok && b.buf != nil {
		*b.buf = (*b.buf)[:0]
		bodyPool.Put(b.buf)
		b.buf, b.data = nil, nil
		b.Reset(nil)
	}
}
