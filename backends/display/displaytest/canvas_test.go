package displaytest

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/protocol"
)

func pngBytes(t testing.TB, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestApply(t *testing.T) {
	red := pngBytes(t, 2, 2, color.RGBA{255, 0, 0, 255})
	var s []byte
	s = protocol.AppendSize(s, 0, 4, 3)
	s = protocol.AppendRect(s, 0, 0, 0, 4, 3)
	s = protocol.AppendCfill(s, protocol.ModeSrc, 0, 0, 0, 255, 255)
	s = protocol.AppendImg(s, 1, protocol.ModeSrc, 0, "image/png", 1, 1)
	s = protocol.AppendBlob(s, 1, red)
	s = protocol.AppendEnd(s, 1)
	// Overlapping copy one pixel left: the snapshot semantics matter.
	s = protocol.AppendCopy(s, 0, 1, 0, 3, 3, protocol.ModeSrc, 0, 0, 0)
	s = protocol.AppendSync(s, 1, 1)
	var c Canvas
	if err := c.Apply(s); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BBBB",
		"RRBB",
		"RRBB",
	}
	img := c.Image()
	for y, row := range want {
		for x, ch := range row {
			p := img.RGBAAt(x, y)
			got := map[color.RGBA]rune{{255, 0, 0, 255}: 'R', {0, 0, 255, 255}: 'B'}[p]
			if got != ch {
				t.Fatalf("pixel %d,%d = %v, want %c", x, y, p, ch)
			}
		}
	}
	if c.Ops["sync"] != 1 || c.Ops["img"] != 1 {
		t.Fatalf("ops %v", c.Ops)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"truncated", "4.size,1.0,", "parse"},
		{"blob without img", "4.blob,1.1,4.AAAA;", "not open"},
		{"bad base64", "3.img,1.1,2.12,1.0,9.image/png,1.0,1.0;4.blob,1.1,4.!!!!;", "illegal base64"},
		{"bad png", "3.img,1.1,2.12,1.0,9.image/png,1.0,1.0;4.blob,1.1,4.AAAA;3.end,1.1;", "EOF"},
		{"unknown mimetype", "3.img,1.1,2.12,1.0,9.image/gif,1.0,1.0;3.end,1.1;", "not supported"},
		{"huge size", "4.size,1.0,5.99999,1.1;", "out of range"},
		{"bad number", "4.size,1.0,1.x,1.1;", "argument"},
		{"wrong arity", "4.size,1.0;", "arguments"},
		{"cfill without path", "5.cfill,2.12,1.0,1.0,1.0,1.0,3.255;", "without a path"},
		{"unknown mode", "4.size,1.0,1.1,1.1;4.rect,1.0,1.0,1.0,1.1,1.1;5.cfill,1.3,1.0,1.0,1.0,1.0,3.255;", "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Canvas
			err := c.Apply([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestPSNR(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 10, 10))
	b := image.NewRGBA(image.Rect(0, 0, 10, 10))
	if p := PSNR(a, b); p != 100 {
		t.Fatalf("identical: %v", p)
	}
	b.Pix[0] = 255                  // one channel of one pixel off by 255
	want := 10 * 2.4771212547196626 // 10*log10(300)
	if p := PSNR(a, b); p < want-1e-9 || p > want+1e-9 {
		t.Fatalf("PSNR %v, want %v", p, want)
	}
	if DiffPixels(a, b) != 1 || PSNR(a, image.NewRGBA(image.Rect(0, 0, 1, 1))) != 0 {
		t.Fatal("DiffPixels or size mismatch")
	}
	// A framebuffer (packed RGB, not at the origin) against a canvas
	// (RGBA, alpha ignored), either way round.
	fb := rgb.New(image.Rect(3, 4, 13, 14))
	fb.Pix[fb.PixOffset(12, 13)+2] = 255 // the last pixel's blue
	c := image.NewRGBA(image.Rect(0, 0, 10, 10))
	c.Pix[len(c.Pix)-2] = 255
	for i := 3; i < len(c.Pix)-4; i += 4 {
		c.Pix[i] = byte(i)
	}
	if PSNR(fb, c) != 100 || PSNR(c, fb) != 100 || DiffPixels(fb, c) != 0 || DiffPixels(c, fb) != 0 {
		t.Fatal("an RGB image and an RGBA one with the same RGB differ")
	}
	if p := PSNR(fb, a); p < want-1e-9 || p > want+1e-9 {
		t.Fatalf("PSNR %v against RGBA, want %v", p, want)
	}
	if DiffPixels(a, fb) != 1 || DiffPixels(fb, rgb.New(image.Rect(0, 0, 10, 9))) != -1 || PSNR(rgb.New(image.Rect(0, 0, 9, 10)), fb) != 0 {
		t.Fatal("DiffPixels or size mismatch with an RGB image")
	}
}

// FuzzApply checks that arbitrary input never panics or runs away.
func FuzzApply(f *testing.F) {
	red := pngBytes(f, 3, 2, color.RGBA{255, 0, 0, 255})
	var s []byte
	s = protocol.AppendSize(s, 0, 8, 8)
	s = protocol.AppendImg(s, 1, protocol.ModeSrc, -1, "image/png", 2, 3)
	s = protocol.AppendBlob(s, 1, red)
	s = protocol.AppendEnd(s, 1)
	s = protocol.AppendCopy(s, -1, 0, 0, 5, 5, protocol.ModeOver, 0, 1, 1)
	s = protocol.AppendCursor(s, 1, 1, -1, 0, 0, 4, 4)
	f.Add(s)
	f.Add([]byte("4.rect,1.0,1.0,1.0,1.1,1.1;5.cfill,2.14,1.0,1.0,1.0,1.0,3.255;7.dispose,1.0;"))
	f.Add([]byte("3.img,1.1,2.12,1.0,10.image/jpeg,1.0,1.0;4.blob,1.1,4." + base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff")) + ";3.end,1.1;"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Canvas
		_ = c.Apply(b)
	})
}

// TestWebPToRGBA checks the BT.601 studio-swing conversion libwebp and
// browsers use: Y' 16 is black and 235 white, not 0 and 255.
func TestWebPToRGBA(t *testing.T) {
	tests := []struct {
		y, cb, cr uint8
		want      [3]uint8
	}{
		{16, 128, 128, [3]uint8{0, 0, 0}},
		{235, 128, 128, [3]uint8{255, 255, 255}},
		{126, 128, 128, [3]uint8{128, 128, 128}},
		{82, 90, 240, [3]uint8{255, 0, 0}},
		{41, 240, 110, [3]uint8{0, 0, 255}},
	}
	for _, tt := range tests {
		m := image.NewYCbCr(image.Rect(0, 0, 3, 3), image.YCbCrSubsampleRatio420)
		for i := range m.Y {
			m.Y[i] = tt.y
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = tt.cb, tt.cr
		}
		got, err := WebPToRGBA(m)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect != image.Rect(0, 0, 3, 3) {
			t.Fatalf("rect %v", got.Rect)
		}
		for i := 0; i < len(got.Pix); i += 4 {
			for c := range 3 {
				if d := int(got.Pix[i+c]) - int(tt.want[c]); d < -2 || d > 2 {
					t.Fatalf("Y'CbCr %d,%d,%d: got %v, want %v", tt.y, tt.cb, tt.cr, got.Pix[i:i+3], tt.want)
				}
			}
		}
	}
	if _, err := WebPToRGBA(image.NewRGBA(image.Rect(0, 0, 1, 1))); err == nil {
		t.Error("an RGBA picture (lossless WebP) was accepted")
	}
}
