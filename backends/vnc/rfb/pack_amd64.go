//go:build amd64

package rfb

import "golang.org/x/sys/cpu"

// useAVX2 selects packRGBXAVX2; a variable so that tests run both paths.
var useAVX2 = cpu.X86.HasAVX2

// packRGBXAVX2 packs groups of eight RGBX pixels (32 bytes of src) into
// 24 bytes of dst each, writing nothing past them.
//
//go:noescape
func packRGBXAVX2(dst, src *byte, groups int)

// packRGBX copies the R, G and B bytes of the RGBX pixels of src to dst.
func packRGBX(dst, src []byte) {
	if g := min(len(src)/32, len(dst)/24); useAVX2 && g > 0 {
		packRGBXAVX2(&dst[0], &src[0], g)
		dst, src = dst[g*24:], src[g*32:]
	}
	packRGBXGo(dst, src)
}
