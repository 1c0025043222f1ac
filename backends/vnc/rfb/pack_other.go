//go:build !amd64

package rfb

// packRGBX copies the R, G and B bytes of the RGBX pixels of src to dst.
func packRGBX(dst, src []byte) { packRGBXGo(dst, src) }
