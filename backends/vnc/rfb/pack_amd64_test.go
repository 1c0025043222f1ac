//go:build amd64

package rfb

import (
	"bytes"
	"testing"
)

// TestPackRGBXAVX2 compares packRGBX (the AVX2 kernel where the CPU has
// it) with the plain loop for every length up to a few groups and both
// tails, checks both against the source pixels, and checks that nothing
// is written past the packed pixels.
func TestPackRGBXAVX2(t *testing.T) {
	src := make([]byte, 4*70)
	for i := range src {
		src[i] = byte(i*131 + 7)
	}
	for n := 0; n <= 70; n++ {
		want := make([]byte, 3*n+8)
		got := make([]byte, 3*n+8)
		for i := range want {
			want[i], got[i] = 0xee, 0xee
		}
		packRGBXGo(want[:3*n], src[:4*n])
		packRGBX(got[:3*n], src[:4*n])
		if !bytes.Equal(got, want) {
			t.Fatalf("%d pixels: AVX2 path\n%x\nwant\n%x", n, got, want)
		}
		for i := range n {
			if [3]byte(want[3*i:]) != [3]byte(src[4*i:]) {
				t.Fatalf("%d pixels: pixel %d = %x, want %x", n, i, want[3*i:3*i+3], src[4*i:4*i+3])
			}
		}
	}
}
