package display

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// pngCase builds a test image from a seed.
type pngCase struct {
	name  string
	w, h  int
	alpha bool
	fill  func(img *image.RGBA, r *rng)
}

func colorsFill(n int) func(img *image.RGBA, r *rng) {
	return func(img *image.RGBA, r *rng) {
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
	{"solid", 64, 64, false, colorsFill(1)},
	{"2 colours odd width", 13, 7, false, colorsFill(2)},
	{"4 colours", 31, 9, false, colorsFill(4)},
	{"16 colours", 65, 33, false, colorsFill(16)},
	{"256 colours", 100, 50, false, colorsFill(256)},
	{"257 colours", 100, 50, false, colorsFill(257)},
	{"noise", 97, 61, false, colorsFill(5000)},
	{"one pixel", 1, 1, false, colorsFill(1)},
	{"tall", 1, 300, false, colorsFill(3)},
	{"wide rows beyond one deflate chunk", 4000, 5, false, colorsFill(300)},
	{"rgba", 17, 23, true, func(img *image.RGBA, r *rng) {
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
			src := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
			tc.fill(src, &r)
			// Embed at an offset to exercise strides.
			big := image.NewRGBA(image.Rect(0, 0, tc.w+10, tc.h+7))
			at := image.Rect(5, 3, 5+tc.w, 3+tc.h)
			copyInto(big, at.Min, src)
			data := enc.encode([]byte("prefix"), big, at, tc.alpha)
			if !bytes.HasPrefix(data, []byte("prefix")) {
				t.Fatal("dst prefix lost")
			}
			checkPNG(t, data[len("prefix"):], src, tc.alpha)
		})
	}
}

func copyInto(dst *image.RGBA, at image.Point, src *image.RGBA) {
	for y := 0; y < src.Rect.Dy(); y++ {
		o := dst.PixOffset(at.X, at.Y+y)
		copy(dst.Pix[o:o+4*src.Rect.Dx()], src.Pix[src.PixOffset(0, y):])
	}
}

func checkPNG(t *testing.T, data []byte, src *image.RGBA, alpha bool) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if img.Bounds().Size() != src.Rect.Size() {
		t.Fatalf("size %v, want %v", img.Bounds(), src.Rect)
	}
	for y := 0; y < src.Rect.Dy(); y++ {
		for x := 0; x < src.Rect.Dx(); x++ {
			r, g, b, a := img.At(x, y).RGBA()
			o := src.PixOffset(x, y)
			want := [4]uint8{src.Pix[o], src.Pix[o+1], src.Pix[o+2], 0xff}
			if alpha {
				// The encoder writes straight alpha as given; compare
				// with what image/png reports for those bytes.
				got := img.(*image.NRGBA).Pix[img.(*image.NRGBA).PixOffset(x, y):]
				if [4]uint8(got[:4]) != [4]uint8(src.Pix[o:o+4]) {
					t.Fatalf("pixel %d,%d = %v, want %v", x, y, got[:4], src.Pix[o:o+4])
				}
				continue
			}
			if got := [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}; got != want {
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
		img := image.NewRGBA(image.Rect(0, 0, tt.colors, 3))
		for x := range tt.colors {
			for y := range 3 {
				setPix(img, x, y, [3]uint8{uint8(x), 1, 2})
			}
		}
		data := enc.encode(nil, img, img.Rect, false)
		// IHDR data starts at 16: width, height, then depth, colour type.
		if got := int(data[24]); got != tt.depth || data[25] != pngIndexed {
			t.Errorf("%d colours: depth %d type %d, want depth %d indexed", tt.colors, got, data[25], tt.depth)
		}
	}
}

func TestPNGEncodeAllocs(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 128))
	r := rng(1)
	colorsFill(1000)(img, &r)
	enc := newPNGEncoder(0)
	buf := enc.encode(nil, img, img.Rect, false)
	if a := testing.AllocsPerRun(20, func() { buf = enc.encode(buf[:0], img, img.Rect, false) }); a != 0 {
		t.Fatalf("%.1f allocations per encode", a)
	}
}

func BenchmarkPNG(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, scrW, scrH))
	desktop(img)
	drawVideo(img, 1)
	for _, bc := range []struct {
		name string
		r    image.Rectangle
	}{{"desktop", img.Rect}, {"text", image.Rect(100, 80, 1180, 300)}, {"photo", videoRect}} {
		b.Run(bc.name, func(b *testing.B) {
			enc := newPNGEncoder(0)
			var out []byte
			b.SetBytes(int64(4 * bc.r.Dx() * bc.r.Dy()))
			b.ReportAllocs()
			for b.Loop() {
				out = enc.encode(out[:0], img, bc.r, false)
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
