package passthrough

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// upstreamTS is the timestamp the fake guacd puts in sync: far ahead of
// goguacd's clock, so a sync relayed verbatim would get the browser's
// acknowledgement refused by the core.
const upstreamTS = "987654321000"

// Keysyms that make the fake guacd act, sent by tests as key presses.
const (
	keyError = "1" // send error SESSION_CONFLICT and close
	keyClose = "2" // close the TCP connection abruptly
	keyDraw  = "3" // draw a frame (with a msg first, which must be dropped)
)

// fakeGuacd is a guacd stand-in on loopback: it announces its own args
// list, records each handshake, serves joins by connection ID and records
// every instruction it receives.
type fakeGuacd struct {
	t       testing.TB
	ln      net.Listener
	names   []string // its args, in its own order
	version string   // args' version element; "" sends none (guacd 1.0)
	// payload, when set, is sent after ready instead of the first frame,
	// repeats times.
	payload []byte
	repeats int

	mu     sync.Mutex
	nextID int
	conns  map[string][]*fakeConn // by connection ID; [0] is the owner
	all    []net.Conn
	shakes []fakeHandshake
	events []fakeEvent
	wg     sync.WaitGroup
}

type fakeHandshake struct {
	sel      string
	order    []string // opcodes received before connect, in order
	size     []string
	timezone string
	name     string
	version  string // connect's version element
	values   map[string]string
}

// fakeEvent is one instruction received after the handshake.
type fakeEvent struct {
	conn int // 0 for the owner, n for the n-th joiner
	op   string
	args []string
}

type fakeConn struct {
	nc net.Conn
	mu sync.Mutex
}

func (c *fakeConn) send(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.nc.Write(b)
}

func newFakeGuacd(t testing.TB, names []string) *fakeGuacd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGuacd{t: t, ln: ln, names: names, version: protocol.Version1_5_0, conns: make(map[string][]*fakeConn)}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *fakeGuacd) addr() string { return f.ln.Addr().String() }

func (f *fakeGuacd) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	for _, nc := range f.all {
		_ = nc.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeGuacd) accept() {
	defer f.wg.Done()
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.all = append(f.all, nc)
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer nc.Close()
			f.serve(nc)
		}()
	}
}

func (f *fakeGuacd) handshakes() []fakeHandshake {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shakes)
}

func (f *fakeGuacd) received() []fakeEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// waitEvent waits until an event matching ok was received.
func (f *fakeGuacd) waitEvent(t testing.TB, what string, ok func(fakeEvent) bool) fakeEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range f.received() {
			if ok(e) {
				return e
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fake guacd never received %s; got %v", what, f.received())
	return fakeEvent{}
}

func (f *fakeGuacd) serve(nc net.Conn) {
	c := &fakeConn{nc: nc}
	r := protocol.NewReader(nc)
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	ins, err := r.ReadInstruction()
	if err != nil || !ins.Is("select") || len(ins.Args) != 1 {
		return
	}
	hs := fakeHandshake{sel: string(ins.Args[0]), values: map[string]string{}}
	joinID := ""
	if strings.HasPrefix(hs.sel, "$") {
		f.mu.Lock()
		_, ok := f.conns[hs.sel]
		f.mu.Unlock()
		if !ok {
			c.send(protocol.AppendError(nil, "No such connection.", protocol.StatusResourceNotFound))
			return
		}
		joinID = hs.sel
	}
	args := f.names
	if f.version != "" {
		args = append([]string{f.version}, f.names...)
	}
	c.send(protocol.AppendInstruction(nil, "args", args...))
	for {
		ins, err := r.ReadInstruction()
		if err != nil {
			return
		}
		op := string(ins.Opcode)
		if op == "connect" {
			vals := stringsOf(ins.Args)
			if f.version != "" {
				if len(vals) == 0 {
					return
				}
				hs.version, vals = vals[0], vals[1:]
			}
			if len(vals) != len(f.names) {
				// guacd drops such a user without an error.
				return
			}
			for i, n := range f.names {
				hs.values[n] = vals[i]
			}
			break
		}
		hs.order = append(hs.order, op)
		switch op {
		case "size":
			hs.size = stringsOf(ins.Args)
		case "timezone":
			hs.timezone = string(ins.Arg(0))
		case "name":
			hs.name = string(ins.Arg(0))
		}
	}
	if _, ok := hs.values["hostname"]; ok && hs.values["hostname"] == "refuse" {
		c.send(protocol.AppendError(nil, "Refused by fake.", protocol.StatusUpstreamNotFound))
		return
	}

	f.mu.Lock()
	f.shakes = append(f.shakes, hs)
	id := joinID
	if id == "" {
		f.nextID++
		id = fmt.Sprintf("$fake-%d", f.nextID)
	}
	f.conns[id] = append(f.conns[id], c)
	index := len(f.conns[id]) - 1
	owner := f.conns[id][0]
	f.mu.Unlock()

	c.send(protocol.AppendReady(nil, id))
	switch {
	case f.payload != nil:
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for range f.repeats {
				c.send(f.payload)
			}
		}()
	case joinID == "":
		c.send(frame(nil, 64, 48, 255))
	default:
		// A join: replay the state, and tell the owner like guacd does.
		c.send(frame(nil, 64, 48, 255))
		owner.send(protocol.AppendMsg(nil, 1, "@upstream-user", "joiner"))
	}

	_ = nc.SetReadDeadline(time.Time{})
	if f.payload != nil {
		// Benchmarks: swallow the acknowledgements without recording them,
		// so allocations measured are the relay's.
		_, _ = io.Copy(io.Discard, nc)
		return
	}
	for {
		ins, err := r.ReadInstruction()
		if err != nil {
			return
		}
		e := fakeEvent{conn: index, op: string(ins.Opcode), args: stringsOf(ins.Args)}
		f.mu.Lock()
		f.events = append(f.events, e)
		f.mu.Unlock()
		if e.op != "key" || len(e.args) < 2 || e.args[1] != "1" {
			continue
		}
		switch e.args[0] {
		case keyError:
			c.send(protocol.AppendError(nil, "Boom.", protocol.StatusSessionConflict))
			return
		case keyClose:
			return
		case keyDraw:
			c.send(protocol.AppendMsg(nil, 1, "@upstream-user", "x"))
			c.send(frame(nil, 8, 8, 7))
		}
	}
}

// frame appends a small frame: size, a filled rectangle, sync.
func frame(dst []byte, w, h int, color uint8) []byte {
	dst = protocol.AppendSize(dst, 0, w, h)
	dst = protocol.AppendRect(dst, 0, 0, 0, w, h)
	dst = protocol.AppendCfill(dst, protocol.ModeSrc, 0, color, 0, 0, 255)
	return append(dst, "4.sync,"+fmt.Sprintf("%d.%s", len(upstreamTS), upstreamTS)+",1.1;"...)
}

func stringsOf(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}
