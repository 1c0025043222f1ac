package vnc

import "encoding/base64"

// appendBase64 decodes b64 onto dst, keeping dst within limit bytes.
// Invalid input is skipped, as guacd's lenient decoder would keep going.
func appendBase64(dst, b64 []byte, limit int) []byte {
	n := base64.StdEncoding.DecodedLen(len(b64))
	if len(dst)+n > limit {
		n = limit - len(dst)
	}
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	m, err := base64.StdEncoding.Decode(buf, b64)
	if err != nil {
		return dst
	}
	return append(dst, buf[:min(m, n)]...)
}
