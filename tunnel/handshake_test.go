package tunnel

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

func TestHandshakeVersions(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		name    string
		version string
		omit    bool // send no version element at all (protocol 1.0.0)
	}{
		{name: "1.5.0", version: "VERSION_1_5_0"},
		{name: "1.3.0", version: "VERSION_1_3_0"},
		{name: "1.1.0 (guacamole-lite)", version: "VERSION_1_1_0"},
		{name: "1.0.0 empty version", version: ""},
		{name: "1.0.0 no version element", omit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			c.send("select", "test")
			args := c.expect("args")
			c.send("size", "800", "600")
			c.send("image", "image/png")
			vals := []string{}
			if !tc.omit {
				vals = append(vals, tc.version)
			}
			for _, n := range args.args[1:] {
				v := ""
				if n == "color" {
					v = "00ff00"
				}
				vals = append(vals, v)
			}
			c.send("connect", vals...)
			ready := c.expect("ready")
			if !strings.HasPrefix(ready.args[0], "$") || len(ready.args[0]) != 37 {
				t.Fatalf("ready id %q", ready.args[0])
			}
			cf := c.expect("cfill")
			if got := strings.Join(cf.args[2:5], ","); got != "0,255,0" {
				t.Fatalf("cfill colour %s, want 0,255,0 (connect values mapped by position)", got)
			}
			sync := c.expect("sync")
			c.send("sync", sync.args[0])
			c.send("key", "97", "1")
			c.expect("sync")
			in := waitInput(t, ts, "key")
			if in.Args[0] != "97" {
				t.Fatalf("key input %v", in)
			}
			c.send("disconnect")
			got, err := c.closedWith(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[len(got)-1].op != "disconnect" {
				t.Fatalf("want disconnect last, got %v", got)
			}
		})
	}
}

func waitInput(t *testing.T, ts *testServer, op string) (in inputT) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case in = <-ts.be.Inputs:
			if in.Opcode == op {
				return in
			}
		case <-timeout:
			t.Fatalf("no %q input reached the backend", op)
		}
	}
}

func TestArgsListMatchesBackend(t *testing.T) {
	ts := newTestServer(t, nil)
	c := dial(t, ts.addr)
	c.send("select", "test")
	args := c.expect("args")
	want := append([]string{"VERSION_1_5_0"}, ts.be.Args()...)
	if strings.Join(args.args, ",") != strings.Join(want, ",") {
		t.Fatalf("args %v, want %v", args.args, want)
	}
}

// Refusals: every case gets an error with the right status, then the
// connection closes; a normal connection works afterwards.
func TestHandshakeRefusals(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.HandshakeTimeout = 500 * time.Millisecond })
	big := strings.Repeat("x", 8193)
	many := strings.Repeat(",1.a", 128)
	for _, tc := range []struct {
		name   string
		send   string
		status protocol.Status // 0: just a clean close is acceptable
		close  bool            // half-close after sending
	}{
		{name: "garbage", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff", status: protocol.StatusClientBadRequest},
		{name: "negative length", send: "-5.hello;", status: protocol.StatusClientBadRequest},
		{name: "huge length", send: "99999999.", status: protocol.StatusClientBadRequest},
		{name: "length longer than element", send: "10.select,3.vnc;", status: protocol.StatusClientBadRequest},
		{name: "length past the data then silence", send: "40.select;", status: protocol.StatusClientTimeout},
		{name: "missing terminator then close", send: "6.select,4.test", close: true, status: protocol.StatusClientBadRequest},
		{name: "129 elements", send: "6.select" + many + ";", status: protocol.StatusClientBadRequest},
		{name: "element of 8193 code points", send: "6.select,8193." + big + ";", status: protocol.StatusClientBadRequest},
		{name: "invalid UTF-8 protocol name", send: "6.select,3.\xff\xfe\xfd;", status: protocol.StatusUnsupported},
		{name: "lone semicolon", send: ";", status: protocol.StatusClientBadRequest},
		{name: "size before select", send: "4.size,3.800,3.600;", status: protocol.StatusClientBadRequest},
		{name: "select with two arguments", send: "6.select,4.test,1.x;", status: protocol.StatusClientBadRequest},
		{name: "unknown protocol", send: "6.select,5.nopey;", status: protocol.StatusUnsupported},
		{name: "unknown connection id", send: "6.select,37.$00000000-0000-4000-8000-000000000000;", status: protocol.StatusResourceNotFound},
		{name: "silent", send: "", status: protocol.StatusClientTimeout},
		{name: "one-argument size in handshake", send: "6.select,4.test;4.size,3.800;", status: protocol.StatusClientBadRequest},
		{name: "connect with too few values", send: "6.select,4.test;7.connect,13.VERSION_1_5_0,1.a;", status: protocol.StatusClientBadRequest},
		{name: "connect with unknown version", send: "6.select,4.test;7.connect,13.VERSION_9_9_9" + strings.Repeat(",0.", len(ts.be.Args())) + ";", status: protocol.StatusClientBadRequest},
		{name: "truncated UTF-8 then close", send: "6.select,4.te\xe2\x82", close: true, status: protocol.StatusClientBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			if tc.send != "" {
				c.sendRaw(tc.send)
			}
			if tc.close {
				c.nc.(interface{ CloseWrite() error }).CloseWrite()
			}
			got, err := c.closedWith(5 * time.Second)
			if err != nil {
				t.Fatalf("server did not close: %v (got %v)", err, got)
			}
			var errIns *ins
			for i := range got {
				if got[i].op == "error" {
					errIns = &got[i]
				}
			}
			if errIns == nil {
				t.Fatalf("no error instruction, got %v", got)
			}
			if errIns.args[1] != fmt.Sprint(int(tc.status)) {
				t.Fatalf("status %s, want %d (%v); message %q", errIns.args[1], tc.status, tc.status, errIns.args[0])
			}
			if got[len(got)-1].op != "disconnect" {
				t.Fatalf("want disconnect last, got %v", got)
			}
		})
	}
	// The server is unharmed.
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
}

