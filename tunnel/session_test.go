package tunnel

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
)

type inputT = backendtest.Input

func rawDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

// quickHandshake runs the handshake on nc without a *testing.T, for use in
// many goroutines.
func quickHandshake(nc net.Conn, nargs int) error {
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	r := protocol.NewReader(nc)
	msg := protocol.AppendInstruction(nil, "select", "test")
	if _, err := nc.Write(msg); err != nil {
		return err
	}
	in, err := r.ReadInstruction()
	if err != nil || !in.Is("args") {
		return fmt.Errorf("args: %v %v", err, in)
	}
	vals := make([]string, nargs+1)
	vals[0] = "VERSION_1_5_0"
	msg = protocol.AppendInstruction(nil, "size", "640", "480")
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	if _, err := nc.Write(msg); err != nil {
		return err
	}
	in, err = r.ReadInstruction()
	if err != nil || !in.Is("ready") {
		return fmt.Errorf("ready: %v %v", err, in)
	}
	return nil
}

func TestJoinAndReadOnly(t *testing.T) {
	ts := newTestServer(t, nil)
	owner := dial(t, ts.addr)
	id := owner.connectTest("VERSION_1_5_0", map[string]string{"color": "0000ff"})
	owner.expect("sync")

	viewer := dial(t, ts.addr)
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
	viewer.send("connect", vals...)
	if got := viewer.expect("ready").args[0]; got != id {
		t.Fatalf("joined %q, want %q", got, id)
	}
	cf := viewer.expect("cfill")
	if got := strings.Join(cf.args[2:5], ","); got != "0,0,255" {
		t.Fatalf("joiner saw colour %s", got)
	}
	msg := owner.expect("msg")
	if msg.args[0] != "1" {
		t.Fatalf("owner msg %v", msg)
	}

	// Read-only input never reaches the backend; a clipboard stream is refused.
	viewer.send("key", "65", "1")
	viewer.send("clipboard", "4", "text/plain")
	ack := viewer.expect("ack")
	if ack.args[0] != "4" || ack.args[2] != "771" {
		t.Fatalf("ack %v", ack)
	}
	// The owner's input does; its drawing reaches the viewer too.
	owner.send("key", "66", "1")
	in := waitInput(t, ts, "key")
	if in.Args[0] != "66" {
		t.Fatalf("backend got %v; the read-only key must not arrive", in)
	}
	viewer.expect("rect")

	// The owner leaves; the connection lives on for the viewer.
	owner.send("disconnect")
	if _, err := owner.closedWith(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if n := ts.Connections(); n != 1 {
		t.Fatalf("connections after owner left: %d", n)
	}
	viewer.send("disconnect")
	if _, err := viewer.closedWith(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return ts.Connections() == 0 }, "connection to close after its last user")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestIdleUserTimesOut(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
	got, err := c.closedWith(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	last2 := got[len(got)-2:]
	if last2[0].op != "error" || last2[0].args[1] != "776" || last2[1].op != "disconnect" {
		t.Fatalf("want error 776 then disconnect, got %v", got)
	}
}

func TestKeepAliveNop(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.KeepAlive = 100 * time.Millisecond })
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
	c.expect("nop")
}

