package rfbtest

import (
	"bytes"
	"image"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRenderFrameDeterministic(t *testing.T) {
	for _, s := range []Scenario{Idle, Typing, Scroll, Video, Full, Echo} {
		a := image.NewRGBA(image.Rect(0, 0, 160, 96))
		b := image.NewRGBA(image.Rect(0, 0, 160, 96))
		if err := RenderFrame(s, 7, a); err != nil {
			t.Fatal(err)
		}
		RenderFrame(s, 7, b)
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: frame 7 differs between renders", s)
		}
		RenderFrame(s, 8, b)
		if s != Idle && bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: frames 7 and 8 are equal", s)
		}
	}
	if err := RenderFrame("bogus", 1, image.NewRGBA(image.Rect(0, 0, 8, 8))); err == nil {
		t.Error("unknown scenario accepted")
	}
}

func TestAppendCompact(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0}}, {127, []byte{0x7f}}, {128, []byte{0x80, 1}},
		{16383, []byte{0xff, 0x7f}}, {16384, []byte{0x80, 0x80, 1}}, {1<<22 - 1, []byte{0xff, 0xff, 0xff}},
	} {
		if got := appendCompact(nil, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("appendCompact(%d) = %x, want %x", tt.n, got, tt.want)
		}
	}
}

// TestCloseWithClients: Close ends connections in every state, including
// a client that never finishes the handshake, and leaks nothing.
func TestCloseWithClients(t *testing.T) {
	s, err := NewServer(Options{Width: 16, Height: 16})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var v [12]byte
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(v[:]); err != nil || string(v[:]) != "RFB 003.008\n" {
		t.Fatalf("greeting %q, %v", v, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
