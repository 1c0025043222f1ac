package rfb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"net"
	"testing"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// discardConn is a net.Conn whose writes vanish; decoders only write
// update requests.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// nopSink ignores everything.
type nopSink struct{}

func (nopSink) Resize(int, int)                       {}
func (nopSink) Damage(image.Rectangle)                {}
func (nopSink) CopyRect(image.Rectangle, image.Point) {}
func (nopSink) Cursor(image.Point, *image.RGBA)       {}
func (nopSink) EndOfUpdate()                          {}
func (nopSink) Bell()                                 {}
func (nopSink) ServerCutText(string)                  {}

// decodeClient is a Client reading server messages from r, as after a
// handshake at depth.
func decodeClient(w, h, depth int, r io.Reader) *Client {
	pf, err := formatForDepth(depth)
	if err != nil {
		panic(err)
	}
	return &Client{
		conn: discardConn{}, br: bufio.NewReaderSize(r, readBuffer),
		wireFB: pf, cv: newConverter(pf, false), fb: newFramebuffer(w, h),
	}
}

// wireFormat is the rfbtest view of the format the client asks for.
func wireFormat(depth int) rfbtest.PixelFormat {
	pf, _ := formatForDepth(depth)
	return rfbtest.PixelFormat{BPP: pf.bpp, Depth: pf.depth, TrueColour: true,
		RedMax: pf.rmax, GreenMax: pf.gmax, BlueMax: pf.bmax,
		RedShift: pf.rshift, GreenShift: pf.gshift, BlueShift: pf.bshift}
}

// updateBytes encodes img as one FramebufferUpdate of rects.
func updateBytes(img *image.RGBA, depth int, enc rfbtest.Encoding, opts rfbtest.EncoderOptions, rects ...image.Rectangle) []byte {
	e := rfbtest.NewEncoder(wireFormat(depth), opts)
	b := []byte{0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(rects)))
	for _, r := range rects {
		b = e.AppendRect(b, img, r, enc)
	}
	return b
}

// resetStreams makes the client forget its zlib streams, so the same
// encoded update (which starts new streams) can be decoded again.
func (c *Client) resetStreams() {
	c.zrle.reset()
	for i := range c.tight {
		c.tight[i].reset()
	}
}

// decodeOnce decodes one server message from the reader.
func decodeOnce(c *Client) error {
	t, err := c.br.ReadByte()
	if err != nil {
		return err
	}
	return c.message(t, nopSink{})
}

// TestDecodeAllocs asserts that decoding a steady-state update allocates
// nothing, for every non-JPEG encoding and depth.
func TestDecodeAllocs(t *testing.T) {
	img := testImage(256, 160)
	for _, tt := range []struct {
		name string
		enc  rfbtest.Encoding
	}{
		{"raw", rfbtest.Raw}, {"hextile", rfbtest.Hextile}, {"zrle", rfbtest.ZRLE}, {"tight", rfbtest.Tight},
	} {
		for _, depth := range []int{32, 16, 8} {
			msg := updateBytes(img, depth, tt.enc, rfbtest.EncoderOptions{Gradient: true},
				img.Rect, image.Rect(0, 0, 128, 80), image.Rect(128, 0, 256, 80), image.Rect(0, 80, 128, 160))
			var rd bytes.Reader
			c := decodeClient(256, 160, depth, &rd)
			run := func() {
				rd.Reset(msg)
				c.br.Reset(&rd)
				c.resetStreams()
				if err := decodeOnce(c); err != nil {
					t.Fatalf("%s/%d: %v", tt.name, depth, err)
				}
			}
			run() // warm the buffers
			if n := testing.AllocsPerRun(20, run); n != 0 {
				t.Errorf("%s/%d: %.1f allocations per update, want 0", tt.name, depth, n)
			}
			assertSame(t, c.fb, expected(img, depth, false))
		}
	}
}

// TestTightSmallGradient decodes a gradient-filtered rectangle short
// enough (9 bytes) to be sent without zlib.
func TestTightSmallGradient(t *testing.T) {
	body := []byte{0x60, 2, 10, 20, 30, 5, 5, 5, 0, 0, 0}
	c := decodeClient(4, 4, 32, bytes.NewReader(body))
	if err := c.tightRect(image.Rect(1, 0, 2, 3)); err != nil {
		t.Fatal(err)
	}
	for y, want := range [][3]uint8{{10, 20, 30}, {15, 25, 35}, {15, 25, 35}} {
		got := c.fb.RGBAAt(1, y)
		if got.R != want[0] || got.G != want[1] || got.B != want[2] || got.A != 255 {
			t.Errorf("row %d = %v, want %v", y, got, want)
		}
	}
}

// TestDecodeErrors: malformed rectangles are protocol errors.
func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		msg  []byte
	}{
		{"outside", []byte{0, 0, 0, 1, 0, 60, 0, 0, 0, 10, 0, 1, 0, 0, 0, 0}},
		{"unknown-encoding", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 99}},
		{"unknown-message", []byte{77}},
		{"hextile-subrect-outside", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 5, 8 | 2, 1, 2, 3, 4, 1, 0x22, 0x33}},
		{"zrle-huge", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 16, 0x7f, 0, 0, 0}},
		{"tight-bad-type", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 7, 0xa0}},
		{"copyrect-source-outside", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 1, 0, 62, 0, 0}},
		{"huge-desktop", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0x40, 0, 0x40, 0, 0xff, 0xff, 0xff, 0x21}},
		{"huge-cursor", []byte{0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0x10, 0, 0xff, 0xff, 0xff, 0x11}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeClient(64, 48, 32, bytes.NewReader(tt.msg))
			if err := decodeOnce(c); !errors.Is(err, ErrProtocol) {
				t.Fatalf("err = %v, want ErrProtocol", err)
			}
		})
	}
}