func TestBackendFailureStatus(t *testing.T) {
	ts := newTestServer(t, nil)
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
	c.expect("sync")
	c.send("disconnect-backend")
	got, err := c.closedWith(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var sawErr bool
	for _, in := range got {
		if in.op == "error" && in.args[1] == "515" {
			sawErr = true
		}
	}
	if !sawErr || got[len(got)-1].op != "disconnect" {
		t.Fatalf("want error 515 and disconnect, got %v", got)
	}

	ts.be.OpenErr = &protocol.StatusError{Status: protocol.StatusUpstreamNotFound, Message: "Host not found."}
	c = dial(t, ts.addr)
	c.send("select", "test")
	args := c.expect("args")
	c.send("connect", append([]string{"VERSION_1_5_0"}, make([]string, len(args.args)-1)...)...)
	got, err = c.closedWith(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 || got[1].op != "error" || got[1].args[1] != "519" {
		t.Fatalf("want ready, error 519, disconnect; got %v", got)
	}
}

// blockingConn is a Conn whose writes stall until released, and whose reads
// block until closed: a viewer that stopped reading.
type blockingConn struct {
	mu      sync.Mutex
	release chan struct{}
	closed  chan struct{}
	once    sync.Once
	written []byte
}

func newBlockingConn() *blockingConn {
	return &blockingConn{release: make(chan struct{}), closed: make(chan struct{})}
}

func (b *blockingConn) ReadInstruction() (protocol.Instruction, error) {
	<-b.closed
	return protocol.Instruction{}, net.ErrClosed
}

func (b *blockingConn) Write(p []byte) error {
	select {
	case <-b.release:
	case <-b.closed:
		return net.ErrClosed
	}
	b.mu.Lock()
	b.written = append(b.written, p...)
	b.mu.Unlock()
	return nil
}
func (b *blockingConn) SetReadDeadline(time.Time) error { return nil }
func (b *blockingConn) Close() error                    { b.once.Do(func() { close(b.closed) }); return nil }
func (b *blockingConn) RemoteAddr() string              { return "blocked" }
func (b *blockingConn) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.written)
}

// A viewer that stops reading must not slow the others: they keep getting
// frames, and the stalled viewer is resynchronised with the full state once
// it reads again.
func TestSlowUserDoesNotStallOthers(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.UserQueueLimit = 4 << 10 })
	owner := dial(t, ts.addr)
	id := owner.connectTest("VERSION_1_5_0", map[string]string{"fps": "200"})

	slow := newBlockingConn()
	done := make(chan error, 1)
	go func() {
		done <- ts.Serve(context.Background(), slow, Request{JoinID: id, Params: map[string]string{}})
	}()
	// While the slow viewer is stalled the owner keeps receiving frames,
	// far more than its 4 KiB queue could hold.
	for frames := 0; frames < 300; {
		in, err := owner.read(10 * time.Second)
		if err != nil {
			t.Fatalf("owner stalled after %d frames: %v", frames, err)
		}
		if in.op == "sync" {
			frames++
			owner.send("sync", in.args[0])
		}
	}
	var m dto.Metric
	if err := ts.metrics.coalesced.Write(&m); err != nil || m.GetCounter().GetValue() == 0 {
		t.Fatal("the slow viewer's queue never overflowed")
	}
	close(slow.release)
	// After it catches up, it is sent the complete state again (its first
	// state may have been dropped with the overflowing queue).
	waitFor(t, func() bool { return strings.Contains(slow.output(), "4.size,") }, "resync of the slow viewer")
	slow.Close()
	if err := <-done; err != nil {
		t.Fatalf("slow viewer session: %v", err)
	}
}

// A frame bigger than the user queue's limit still reaches a user whose
// queue is empty: the limit bounds the backlog, not one write. Otherwise a
// big screen's lossless frame (or the resync state) would overflow every
// time and the user would never see it.
func TestFrameBiggerThanQueueLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.UserQueueLimit = 1 << 10 })
	owner := dial(t, ts.addr)
	owner.connectTest("VERSION_1_5_0", map[string]string{})
	waitFor(t, func() bool { return len(ts.be.Sessions()) == 1 }, "session")
	// Write only once the owner is attached (its first frame came) and has
	// caught up (its queue is empty).
	owner.expect("sync")
	waitFor(t, func() bool { return queuedBytes(ts.Server) == 0 }, "the owner catching up")
	big := strings.Repeat("x", 8000)
	frame := protocol.AppendInstruction(nil, "name", big)
	frame = protocol.AppendInstruction(frame, "name", big+"y")
	d := ts.be.Sessions()[0].Display()
	d.Write(frame)
	d.EndFrame(1)
	got := 0
	for got < 2 {
		in, err := owner.read(10 * time.Second)
		if err != nil {
			t.Fatalf("after %d of 2 big instructions: %v", got, err)
		}
		if in.op == "name" {
			if want := big + []string{"", "y"}[got]; in.args[0] != want {
				t.Fatalf("name %d: %d bytes, want %d", got, len(in.args[0]), len(want))
			}
			got++
		}
	}
	var m dto.Metric
	if err := ts.metrics.coalesced.Write(&m); err != nil || m.GetCounter().GetValue() != 0 {
		t.Fatalf("the frame was coalesced away (%v)", err)
	}
}

