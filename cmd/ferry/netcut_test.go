//go:build temporal && linux

package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// gate is a cuttable link: while cut, nothing crosses it in either
// direction and connections stay open (a network cut, not a reset).
type gate struct {
	mu  sync.Mutex
	cnd *sync.Cond
	cut bool
}

func newGate() *gate {
	g := &gate{}
	g.cnd = sync.NewCond(&g.mu)
	return g
}

func (g *gate) set(cut bool) {
	g.mu.Lock()
	g.cut = cut
	g.mu.Unlock()
	g.cnd.Broadcast()
}

func (g *gate) wait() {
	g.mu.Lock()
	for g.cut {
		g.cnd.Wait()
	}
	g.mu.Unlock()
}

// gatedWriter waits at the gate before each write.
type gatedWriter struct {
	g *gate
	w io.Writer
}

func (w gatedWriter) Write(p []byte) (int, error) {
	w.g.wait()
	return w.w.Write(p)
}

// proxy forwards the connections ln accepts to target through gate g.
func proxy(t *testing.T, ln net.Listener, target string, g *gate) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				g.wait()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(gatedWriter{g, u}, c); done <- struct{}{} }()
				go func() { io.Copy(gatedWriter{g, c}, u); done <- struct{}{} }()
				<-done
			}()
		}
	}()
}

// cutoff is a worker's network, which the test cuts and heals.
type cutoff interface {
	// command wraps a worker's command line so it runs behind the cut.
	command(cmd *exec.Cmd)
	// addr is where the worker reaches a service listening on hostport.
	addr(t *testing.T, hostport string) string
	cut(t *testing.T)
	heal(t *testing.T)
	String() string
}

// netnsCutoff runs the worker in its own network namespace, whose
// loopback reaches the test's services through proxies listening inside
// it on the services' own addresses; cutting takes that loopback down,
// so every packet of the worker is lost (the kernel's cut, not the
// test's).
type netnsCutoff struct {
	name string
	g    *gate
}

// newNetnsCutoff makes a network namespace, or returns an error saying
// why it cannot.
func newNetnsCutoff(t *testing.T) (*netnsCutoff, error) {
	b := make([]byte, 4)
	rand.Read(b)
	name := "ferry-test-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip link set lo up: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return &netnsCutoff{name: name, g: newGate()}, nil
}

func (n *netnsCutoff) String() string { return "network namespace " + n.name }

func (n *netnsCutoff) command(cmd *exec.Cmd) {
	cmd.Args = append([]string{"ip", "netns", "exec", n.name}, cmd.Args...)
	cmd.Path, _ = exec.LookPath("ip")
}

// addr listens inside the namespace on hostport and forwards to the same
// address outside it.
func (n *netnsCutoff) addr(t *testing.T, hostport string) string {
	t.Helper()
	ln, err := n.listen(hostport)
	if err != nil {
		t.Fatal(err)
	}
	proxy(t, ln, hostport, n.g)
	return hostport
}

// listen opens a listener inside the namespace: from a thread moved into
// it, then moved back.
func (n *netnsCutoff) listen(hostport string) (net.Listener, error) {
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	ns, err := os.Open("/var/run/netns/" + n.name)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering %s: %w", n.name, err)
	}
	ln, lerr := net.Listen("tcp", hostport)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays in the namespace: keep it locked so that it
		// ends with this goroutine.
		return nil, fmt.Errorf("leaving %s: %w", n.name, err)
	}
	runtime.UnlockOSThread()
	return ln, lerr
}

func (n *netnsCutoff) cut(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("ip", "-n", n.name, "link", "set", "lo", "down").CombinedOutput(); err != nil {
		t.Fatalf("cutting %s: %v: %s", n.name, err, out)
	}
}

func (n *netnsCutoff) heal(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("ip", "-n", n.name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("healing %s: %v: %s", n.name, err, out)
	}
}

// proxyCutoff is the fallback without network namespaces: the worker
// reaches every service through the test's proxies on 127.0.0.1, and
// cutting stops them from passing anything, without closing any
// connection.
type proxyCutoff struct{ g *gate }

func (p *proxyCutoff) String() string        { return "TCP proxies" }
func (p *proxyCutoff) command(cmd *exec.Cmd) {}
func (p *proxyCutoff) cut(t *testing.T)      { p.g.set(true) }
func (p *proxyCutoff) heal(t *testing.T)     { p.g.set(false) }
func (p *proxyCutoff) addr(t *testing.T, hostport string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy(t, ln, hostport, p.g)
	return ln.Addr().String()
}

// newCutoff returns a network namespace when the sandbox allows one,
// else the proxies.
func newCutoff(t *testing.T) cutoff {
	if os.Getenv("FERRY_TEST_NO_NETNS") == "" {
		n, err := newNetnsCutoff(t)
		if err == nil {
			return n
		}
		t.Logf("no network namespace (%v): the worker is cut off by the test's TCP proxies instead", err)
	}
	return &proxyCutoff{g: newGate()}
}
