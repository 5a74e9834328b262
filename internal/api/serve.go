package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Default per-request timeouts of Ferry's HTTP servers.
const (
	DefaultReadTimeout  = 60 * time.Second
	DefaultWriteTimeout = 60 * time.Second
)

// ServeOptions configure Serve. Zero timeouts mean the defaults; negative
// ones, none. Event streams lift the write timeout for themselves.
type ServeOptions struct {
	ReadTimeout, WriteTimeout time.Duration
	// TLSCertFile and TLSKeyFile, when both set, serve HTTPS.
	TLSCertFile, TLSKeyFile string
}

// Serve serves h on ln until ctx is done, then shuts down gracefully
// (requests in flight get 30s).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ServeOptions) error {
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, max(opts.ReadTimeout, 0)),
		ReadTimeout:       max(opts.ReadTimeout, 0),
		WriteTimeout:      max(opts.WriteTimeout, 0),
		IdleTimeout:       120 * time.Second,
	}
	if hs.ReadHeaderTimeout == 0 {
		hs.ReadHeaderTimeout = 10 * time.Second
	}
	// Event streams last as long as what they follow: on shutdown, end
	// them (after a short grace for ordinary requests) by cancelling
	// every request's context.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	hs.BaseContext = func(net.Listener) context.Context { return base }
	hs.RegisterOnShutdown(func() { time.AfterFunc(2*time.Second, cancelBase) })
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return errors.New("serving TLS needs both a certificate and a key file")
	}
	if opts.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// IsLoopback reports whether a listen address (host:port) binds only the
// loopback interface: 127.0.0.0/8, ::1 or "localhost". An empty host
// binds every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
