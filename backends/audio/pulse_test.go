package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		in   string
		want []endpoint
	}{
		{"/run/pulse/native", []endpoint{{network: "unix", addr: "/run/pulse/native"}}},
		{"unix:/tmp/p.sock", []endpoint{{network: "unix", addr: "/tmp/p.sock"}}},
		{"tcp:audio.example:4714", []endpoint{{network: "tcp", addr: "audio.example:4714"}}},
		{"tcp:audio.example", []endpoint{{network: "tcp", addr: "audio.example:4713"}}},
		{"audio.example", []endpoint{{network: "tcp", addr: "audio.example:4713"}}},
		{"127.0.0.1:5000", []endpoint{{network: "tcp", addr: "127.0.0.1:5000"}}},
		{"tcp6:[::1]:4713", []endpoint{{network: "tcp6", addr: "[::1]:4713"}}},
		{"tcp6:[::1]", []endpoint{{network: "tcp6", addr: "[::1]:4713"}}},
		{"tcp4:10.0.0.2", []endpoint{{network: "tcp4", addr: "10.0.0.2:4713"}}},
		{"{abc}unix:/s  tcp:h", []endpoint{{machine: "abc", network: "unix", addr: "/s"}, {network: "tcp", addr: "h:4713"}}},
		{"", nil},
		{"   ", nil},
		{"{abc", nil},
		{"unix:", nil},
		{"tcp:", nil},
		{"tcp::80", nil},
		{"[::1", nil},
	}
	for _, tt := range tests {
		got, err := parseServer(tt.in)
		if tt.want == nil {
			if err == nil || !errors.Is(err, errBadServer) {
				t.Errorf("parseServer(%q) = %v, %v; want errBadServer", tt.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseServer(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseServer checks that parsing never panics and yields dialable
// addresses: a socket path, or host:port.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"/run/pulse/native", "unix:/x", "tcp:h:1", "h", "{m}tcp6:[::1]", "{", "[::1", "tcp::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		eps, err := parseServer(s)
		if err != nil {
			return
		}
		for _, ep := range eps {
			switch ep.network {
			case "unix":
				if ep.addr == "" {
					t.Fatalf("%q: empty path", s)
				}
			case "tcp", "tcp4", "tcp6":
				if h, p, err := net.SplitHostPort(ep.addr); err != nil || h == "" || p == "" {
					t.Fatalf("%q: bad address %q: %v", s, ep.addr, err)
				}
			default:
				t.Fatalf("%q: network %q", s, ep.network)
			}
		}
	})
}

// frame returns a native-protocol frame with a payload of n bytes.
func frame(n int, fill byte) []byte {
	b := make([]byte, frameHeader+n)
	binary.BigEndian.PutUint32(b, uint32(n))
	for i := frameHeader; i < len(b); i++ {
		b[i] = fill
	}
	return b
}

// readConn is a net.Conn reading from r, in reads of at most step bytes.
type readConn struct {
	net.Conn
	r    io.Reader
	step int
}

func (c readConn) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.step)]) }

func TestFrameGuard(t *testing.T) {
	huge := frame(0, 0)
	binary.BigEndian.PutUint32(huge, maxFrame+1)
	maxHdr := frame(0, 0)
	binary.BigEndian.PutUint32(maxHdr, maxFrame)
	tests := []struct {
		name    string
		in      []byte
		wantOut []byte
		wantErr error
	}{
		{"frames pass unchanged", cat(frame(3, 1), frame(0, 0), frame(40, 2)), cat(frame(3, 1), frame(0, 0), frame(40, 2)), io.EOF},
		{"largest frame passes", cat(maxHdr, []byte{1, 2, 3}), cat(maxHdr, []byte{1, 2, 3}), io.EOF},
		{"huge frame refused", cat(frame(1, 1), huge), frame(1, 1), errFrameTooLarge},
		{"http is not pulse", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), nil, errFrameTooLarge},
		{"hang-up mid header", frame(0, 0)[:7], nil, io.EOF},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 7, 4096} {
			g := &frameGuard{Conn: readConn{r: bytes.NewReader(tt.in), step: step}}
			out, err := readAll(g)
			if !bytes.Equal(out, tt.wantOut) || !errors.Is(err, tt.wantErr) {
				t.Errorf("%s/%d: got %d bytes, %v; want %d bytes, %v", tt.name, step, len(out), err, len(tt.wantOut), tt.wantErr)
			}
		}
	}
}

// readAll reads until an error and returns it (io.ReadAll hides io.EOF).
func readAll(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 13)
	for range 1 << 20 {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
	return out, errors.New("no end")
}

// FuzzFrameGuard checks that the guard passes on exactly a prefix of its
// input, ending at a frame boundary unless the input ends first.
func FuzzFrameGuard(f *testing.F) {
	f.Add(cat(frame(3, 1), frame(0, 0)), uint8(5))
	f.Add([]byte("HTTP/1.1 200 OK"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		g := &frameGuard{Conn: readConn{r: bytes.NewReader(in), step: int(step) + 1}}
		out, err := readAll(g)
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("output is not a prefix of the input")
		}
		if errors.Is(err, errFrameTooLarge) && g.left != 0 {
			t.Fatalf("refused mid-frame")
		}
	})
}

// listen serves one connection with serve on a unix socket.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "native")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return path
}

func TestDialPulseFailures(t *testing.T) {
	tests := []struct {
		name  string
		serve func(net.Conn)
		want  string
	}{
		// pulse.NewClient panics on this one (a nil callback on EOF).
		{"hang-up during handshake", func(c net.Conn) {
			hdr := make([]byte, frameHeader)
			io.ReadFull(c, hdr)
			io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(hdr)))
		}, "EOF"},
		{"not a PulseAudio server", func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")) }, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := listen(t, tt.serve)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			src, err := DialPulse(ctx, "unix:"+path)
			if err == nil {
				src.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not say %q and name the socket", err, tt.want)
			}
		})
	}
}

func TestDialPulseNoServer(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	_, err := DialPulse(context.Background(), missing)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v", err)
	}
	if _, err := DialPulse(context.Background(), "{no-such-machine}/x"); err == nil || !strings.Contains(err.Error(), "no PulseAudio server") {
		t.Fatalf("err = %v", err)
	}
}

func TestDialPulseCancelled(t *testing.T) {
	release := make(chan struct{})
	path := listen(t, func(c net.Conn) { <-release }) // accepts, never answers
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := DialPulse(ctx, path)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(pulseTimeout * 2):
		t.Fatal("DialPulse ignored cancellation")
	}
}
