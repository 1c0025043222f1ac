package display

import (
	"bytes"
	"image"
	"math"
	"testing"

	"golang.org/x/image/webp"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/rgb"
)

// decodeWebP decodes b with golang.org/x/image/webp and converts it to RGB
// as browsers (libwebp) do, from BT.601 studio swing; x/image's YCbCr
// model would assume full swing.
func decodeWebP(t testing.TB, b []byte) *image.RGBA {
	t.Helper()
	m, err := webp.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	img, err := displaytest.WebPToRGBA(m)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// noise draws a photo-like w x h picture: gradients plus noise.
func noise(w, h int, seed uint64) *rgb.Image {
	img := rgb.New(image.Rect(0, 0, w, h))
	r := rng(seed)
	for y := range h {
		for x := range w {
			d := int(r.next()%33) - 16
			setPix(img, x, y, [3]uint8{
				uint8(min(max(tri(3*x+y)+d, 0), 255)),
				uint8(min(max(tri(2*y)+d, 0), 255)),
				uint8(min(max(tri(x+5*y)-d, 0), 255)),
			})
		}
	}
	return img
}

func TestWebPPSNR(t *testing.T) {
	video := rgb.New(image.Rect(0, 0, scrW, scrH))
	desktop(video)
	drawVideo(video, 3)
	tests := []struct {
		name    string
		img     *rgb.Image
		r       image.Rectangle
		minPSNR [3]float64 // at quality 30, 60, 90
	}{
		// Noise in every channel: 4:2:0 chroma caps PSNR near 30 dB.
		{"one pixel", noise(1, 1, 1), image.Rect(0, 0, 1, 1), [3]float64{40, 40, 50}},
		{"17x9", noise(17, 9, 2), image.Rect(0, 0, 17, 9), [3]float64{27, 28, 29}},
		{"odd 33x47 offset", noise(64, 64, 3), image.Rect(5, 7, 38, 54), [3]float64{26, 27, 28}},
		{"video 640x360", video, videoRect, [3]float64{33, 34, 37}},
		{"video odd 333x177", video, image.Rect(400, 300, 733, 477), [3]float64{33, 34, 37}},
		{"text", video, image.Rect(100, 80, 600, 300), [3]float64{32, 36, 40}},
		{"flat", video, image.Rect(0, 0, 64, 48), [3]float64{45, 44, 60}},
	}
	var enc webpEncoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := subRGBA(tt.img, tt.r)
			var psnrs [3]float64
			for i, q := range []int{30, 60, 90} {
				out := enc.encode(nil, tt.img, tt.r, q)
				got := decodeWebP(t, out)
				if got.Rect.Size() != tt.r.Size() {
					t.Fatalf("q%d: size %v, want %v", q, got.Rect.Size(), tt.r.Size())
				}
				psnr := displaytest.PSNR(src, got)
				t.Logf("q%d: %d B, %.2f dB", q, len(out), psnr)
				if psnr < tt.minPSNR[i] {
					t.Errorf("q%d: PSNR %.2f dB, want >= %.1f", q, psnr, tt.minPSNR[i])
				}
				psnrs[i] = psnr
			}
			if psnrs[2] <= psnrs[0] {
				t.Errorf("PSNR %.2f dB at q90, not above %.2f at q30", psnrs[2], psnrs[0])
			}
		})
	}
}

// TestWebPQualityCurve checks that PSNR rises with quality across the
// whole range on the video picture, and compares with our JPEG.
func TestWebPQualityCurve(t *testing.T) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	drawVideo(img, 3)
	src := subRGBA(img, videoRect)
	var enc webpEncoder
	var jenc jpegEncoder
	prev := math.Inf(-1)
	for q := 10; q <= 100; q += 10 {
		out := enc.encode(nil, img, videoRect, q)
		psnr := displaytest.PSNR(src, decodeWebP(t, out))
		j := jenc.encode(nil, img, videoRect, q)
		t.Logf("q%d: webp %d B %.2f dB, jpeg %d B %.2f dB", q, len(out), psnr, len(j), displaytest.PSNR(src, decodeJPEG(t, j)))
		if psnr <= prev {
			t.Errorf("q%d: PSNR %.2f dB, not above %.2f at q%d", q, psnr, prev, q-10)
		}
		prev = psnr
	}
}

