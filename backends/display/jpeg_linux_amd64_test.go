package display

import (
	"syscall"
	"testing"
)

// TestMCUAVX2ReadsNoFurther checks that the kernel reads no byte past the
// 48 bytes of each of its 16 rows, as convert's bounds check assumes: an
// MCU at the bottom right of a framebuffer that ends right before an
// unreadable page (an overread would crash the test binary).
func TestMCUAVX2ReadsNoFurther(t *testing.T) {
	if !useAVX2 {
		t.Log("CPU without AVX2: nothing to check")
		return
	}
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	const stride = 17 * 3 // 17 pixels a row: rows do not start aligned
	for i := range page {
		mem[i] = byte(i*7 + i>>8)
	}
	pix := mem[page-(15*stride+48) : page]
	var a, b jpegEncoder
	a.mcu(pix, stride)
	b.convert(pix, stride)
	for k := range 4 {
		for i := range 64 {
			if d := a.y[k][i] - b.y[k][i]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("y[%d][%d] = %v, Go %v", k, i, b.y[k][i], a.y[k][i])
			}
		}
	}
	if a.cb != b.cb || a.cr != b.cr {
		t.Fatal("chroma differs from Go")
	}
}
