package display

import (
	"image"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/rgb"
)

// TestUseImageResizes drives an engine that draws from the producer's own
// buffer (as the VNC backend does): the producer swaps in a buffer of
// another size with new content, and clients must end up showing exactly
// that buffer, joiners too.
func TestUseImageResizes(t *testing.T) {
	fb := rgb.New(image.Rect(0, 0, 200, 120))
	fillRect(fb, fb.Rect, [3]uint8{10, 20, 30})
	e := NewFor(fb, Options{Lossless: true})
	if e.Image() != fb {
		t.Fatal("NewFor did not use the producer's buffer")
	}
	clk := &fakeClock{t: time.Unix(1e9, 0), step: time.Second / 60}
	e.now = clk.now
	c := &client{t: t, e: e, clk: clk}
	c.flush()
	c.check("first frame")

	r := rng(7)
	for i, size := range []image.Point{{300, 90}, {64, 64}, {1, 1}, {257, 300}, {257, 300}} {
		next := rgb.New(image.Rect(0, 0, size.X, size.Y))
		// Keep the overlap as a resized RFB framebuffer does, then draw.
		next.Copy(fb, next.Rect)
		fillRect(next, image.Rect(size.X/3, size.Y/3, size.X/2+1, size.Y/2+1), [3]uint8{uint8(i * 40), 200, 9})
		fb = next
		e.UseImage(fb)
		if e.Image() != fb {
			t.Fatalf("step %d: UseImage did not take the buffer", i)
		}
		randomOpsNoResize(c, &r, 5)
		c.flush()
		c.check("after UseImage")
		c.joinCheck("after UseImage")
	}
}

// randomOpsNoResize is randomOps without engine-side resizes, which would
// replace the producer's buffer.
func randomOpsNoResize(c *client, r *rng, n int) {
	for range n {
		img := c.e.Image()
		rr := image.Rect(int(r.next()%uint64(img.Rect.Dx())), int(r.next()%uint64(img.Rect.Dy())), img.Rect.Dx(), img.Rect.Dy())
		fillRect(img, rr, [3]uint8{uint8(r.next()), uint8(r.next()), uint8(r.next())})
		c.e.Damage(rr)
	}
}
