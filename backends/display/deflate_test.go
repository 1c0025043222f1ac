package display

import (
	"bytes"
	"compress/flate"
	"image"
	"io"
	"math/bits"
	"testing"

	kflate "github.com/klauspost/compress/flate"

	"github.com/goguacd/goguacd/backends/rgb"
)

// deflateInputs are the shapes deflate must handle: empty, tiny,
// repetitive (long matches, runs across blocks), screen-like rows, text,
// incompressible noise (stored blocks) and more than a window and a block.
func deflateInputs() map[string][]byte {
	r := rng(7)
	noise := make([]byte, 100<<10)
	for i := range noise {
		noise[i] = byte(r.next())
	}
	rows := make([]byte, 0, 300<<10)
	for y := 0; len(rows) < 300<<10; y++ {
		rows = append(rows, filterUp)
		for x := range 1279 {
			v := byte(0)
			if (x/8+y/16)%5 == 0 {
				v = byte(x ^ y)
			}
			rows = append(rows, v, v, v)
		}
	}
	// Skewed literals (some get 15-bit codes) and copies at every distance
	// and length (codes with the most extra bits): the longest tokens.
	lz := make([]byte, 0, 200<<10)
	for len(lz) < 200<<10 {
		v := r.next()
		if v%3 != 0 || len(lz) < 300 {
			lz = append(lz, byte(bits.LeadingZeros32(uint32(v)|1)*7+int(v>>29)))
			continue
		}
		dist := 1 + int(v>>8)%min(len(lz), 32768)
		for range 3 + int(v>>4)%256 {
			lz = append(lz, lz[len(lz)-dist])
		}
	}
	// Up-filtered RGB rows of a photo, as PNG compresses them: few and
	// far matches among many literals, the longest codes.
	photo := rgb.New(image.Rect(0, 0, scrW, scrH))
	drawVideo(photo, 1)
	var prev []byte
	filtered := make([]byte, 0, 3*videoRect.Dx()*videoRect.Dy()+videoRect.Dy())
	for y := videoRect.Min.Y; y < videoRect.Max.Y; y++ {
		filtered = append(filtered, filterUp)
		cur := photo.Pix[photo.PixOffset(videoRect.Min.X, y):photo.PixOffset(videoRect.Max.X, y)]
		for i, v := range cur {
			if prev != nil {
				v -= prev[i]
			}
			filtered = append(filtered, v)
		}
		prev = cur
	}
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 3000)
	mixed := append(append(append([]byte{}, text[:40000]...), noise[:30000]...), rows[:70000]...)
	return map[string][]byte{
		"empty":  nil,
		"one":    {42},
		"four":   {1, 2, 3, 4},
		"zeros":  make([]byte, 200<<10),
		"rows":   rows,
		"text":   text,
		"noise":  noise,
		"mixed":  mixed,
		"lz":     lz,
		"photo":  filtered,
		"period": bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 40000),
	}
}

func inflate(t testing.TB, z []byte) []byte {
	t.Helper()
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return got
}

func TestDeflateRoundTrip(t *testing.T) {
	for only := range uint8(dfDynamic + 1) {
		testDeflateRoundTrip(t, only)
	}
}

// testDeflateRoundTrip round-trips every input in several write sizes,
// with blocks of type only (0: the smallest).
func testDeflateRoundTrip(t *testing.T, only uint8) {
	d := deflater{only: only}
	for name, in := range deflateInputs() {
		for _, chunk := range []int{1, 1000, 32 << 10, 1 << 30} {
			if chunk == 1 && len(in) > 50000 {
				continue // byte-at-a-time writes are covered by the smaller inputs
			}
			d.reset(nil)
			for p := in; len(p) > 0; {
				n := min(chunk, len(p))
				d.write(p[:n])
				p = p[n:]
			}
			z := d.close()
			if got := inflate(t, z); !bytes.Equal(got, in) {
				t.Fatalf("block type %d, %s in chunks of %d: round trip differs (%d bytes back, %d in)", only, name, chunk, len(got), len(in))
			}
			if only == 0 && name == "noise" && len(z) > len(in)+len(in)/1000+16 {
				t.Errorf("noise: %d bytes for %d: stored blocks should cap expansion", len(z), len(in))
			}
		}
	}
}

