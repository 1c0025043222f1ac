package vnc

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// cp1252High maps bytes 0x80–0x9F of Windows-1252 to runes; the rest of the
// code page is Latin-1.
var cp1252High = [32]rune{
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0xFFFD,
}

// clipboardCodec converts between the browser's UTF-8 text and the bytes a
// VNC server's cut text carries, per guacd's clipboard-encoding.
type clipboardCodec string

// newClipboardCodec returns the codec for name; unknown names fall back to
// ISO8859-1 as guacd does (ok reports whether name was known).
func newClipboardCodec(name string) (c clipboardCodec, ok bool) {
	switch strings.ToUpper(name) {
	case "", "ISO8859-1":
		return "ISO8859-1", true
	case "UTF-8":
		return "UTF-8", true
	case "UTF-16":
		return "UTF-16", true
	case "CP1252":
		return "CP1252", true
	}
	return "ISO8859-1", false
}

// encode turns UTF-8 text into the server's bytes. Characters the charset
// cannot hold become '?'.
func (c clipboardCodec) encode(text string) []byte {
	switch c {
	case "UTF-8":
		return []byte(text)
	case "UTF-16":
		u := utf16.Encode([]rune(text))
		out := make([]byte, 0, 2*len(u))
		for _, v := range u {
			out = append(out, byte(v), byte(v>>8)) // little-endian, as guacd
		}
		return out
	}
	out := make([]byte, 0, len(text))
	for _, r := range text {
		switch {
		case r < 0x80 || (r >= 0xA0 && r <= 0xFF):
			out = append(out, byte(r))
		case c == "CP1252" && cp1252Byte(r) != 0:
			out = append(out, cp1252Byte(r))
		case c == "ISO8859-1" && r >= 0x80 && r < 0xA0:
			out = append(out, byte(r))
		default:
			out = append(out, '?')
		}
	}
	return out
}

func cp1252Byte(r rune) byte {
	for i, v := range cp1252High {
		if v == r && v != 0xFFFD {
			return byte(0x80 + i)
		}
	}
	return 0
}

// decode turns the server's bytes into UTF-8 text.
func (c clipboardCodec) decode(b []byte) string {
	switch c {
	case "UTF-8":
		if utf8.Valid(b) {
			return string(b)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case "UTF-16":
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(u))
	}
	var sb strings.Builder
	for _, v := range b {
		if c == "CP1252" && v >= 0x80 && v < 0xA0 {
			sb.WriteRune(cp1252High[v-0x80])
		} else {
			sb.WriteRune(rune(v))
		}
	}
	return sb.String()
}
