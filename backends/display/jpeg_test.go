package display

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"testing"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/rgb"
)

func decodeJPEG(t testing.TB, b []byte) *image.RGBA {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// subRGBA copies r of img (an *rgb.Image framebuffer or an *image.RGBA
// canvas) to an *image.RGBA at the origin.
func subRGBA(img image.Image, r image.Rectangle) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, img, r.Min, draw.Src)
	return out
}

// TestJPEGMatchesStdlib checks that our encoder decodes (with image/jpeg)
// to a picture as close to the source as image/jpeg's own output at the
// same quality, in no more bytes, on every code path.
func TestJPEGMatchesStdlib(t *testing.T) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	desktop(img)
	drawVideo(img, 3)
	tests := []struct {
		name    string
		r       image.Rectangle
		quality int
	}{
		{"video q90", videoRect, 90},
		{"video q30", videoRect, 30},
		{"video q100", videoRect, 100},
		{"odd size", image.Rect(333, 221, 333+37, 221+19), 80},
		{"one pixel", image.Rect(400, 300, 401, 301), 90},
		{"text", image.Rect(100, 80, 600, 300), 90},
		{"flat", image.Rect(0, 0, 64, 48), 75},
	}
	withPaths(t, func(t *testing.T) {
		var enc jpegEncoder
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				src := subRGBA(img, tt.r)
				ours := enc.encode(nil, img, tt.r, tt.quality)
				got := decodeJPEG(t, ours)
				var std bytes.Buffer
				if err := jpeg.Encode(&std, src, &jpeg.Options{Quality: tt.quality}); err != nil {
					t.Fatal(err)
				}
				want := decodeJPEG(t, std.Bytes())
				pg, pw := displaytest.PSNR(src, got), displaytest.PSNR(src, want)
				t.Logf("ours %d B %.2f dB, image/jpeg %d B %.2f dB", len(ours), pg, std.Len(), pw)
				if pg < pw-0.1 {
					t.Errorf("PSNR %.2f dB, image/jpeg %.2f dB", pg, pw)
				}
				if len(ours) > std.Len()+std.Len()/50 {
					t.Errorf("%d bytes, image/jpeg %d", len(ours), std.Len())
				}
			})
		}
	})
}

func BenchmarkJPEG(b *testing.B) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	drawVideo(img, 3)
	b.Run("ours", func(b *testing.B) {
		var enc jpegEncoder
		var out []byte
		b.SetBytes(int64(3 * videoRect.Dx() * videoRect.Dy()))
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			out = enc.encode(out[:0], img, videoRect, 90)
		}
		b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(len(out)), "bytes")
	})
	b.Run("image-jpeg", func(b *testing.B) {
		// image/jpeg's fast path takes an *image.RGBA.
		src := img.RGBA().SubImage(videoRect)
		var out bytes.Buffer
		b.SetBytes(int64(3 * videoRect.Dx() * videoRect.Dy()))
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			out.Reset()
			_ = jpeg.Encode(&out, src, &jpeg.Options{Quality: 90})
		}
		b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(out.Len()), "bytes")
	})
}