// Refused connections leave no descriptor behind.
func TestRefusalsLeakNoDescriptors(t *testing.T) {
	ts := newTestServer(t, nil)
	// Warm up lazily opened descriptors (epoll, etc.).
	c := dial(t, ts.addr)
	c.sendRaw("garbage;")
	c.closedWith(5 * time.Second)
	c.nc.Close()
	before := openFDs(t)
	for i := 0; i < 50; i++ {
		c := dial(t, ts.addr)
		c.sendRaw([]string{"99999999.", "6.select,5.nopey;", "-1.x;", ";"}[i%4])
		if _, err := c.closedWith(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		c.nc.Close()
	}
	waitFor(t, func() bool { return openFDs(t) <= before }, fmt.Sprintf("descriptors back to %d", before))
}

// 200 silent connections time out with CLIENT_TIMEOUT while a normal
// connection completes meanwhile.
func TestSilentConnections(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.HandshakeTimeout = 1 * time.Second })
	var silent []*client
	for i := 0; i < 200; i++ {
		silent = append(silent, dial(t, ts.addr))
	}
	c := dial(t, ts.addr)
	c.connectTest("VERSION_1_5_0", nil)
	for i, s := range silent {
		got, err := s.closedWith(10 * time.Second)
		if err != nil {
			t.Fatalf("silent %d: %v", i, err)
		}
		if len(got) < 1 || got[0].op != "error" || got[0].args[1] != "776" {
			t.Fatalf("silent %d: got %v", i, got)
		}
	}
}

// guacd 1.6.0 hangs connections forever when several start at once; every
// one of 100 simultaneous starts must complete here.
func TestConcurrentStarts(t *testing.T) {
	ts := newTestServer(t, nil)
	const n = 100
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := rawDial(ts.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := quickHandshake(c, len(ts.be.Args())); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Relays to an upstream guacd are chosen by the catalog, never by a guacd
// client's select.
func TestInternalBackendsNotSelectable(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Backends().Register(backends.ViaGuacd("vnc"), ts.be)
	c := dial(t, ts.addr)
	c.send("select", backends.ViaGuacd("vnc"))
	got, err := c.closedWith(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].op != "error" || got[0].args[1] != "256" {
		t.Fatalf("got %v, want error 256", got)
	}
}

// connect's values map to names by position whatever the client sends;
// a wrong count is refused, never a panic.
func FuzzConnectParams(f *testing.F) {
	f.Add([]byte("7.connect,13.VERSION_1_5_0,1.a,1.b;"), 2)
	f.Add([]byte("7.connect,1.a,1.b;"), 2)
	f.Add([]byte("7.connect;"), 0)
	f.Add([]byte("7.connect,13.VERSION_9_9_9,0.;"), 1)
	f.Fuzz(func(t *testing.T, raw []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		var p protocol.Parser
		ins, _, err := p.Next(raw)
		if err != nil {
			return
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprint("p", i)
		}
		params, _, err := connectParams(names, ins.Args)
		if err != nil {
			return
		}
		for k := range params {
			if !strings.HasPrefix(k, "p") {
				t.Fatalf("unknown name %q", k)
			}
		}
	})
}
