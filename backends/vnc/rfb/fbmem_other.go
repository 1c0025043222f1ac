//go:build !linux

package rfb

import "github.com/goguacd/goguacd/backends/rgb"

// allocPixels returns n zeroed bytes for img's pixels; see the Linux
// version, which maps big framebuffers outside the heap.
func allocPixels(_ *rgb.Image, n int) []byte { return make([]byte, n) }
