package audio

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testStream = 5

var quiet = Options{Logger: slog.New(slog.DiscardHandler)}

// fakeUser records what it is sent.
type fakeUser struct {
	id    string
	audio []string
	lag   atomic.Int64 // ms

	mu  sync.Mutex
	out []byte
}

func newUser(id string, audio ...string) *fakeUser { return &fakeUser{id: id, audio: audio} }

func (u *fakeUser) ID() string                { return u.id }
func (u *fakeUser) Owner() bool               { return false }
func (u *fakeUser) ReadOnly() bool            { return false }
func (u *fakeUser) Info() backends.ClientInfo { return backends.ClientInfo{Audio: u.audio} }
func (u *fakeUser) Params() backends.Params   { return nil }
func (u *fakeUser) Username() string          { return "" }
func (u *fakeUser) Attach()                   {}
func (u *fakeUser) Lag() time.Duration        { return time.Duration(u.lag.Load()) * time.Millisecond }

func (u *fakeUser) Write(p []byte) {
	u.mu.Lock()
	u.out = append(u.out, p...)
	u.mu.Unlock()
}

// take returns and forgets what u was sent.
func (u *fakeUser) take() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.out
	u.out = nil
	return out
}

// fakeSource hands chunks to the streamer one at a time; reads signals
// each time the streamer asks for the next chunk, i.e. once it has
// finished with the previous one.
type fakeSource struct {
	in     chan []byte
	reads  chan struct{}
	done   chan struct{}
	once   sync.Once
	closed atomic.Bool
}

func newSource() *fakeSource {
	return &fakeSource{in: make(chan []byte), reads: make(chan struct{}, 1), done: make(chan struct{})}
}

func (f *fakeSource) Read() ([]byte, error) {
	select {
	case f.reads <- struct{}{}:
	case <-f.done:
		return nil, ErrClosed
	}
	select {
	case b, ok := <-f.in:
		if !ok {
			return nil, io.EOF
		}
		return b, nil
	case <-f.done:
		return nil, ErrClosed
	}
}

func (f *fakeSource) Close() error {
	f.once.Do(func() { close(f.done) })
	f.closed.Store(true)
	return nil
}

// feed gives the streamer chunk and waits until it has been handled.
func (f *fakeSource) feed(t *testing.T, chunk []byte) {
	t.Helper()
	select {
	case f.in <- chunk:
	case <-time.After(10 * time.Second):
		t.Fatal("streamer stopped reading")
	}
	f.waitRead(t)
}

func (f *fakeSource) waitRead(t *testing.T) {
	t.Helper()
	select {
	case <-f.reads:
	case <-time.After(10 * time.Second):
		t.Fatal("streamer did not read")
	}
}

// start runs s on a fake source and waits until the stream is announced.
func start(t *testing.T, s *Streamer) *fakeSource {
	t.Helper()
	src := newSource()
	s.Run(func(context.Context) (Source, error) { return src, nil })
	src.waitRead(t)
	return src
}