// TestDeflateStreamsIndependent checks that a stream never refers to an
// earlier one's data: each inflates on its own.
func TestDeflateStreamsIndependent(t *testing.T) {
	var d deflater
	in := deflateInputs()
	for range 3 {
		for _, name := range []string{"text", "rows", "text", "period", "one", "text"} {
			d.reset(nil)
			d.write(in[name])
			if got := inflate(t, d.close()); !bytes.Equal(got, in[name]) {
				t.Fatalf("%s after other streams: round trip differs", name)
			}
		}
	}
}

// TestDeflateCompresses checks that matching works: compressible inputs
// shrink well below what Huffman coding alone gives.
func TestDeflateCompresses(t *testing.T) {
	var d deflater
	in := deflateInputs()
	for name, most := range map[string]int{"zeros": 1 << 10, "text": 2 << 10, "period": 2 << 10, "rows": 40 << 10} {
		d.reset(nil)
		d.write(in[name])
		if z := d.close(); len(z) > most {
			t.Errorf("%s: %d bytes from %d, want at most %d", name, len(z), len(in[name]), most)
		}
	}
}

// TestDeflateWrapAround checks streams at the end of the position space,
// where the hash table is cleared instead of positions wrapping.
func TestDeflateWrapAround(t *testing.T) {
	var d deflater
	in := deflateInputs()["text"]
	d.reset(nil)
	d.base = 1<<31 - 1000
	d.write(in)
	if got := inflate(t, d.close()); !bytes.Equal(got, in) {
		t.Fatal("stream crossing 2^31 differs")
	}
	d.reset(nil)
	if d.base != 0 {
		t.Fatalf("base %d after 2^31, want a fresh start at 0", d.base)
	}
	d.write(in)
	if got := inflate(t, d.close()); !bytes.Equal(got, in) {
		t.Fatal("stream after the wrap differs")
	}
}

func TestDeflateAllocations(t *testing.T) {
	var d deflater
	in := deflateInputs()["mixed"]
	out := make([]byte, 0, 1<<20)
	d.reset(out)
	d.write(in)
	out = d.close()
	if n := testing.AllocsPerRun(20, func() {
		d.reset(out[:0])
		d.write(in)
		out = d.close()
	}); n != 0 {
		t.Fatalf("%.1f allocations per stream", n)
	}
}

func FuzzDeflate(f *testing.F) {
	for _, in := range deflateInputs() {
		if len(in) > 4096 {
			in = in[:4096]
		}
		f.Add(in, uint16(100))
	}
	var d deflater
	f.Fuzz(func(t *testing.T, in []byte, chunk uint16) {
		// Repeat the input to cross blocks and the window.
		src := bytes.Repeat(in, 1+(70<<10)/(len(in)+1))
		c := int(chunk) + 1
		d.only = uint8(chunk % 4) // every block type
		d.reset(nil)
		for p := src; len(p) > 0; {
			n := min(c, len(p))
			d.write(p[:n])
			p = p[n:]
		}
		if got := inflate(t, d.close()); !bytes.Equal(got, src) {
			t.Fatalf("round trip differs for %d bytes in chunks of %d", len(src), c)
		}
	})
}

// BenchmarkDeflate compares the deflater with klauspost/compress at
// level 1 (what PNG used before) on PNG-like inputs: screen rows, a
// photo's filtered rows, text and noise.
func BenchmarkDeflate(b *testing.B) {
	in := deflateInputs()
	for _, name := range []string{"rows", "photo", "text", "noise"} {
		b.Run(name+"/ours", func(b *testing.B) {
			var d deflater
			var out []byte
			b.SetBytes(int64(len(in[name])))
			b.ReportAllocs()
			for b.Loop() {
				d.reset(out[:0])
				d.write(in[name])
				out = d.close()
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
		b.Run(name+"/klauspost-L1", func(b *testing.B) {
			var out bytes.Buffer
			zw, _ := kflate.NewWriter(&out, kflate.BestSpeed)
			b.SetBytes(int64(len(in[name])))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				zw.Reset(&out)
				// PNG writes rows in 32 KiB batches.
				for p := in[name]; len(p) > 0; {
					n := min(len(p), 32<<10)
					zw.Write(p[:n])
					p = p[n:]
				}
				zw.Close()
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
}
