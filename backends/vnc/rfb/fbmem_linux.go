package rfb

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/goguacd/goguacd/backends/rgb"
)

// mapPixelsFrom is the size from which a framebuffer gets a mapping of its
// own; smaller ones stay in the heap.
const mapPixelsFrom = 256 << 10

// allocPixels returns n zeroed bytes for img's pixels. Big framebuffers
// live in an anonymous mapping outside the Go heap: a desktop is megabytes
// per connection, and in the heap it would also count in the live heap the
// garbage collector paces itself by, adding GOGC percent of itself again
// as headroom. The mapping goes back to the kernel once img is unreachable,
// when the collector would have freed heap pixels: nothing keeps a slice
// of Pix without img (the client and the display engine hold the image).
func allocPixels(img *rgb.Image, n int) []byte {
	if n < mapPixelsFrom {
		return make([]byte, n)
	}
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return make([]byte, n)
	}
	runtime.AddCleanup(img, func(b []byte) { _ = unix.Munmap(b) }, b)
	return b
}
