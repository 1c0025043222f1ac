package vnc_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// audioViewer is a guacd-protocol client that only follows audio streams.
type audioViewer struct {
	t      *testing.T
	nc     net.Conn
	r      *protocol.Reader
	id     string            // connection id from `ready`
	audio  map[string]string // open audio streams → mimetype
	opened []string          // `audio` instructions seen, as "stream mimetype"
	ended  []string          // audio streams ended
	pcm    []byte            // decoded blobs of audio streams
	blobs  int
	bigger int // blobs over guacd's 6048 bytes, or not whole frames
	syncs  int
}

// handshake opens a VNC connection (join empty) or joins connection join,
// listing audioTypes as the user's audio mimetypes.
func handshake(t *testing.T, addr, join string, params map[string]string, audioTypes ...string) *audioViewer {
	t.Helper()
	sel := "vnc"
	if join != "" {
		sel = join
	}
	nc, r := handshakeVNC(t, addr, sel, "640", "480", params, append([]string{"audio"}, audioTypes...), []string{"image", "image/png"})
	return &audioViewer{t: t, nc: nc, r: r, audio: map[string]string{}}
}

// pump reads until cond holds, d passes (false) or the connection fails.
func (v *audioViewer) pump(d time.Duration, cond func() bool) bool {
	v.t.Helper()
	return pumpUntil(v.t, v.nc, v.r, d, cond, v.apply)
}

// apply follows one instruction's audio streams.
func (v *audioViewer) apply(in protocol.Instruction) {
	switch {
	case in.Is("ready"):
		v.id = string(in.Args[0])
	case in.Is("error"):
		v.t.Fatalf("error %q %q", in.Args[0], in.Args[1])
	case in.Is("sync"):
		v.syncs++
		v.nc.Write(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
	case in.Is("audio"):
		v.audio[string(in.Args[0])] = string(in.Args[1])
		v.opened = append(v.opened, string(in.Args[0])+" "+string(in.Args[1]))
	case in.Is("blob"):
		if _, ok := v.audio[string(in.Args[0])]; ok {
			b, err := base64Decode(string(in.Args[1]))
			if err != nil {
				v.t.Fatalf("audio blob: %v", err)
			}
			v.pcm = append(v.pcm, b...)
			v.blobs++
			if len(b) > 6048 || len(b)%4 != 0 {
				v.bigger++
			}
		}
	case in.Is("end"):
		if _, ok := v.audio[string(in.Args[0])]; ok {
			delete(v.audio, string(in.Args[0]))
			v.ended = append(v.ended, string(in.Args[0]))
		}
	}
}

// TestAudioUnreachableServer: when PulseAudio cannot be reached the
// desktop works as without audio, and no audio stream is announced.
func TestAudioUnreachableServer(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	missing := filepath.Join(t.TempDir(), "no-pulse")
	v := handshake(t, addr, "", map[string]string{"hostname": host, "port": port,
		"enable-audio": "true", "audio-servername": "unix:" + missing}, "audio/L16")
	if !v.pump(30*time.Second, func() bool { return v.syncs > 0 }) {
		t.Fatal("no frame")
	}
	v.nc.Write(protocol.AppendInstruction(nil, "key", "65", "1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rs.WaitEvents(ctx, 1); err != nil {
		t.Fatalf("session not usable without audio: %v", err)
	}
	v.nc.Write(protocol.AppendInstruction(nil, "nop"))
	v.pump(500*time.Millisecond, func() bool { return false })
	if len(v.opened) > 0 {
		t.Fatalf("audio announced without a PulseAudio server: %v", v.opened)
	}
}