// TestWebPNoDrift checks that the decoder's picture stays as close to the
// source in the last macroblocks as in the first: the encoder predicts
// from its own reconstruction, so any mismatch with the decoder's would
// build up along rows and columns.
func TestWebPNoDrift(t *testing.T) {
	img := rgb.New(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			setPix(img, x, y, [3]uint8{uint8(tri(x + y)), uint8(tri(2 * x)), uint8(tri(3 * y))})
		}
	}
	var enc webpEncoder
	for _, q := range []int{30, 90, 100} {
		got := decodeWebP(t, enc.encode(nil, img, img.Rect, q))
		worst := 0
		for i, j := 0, 0; i < len(got.Pix); i, j = i+4, j+3 {
			for c := range 3 {
				d := int(got.Pix[i+c]) - int(img.Pix[j+c])
				worst = max(worst, d, -d)
			}
		}
		// Smooth gradients survive quantisation with small errors at
		// any quality; drift grows without bound.
		if worst > 24 {
			t.Errorf("q%d: a pixel is off by %d", q, worst)
		}
		t.Logf("q%d: worst error %d", q, worst)
	}
}

func TestWebPAllocs(t *testing.T) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	drawVideo(img, 3)
	var enc webpEncoder
	out := enc.encode(nil, img, videoRect, 80)
	if n := testing.AllocsPerRun(5, func() { out = enc.encode(out[:0], img, videoRect, 80) }); n != 0 {
		t.Errorf("%v allocations per encode", n)
	}
}

// FuzzWebP encodes random small pictures and checks that they decode at
// the right size.
func FuzzWebP(f *testing.F) {
	for _, s := range []struct {
		w, h, q int
	}{{1, 1, 90}, {17, 9, 30}, {33, 47, 100}, {16, 16, 1}} {
		f.Add(uint8(s.w), uint8(s.h), uint8(s.q), uint64(s.w*s.h))
	}
	var enc webpEncoder
	var jenc jpegEncoder
	f.Fuzz(func(t *testing.T, w, h, q uint8, seed uint64) {
		img := noise(int(w%64)+1, int(h%64)+1, seed)
		if seed&1 == 0 {
			// Hard edges and extremes as well as gradients.
			r := rng(seed)
			for i := 0; i < len(img.Pix); i += 3 {
				if r.next()%4 == 0 {
					v := uint8(r.next() & 1 * 255)
					img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, 255-v, v
				}
			}
		}
		out := enc.encode(nil, img, img.Rect, int(q))
		got := decodeWebP(t, out)
		if got.Rect.Size() != img.Rect.Size() {
			t.Fatalf("decoded %v, want %v", got.Rect.Size(), img.Rect.Size())
		}
		// A broken bitstream or reconstruction shows as garbage, far
		// below our JPEG encoder (also 4:2:0) at the same quality. The
		// margin is wide: on pictures of a few pixels, quality maps to
		// coarser steps than JPEG's, and studio swing costs a few levels
		// near black and white.
		if q >= 90 {
			j := decodeJPEG(t, jenc.encode(nil, img, img.Rect, int(q)))
			if p, pj := displaytest.PSNR(img, got), displaytest.PSNR(img, j); p < min(pj-6, 30) {
				t.Errorf("q%d: PSNR %.2f dB, JPEG %.2f", q, p, pj)
			}
		}
	})
}

func BenchmarkWebP(b *testing.B) {
	img := rgb.New(image.Rect(0, 0, scrW, scrH))
	drawVideo(img, 3)
	for _, q := range []int{90, 60} {
		b.Run("q"+string(rune('0'+q/10))+"0", func(b *testing.B) {
			var enc webpEncoder
			var out []byte
			b.SetBytes(int64(3 * videoRect.Dx() * videoRect.Dy()))
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				out = enc.encode(out[:0], img, videoRect, q)
			}
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
