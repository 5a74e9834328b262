package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	s3store "github.com/ferryml/ferry/internal/artifact/s3"
)

// artifactsEnv names the artifact store of every command on a home when
// no --artifacts flag is given: empty or "local" for $FERRY_HOME/artifacts,
// s3://BUCKET[/PREFIX] for an S3-compatible service.
const artifactsEnv = "FERRY_ARTIFACTS"

// s3Location is an artifact store on an S3-compatible service, as
// --artifacts s3://BUCKET/PREFIX names it. It holds no credentials: they
// come from each process's own environment.
type s3Location struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	// Endpoint and Region: from the flags, the environment
	// (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION,
	// AWS_DEFAULT_REGION) or the server (a worker).
	Endpoint string `json:"endpoint"`
	Region   string `json:"region,omitempty"`
}

// URL is the location as --artifacts takes it.
func (l s3Location) URL() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// parseArtifactsURL parses --artifacts: "" or "local" (the home's
// directory: ok false), or s3://BUCKET[/PREFIX].
func parseArtifactsURL(s string) (loc s3Location, ok bool, err error) {
	if s == "" || s == "local" {
		return s3Location{}, false, nil
	}
	rest, isS3 := strings.CutPrefix(s, "s3://")
	if !isS3 {
		return s3Location{}, false, fmt.Errorf("artifact store %q: want local or s3://BUCKET[/PREFIX]", s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return s3Location{}, false, fmt.Errorf("artifact store %q: no bucket", s)
	}
	return s3Location{Bucket: bucket, Prefix: strings.Trim(prefix, "/")}, true, nil
}

// artifactsFlags adds --artifacts and --artifacts-endpoint.
func artifactsFlags(fs interface {
	StringVar(p *string, name, value, usage string)
}, url, endpoint *string) {
	fs.StringVar(url, "artifacts", "", "the artifact store: local ($FERRY_HOME/artifacts) or s3://BUCKET[/PREFIX] on an S3-compatible service (default $"+artifactsEnv+", else the store the home recorded, else local; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)")
	fs.StringVar(endpoint, "artifacts-endpoint", "", "with --artifacts s3://...: the service's URL, https://host[:port] (default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL; AWS S3 when unset)")
}

// resolveS3 fills the endpoint and region of loc from the environment
// where they are not set.
func (m *Main) resolveS3(loc *s3Location) {
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if loc.Endpoint == "" {
			loc.Endpoint = m.Getenv(k)
		}
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if loc.Region == "" {
			loc.Region = m.Getenv(k)
		}
	}
	if loc.Endpoint == "" {
		region := loc.Region
		if region == "" {
			region = "us-east-1"
		}
		loc.Endpoint = "https://s3." + region + ".amazonaws.com"
	}
}

// s3Transport trusts the certificates of AWS_CA_BUNDLE besides the
// system's (a private S3-compatible service); nil when it is unset.
func (m *Main) s3Transport() (http.RoundTripper, error) {
	path := m.Getenv("AWS_CA_BUNDLE")
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading AWS_CA_BUNDLE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE %s holds no PEM certificate", path)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}

// openS3Artifacts opens the S3 artifact store at loc, with credentials
// from this process's environment (never logged, never stored) and a
// local read cache under the home.
func (m *Main) openS3Artifacts(ctx context.Context, loc s3Location) (*s3store.Store, error) {
	m.resolveS3(&loc)
	tr, err := m.s3Transport()
	if err != nil {
		return nil, err
	}
	s, err := s3store.Open(ctx, s3store.Config{
		Endpoint: loc.Endpoint, Bucket: loc.Bucket, Prefix: loc.Prefix, Region: loc.Region,
		AccessKey: m.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: m.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: m.Getenv("AWS_SESSION_TOKEN"), Transport: tr,
		CacheDir: filepath.Join(m.Home(), "cache", "s3-artifacts"),
		Logger:   m.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the artifact store %s: %w", loc.URL(), err)
	}
	return s, nil
}

// useArtifacts sets the artifact store of this command line (--artifacts
// and --artifacts-endpoint) before anything opens it.
func (m *Main) useArtifacts(url, endpoint string) error {
	if m.store != nil {
		return fmt.Errorf("the artifact store is already open")
	}
	if url == "" {
		url = m.Getenv(artifactsEnv)
	}
	loc, ok, err := parseArtifactsURL(url)
	if err != nil {
		return usageError("--artifacts: %v", err)
	}
	if !ok {
		if endpoint != "" {
			return usageError("--artifacts-endpoint needs --artifacts s3://BUCKET[/PREFIX]")
		}
		m.s3 = nil
		m.localChosen = url == "local"
		return nil
	}
	loc.Endpoint = endpoint
	m.resolveS3(&loc)
	m.s3 = &loc
	return nil
}

// storeRecord is the file in a home that remembers the S3-compatible
// store its artifacts went to (location only, never credentials), so that
// later commands on the home use it without being told again.
const storeRecord = "artifact-store.json"

// recordedStore returns the S3 store recorded in the home, if any.
func (m *Main) recordedStore() (*s3Location, error) {
	b, err := os.ReadFile(filepath.Join(m.Home(), storeRecord))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the home's artifact store: %w", err)
	}
	var loc s3Location
	if err := json.Unmarshal(b, &loc); err != nil || loc.Bucket == "" {
		return nil, fmt.Errorf("%s: not an artifact store record (%v)", filepath.Join(m.Home(), storeRecord), err)
	}
	return &loc, nil
}

// recordStore remembers the S3 store in the home (owner-only file).
func (m *Main) recordStore(loc s3Location) error {
	if err := os.MkdirAll(m.Home(), 0o700); err != nil {
		return fmt.Errorf("creating FERRY_HOME: %w", err)
	}
	b, err := json.MarshalIndent(loc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(m.Home(), storeRecord), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("recording the home's artifact store: %w", err)
	}
	return nil
}

// Store opens the home's artifact store on first use: the S3-compatible
// store that --artifacts or $FERRY_ARTIFACTS names (and the home then
// remembers), else the one the home remembers, else the directory
// $FERRY_HOME/artifacts. --artifacts local (or FERRY_ARTIFACTS=local)
// always means the directory.
func (m *Main) Store() (artifact.Store, error) {
	if m.store != nil {
		return m.store, nil
	}
	if m.s3 == nil && !m.localChosen && m.Getenv(artifactsEnv) != "" {
		if err := m.useArtifacts("", ""); err != nil {
			return nil, err
		}
	}
	if m.s3 == nil && !m.localChosen {
		loc, err := m.recordedStore()
		if err != nil {
			return nil, err
		}
		if loc != nil {
			m.Logger.Debug("artifacts on the store this home recorded", "store", loc.URL(), "endpoint", loc.Endpoint)
			m.s3 = loc
		}
	}
	if m.s3 != nil {
		if rec, err := m.recordedStore(); err != nil || rec == nil || *rec != *m.s3 {
			if err := m.recordStore(*m.s3); err != nil {
				return nil, err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := m.openS3Artifacts(ctx, *m.s3)
		if err != nil {
			return nil, err
		}
		m.store = s
		return s, nil
	}
	s, err := m.LocalStore()
	if err != nil {
		return nil, err
	}
	m.store = s
	return s, nil
}

// LocalStore opens the home's artifact directory, $FERRY_HOME/artifacts
// (the source of `ferry artifacts migrate`).
func (m *Main) LocalStore() (*artifact.Dir, error) {
	return artifact.OpenDir(filepath.Join(m.Home(), "artifacts"))
}
