package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

func TestEndpointsFromKubernetesAPI(t *testing.T) {
	var auth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/api/v1/namespaces/ns1/endpoints/goguacd" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"subsets":[{"addresses":[{"ip":"10.0.0.5"},{"ip":"10.0.0.6"}],"ports":[{"port":4822}]}]}`)
	}))
	defer api.Close()
	ep, err := newEndpoints(api.URL, "ns1", "goguacd", 4822, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ep.tokenFile = filepath.Join(t.TempDir(), "token")
	os.WriteFile(ep.tokenFile, []byte("tok\n"), 0o600)
	got := ep.peers()
	want := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:4822"), netip.MustParseAddrPort("10.0.0.6:4822")}
	if fmt.Sprint(got) != fmt.Sprint(want) || auth != "Bearer tok" {
		t.Fatalf("peers %v (auth %q), want %v", got, auth, want)
	}
	// An API failure keeps the last good list.
	api.Close()
	ep.fetched = time.Time{}
	if got := ep.peers(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after an API failure: %v", got)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Two goguacd processes on loopback: a connection opened on one is joined
// through the other, which forwards the join to the owner.
func TestTwoReplicasForwardJoin(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("a-long-shared-cluster-secret\n"), 0o600)
	ports := []int{freeTCPPort(t), freeTCPPort(t)}
	var ds []*daemon
	for i, p := range ports {
		cfg := fmt.Sprintf("admin:\n  listen: 127.0.0.1:0\nweb:\n  listen: \"\"\ncluster:\n  advertise: 127.0.0.1:%d\n"+
			"  peers: [\"127.0.0.1:%d\", \"127.0.0.1:%d\"]\n  secret_file: %s\n  require_peer_join: true\n", p, ports[0], ports[1], secret)
		f := filepath.Join(dir, fmt.Sprintf("r%d.yaml", i))
		os.WriteFile(f, []byte(cfg), 0o600)
		ds = append(ds, startDaemon(t, "-config", f, "-l", strconv.Itoa(p)))
	}
	host, port, _ := net.SplitHostPort(rs.Addr())

	// The owner opens a VNC connection on replica 0.
	owner := guacdClient(t, ds[0].guacd)
	owner.handshake(t, "vnc", map[string]string{"hostname": host, "port": port})
	id := owner.waitFor(t, "ready").args[0]

	// A read-only viewer asks replica 1 to join it.
	viewer := guacdClient(t, ds[1].guacd)
	viewer.handshake(t, id, map[string]string{"read-only": "true"})
	if got := viewer.waitFor(t, "ready").args[0]; got != id {
		t.Fatalf("joined %s, want %s", got, id)
	}
	viewer.waitFor(t, "img") // the current screen, from the owner's replica

	// Joining replica 0 directly without being a replica is refused.
	direct := guacdClient(t, ds[0].guacd)
	direct.nc.Write(protocol.AppendInstruction(nil, "select", id))
	if e := direct.waitFor(t, "error"); e.args[1] != "771" {
		t.Fatalf("direct join: %v", e)
	}
}

// gclient is a minimal guacd-protocol client for daemon tests.
type gclient struct {
	nc net.Conn
	r  *protocol.Reader
}

type ginst struct {
	op   string
	args []string
}

func guacdClient(t *testing.T, addr string) *gclient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &gclient{nc: nc, r: protocol.NewReader(nc)}
}

// handshake selects sel and connects with params by name.
func (c *gclient) handshake(t *testing.T, sel string, params map[string]string) {
	t.Helper()
	c.nc.Write(protocol.AppendInstruction(nil, "select", sel))
	args := c.waitFor(t, "args")
	vals := []string{"VERSION_1_5_0"}
	for _, n := range args.args[1:] {
		vals = append(vals, params[n])
	}
	msg := protocol.AppendInstruction(nil, "size", "800", "600", "96")
	msg = protocol.AppendInstruction(msg, "image", "image/png")
	c.nc.Write(protocol.AppendInstruction(msg, "connect", vals...))
}

// waitFor reads until an instruction with opcode op, acknowledging syncs.
func (c *gclient) waitFor(t *testing.T, op string) ginst {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.nc.SetReadDeadline(deadline)
		in, err := c.r.ReadInstruction()
		if err != nil {
			t.Fatalf("waiting for %s: %v", op, err)
		}
		g := ginst{op: string(in.Opcode)}
		for _, a := range in.Args {
			g.args = append(g.args, string(a))
		}
		if g.op == "sync" {
			c.nc.Write(protocol.AppendInstruction(nil, "sync", g.args[0]))
		}
		if g.op == op {
			return g
		}
		if g.op == "error" {
			t.Fatalf("waiting for %s: error %v", op, g.args)
		}
	}
}

