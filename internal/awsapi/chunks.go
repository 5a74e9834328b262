package awsapi

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
)

// streamingPayload is the payload hash of S3's signed aws-chunked bodies:
// each chunk carries a signature chained from the seed (the request's).
const streamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

// emptySHA256 is the hex SHA-256 of nothing.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxChunkLine bounds a chunk's header line.
const maxChunkLine = 4096

// chunkVerifier passes an aws-chunked body through unchanged (the S3
// handler decodes it) while checking each chunk's signature: HMAC of
// "AWS4-HMAC-SHA256-PAYLOAD", the date, the scope, the previous signature,
// the hash of nothing and the chunk's hash. A wrong signature, or a body
// that ends before its final zero-length chunk, fails the read that
// reaches it with an *AuthError.
type chunkVerifier struct {
	src              *bufio.Reader
	closer           io.Closer
	key              []byte
	amzDate, scope   string
	prev             string
	sig              string
	remaining        int64
	h                hash.Hash
	out              []byte
	buf              []byte
	done             bool
	err              error
	afterData, final bool
}

func newChunkVerifier(body io.ReadCloser, key []byte, amzDate, scope, seed string) *chunkVerifier {
	return &chunkVerifier{src: bufio.NewReaderSize(body, 64<<10), closer: body, key: key, amzDate: amzDate,
		scope: scope, prev: seed, h: sha256.New(), buf: make([]byte, 32<<10)}
}

func (c *chunkVerifier) Close() error { return c.closer.Close() }

func (c *chunkVerifier) Read(p []byte) (int, error) {
	for len(c.out) == 0 && c.err == nil && !c.done {
		c.err = c.step()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	if len(c.out) > 0 {
		return n, nil
	}
	if c.err != nil {
		return n, c.err
	}
	if c.done {
		return n, io.EOF
	}
	return n, nil
}

func (c *chunkVerifier) fail(format string, args ...any) error {
	return &AuthError{BadSignature, "aws-chunked body: " + fmt.Sprintf(format, args...)}
}

// step consumes the next piece of the stream into c.out.
func (c *chunkVerifier) step() error {
	switch {
	case c.remaining > 0:
		n, err := c.src.Read(c.buf[:min(int64(len(c.buf)), c.remaining)])
		c.h.Write(c.buf[:n])
		c.out = c.buf[:n]
		c.remaining -= int64(n)
		if err != nil && c.remaining > 0 {
			if errors.Is(err, io.EOF) {
				return c.fail("the body ends inside a chunk")
			}
			return err
		}
		return nil
	case c.afterData:
		c.afterData = false
		crlf := make([]byte, 2)
		if _, err := io.ReadFull(c.src, crlf); err != nil || string(crlf) != "\r\n" {
			return c.fail("a chunk's data is not followed by CRLF")
		}
		if err := c.check(); err != nil {
			return err
		}
		c.out = crlf
		return nil
	}
	line, err := c.src.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) == 0 && c.final {
			c.done = true
			return nil
		}
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLine {
			return c.fail("a chunk header is longer than %d bytes", maxChunkLine)
		}
		return c.fail("the body ends before its final chunk")
	}
	if c.final {
		// Only the empty line that ends the stream may follow the final chunk.
		if !bytes.Equal(line, []byte("\r\n")) {
			return c.fail("data after the final chunk")
		}
		c.out = append([]byte(nil), line...)
		c.done = true
		return nil
	}
	hdr := bytes.TrimRight(line, "\r\n")
	size, rest, ok := bytes.Cut(hdr, []byte(";"))
	sig, hasSig := bytes.CutPrefix(rest, []byte("chunk-signature="))
	n, perr := strconv.ParseInt(string(size), 16, 64)
	if !ok || !hasSig || perr != nil || n < 0 || len(sig) != 64 {
		return c.fail("chunk header %q: want SIZE;chunk-signature=SIGNATURE", short(string(hdr)))
	}
	c.sig = string(sig)
	c.h.Reset()
	c.out = append([]byte(nil), line...)
	if n == 0 {
		c.final = true
		return c.check()
	}
	c.remaining = n
	c.afterData = true
	return nil
}

// check verifies the current chunk's signature and chains it.
func (c *chunkVerifier) check() error {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.h.Sum(nil))
	want := hex.EncodeToString(hmacSum(c.key, sts))
	if !hmac.Equal([]byte(want), []byte(c.sig)) {
		return c.fail("the signature of a chunk does not match")
	}
	c.prev = c.sig
	return nil
}
