package ws

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/tunnel"
)

// rawDial opens a WebSocket tunnel with a hand-written handshake, so the
// client side costs almost nothing, and returns once the UUID arrived.
func rawDial(addr, path string) (net.Conn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: guacamole\r\nX-User: alice\r\n\r\n", path, addr)
	br := bufio.NewReaderSize(nc, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, fmt.Errorf("handshake: %v %v", resp, err)
	}
	// The first frame is the 0.,36.<uuid>; instruction (2-byte header).
	frame := make([]byte, 2+len("0.,36.;")+36)
	if _, err := br.Read(frame[:1]); err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, nil
}

func idleTunnels() int {
	if n, err := strconv.Atoi(os.Getenv("GOGUACD_IDLE_TUNNELS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// TestIdleTunnelMemory opens N idle WebSocket tunnels and checks what each
// costs the server (heap and stacks, measured after GC). Set
// GOGUACD_IDLE_TUNNELS=10000 for the figure in bench/WS-RESULTS.md.
func TestIdleTunnelMemory(t *testing.T) {
	n := idleTunnels()
	be := backendtest.New()
	reg := &backends.Registry{}
	reg.Register("test", be)
	// Idle means silent: keep the core from dropping silent users.
	srv := tunnel.NewServer(tunnel.Config{Backends: reg, Logger: testLogger(), IdleTimeout: 10 * time.Minute, KeepAlive: 10 * time.Minute})
	cat := &fakeCatalog{conns: map[string]catalog.Connection{"green": {ID: "green", Protocol: "test", Params: map[string]string{"color": "00ff00"}}}}
	h := New(Config{Server: srv, Auth: headerAuth{}, Catalog: cat, Logger: testLogger()})
	ts := httptest.NewServer(h)
	addr := strings.TrimPrefix(ts.URL, "http://")
	path := "/websocket-tunnel?" + connectGreen

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		h.Close()
		ts.Close()
	}()
	// Warm up pools and the runtime with a few tunnels first.
	for range 20 {
		c, err := rawDial(addr, path)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return srv.Connections() == len(conns) }, "warm-up sessions")
	before := memInUse()
	// The browsers' side lives in a child process (this test binary
	// re-executed), so the server gets the whole descriptor limit and its
	// memory is measured alone.
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), fmt.Sprintf("GOGUACD_IDLE_CLIENT=%s %s %d", addr, path, n))
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("idle clients: %q %v", line, err)
	}
	waitFor(t, func() bool { return srv.Connections() == len(conns)+n }, "all sessions")
	time.Sleep(200 * time.Millisecond) // let every writer drain the initial screen
	after := memInUse()
	per := float64(after-before) / float64(n)
	t.Logf("%d idle tunnels: %.0f bytes each (server heap+stacks, including each tunnel's test-backend session)", n, per)
	if per > 64<<10 {
		t.Fatalf("%.0f bytes per idle tunnel, want < 64 KiB", per)
	}
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// runIdleClient is the child process of TestIdleTunnelMemory: it opens the
// tunnels given in spec ("addr path n"), says "ready", and holds them until
// its stdin closes.
func runIdleClient(spec string) int {
	f := strings.Fields(spec)
	n, _ := strconv.Atoi(f[2])
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := rawDial(f[0], f[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "idle client:", err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready", len(conns))
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
	return 0
}
