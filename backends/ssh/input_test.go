package ssh

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// fakeUser and fakeDisplay let tests drive a session without the tunnel.
type fakeUser struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (u *fakeUser) ID() string         { return "@test" }
func (u *fakeUser) Owner() bool        { return true }
func (u *fakeUser) ReadOnly() bool     { return false }
func (u *fakeUser) Username() string   { return "" }
func (u *fakeUser) Attach()            {}
func (u *fakeUser) Lag() time.Duration { return 0 }
func (u *fakeUser) Info() backends.ClientInfo {
	return backends.ClientInfo{Width: 320, Height: 200, DPI: 96}
}
func (u *fakeUser) Params() backends.Params {
	// A port nothing listens on: the connection fails in the background
	// while input is still handled.
	return backends.Params{"hostname": "127.0.0.1", "port": "1", "timeout": "1"}
}
func (u *fakeUser) Write(p []byte) {
	u.mu.Lock()
	u.out.Write(p)
	u.mu.Unlock()
}

type fakeDisplay struct{ fakeUser }

func (d *fakeDisplay) EndFrame(int) {}
func (d *fakeDisplay) WriteFrame(b []byte) []byte {
	d.Write(b)
	return b[:0]
}
func (d *fakeDisplay) Close(error)          {}
func (d *fakeDisplay) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var inputSeeds = []string{
	"3.key,2.65,1.1;3.key,2.65,1.0;",
	"5.mouse,2.20,2.20,1.1;5.mouse,2.80,2.40,1.1;5.mouse,2.80,2.40,1.0;",
	"5.mouse,1.5,1.5,1.8;5.mouse,1.5,1.5,2.16;5.mouse,1.5,1.5,1.4;5.mouse,1.5,1.5,1.0;",
	"4.size,3.100,2.80;4.size,1.0,2.-1;",
	"9.clipboard,1.2,10.text/plain;4.blob,1.2,4.aGk=;3.end,1.2;",
	"4.pipe,1.4,10.text/plain,5.STDIN;4.blob,1.4,4.aGk=;3.end,1.4;",
	"4.argv,1.6,10.text/plain,9.font-size;4.blob,1.6,4.MjA=;3.end,1.6;",
	"4.argv,1.6,10.text/plain,12.color-scheme;4.blob,1.6,4.eHl6;3.end,1.6;",
	"4.file,1.8,10.text/plain,1.a;3.put,1.0,2.10,10.text/plain,2./b;3.get,1.0,1./;3.ack,1.2,2.OK,1.0;",
	"4.blob,2.99,4.!!!!;3.end,2.99;3.key;",
}

// FuzzInput feeds arbitrary instructions to a session: nothing may panic
// or deadlock, and Close must still work.
func FuzzInput(f *testing.F) {
	for _, s := range inputSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u := &fakeUser{}
		s, err := (&Backend{}).Open(context.Background(), u, &fakeDisplay{})
		if err != nil {
			t.Fatal(err)
		}
		r := protocol.NewReader(bytes.NewReader(data))
		for range 200 {
			ins, err := r.ReadInstruction()
			if err != nil {
				break
			}
			_ = s.Input(u, ins)
		}
		s.Leave(u)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestInputSeeds runs the fuzz seeds and checks the acks they must get.
func TestInputSeeds(t *testing.T) {
	u := &fakeUser{}
	s, err := (&Backend{}).Open(context.Background(), u, &fakeDisplay{})
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range inputSeeds {
		r := protocol.NewReader(bytes.NewReader([]byte(seed)))
		for {
			ins, err := r.ReadInstruction()
			if err != nil {
				break
			}
			_ = s.Input(u, ins)
		}
	}
	s.Close()
	out := u.out.String()
	for _, want := range []string{
		"3.ack,1.2,2.OK,1.0;",
		"3.ack,1.4,2.OK,1.0;",
		"3.ack,1.6,28.Ready for updated parameter.,1.0;",
		"3.ack,1.8,26.File transfer unsupported.,3.256;",
		"3.ack,2.99,21.Invalid stream index.,3.768;",
	} {
		if !bytes.Contains([]byte(out), []byte(want)) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}
