//go:build integration

package vnc_test

import (
	"encoding/binary"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// pulseEnv keeps PulseAudio's files (cookie, runtime, state) in dir.
func pulseEnv(dir string) []string {
	return append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_RUNTIME_PATH="+dir, "PULSE_STATE_PATH="+dir)
}

// startPulse runs a private PulseAudio daemon whose only sink is a null
// sink, listening on a unix socket it returns. As root it runs with a
// warning, not --system: per-user mode keeps it private to the test.
func startPulse(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatal("pulseaudio not found: install the Debian package pulseaudio")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	cmd := exec.Command(bin, "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=false",
		"--disable-shm=true", "--log-target=stderr",
		"-L", "module-null-sink sink_name=goguacd_test",
		"-L", "module-native-protocol-unix socket="+sock+" auth-anonymous=1")
	cmd.Env = pulseEnv(dir)
	logs := &rfbtest.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting pulseaudio: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		if i == 200 {
			t.Fatalf("pulseaudio did not listen on %s:\n%s", sock, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Test tone: a different frequency on each channel, so swapped channels or
// a wrong byte order show.
const (
	toneLeft  = 1000.0 // Hz
	toneRight = 250.0
	toneAmp   = 8000
)

// toneReader produces the test tone as S16LE stereo at 44100 Hz, forever.
type toneReader struct{ n int }

func (r *toneReader) Read(p []byte) (int, error) {
	n := 0
	for ; n+4 <= len(p); n += 4 {
		ts := float64(r.n) / 44100
		binary.LittleEndian.PutUint16(p[n:], uint16(int16(toneAmp*math.Sin(2*math.Pi*toneLeft*ts))))
		binary.LittleEndian.PutUint16(p[n+2:], uint16(int16(toneAmp*math.Sin(2*math.Pi*toneRight*ts))))
		r.n++
	}
	return n, nil
}

// playTone plays the test tone into the server's default sink with pacat
// until the test ends.
func playTone(t *testing.T, sock string) {
	t.Helper()
	bin, err := exec.LookPath("pacat")
	if err != nil {
		t.Fatal("pacat not found: install the Debian package pulseaudio-utils")
	}
	cmd := exec.Command(bin, "--server=unix:"+sock, "--playback", "--raw",
		"--format=s16le", "--rate=44100", "--channels=2", "--latency-msec=50")
	cmd.Env = pulseEnv(t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &rfbtest.LockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting pacat: %v", err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(stdin, &toneReader{}) // ends when pacat is killed
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		stdin.Close()
		<-copied
		if t.Failed() {
			t.Logf("pacat: %s", logs.String())
		}
	})
}

// frequency estimates the dominant frequency of one channel of S16LE
// stereo PCM from its zero crossings, and returns its peak too.
func frequency(pcm []byte, channel int) (hz float64, peak int) {
	crossings, frames := 0, len(pcm)/4
	prev := int16(0)
	for i := 0; i < frames; i++ {
		s := int16(binary.LittleEndian.Uint16(pcm[i*4+channel*2:]))
		peak = max(peak, int(s), -int(s))
		if i > 0 && (prev < 0) != (s < 0) {
			crossings++
		}
		prev = s
	}
	return float64(crossings) / 2 / (float64(frames) / 44100), peak
}

func TestAudioFromPulseAudio(t *testing.T) {
	sock := startPulse(t)
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	params := map[string]string{"hostname": host, "port": port, "enable-audio": "true", "audio-servername": "unix:" + sock}
	owner := handshake(t, addr, "", params, "audio/L8", "audio/L16")
	const want = "5 audio/L16;rate=44100,channels=2"
	if !owner.pump(30*time.Second, func() bool { return len(owner.opened) > 0 && owner.id != "" }) {
		t.Fatalf("no audio stream announced (ready %q)", owner.id)
	}
	if owner.opened[0] != want {
		t.Fatalf("audio instruction %q, want %q", owner.opened[0], want)
	}

	playTone(t, sock)
	const half = 44100 * 4 / 2 // half a second of PCM
	if !owner.pump(30*time.Second, func() bool { return len(owner.pcm) >= 2*half }) {
		t.Fatalf("only %d bytes of audio in %d blobs", len(owner.pcm), owner.blobs)
	}
	if owner.bigger > 0 {
		t.Fatalf("%d of %d blobs over 6048 bytes or not whole frames", owner.bigger, owner.blobs)
	}
	if len(owner.opened) != 1 || len(owner.ended) > 0 {
		t.Fatalf("stream restarted or ended while playing: %v, ended %v", owner.opened, owner.ended)
	}
	tail := owner.pcm[len(owner.pcm)-half:] // past the tone's start
	for ch, f := range []float64{toneLeft, toneRight} {
		hz, peak := frequency(tail, ch)
		if math.Abs(hz-f) > f*0.05 || peak < toneAmp*9/10 || peak > toneAmp*11/10 {
			t.Errorf("channel %d: %.0f Hz peak %d, want %.0f Hz peak %d", ch, hz, peak, f, toneAmp)
		}
	}

	// Joiners: only those who take audio/L16 are told about the stream.
	listener := handshake(t, addr, owner.id, nil, "audio/L16")
	deaf := handshake(t, addr, owner.id, nil, "audio/L8")
	if !listener.pump(30*time.Second, func() bool { return len(listener.opened) > 0 && len(listener.pcm) >= half }) {
		t.Fatalf("joiner got %v and %d bytes", listener.opened, len(listener.pcm))
	}
	if listener.opened[0] != want {
		t.Fatalf("joiner's audio instruction %q", listener.opened[0])
	}
	if hz, _ := frequency(listener.pcm[len(listener.pcm)-half/2:], 0); math.Abs(hz-toneLeft) > toneLeft*0.1 {
		t.Errorf("joiner hears %.0f Hz", hz)
	}
	if !deaf.pump(30*time.Second, func() bool { return deaf.syncs > 0 }) {
		t.Fatal("joiner without audio got no frame")
	}
	// The tone plays on: a second of it reaches the listener, not the deaf.
	heard := len(listener.pcm)
	deaf.pump(time.Second, func() bool { return false })
	listener.pump(30*time.Second, func() bool { return len(listener.pcm) >= heard+half })
	if len(deaf.opened) > 0 || len(deaf.pcm) > 0 {
		t.Fatalf("user without audio/L16 got %v and %d bytes", deaf.opened, len(deaf.pcm))
	}

}