// queuedBytes is what the users of srv's connections have queued.
func queuedBytes(srv *Server) int {
	n := 0
	eachUser(srv, func(u *user) { n += u.size })
	return n
}

// eachUser calls f for every user of srv's connections, with the user's
// lock held.
func eachUser(srv *Server, f func(u *user)) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, c := range srv.conns {
		c.mu.Lock()
		for u := range c.users {
			u.mu.Lock()
			f(u)
			u.mu.Unlock()
		}
		c.mu.Unlock()
	}
}

func TestRecordingRoundTrip(t *testing.T) {
	ts := newTestServer(t, nil)
	dir := t.TempDir()
	rec := filepath.Join(dir, "recs")
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", map[string]string{
		"recording-path": rec, "create-recording-path": "true",
		"recording-name": "${GUAC_DATE}-session", "recording-include-keys": "true",
	})
	c.expect("sync")
	c.send("mouse", "10", "20", "1")
	c.send("key", "65", "1")
	c.expect("rect")
	c.send("disconnect")
	if _, err := c.closedWith(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return ts.Connections() == 0 }, "connection close")
	name := filepath.Join(rec, time.Now().Format("20060102")+"-session")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// The file is a valid instruction stream with the output and the input.
	var p protocol.Parser
	seen := map[string]int{}
	for b := data; len(b) > 0; {
		in, n, err := p.Next(b)
		if err != nil {
			t.Fatalf("recording does not parse at %d: %v", len(data)-len(b), err)
		}
		seen[string(in.Opcode)]++
		b = b[n:]
	}
	for _, op := range []string{"rect", "cfill", "sync", "mouse", "key"} {
		if seen[op] == 0 {
			t.Errorf("recording has no %q (has %v)", op, seen)
		}
	}
	// A second session with the same name does not overwrite: name.1.
	c = dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", map[string]string{"recording-path": rec, "recording-name": "${GUAC_DATE}-session"})
	c.expect("sync")
	c.send("disconnect")
	c.closedWith(5 * time.Second)
	waitFor(t, func() bool { _, err := os.Stat(name + ".1"); return err == nil }, "name.1")
}

