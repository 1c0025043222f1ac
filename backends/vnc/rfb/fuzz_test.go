package rfb

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

const fuzzW, fuzzH = 64, 48

var fuzzDepths = []int{32, 16, 8}

// fuzzSeeds are encoded rectangle bodies (header stripped) of a small
// picture, for each depth, plus the rectangle they cover.
func fuzzSeeds(enc rfbtest.Encoding, opts rfbtest.EncoderOptions) (seeds [][]byte, rects []image.Rectangle, depths []int) {
	img := testImage(fuzzW, fuzzH)
	for i, depth := range fuzzDepths {
		for _, r := range []image.Rectangle{image.Rect(0, 0, fuzzW, fuzzH), image.Rect(3, 5, 40, 21), image.Rect(0, 0, 8, 8)} {
			e := rfbtest.NewEncoder(wireFormat(depth), opts)
			b := e.AppendRect(nil, img, r, enc)
			seeds = append(seeds, b[12:])
			rects = append(rects, r)
			depths = append(depths, i)
		}
	}
	return seeds, rects, depths
}

// fuzzRect runs one decoder on data for a rectangle clamped into the
// framebuffer. Errors are fine; panics and runaway allocation are not.
func fuzzRect(f *testing.F, enc rfbtest.Encoding, opts rfbtest.EncoderOptions, decode func(c *Client, r image.Rectangle) error) {
	seeds, rects, depths := fuzzSeeds(enc, opts)
	for i, s := range seeds {
		r := rects[i]
		f.Add(s, uint8(depths[i]), uint8(r.Min.X), uint8(r.Min.Y), uint8(r.Dx()), uint8(r.Dy()))
	}
	f.Fuzz(func(t *testing.T, data []byte, d, x, y, w, h uint8) {
		r := image.Rect(int(x), int(y), int(x)+int(w), int(y)+int(h)).Intersect(image.Rect(0, 0, fuzzW, fuzzH))
		c := decodeClient(fuzzW, fuzzH, fuzzDepths[int(d)%len(fuzzDepths)], bytes.NewReader(data))
		decode(c, r)
	})
}

func FuzzHextile(f *testing.F) {
	fuzzRect(f, rfbtest.Hextile, rfbtest.EncoderOptions{}, (*Client).hextile)
}

func FuzzZRLE(f *testing.F) {
	fuzzRect(f, rfbtest.ZRLE, rfbtest.EncoderOptions{}, (*Client).zrleRect)
}

func FuzzTight(f *testing.F) {
	fuzzRect(f, rfbtest.Tight, rfbtest.EncoderOptions{Gradient: true}, (*Client).tightRect)
}

func FuzzTightJPEG(f *testing.F) {
	fuzzRect(f, rfbtest.Tight, rfbtest.EncoderOptions{JPEGQuality: 50}, (*Client).tightRect)
}

// FuzzServerMessages feeds whole server message streams to the reader.
func FuzzServerMessages(f *testing.F) {
	img := testImage(fuzzW, fuzzH)
	for _, enc := range []rfbtest.Encoding{rfbtest.Raw, rfbtest.Hextile, rfbtest.ZRLE, rfbtest.Tight} {
		f.Add(updateBytes(img, 32, enc, rfbtest.EncoderOptions{}, img.Rect, image.Rect(1, 2, 30, 40)))
	}
	var msgs []byte
	msgs = append(msgs, 2)                                      // bell
	msgs = append(msgs, 3, 0, 0, 0, 0, 0, 0, 3, 'a', 0xe9, 'c') // cut text
	msgs = append(msgs, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6)     // colour map
	upd := []byte{0, 0, 0, 4}
	upd = rfbtest.AppendCopyRect(upd, image.Rect(0, 0, 10, 10), image.Pt(5, 5))
	upd = append(upd, 0, 0, 0, 0, 0, 20, 0, 10)
	upd = binary.BigEndian.AppendUint32(upd, uint32(0xffffffff-222)) // DesktopSize -223
	upd = append(upd, 0, 1, 0, 2, 0, 2, 0, 1)
	upd = binary.BigEndian.AppendUint32(upd, uint32(0xffffffff-238)) // Cursor -239
	upd = append(upd, make([]byte, 2*1*4)...)
	upd = append(upd, 0xc0)
	upd = append(upd, 0, 1, 0, 0, 0, 30, 0, 30)
	upd = binary.BigEndian.AppendUint32(upd, uint32(0xffffffff-307)) // ExtendedDesktopSize -308
	upd = append(upd, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 30, 0, 30, 0, 0, 0, 0)
	f.Add(append(msgs, upd...))
	f.Add(supportedUpdate(bitmaps(0, 2, 3, 4, 5, 6, 9)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := decodeClient(fuzzW, fuzzH, 32, bytes.NewReader(data))
		for i := 0; i < 64; i++ {
			if decodeOnce(c) != nil {
				break
			}
		}
		// The framebuffer must keep its geometry whatever happened.
		fb := c.Framebuffer()
		if len(fb.Pix) != fb.Stride*fb.Rect.Dy() || fb.Stride != 3*fb.Rect.Dx() {
			t.Fatalf("framebuffer %v: %d bytes, stride %d", fb.Rect, len(fb.Pix), fb.Stride)
		}
	})
}

// FuzzSupportedMessages checks the SupportedMessages body parser: only a
// 64-byte body is accepted, and a type is accepted exactly when its bit in
// the client-to-server half is set.
func FuzzSupportedMessages(f *testing.F) {
	f.Add(bitmaps(0, 2, 3, 4, 5, 6, 9), uint8(9))
	f.Add(bitmaps(8, 10), uint8(9))
	f.Add(make([]byte, 63), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		m, err := parseSupportedMessages(data)
		if (err != nil) != (len(data) != supportedMessagesLen) {
			t.Fatalf("len %d: err %v", len(data), err)
		}
		if err != nil {
			return
		}
		if want := data[typ/8]&(1<<(typ%8)) != 0; m.accepts(typ) != want {
			t.Fatalf("accepts(%d) = %v, want %v", typ, m.accepts(typ), want)
		}
	})
}