func TestBuildClusterExpandsEnv(t *testing.T) {
	t.Setenv("POD_IP", "10.2.3.4")
	secret := filepath.Join(t.TempDir(), "s")
	os.WriteFile(secret, []byte("0123456789abcdef0123"), 0o600)
	cl, err := buildCluster(&ClusterConfig{Advertise: "${POD_IP}:4822", SecretFile: secret, Peers: []string{"10.2.3.5:4822"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if cl.Self != netip.MustParseAddrPort("10.2.3.4:4822") || len(cl.Peers()) != 1 {
		t.Fatalf("cluster %+v", cl)
	}
	for _, bad := range []ClusterConfig{
		{Advertise: "[::1]:4822", SecretFile: secret},
		{Advertise: "10.0.0.1:4822", SecretFile: "/nonexistent"},
		{Advertise: "10.0.0.1:4822", SecretFile: secret, Peers: []string{"nope"}},
	} {
		if _, err := buildCluster(&bad, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// wsOpen opens the WebSocket tunnel at webAddr with query and returns the
// connection id from `ready` after the first image arrives.
func wsOpen(t *testing.T, webAddr, query string) (*websocket.Conn, string) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+webAddr+"/websocket-tunnel?"+query, http.Header{"Sec-WebSocket-Protocol": {"guacamole"}})
	if err != nil {
		var why []byte
		if resp != nil {
			why, _ = io.ReadAll(resp.Body)
		}
		t.Fatalf("%s: %v: %s", query, err, why)
	}
	t.Cleanup(func() { c.Close() })
	var p protocol.Parser
	id, imgs := "", 0
	deadline := time.Now().Add(30 * time.Second)
	for (id == "" || imgs == 0) && time.Now().Before(deadline) {
		c.SetReadDeadline(deadline)
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for b := msg; len(b) > 0; {
			ins, n, err := p.Next(b)
			if err != nil {
				t.Fatal(err)
			}
			b = b[n:]
			switch {
			case ins.Is("ready"):
				id = string(ins.Arg(0))
			case ins.Is("img"):
				imgs++
			case ins.Is("sync"):
				c.WriteMessage(websocket.TextMessage, protocol.AppendInstruction(nil, "sync", string(ins.Arg(0))))
			case ins.Is("error"):
				t.Fatalf("%s: error %s %s", query, ins.Arg(0), ins.Arg(1))
			}
		}
	}
	if id == "" || imgs == 0 {
		t.Fatalf("%s: no ready/image", query)
	}
	return c, id
}

// Two goguacd processes with web listeners and one catalog: a browser on
// replica 1 joins (read-only) a connection a browser opened on replica 0.
func TestTwoReplicasWebJoin(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	host, port, _ := net.SplitHostPort(rs.Addr())
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("a-long-shared-cluster-secret\n"), 0o600)
	catalogFile := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalogFile, []byte(fmt.Sprintf("connections:\n  - id: desk\n    name: Desk\n    protocol: vnc\n    params: {hostname: %q, port: %q}\ndefaults:\n  connections: [desk]\n", host, port)), 0o600)
	ports := []int{freeTCPPort(t), freeTCPPort(t)}
	var webs []string
	for i, p := range ports {
		cfg := fmt.Sprintf("admin:\n  listen: \"\"\nweb:\n  listen: 127.0.0.1:0\nauth:\n  dev_user: tester@localhost\ncatalog:\n  file: %s\n"+
			"cluster:\n  advertise: 127.0.0.1:%d\n  peers: [\"127.0.0.1:%d\", \"127.0.0.1:%d\"]\n  secret_file: %s\n", catalogFile, p, ports[0], ports[1], secret)
		f := filepath.Join(dir, fmt.Sprintf("w%d.yaml", i))
		os.WriteFile(f, []byte(cfg), 0o600)
		d := startDaemonWeb(t, "-config", f, "-l", strconv.Itoa(p))
		webs = append(webs, d)
	}
	_, id := wsOpen(t, webs[0], "GUAC_ID=desk&GUAC_TYPE=c&GUAC_WIDTH=640&GUAC_HEIGHT=480&GUAC_IMAGE=image/png")
	_, joined := wsOpen(t, webs[1], "GUAC_ID="+id+"&GUAC_TYPE=a&GUAC_SHARE=ro&GUAC_WIDTH=640&GUAC_HEIGHT=480&GUAC_IMAGE=image/png")
	if joined != id {
		t.Fatalf("joined %s, want %s", joined, id)
	}
}

var webReadyRE = regexp.MustCompile(`msg="web client ready" addr=(\S+)`)

// startDaemonWeb starts a daemon that has a web listener and returns that
// listener's address.
func startDaemonWeb(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-b", "127.0.0.1", "-guacd-conf", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "GOGUACD_RUN_MAIN=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	logs := &syncBuffer{}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := webReadyRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not start:\n%s", logs)
	}
	return ""
}
