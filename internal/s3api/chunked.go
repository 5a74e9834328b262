package s3api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxChunkLine bounds a chunk-size line or a trailer line of an
// aws-chunked body.
const maxChunkLine = 4096

// maxChunkTrailers bounds the number of trailer lines.
const maxChunkTrailers = 16

// chunkedReader decodes an "aws-chunked" request body (the payload
// encodings STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-
// PAYLOAD-TRAILER and their -TRAILER/signed variants): a sequence of
//
//	hex-size[;chunk-signature=SIG]\r\n DATA \r\n
//
// ending with a zero-size chunk, optional trailer lines (checksums,
// trailer signature) and an empty line. Signatures and trailers are read
// and dropped (verifying them is the job of authentication).
type chunkedReader struct {
	r       *bufio.Reader
	left    int64 // bytes left in the current chunk
	started bool
	done    bool
	err     error
}

func newChunkedReader(r io.Reader) *chunkedReader {
	return &chunkedReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// errChunked reports a malformed aws-chunked body.
var errChunked = errors.New("malformed aws-chunked body")

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		if c.started {
			if err := c.expectCRLF(); err != nil {
				c.err = err
				return 0, err
			}
		}
		c.started = true
		size, err := c.header()
		if err != nil {
			c.err = err
			return 0, err
		}
		if size == 0 {
			if err := c.trailers(); err != nil {
				c.err = err
				return 0, err
			}
			c.done = true
			return 0, io.EOF
		}
		c.left = size
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = fmt.Errorf("%w: body ends inside a chunk", errChunked)
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *chunkedReader) line() (string, error) {
	var b strings.Builder
	for {
		frag, err := c.r.ReadSlice('\n')
		b.Write(frag)
		if b.Len() > maxChunkLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", errChunked, maxChunkLine)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("%w: body ends inside a line", errChunked)
		}
		return "", err
	}
	s, ok := strings.CutSuffix(b.String(), "\r\n")
	if !ok {
		return "", fmt.Errorf("%w: line does not end with CRLF", errChunked)
	}
	return s, nil
}

func (c *chunkedReader) header() (int64, error) {
	l, err := c.line()
	if err != nil {
		return 0, err
	}
	hexSize, _, _ := strings.Cut(l, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(hexSize), 16, 64)
	if err != nil || size < 0 || size > 5<<30 {
		return 0, fmt.Errorf("%w: chunk size %q", errChunked, hexSize)
	}
	return size, nil
}

func (c *chunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil || b != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", errChunked)
	}
	return nil
}

// trailers reads the trailer lines after the last chunk, up to the empty
// line. A body that simply ends after the last chunk's line is accepted.
func (c *chunkedReader) trailers() error {
	for i := 0; i < maxChunkTrailers; i++ {
		if _, err := c.r.Peek(1); errors.Is(err, io.EOF) {
			return nil
		}
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			return nil
		}
		if !strings.Contains(l, ":") {
			return fmt.Errorf("%w: trailer %q is not name:value", errChunked, l)
		}
	}
	return fmt.Errorf("%w: more than %d trailers", errChunked, maxChunkTrailers)
}
