package anontls

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	groupOnce sync.Once
	group     Group
)

func testGroup(t *testing.T) Group {
	t.Helper()
	groupOnce.Do(func() {
		var err error
		if group, err = NewGroup(1024); err != nil {
			t.Fatal(err)
		}
	})
	return group
}

// TestPRF checks the TLS 1.2 SHA-256 PRF against the test vector
// circulated on the IETF TLS list for RFC 5246.
func TestPRF(t *testing.T) {
	secret, _ := hex.DecodeString("9bbe436ba940f017b17652849a71db35")
	seed, _ := hex.DecodeString("a0ba9f936cda311827a6f796ffd5198c")
	want, _ := hex.DecodeString("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66")
	if got := prf(secret, "test label", seed, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("prf = %x\nwant  %x", got, want)
	}
}

// pair runs a handshake over net.Pipe.
func pair(t *testing.T, g Group) (client, server *Conn) {
	a, b := net.Pipe()
	return handshake(t, a, b, g)
}

// handshake runs the client on a and the server on b; both are closed
// when the test ends.
func handshake(t *testing.T, a, b net.Conn, g Group) (client, server *Conn) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var err error
		server, err = Server(b, g)
		done <- err
	}()
	client, err := Client(a)
	if err != nil {
		a.Close()
		b.Close()
		<-done
		t.Fatalf("client: %v", err)
	}
	if err := <-done; err != nil {
		a.Close()
		b.Close()
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestRoundTrip(t *testing.T) {
	c, s := pair(t, testGroup(t))
	// Both directions at once, with writes bigger than a record.
	big := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80 KB
	errs := make(chan error, 2)
	echo := func(dst, src *Conn) {
		buf := make([]byte, len(big))
		if _, err := io.ReadFull(src, buf); err != nil {
			errs <- err
			return
		}
		_, err := dst.Write(buf)
		errs <- err
	}
	go echo(s, s)
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(big))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("echoed bytes differ")
	}
	// close_notify reads as a clean end.
	go c.Close()
	if n, err := s.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("after close: %d, %v; want io.EOF", n, err)
	}
}

// TestTamper checks that a flipped bit in a protected record is refused.
func TestTamper(t *testing.T) {
	a, b := net.Pipe()
	mitm1, mitm2 := net.Pipe()
	g := testGroup(t)
	// Relay b <-> mitm1 flipping one bit of the first application record
	// from the client once the handshake is over.
	var handshook sync.WaitGroup
	handshook.Add(1)
	var flip sync.Once
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := b.Read(buf)
			if n > 0 {
				if buf[0] == recordApplicationData {
					flip.Do(func() { buf[n-1] ^= 1 })
				}
				mitm1.Write(buf[:n])
			}
			if err != nil {
				mitm1.Close()
				return
			}
		}
	}()
	go func() {
		io.Copy(b, mitm1)
		b.Close()
	}()
	c, s := handshake(t, a, mitm2, g)
	go c.Write([]byte("hello"))
	_, err := s.Read(make([]byte, 16))
	if !errors.Is(err, ErrRecord) {
		t.Fatalf("tampered record: %v, want ErrRecord", err)
	}
}

// TestWeakGroupRefused checks the client's group checks.
func TestWeakGroupRefused(t *testing.T) {
	weak, err := NewGroup(512)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go Server(b, weak)
	if _, err := Client(a); !errors.Is(err, ErrHandshake) {
		t.Fatalf("512-bit group: %v, want ErrHandshake", err)
	}
}

func TestParseDHParams(t *testing.T) {
	g := testGroup(t)
	pm1 := new(big.Int).Sub(g.P, big.NewInt(1))
	enc := func(vals ...*big.Int) []byte {
		var b []byte
		for _, v := range vals {
			b = appendVector16(b, v.Bytes())
		}
		return b
	}
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"good", enc(g.P, g.G, big.NewInt(12345)), true},
		{"Ys 1", enc(g.P, g.G, big.NewInt(1)), false},
		{"Ys p-1", enc(g.P, g.G, pm1), false},
		{"g p-1", enc(g.P, pm1, big.NewInt(5)), false},
		{"even p", enc(new(big.Int).Add(g.P, big.NewInt(1)), g.G, big.NewInt(5)), false},
		{"signed", append(enc(g.P, g.G, big.NewInt(5)), 1, 2, 0, 0), false},
		{"truncated", enc(g.P, g.G)[:100], false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		_, _, _, err := parseDHParams(tt.b)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}

// TestReadTimeoutResumes checks that a read deadline expiring in the
// middle of a record loses nothing.
func TestReadTimeoutResumes(t *testing.T) {
	a, b := net.Pipe()
	slow := &dribble{Conn: b}
	c, s := handshake(t, a, slow, testGroup(t))
	slow.on.Store(true)
	msg := []byte("a message that arrives a few bytes at a time")
	go s.Write(msg)
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 64)
	timeouts := 0
	for len(got) < len(msg) {
		c.SetReadDeadline(time.Now().Add(2 * time.Millisecond))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			timeouts++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %q", got)
	}
	if timeouts == 0 {
		t.Fatal("no read timed out: the test did not exercise resumption")
	}
}

// dribble writes a few bytes at a time with pauses, once on.
type dribble struct {
	net.Conn
	on atomic.Bool
}

func (d *dribble) Write(p []byte) (int, error) {
	if !d.on.Load() {
		return d.Conn.Write(p)
	}
	for i := 0; i < len(p); i += 7 {
		time.Sleep(5 * time.Millisecond)
		if _, err := d.Conn.Write(p[i:min(i+7, len(p))]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// scripted is a net.Conn whose reads return a fixed byte string, then
// io.EOF; writes are discarded.
type scripted struct {
	net.Conn
	r *bytes.Reader
}

func (s *scripted) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *scripted) Write(p []byte) (int, error) { return len(p), nil }

// FuzzClientHandshake feeds a hostile server's bytes to the client: it
// must fail cleanly (never panic, hang or accept).
func FuzzClientHandshake(f *testing.F) {
	// A real server's first flight, as a seed.
	g, err := NewGroup(1024)
	if err != nil {
		f.Fatal(err)
	}
	a, b := net.Pipe()
	var flight bytes.Buffer
	go func() {
		rec := &recorder{Conn: b, w: &flight}
		Server(rec, g)
	}()
	Client(&stopAfterHello{Conn: a})
	a.Close()
	b.Close()
	f.Add(flight.Bytes())
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := Client(&scripted{r: bytes.NewReader(data)}); err == nil {
			c.Close()
			t.Fatal("handshake completed without a server")
		}
	})
}

// recorder copies what the server writes.
type recorder struct {
	net.Conn
	mu sync.Mutex
	w  *bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.w.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

// stopAfterHello ends the client's handshake once it has the server's
// first flight (ServerHello through ServerHelloDone), by failing the
// ClientKeyExchange write.
type stopAfterHello struct {
	net.Conn
	writes int
}

func (s *stopAfterHello) Write(p []byte) (int, error) {
	s.writes++
	if s.writes > 1 {
		return 0, io.ErrClosedPipe
	}
	return s.Conn.Write(p)
}
