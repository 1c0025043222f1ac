package passthrough

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// fakeUser is a backends.User that keeps what it is sent.
type fakeUser struct {
	id     string
	owner  bool
	info   backends.ClientInfo
	params backends.Params

	mu       sync.Mutex
	out      bytes.Buffer
	attached bool
}

func (u *fakeUser) ID() string                { return u.id }
func (u *fakeUser) Owner() bool               { return u.owner }
func (u *fakeUser) ReadOnly() bool            { return u.params["read-only"] == "true" }
func (u *fakeUser) Info() backends.ClientInfo { return u.info }
func (u *fakeUser) Params() backends.Params   { return u.params }
func (u *fakeUser) Username() string          { return "tester" }
func (u *fakeUser) Lag() time.Duration        { return 0 }
func (u *fakeUser) Attach() {
	u.mu.Lock()
	u.attached = true
	u.mu.Unlock()
}
func (u *fakeUser) Write(p []byte) {
	u.mu.Lock()
	u.out.Write(p)
	u.mu.Unlock()
}
func (u *fakeUser) output() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.out.String()
}

// fakeDisplay records broadcasts, frames and the end of the connection.
type fakeDisplay struct {
	mu     sync.Mutex
	out    bytes.Buffer
	bytes  int64 // bytes written, also when discard is set
	frames int
	writes int
	// discard keeps only counts (benchmarks).
	discard bool
	closed  chan error
	notify  chan struct{}
}

func newFakeDisplay() *fakeDisplay {
	return &fakeDisplay{closed: make(chan error, 1), notify: make(chan struct{}, 1)}
}

func (d *fakeDisplay) Write(p []byte) {
	d.mu.Lock()
	d.bytes += int64(len(p))
	d.writes++
	if !d.discard {
		d.out.Write(p)
	}
	d.mu.Unlock()
	d.poke()
}

func (d *fakeDisplay) WriteFrame(b []byte) []byte {
	d.Write(b)
	return b[:0]
}

func (d *fakeDisplay) EndFrame(frames int) {
	d.mu.Lock()
	d.frames += frames
	if !d.discard {
		d.out.Write(protocol.AppendSync(nil, 0, frames))
	}
	d.mu.Unlock()
	d.poke()
}

func (d *fakeDisplay) poke() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

func (d *fakeDisplay) Lag() time.Duration { return 0 }
func (d *fakeDisplay) Close(err error) {
	select {
	case d.closed <- err:
	default:
	}
}
func (d *fakeDisplay) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (d *fakeDisplay) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// waitFor waits until the display output contains s.
func (d *fakeDisplay) waitFor(s string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if bytes.Contains([]byte(d.output()), []byte(s)) {
			return true
		}
		select {
		case <-d.notify:
		case <-deadline:
			return false
		}
	}
}
