//go:build !linux

package rfb

import "image"

// allocPixels returns n zeroed bytes for img's pixels; see the Linux
// version, which maps big framebuffers outside the heap.
func allocPixels(_ *image.RGBA, n int) []byte { return make([]byte, n) }
