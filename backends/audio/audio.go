// Package audio streams a remote desktop's sound to Guacamole users, as
// guacd does for VNC with enable-audio: PCM captured from PulseAudio (the
// monitor of the default sink) is sent as raw audio/L16 on one output
// stream: `audio`, then `blob`s of PCM, then `end` when the session closes.
package audio

import "strings"

// The format guacd streams: 44100 Hz stereo signed 16-bit PCM. Guacamole's
// audio/L16 is little-endian (guacamole-common-js wraps each blob in an
// Int16Array, which is host order, little-endian on every browser platform),
// not the network order of RFC 2586.
const (
	Rate          = 44100
	Channels      = 2
	BitsPerSample = 16
	Mimetype      = "audio/L16;rate=44100,channels=2"

	// frameSize is the bytes of one sample for every channel.
	frameSize = Channels * BitsPerSample / 8
)

// BlobSize is the largest PCM payload of one blob: guacd's
// GUAC_RAW_ENCODER_BLOB_SIZE, about 34 ms of audio, a whole number of frames.
const BlobSize = 6048

// Accepts reports whether a user who listed mimetypes in its handshake
// `audio` instruction can play the stream. Browsers list base types only
// ("audio/L16", as guacamole-common-js does); parameters, if any, are
// ignored, and the type is matched case-insensitively as MIME types are.
func Accepts(mimetypes []string) bool {
	for _, m := range mimetypes {
		base, _, _ := strings.Cut(m, ";")
		if strings.EqualFold(strings.TrimSpace(base), "audio/L16") {
			return true
		}
	}
	return false
}
