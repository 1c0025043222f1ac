package display

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/goguacd/goguacd/backends/rgb"
)

// pngCase builds a test image from a seed: an opaque framebuffer by fill,
// or, with fillRGBA, an image with alpha as cursors are.
type pngCase struct {
	name     string
	w, h     int
	fill     func(img *rgb.Image, r *rng)
	fillRGBA func(img *image.RGBA, r *rng)
}

func colorsFill(n int) func(img *rgb.Image, r *rng) {
	return func(img *rgb.Image, r *rng) {
		pal := make([][3]uint8, n)
		for i := range pal {
			v := r.next()
			pal[i] = [3]uint8{uint8(v), uint8(v >> 8), uint8(v >> 16)}
		}
		for y := 0; y < img.Rect.Dy(); y++ {
			for x := 0; x < img.Rect.Dx(); x++ {
				setPix(img, x, y, pal[r.next()%uint64(n)])
			}
		}
	}
}

var pngCases = []pngCase{
	{"solid", 64, 64, colorsFill(1), nil},
	{"2 colours odd width", 13, 7, colorsFill(2), nil},
	{"4 colours", 31, 9, colorsFill(4), nil},
	{"16 colours", 65, 33, colorsFill(16), nil},
	{"256 colours", 100, 50, colorsFill(256), nil},
	{"257 colours", 100, 50, colorsFill(257), nil},
	{"noise", 97, 61, colorsFill(5000), nil},
	{"one pixel", 1, 1, colorsFill(1), nil},
	{"tall", 1, 300, colorsFill(3), nil},
	{"wide rows beyond one deflate chunk", 4000, 5, colorsFill(300), nil},
	{"rgba", 17, 23, nil, func(img *image.RGBA, r *rng) {
		for i := range img.Pix {
			img.Pix[i] = uint8(r.next())
		}
	}},
}

// TestPNGDecodes checks that image/png decodes our PNGs, from a
// sub-rectangle of a bigger image, to exactly the source pixels.
func TestPNGDecodes(t *testing.T) {
	enc := newPNGEncoder(0)
	for i, tc := range pngCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng(i)
			// Embed at an offset to exercise strides.
			at := image.Rect(5, 3, 5+tc.w, 3+tc.h)
			var data []byte
			var src image.Image
			if tc.fillRGBA != nil {
				s := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
				tc.fillRGBA(s, &r)
				big := image.NewRGBA(image.Rect(0, 0, tc.w+10, tc.h+7))
				copyRows(big.Pix[big.PixOffset(at.Min.X, at.Min.Y):], big.Stride, s.Pix, s.Stride, 4*tc.w, tc.h)
				data = enc.encodeRGBA([]byte("prefix"), big.SubImage(at).(*image.RGBA))
				src = s
			} else {
				s := rgb.New(image.Rect(0, 0, tc.w, tc.h))
				tc.fill(s, &r)
				big := rgb.New(image.Rect(0, 0, tc.w+10, tc.h+7))
				copyRows(big.Pix[big.PixOffset(at.Min.X, at.Min.Y):], big.Stride, s.Pix, s.Stride, 3*tc.w, tc.h)
				data = enc.encode([]byte("prefix"), big, at)
				src = s
			}
			if !bytes.HasPrefix(data, []byte("prefix")) {
				t.Fatal("dst prefix lost")
			}
			checkPNG(t, data[len("prefix"):], src)
		})
	}
}

// copyRows copies h rows of n bytes from src to dst.
func copyRows(dst []byte, dstStride int, src []byte, srcStride, n, h int) {
	for y := range h {
		copy(dst[y*dstStride:][:n], src[y*srcStride:][:n])
	}
}

// checkPNG checks that data decodes to exactly src: opaque RGB for an
// *rgb.Image, or for an *image.RGBA its bytes as straight alpha.
func checkPNG(t *testing.T, data []byte, src image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	b := src.Bounds()
	if img.Bounds().Size() != b.Size() {
		t.Fatalf("size %v, want %v", img.Bounds(), b)
	}
	if src, ok := src.(*image.RGBA); ok {
		// The encoder writes straight alpha as given; compare with what
		// image/png reports for those bytes.
		got, ok := img.(*image.NRGBA)
		if !ok {
			t.Fatalf("decoded a %T, want an *image.NRGBA (RGBA PNG)", img)
		}
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g := got.Pix[got.PixOffset(x, y):][:4]
				w := src.Pix[src.PixOffset(x, y):][:4]
				if [4]uint8(g) != [4]uint8(w) {
					t.Fatalf("pixel %d,%d = %v, want %v", x, y, g, w)
				}
			}
		}
		return
	}
	rgbSrc := src.(*rgb.Image)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			o := rgbSrc.PixOffset(x, y)
			want := [4]uint8{rgbSrc.Pix[o], rgbSrc.Pix[o+1], rgbSrc.Pix[o+2], 0xff}
			if got := [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}; got != want {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}
}

// TestPNGPaletteDepth checks that few colours give an indexed PNG of the
// smallest bit depth.
func TestPNGPaletteDepth(t *testing.T) {
	tests := []struct{ colors, depth int }{{1, 1}, {2, 1}, {3, 2}, {4, 2}, {5, 4}, {16, 4}, {17, 8}, {256, 8}}
	enc := newPNGEncoder(0)
	for _, tt := range tests {
		img := rgb.New(image.Rect(0, 0, tt.colors, 3))
		for x := range tt.colors {
			for y := range 3 {
				setPix(img, x, y, [3]uint8{uint8(x), 1, 2})
			}
		}
		data := enc.encode(nil, img, img.Rect)
		// IHDR data starts at 16: width, height, then depth, colour type.
		if got := int(data[24]); got != tt.depth || data[25] != pngIndexed {
			t.Errorf("%d colours: depth %d type %d, want depth %d indexed", tt.colors, got, data[25], tt.depth)
		}
	}
}

func TestPNGEncodeAllocs(t *testing.T) {
	img := rgb.New(image.Rect(0, 0, 256, 128))
	r := rng(1)
	colorsFill(1000)(img, &r)
	enc := newPNGEncoder(0)
	buf := enc.encode(nil, img, img.Rect)
	if a := testing.AllocsPerRun(20, func() { buf = enc.encode(buf[:0], img, img.Rect) }); a != 0 {
		t.Fatalf("%.1f allocations per encode", a)
	}
}

func BenchmarkPNG(b *testing.B) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	desktop(img)
	drawVideo(img, 1)
	for _, bc := range []struct {
		name string
		r    image.Rectangle
	}{{"desktop", img.Rect}, {"text", image.Rect(100, 80, 1180, 300)}, {"photo", videoRect}} {
		b.Run(bc.name, func(b *testing.B) {
			enc := newPNGEncoder(0)
			var out []byte
			b.SetBytes(int64(3 * bc.r.Dx() * bc.r.Dy()))
			b.ReportAllocs()
			for b.Loop() {
				out = enc.encode(out[:0], img, bc.r)
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
