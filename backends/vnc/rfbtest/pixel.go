package rfbtest

import (
	"encoding/binary"
	"image/color"
)

// PixelFormat is the RFB PIXEL_FORMAT a client asked for.
type PixelFormat struct {
	BPP, Depth                      uint8
	BigEndian, TrueColour           bool
	RedMax, GreenMax, BlueMax       uint16
	RedShift, GreenShift, BlueShift uint8
}

// nativeFormat is what ServerInit announces: 32 bpp BGRX, as Xvnc does.
var nativeFormat = PixelFormat{BPP: 32, Depth: 24, TrueColour: true, RedMax: 255, GreenMax: 255, BlueMax: 255, RedShift: 16, GreenShift: 8, BlueShift: 0}

func parsePixelFormat(b []byte) PixelFormat {
	return PixelFormat{
		BPP: b[0], Depth: b[1], BigEndian: b[2] != 0, TrueColour: b[3] != 0,
		RedMax: binary.BigEndian.Uint16(b[4:]), GreenMax: binary.BigEndian.Uint16(b[6:]), BlueMax: binary.BigEndian.Uint16(b[8:]),
		RedShift: b[10], GreenShift: b[11], BlueShift: b[12],
	}
}

func (pf PixelFormat) marshal(b []byte) []byte {
	b = append(b, pf.BPP, pf.Depth, b2u(pf.BigEndian), b2u(pf.TrueColour))
	b = binary.BigEndian.AppendUint16(b, pf.RedMax)
	b = binary.BigEndian.AppendUint16(b, pf.GreenMax)
	b = binary.BigEndian.AppendUint16(b, pf.BlueMax)
	return append(b, pf.RedShift, pf.GreenShift, pf.BlueShift, 0, 0, 0)
}

func b2u(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// Quantize scales an 8-bit component to 0..max, rounding.
func Quantize(c uint8, max uint16) uint32 { return (uint32(c)*uint32(max) + 127) / 255 }

// components returns the colour's components scaled to the format.
func (pf PixelFormat) components(c color.RGBA) (r, g, b uint32) {
	return Quantize(c.R, pf.RedMax), Quantize(c.G, pf.GreenMax), Quantize(c.B, pf.BlueMax)
}

// value returns the pixel value of c.
func (pf PixelFormat) value(c color.RGBA) uint32 {
	r, g, b := pf.components(c)
	return r<<pf.RedShift | g<<pf.GreenShift | b<<pf.BlueShift
}

// appendValue appends a pixel value in the format's size and byte order.
func (pf PixelFormat) appendValue(dst []byte, v uint32) []byte {
	switch pf.BPP {
	case 8:
		return append(dst, byte(v))
	case 16:
		if pf.BigEndian {
			return binary.BigEndian.AppendUint16(dst, uint16(v))
		}
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	if pf.BigEndian {
		return binary.BigEndian.AppendUint32(dst, v)
	}
	return binary.LittleEndian.AppendUint32(dst, v)
}

func (pf PixelFormat) appendPixel(dst []byte, c color.RGBA) []byte {
	return pf.appendValue(dst, pf.value(c))
}

// cpixel3 reports whether ZRLE CPIXELs are 3 bytes, and whether the colour
// bits sit in the low three bytes of the value.
func (pf PixelFormat) cpixel3() (three, low bool) {
	if !pf.TrueColour || pf.BPP != 32 || pf.Depth > 24 {
		return false, false
	}
	all := uint32(pf.RedMax)<<pf.RedShift | uint32(pf.GreenMax)<<pf.GreenShift | uint32(pf.BlueMax)<<pf.BlueShift
	if all&0xff000000 == 0 {
		return true, true
	}
	if all&0xff == 0 {
		return true, false
	}
	return false, false
}

// appendCPixel appends a ZRLE CPIXEL.
func (pf PixelFormat) appendCPixel(dst []byte, c color.RGBA) []byte {
	three, low := pf.cpixel3()
	if !three {
		return pf.appendPixel(dst, c)
	}
	var b [4]byte
	pf.appendValue(b[:0], pf.value(c))
	// The CPIXEL is the three bytes that carry colour, in wire order.
	if low == !pf.BigEndian {
		return append(dst, b[0], b[1], b[2])
	}
	return append(dst, b[1], b[2], b[3])
}

// tpixel3 reports whether Tight TPIXELs are 3 bytes (R, G, B).
func (pf PixelFormat) tpixel3() bool {
	return pf.TrueColour && pf.BPP == 32 && pf.Depth == 24 && pf.RedMax == 255 && pf.GreenMax == 255 && pf.BlueMax == 255
}

func (pf PixelFormat) appendTPixel(dst []byte, c color.RGBA) []byte {
	if pf.tpixel3() {
		r, g, b := pf.components(c)
		return append(dst, byte(r), byte(g), byte(b))
	}
	return pf.appendPixel(dst, c)
}
