package vnc

import (
	"context"
	"log/slog"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/audio"
)

// audioStream is the output stream of the sound: odd like clipStream, as
// guacd numbers connection-level streams, and apart from the image stream
// (1) and the clipboard (3), which are reused for every image and copy.
const audioStream = 5

// startAudio begins streaming the PulseAudio server named by
// audio-servername when enable-audio is set, as guacd does once the VNC
// connection is up. Connecting goes on in the background so a slow or
// absent server never delays the desktop; a failure is logged and the
// session goes on silently. It returns nil when audio is off.
func startAudio(p backends.Params, log *slog.Logger) *audio.Streamer {
	if !p.Bool("enable-audio", false) {
		return nil
	}
	server := p.String("audio-servername", "")
	st := audio.NewStreamer(audioStream, audio.Options{Logger: log.With("audio-servername", server)})
	st.Run(func(ctx context.Context) (audio.Source, error) { return audio.DialPulse(ctx, server) })
	return st
}
