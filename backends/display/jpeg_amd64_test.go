//go:build amd64

package display

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withPaths runs f with the AVX2 kernels (when the CPU has them) and with
// the pure-Go code they replace.
func withPaths(t *testing.T, f func(t *testing.T)) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, on := range []bool{false, saved} {
		useAVX2 = on
		name := "go"
		if on {
			name = "avx2"
		}
		t.Run(name, f)
		if !saved {
			t.Log("CPU without AVX2: only the Go path ran")
			return
		}
	}
}

func TestMCUAVX2MatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Log("CPU without AVX2: nothing to compare")
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const stride = 100 * 3
	pix := make([]byte, 20*stride)
	for i := range pix {
		pix[i] = byte(rng.IntN(256))
	}
	// Whole pixels in, and odd byte offsets: packed RGB has no alignment.
	for _, off := range []int{0, 3, 13 * 3, stride + 6, 1, 2*stride + 7, 4*stride - 48} {
		var a, b jpegEncoder
		a.mcu(pix[off:], stride)
		mcuAVX2(&pix[off], stride, &b.y, &b.cb, &b.cr)
		for k := range 4 {
			for i := range 64 {
				if d := math.Abs(float64(a.y[k][i] - b.y[k][i])); d > 1e-3 {
					t.Fatalf("offset %d: y[%d][%d] = %v, Go %v", off, k, i, b.y[k][i], a.y[k][i])
				}
			}
		}
		for i := range 64 {
			if a.cb[i] != b.cb[i] || a.cr[i] != b.cr[i] {
				t.Fatalf("offset %d: chroma %d = %v,%v, Go %v,%v", off, i, b.cb[i], b.cr[i], a.cb[i], a.cr[i])
			}
		}
	}
}

func TestFDCTQuantAVX2MatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Log("CPU without AVX2: nothing to compare")
		return
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var e jpegEncoder
	off := 0
	for _, q := range []int{10, 50, 90, 100} {
		e.setQuality(q)
		for range 2000 {
			var in [64]float32
			switch rng.IntN(3) {
			case 0: // noise
				for i := range in {
					in[i] = float32(rng.IntN(256) - 128)
				}
			case 1: // flat
				v := float32(rng.IntN(256) - 128)
				for i := range in {
					in[i] = v
				}
			default: // gradient
				for i := range in {
					in[i] = float32(i%8*9 + i/8*5 - 60)
				}
			}
			tab := rng.IntN(2)
			b1, b2 := in, in
			var want, got [64]int16
			wm := quantize(want[:], &b1, &e.div[tab])
			gm := fdctQuantAVX2(&b2, &e.divT[tab], &got)
			var zm uint64
			for k, n := range zigzagT {
				if got[n] != 0 {
					zm |= 1 << k
				}
				if d := int(got[n]) - int(want[n]); d < -1 || d > 1 {
					t.Fatalf("q%d: coefficient %d = %d, Go %d", q, k, got[n], want[n])
				} else if d != 0 {
					off++
				}
			}
			if m := e.quantBlock(got[:], &in, tab); m != zm {
				t.Fatalf("q%d: zigzag mask %x, coefficients say %x (transposed mask %x)", q, m, zm, gm)
			}
			_ = wm
		}
	}
	// Rounding ties may fall differently after the kernel's other order of
	// passes; they must stay rare.
	if off > 8000*64/1000 {
		t.Errorf("%d coefficients off by one in 8000 blocks", off)
	}
}