func TestRecordingNameCannotEscape(t *testing.T) {
	ts := newTestServer(t, nil)
	dir := t.TempDir()
	rec := filepath.Join(dir, "recs")
	if err := os.Mkdir(rec, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../escape", "..", "a/b", `a\b`, "${GUAC_USERNAME}"} {
		c := dial(t, ts.addr)
		c.send("select", "test")
		args := c.expect("args")
		vals := []string{"VERSION_1_5_0"}
		for _, n := range args.args[1:] {
			switch n {
			case "recording-path":
				vals = append(vals, rec)
			case "recording-name":
				vals = append(vals, name)
			default:
				vals = append(vals, "")
			}
		}
		c.send("connect", vals...)
		got, err := c.closedWith(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 2 || got[1].op != "error" || got[1].args[1] != "512" {
			t.Fatalf("name %q: got %v", name, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files escaped the recording path: %v", entries)
	}
}

func TestShutdownDrains(t *testing.T) {
	ts := newTestServer(t, nil)
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
	c.expect("sync")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.closedWith(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var status string
	for _, in := range got {
		if in.op == "error" {
			status = in.args[1]
		}
	}
	if status != "513" {
		t.Fatalf("want error 513 on drain, got %v", got)
	}
	// New sessions are refused while draining.
	c = dial(t, ts.addr)
	got, _ = c.closedWith(5 * time.Second)
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "513" {
		t.Fatalf("new session during drain: %v", got)
	}
}

func TestWireLen(t *testing.T) {
	for _, s := range []string{"4.sync,3.123;", "3.key,5.65507,1.1;", "0.;", "5.mouse,3.100,3.200,1.0,10.1234567890;"} {
		var p protocol.Parser
		ins, n, err := p.Next([]byte(s))
		if err != nil || n != len(s) {
			t.Fatal(err)
		}
		if got := wireLen(ins); got != len(s) {
			t.Errorf("wireLen(%q) = %d, want %d", s, got, len(s))
		}
	}
}

// A client that vanishes (its connection dropped without disconnect) ends
// its session and, as the last user, the connection; the others are
// untouched.
func TestVanishedClient(t *testing.T) {
	ts := newTestServer(t, nil)
	other := dial(t, ts.addr)
	other.connectTest("VERSION_1_5_0", map[string]string{"fps": "50"})
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", map[string]string{"fps": "50"})
	c.expect("sync")
	c.nc.(*net.TCPConn).SetLinger(0) // reset, not a clean close
	c.nc.Close()
	waitFor(t, func() bool { return ts.Connections() == 1 }, "the vanished client's connection to close")
	for frames := 0; frames < 10; {
		in, err := other.read(10 * time.Second)
		if err != nil {
			t.Fatalf("the other session suffered: %v", err)
		}
		if in.op == "sync" {
			frames++
			other.send("sync", in.args[0])
		}
	}
}

// A big frame goes to every user without a copy each: the buffer itself is
// queued, reaches a stalled viewer intact and in order once it reads, and
// goes back to the free list only after the last user wrote it.
func TestSharedFrame(t *testing.T) {
	for protocol.GetBuffer(0) != nil { // start from an empty free list
	}
	ts := newTestServer(t, nil)
	owner := dial(t, ts.addr)
	id := owner.connectTest("VERSION_1_5_0", map[string]string{})
	waitFor(t, func() bool { return len(ts.be.Sessions()) == 1 }, "session")
	owner.expect("sync")
	slow := newBlockingConn()
	done := make(chan error, 1)
	go func() {
		done <- ts.Serve(context.Background(), slow, Request{JoinID: id, Params: map[string]string{}})
	}()
	waitFor(t, func() bool { return usersAttached(ts.Server) == 2 }, "the viewer joining")

	zs := strings.Repeat("z", 6000) // small content, big buffer: cap decides
	buf := protocol.AppendInstruction(make([]byte, 0, 200<<10), "name", zs)
	d := ts.be.Sessions()[0].Display()
	if kept := d.WriteFrame(buf); kept != nil {
		t.Fatal("a big frame was copied, not taken")
	}
	d.EndFrame(1)
	for {
		in, err := owner.read(10 * time.Second)
		if err != nil {
			t.Fatalf("owner: %v", err)
		}
		if in.op == "name" {
			if in.args[0] != zs {
				t.Fatalf("owner got a %d-byte name, want %d", len(in.args[0]), len(zs))
			}
			break
		}
	}
	if inFreeList(buf) {
		t.Fatal("the frame went back to the free list while a viewer still had it queued")
	}
	close(slow.release)
	waitFor(t, func() bool { return strings.Contains(slow.output(), zs) }, "the viewer getting the frame")
	out := slow.output()
	if rest := out[strings.Index(out, zs)+len(zs):]; !strings.HasPrefix(rest, ";4.sync,") {
		t.Fatalf("the viewer's frame is followed by %.20q, want its sync", rest)
	}
	waitFor(t, func() bool { return inFreeList(buf) }, "the frame back in the free list")
	slow.Close()
	if err := <-done; err != nil {
		t.Fatalf("viewer session: %v", err)
	}
}

// usersAttached counts the attached users of srv's connections.
func usersAttached(srv *Server) int {
	n := 0
	eachUser(srv, func(u *user) {
		if u.attached {
			n++
		}
	})
	return n
}

// inFreeList reports whether b's array is in protocol's free list, leaving
// the list as it was.
func inFreeList(b []byte) bool {
	var taken [][]byte
	found := false
	for {
		x := protocol.GetBuffer(0)
		if x == nil {
			break
		}
		taken = append(taken, x)
		found = found || &x[:1][0] == &b[:1][0]
	}
	for _, x := range taken {
		protocol.PutBuffer(x)
	}
	return found
}
