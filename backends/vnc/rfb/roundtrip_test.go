package rfb

import (
	"fmt"
	"image"
	"testing"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// TestRoundTrip sends the same picture through every encoding and pixel
// format and compares the client's framebuffer with the server's,
// pixel for pixel.
func TestRoundTrip(t *testing.T) {
	encs := []struct {
		name string
		enc  rfbtest.Encoding
		opts rfbtest.EncoderOptions
	}{
		{"raw", rfbtest.Raw, rfbtest.EncoderOptions{}},
		{"hextile", rfbtest.Hextile, rfbtest.EncoderOptions{}},
		{"zrle", rfbtest.ZRLE, rfbtest.EncoderOptions{}},
		{"tight", rfbtest.Tight, rfbtest.EncoderOptions{}},
		{"tight-gradient", rfbtest.Tight, rfbtest.EncoderOptions{Gradient: true}},
	}
	for _, e := range encs {
		for _, depth := range []int{32, 24, 16, 8} {
			for _, swap := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/swap=%v", e.name, depth, swap), func(t *testing.T) {
					t.Parallel()
					img := testImage(203, 141)
					s := start(t, rfbtest.Options{Image: img, Encoding: e.enc, Encoder: e.opts},
						Config{ColorDepth: depth, SwapRedBlue: swap})
					s.sink.waitFor(t, "end")
					want := expected(img, depth, swap)
					assertSame(t, s.c.Framebuffer(), want)

					// Change the picture and send it again as quadrants, so the
					// persistent zlib streams carry over between rectangles.
					img2 := testImage(203, 141)
					for i := range img2.Pix {
						if i%4 != 3 {
							img2.Pix[i] ^= 0x5a
						}
					}
					s.srv.Draw(func(fb *image.RGBA) { copy(fb.Pix, img2.Pix) })
					s.srv.Update(quadrants(img2.Rect, e.enc)...)
					s.sink.waitFor(t, "end")
					assertSame(t, s.c.Framebuffer(), expected(img2, depth, swap))
					s.srv.Update(quadrants(img.Rect, e.enc)...)
					s.srv.Draw(func(fb *image.RGBA) { copy(fb.Pix, img.Pix) })
					s.srv.Update(rfbtest.Rect{Rect: img.Rect, Encoding: e.enc})
					s.sink.waitFor(t, "end")
					s.sink.waitFor(t, "end")
					assertSame(t, s.c.Framebuffer(), want)
				})
			}
		}
	}
}
