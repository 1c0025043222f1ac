package rfb

import (
	"bytes"
	"image"
	"testing"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// bands splits r into horizontal bands of at most 64 Ki pixels, the way
// TigerVNC splits large updates.
func bands(r image.Rectangle) []image.Rectangle {
	h := max(65536/r.Dx(), 1)
	var out []image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y += h {
		out = append(out, image.Rect(r.Min.X, y, r.Max.X, min(y+h, r.Max.Y)))
	}
	return out
}

// BenchmarkDecode decodes one pre-encoded FramebufferUpdate per iteration.
// Bytes are framebuffer bytes produced (4 per pixel).
func BenchmarkDecode(b *testing.B) {
	full := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	rfbtest.RenderFrame(rfbtest.Full, 1, full)
	text := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	rfbtest.RenderFrame(rfbtest.Scroll, 0, text)
	video := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	rfbtest.RenderFrame(rfbtest.Video, 1, video)
	vr := rfbtest.VideoRect(1280, 800)

	for _, bc := range []struct {
		name  string
		img   *image.RGBA
		enc   rfbtest.Encoding
		opts  rfbtest.EncoderOptions
		rects []image.Rectangle
		depth int
	}{
		{"raw/full-1280x800", full, rfbtest.Raw, rfbtest.EncoderOptions{}, []image.Rectangle{full.Rect}, 32},
		{"raw/full-1280x800-16bpp", full, rfbtest.Raw, rfbtest.EncoderOptions{}, []image.Rectangle{full.Rect}, 16},
		{"hextile/text-1280x800", text, rfbtest.Hextile, rfbtest.EncoderOptions{}, []image.Rectangle{text.Rect}, 32},
		{"zrle/text-1280x800", text, rfbtest.ZRLE, rfbtest.EncoderOptions{}, bands(text.Rect), 32},
		{"zrle/video-640x360", video, rfbtest.ZRLE, rfbtest.EncoderOptions{}, bands(vr), 32},
		{"tight/text-1280x800", text, rfbtest.Tight, rfbtest.EncoderOptions{}, bands(text.Rect), 32},
		{"tight-jpeg/video-640x360", video, rfbtest.Tight, rfbtest.EncoderOptions{JPEGQuality: 80}, bands(vr), 32},
	} {
		b.Run(bc.name, func(b *testing.B) {
			msg := updateBytes(bc.img, bc.depth, bc.enc, bc.opts, bc.rects...)
			var rd bytes.Reader
			c := decodeClient(1280, 800, bc.depth, &rd)
			px := 0
			for _, r := range bc.rects {
				px += r.Dx() * r.Dy()
			}
			b.SetBytes(int64(px * 4))
			b.ReportAllocs()
			b.ReportMetric(float64(len(msg)), "wire-bytes/op")
			for b.Loop() {
				rd.Reset(msg)
				c.br.Reset(&rd)
				c.resetStreams()
				if err := decodeOnce(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
