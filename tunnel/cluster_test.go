package tunnel

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/backendtest"
)

// replica is one goguacd engine of a test cluster.
type replica struct {
	*Server
	addr string
	be   *backendtest.Backend
}

// startCluster runs n replicas on loopback that know each other.
func startCluster(t *testing.T, n int, secret string, requirePeer bool) []*replica {
	t.Helper()
	var lns []net.Listener
	var peers []netip.AddrPort
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		peers = append(peers, netip.MustParseAddrPort(ln.Addr().String()))
	}
	var out []*replica
	for i, ln := range lns {
		be := backendtest.New()
		reg := &backends.Registry{}
		reg.Register("test", be)
		srv := NewServer(Config{Backends: reg, Logger: testLogger(t), Cluster: &Cluster{
			Self: peers[i], Peers: func() []netip.AddrPort { return peers }, Secret: []byte(secret), RequirePeerJoin: requirePeer,
		}})
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.ServeListener(context.Background(), ln, nil) }()
		t.Cleanup(func() {
			ln.Close()
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
		out = append(out, &replica{Server: srv, addr: ln.Addr().String(), be: be})
	}
	return out
}

func TestConnectionIDNamesOwner(t *testing.T) {
	self := netip.MustParseAddrPort("10.1.2.3:4822")
	s := NewServer(Config{Cluster: &Cluster{Self: self}})
	id := s.newConnID()
	if got, ok := ownerOf(id); !ok || got != self {
		t.Fatalf("ownerOf(%s) = %v %v", id, got, ok)
	}
	if !strings.HasPrefix(id, "$0a010203-12d6-4") {
		t.Fatalf("id %s: owner not embedded, or UUID version lost", id)
	}
}

// A user who asks the other replica to join a connection is forwarded to
// the replica that owns it and joins the same connection.
func TestJoinForwardedToOwner(t *testing.T) {
	rs := startCluster(t, 2, "s3cret", true)
	owner := dial(t, rs[0].addr)
	id := owner.connectTest("VERSION_1_5_0", map[string]string{"color": "0000ff"})
	owner.expect("sync")

	viewer := dial(t, rs[1].addr)
	viewer.send("select", id)
	args := viewer.expect("args")
	vals := []string{"VERSION_1_5_0"}
	for _, n := range args.args[1:] {
		v := ""
		if n == "read-only" {
			v = "true"
		}
		vals = append(vals, v)
	}
	viewer.send("size", "800", "600")
	viewer.send("connect", vals...)
	if got := viewer.expect("ready").args[0]; got != id {
		t.Fatalf("joined %s, want %s", got, id)
	}
	if cf := viewer.expect("cfill"); strings.Join(cf.args[2:5], ",") != "0,0,255" {
		t.Fatalf("joiner saw %v", cf)
	}
	owner.expect("msg") // the owner is told someone joined
	if rs[0].Connections() != 1 || rs[1].Connections() != 0 {
		t.Fatalf("connections: owner %d, other %d", rs[0].Connections(), rs[1].Connections())
	}
	// The owner's drawing reaches the forwarded viewer.
	owner.send("key", "65", "1")
	viewer.expect("rect")
	viewer.send("disconnect")
	viewer.closedWith(5 * time.Second)
}

// Replica-to-replica traffic is authenticated: a wrong secret is refused,
// and with RequirePeerJoin a plain client cannot join by id directly.
func TestPeerAuthentication(t *testing.T) {
	rs := startCluster(t, 1, "right", true)
	owner := dial(t, rs[0].addr)
	id := owner.connectTest("VERSION_1_5_0", nil)

	bad := dial(t, rs[0].addr)
	bad.sendRaw(string(appendPeerHello(nil, []byte("wrong"), time.Now())))
	bad.send("select", id)
	got, _ := bad.closedWith(5 * time.Second)
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "769" {
		t.Fatalf("wrong secret: %v", got)
	}

	direct := dial(t, rs[0].addr)
	direct.send("select", id)
	got, _ = direct.closedWith(5 * time.Second)
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "771" {
		t.Fatalf("direct join: %v", got)
	}

	stale := dial(t, rs[0].addr)
	stale.sendRaw(string(appendPeerHello(nil, []byte("right"), time.Now().Add(-time.Hour))))
	stale.send("select", id)
	got, _ = stale.closedWith(5 * time.Second)
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "769" {
		t.Fatalf("replayed hello: %v", got)
	}

	peer := dial(t, rs[0].addr)
	peer.sendRaw(string(appendPeerHello(nil, []byte("right"), time.Now())))
	peer.send("select", id)
	peer.expect("args")
}

// A join for a replica that is not a known peer is not forwarded anywhere.
func TestJoinOfUnknownReplicaNotForwarded(t *testing.T) {
	rs := startCluster(t, 1, "x", false)
	var b [16]byte
	embedOwner(&b, netip.MustParseAddrPort("127.0.0.1:1"))
	c := dial(t, rs[0].addr)
	c.send("select", formatID("$", &b))
	got, _ := c.closedWith(5 * time.Second)
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "516" {
		t.Fatalf("got %v", got)
	}
}

// servePair runs srv.Serve for req on one end of a loopback TCP pair, as
// the web layer does, and returns a client on the other end.
func servePair(t *testing.T, srv *Server, req Request) *client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := dial(t, ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(context.Background(), NewStreamConn(nc, 0), req) }()
	t.Cleanup(func() { c.nc.Close(); <-done })
	return c
}

// The web path: a replica is asked for a connection that lives on another
// one; it learns the connection's tag from the owner, and relays the join
// there on the user's behalf.
func TestRelayJoinThroughOtherReplica(t *testing.T) {
	rs := startCluster(t, 2, "0123456789abcdef", false)
	owner := servePair(t, rs[0].Server, Request{Protocol: "test", Tag: "catalog-7", Params: map[string]string{"color": "00ff00"},
		Info: backends.ClientInfo{Width: 640, Height: 480, DPI: 96}})
	id := owner.expect("ready").args[0]
	owner.expect("sync")

	tag, ok, err := rs[1].ConnectionTag(context.Background(), id)
	if err != nil || !ok || tag != "catalog-7" {
		t.Fatalf("ConnectionTag from the other replica: %q %v %v", tag, ok, err)
	}
	if _, ok, _ := rs[1].ConnectionTag(context.Background(), "$00000000-0000-4000-8000-000000000000"); ok {
		t.Fatal("unknown connection reported")
	}

	viewer := servePair(t, rs[1].Server, Request{JoinID: id, Params: map[string]string{"read-only": "true"},
		Info: backends.ClientInfo{Width: 800, Height: 600, DPI: 96, Image: []string{"image/png"}}})
	if got := viewer.expect("ready").args[0]; got != id {
		t.Fatalf("relayed join got %s", got)
	}
	if cf := viewer.expect("cfill"); strings.Join(cf.args[2:5], ",") != "0,255,0" {
		t.Fatalf("viewer saw %v", cf)
	}
	// Read-only is enforced by the owner: the viewer's key never arrives.
	viewer.send("key", "66", "1")
	owner.send("key", "65", "1")
	in := waitInput(t, &testServer{be: rs[0].be}, "key")
	if in.Args[0] != "65" {
		t.Fatalf("backend got %v", in)
	}
	viewer.expect("rect") // the owner's drawing reaches the relayed viewer
	if rs[1].Connections() != 0 {
		t.Fatalf("the relaying replica holds %d connections", rs[1].Connections())
	}
}