// tone returns n bytes of non-silent PCM.
func tone(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

func announce() []byte { return protocol.AppendInstruction(nil, "audio", "5", Mimetype) }

func blobs(pcm ...[]byte) []byte {
	var out []byte
	for _, p := range pcm {
		out = protocol.AppendBlob(out, testStream, p)
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func wantOut(t *testing.T, u *fakeUser, want []byte) {
	t.Helper()
	if got := u.take(); !bytes.Equal(got, want) {
		t.Fatalf("%s got\n%.300q\nwant\n%.300q", u.id, got, want)
	}
}

func TestStreamerInstructions(t *testing.T) {
	big := tone(2*BlobSize + 100)
	odd := tone(10) // two frames and half of one
	tests := []struct {
		name   string
		chunks [][]byte
		want   []byte
	}{
		{"one small chunk", [][]byte{tone(400)}, blobs(tone(400))},
		{"split at BlobSize", [][]byte{big}, blobs(big[:BlobSize], big[BlobSize:2*BlobSize], big[2*BlobSize:])},
		{"silence is not sent", [][]byte{make([]byte, 4096)}, nil},
		{"silence between sounds", [][]byte{tone(8), make([]byte, 64), tone(8)}, blobs(tone(8), tone(8))},
		{"partial frames carried over", [][]byte{odd, {0xaa, 0xbb}}, blobs(odd[:8], []byte{odd[8], odd[9], 0xaa, 0xbb})},
		{"partial frame dropped at silence", [][]byte{odd, {0, 0}, tone(4)}, blobs(odd[:8], tone(4))},
		{"less than a frame", [][]byte{{1, 2, 3}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStreamer(testStream, quiet)
			owner, deaf, late := newUser("@owner", "audio/L16"), newUser("@deaf", "audio/ogg"), newUser("@late", "audio/L8", "audio/L16")
			s.Add(owner)
			s.Add(deaf)
			src := start(t, s)
			s.Add(late)
			wantOut(t, owner, announce())
			wantOut(t, late, announce())
			for _, c := range tt.chunks {
				src.feed(t, c)
			}
			wantOut(t, owner, tt.want)
			wantOut(t, late, tt.want)
			s.Close()
			if !src.closed.Load() {
				t.Fatal("source not closed")
			}
			end := protocol.AppendEnd(nil, testStream)
			wantOut(t, owner, end)
			wantOut(t, late, end)
			wantOut(t, deaf, nil)
		})
	}
}

func TestStreamerLaggingUserMissesAudio(t *testing.T) {
	s := NewStreamer(testStream, Options{Logger: quiet.Logger, MaxLag: 500 * time.Millisecond})
	ok, slow := newUser("@ok", "audio/L16"), newUser("@slow", "audio/L16")
	s.Add(ok)
	s.Add(slow)
	src := start(t, s)
	wantOut(t, ok, announce())
	wantOut(t, slow, announce())

	slow.lag.Store(2000)
	src.feed(t, tone(64))
	wantOut(t, ok, blobs(tone(64)))
	wantOut(t, slow, nil)

	slow.lag.Store(100) // caught up: audio resumes
	src.feed(t, tone(32))
	wantOut(t, ok, blobs(tone(32)))
	wantOut(t, slow, blobs(tone(32)))
	s.Close()
}

func TestStreamerRejoinRestartsStream(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	u := newUser("@u", "audio/L16")
	s.Add(u)
	start(t, s)
	wantOut(t, u, announce())
	s.Add(u) // its queue was coalesced: the `audio` may be lost
	wantOut(t, u, cat(protocol.AppendEnd(nil, testStream), announce()))
	s.Close()
	wantOut(t, u, protocol.AppendEnd(nil, testStream))
}

func TestStreamerRemovedUserGetsNothing(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	a, b := newUser("@a", "audio/L16"), newUser("@b", "audio/L16")
	s.Add(a)
	s.Add(b)
	src := start(t, s)
	s.Remove(b)
	src.feed(t, tone(16))
	s.Close()
	wantOut(t, a, cat(announce(), blobs(tone(16)), protocol.AppendEnd(nil, testStream)))
	wantOut(t, b, announce())
}

func TestStreamerSourceEnds(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	u := newUser("@u", "audio/L16")
	s.Add(u)
	src := start(t, s)
	close(src.in) // capture fails: the session goes on silently
	s.Close()
	wantOut(t, u, cat(announce(), protocol.AppendEnd(nil, testStream)))
}

func TestStreamerOpenFailsIsLogged(t *testing.T) {
	var logs syncBuffer
	s := NewStreamer(testStream, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	u := newUser("@u", "audio/L16")
	s.Add(u)
	failed := make(chan struct{})
	s.Run(func(context.Context) (Source, error) {
		defer close(failed)
		return nil, errors.New("connection refused")
	})
	<-failed
	s.Close()
	s.Add(u) // after Close: ignored
	wantOut(t, u, nil)
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("failure not logged: %q", logs.String())
	}
}

func TestStreamerCloseCancelsOpen(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	u := newUser("@u", "audio/L16")
	s.Add(u)
	opening := make(chan struct{})
	s.Run(func(ctx context.Context) (Source, error) {
		close(opening)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	<-opening
	s.Close()
	wantOut(t, u, nil)
}

func TestStreamerCloseWhileOpenSucceeds(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	u := newUser("@u", "audio/L16")
	s.Add(u)
	src := newSource()
	opening, release := make(chan struct{}), make(chan struct{})
	s.Run(func(ctx context.Context) (Source, error) {
		close(opening)
		<-release
		return src, nil // too late: Close has begun
	})
	<-opening
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	for !s.isClosed() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-closed
	if !src.closed.Load() {
		t.Fatal("late source not closed")
	}
	wantOut(t, u, nil)
}

func (s *Streamer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func TestNilStreamer(t *testing.T) {
	var s *Streamer
	u := newUser("@u", "audio/L16")
	s.Add(u)
	s.Remove(u)
	s.Run(func(context.Context) (Source, error) { panic("must not open") })
	s.Close()
	wantOut(t, u, nil)
}

func TestAccepts(t *testing.T) {
	tests := []struct {
		types []string
		want  bool
	}{
		{nil, false},
		{[]string{"audio/L8"}, false},
		{[]string{"audio/L8", "audio/L16"}, true},
		{[]string{"audio/l16"}, true},
		{[]string{"audio/L16;rate=44100,channels=2"}, true},
		{[]string{"audio/L160"}, false},
		{[]string{"audio/ogg"}, false},
	}
	for _, tt := range tests {
		if got := Accepts(tt.types); got != tt.want {
			t.Errorf("Accepts(%q) = %v, want %v", tt.types, got, tt.want)
		}
	}
}

// FuzzStreamerFrames checks that any split of non-silent PCM into chunks
// arrives whole: blobs carry exactly the input's whole frames, in order,
// each at most BlobSize and a whole number of frames.
func FuzzStreamerFrames(f *testing.F) {
	f.Add(tone(100), uint16(7))
	f.Add(tone(3*BlobSize+9), uint16(BlobSize-1))
	f.Add([]byte{1, 0, 0}, uint16(1))
	f.Fuzz(func(t *testing.T, pcm []byte, step uint16) {
		pcm = bytes.Clone(pcm)
		for i := range pcm {
			pcm[i] |= 1 // never a silent chunk
		}
		n := int(step)%(2*BlobSize) + 1
		u := newUser("@u", "audio/L16")
		s := NewStreamer(testStream, quiet)
		s.users[u] = true
		for off := 0; off < len(pcm); off += n {
			s.write(pcm[off:min(off+n, len(pcm))])
		}
		var got []byte
		r := protocol.NewReader(bytes.NewReader(u.take()))
		for {
			ins, err := r.ReadInstruction()
			if err == io.EOF {
				break
			}
			if err != nil || !ins.Is("blob") || len(ins.Args) != 2 {
				t.Fatalf("bad output: %v %q", err, ins.Opcode)
			}
			data, err := base64Decode(ins.Args[1])
			if err != nil || len(data) == 0 || len(data) > BlobSize || len(data)%frameSize != 0 {
				t.Fatalf("blob of %d bytes (%v)", len(data), err)
			}
			got = append(got, data...)
		}
		if whole := len(pcm) - len(pcm)%frameSize; !bytes.Equal(got, pcm[:whole]) {
			t.Fatalf("got %d bytes, want the %d of whole frames", len(got), whole)
		}
	})
}

func BenchmarkStreamerWrite(b *testing.B) {
	s := NewStreamer(testStream, quiet)
	for _, id := range []string{"@a", "@b"} {
		s.users[discardUser{newUser(id, "audio/L16")}] = true
	}
	pcm := tone(BlobSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(pcm)))
	for b.Loop() {
		s.write(pcm)
	}
}

func TestStreamerWriteAllocs(t *testing.T) {
	s := NewStreamer(testStream, quiet)
	s.users[discardUser{newUser("@a", "audio/L16")}] = true
	pcm := tone(BlobSize)
	s.write(pcm) // grow the reused buffer
	if n := testing.AllocsPerRun(100, func() { s.write(pcm) }); n != 0 {
		t.Fatalf("%v allocations per chunk", n)
	}
}

// discardUser drops what it is sent, as a user whose queue is cheap.
type discardUser struct{ *fakeUser }

func (discardUser) Write([]byte) {}

func base64Decode(b []byte) ([]byte, error) { return base64.StdEncoding.DecodeString(string(b)) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
