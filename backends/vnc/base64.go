package vnc

import "encoding/base64"

// appendBase64 decodes b64 onto dst, keeping dst within limit bytes.
// Invalid input is skipped.
func appendBase64(dst, b64 []byte, limit int) []byte {
	out, err := base64.StdEncoding.AppendDecode(dst, b64)
	if err != nil {
		return dst
	}
	return out[:min(len(out), max(limit, len(dst)))]
}
