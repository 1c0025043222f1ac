package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/display"
	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh"
	"github.com/goguacd/goguacd/backends/ssh/render"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel"
)

// The SSH anchor: `cat` of a 20 MB text file of numbered "quick brown
// fox" lines, typed as keys, at a 1024x768 display.
const (
	catBytes       = 20 << 20
	sshW, sshH     = 1024, 768
	sshPrompt      = "$ "
	echoPresses    = 20
	echoInterval   = 100 * time.Millisecond
	sshBenchPasswd = "bench"
)

// catFile writes the 20 MB file once per run.
func catFile(tb testing.TB) string {
	tb.Helper()
	name := filepath.Join(tb.TempDir(), "fox.txt")
	f, err := os.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i, n := 1, 0; n < catBytes; i++ {
		k, _ := fmt.Fprintf(w, "%7d the quick brown fox jumps over the lazy dog\n", i)
		n += k
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return name
}

// sshServer is an in-process gliderlabs server running a tiny shell: it
// echoes typed bytes, and on Enter runs `cat FILE` (LF → CR LF, as a PTY
// does) or prints the line back.
func sshServer(tb testing.TB) string {
	tb.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	srv := &gliderssh.Server{
		PasswordHandler: func(ctx gliderssh.Context, pw string) bool { return pw == sshBenchPasswd },
		Handler: func(s gliderssh.Session) {
			_, winch, _ := s.Pty()
			go func() {
				for range winch {
				}
			}()
			io.WriteString(s, sshPrompt)
			var line []byte
			buf := make([]byte, 4096)
			for {
				n, err := s.Read(buf)
				for _, c := range buf[:n] {
					if c != '\r' {
						line = append(line, c)
						s.Write([]byte{c})
						continue
					}
					io.WriteString(s, "\r\n")
					if name, ok := strings.CutPrefix(string(line), "cat "); ok {
						catTo(s, name)
					}
					line = line[:0]
					io.WriteString(s, sshPrompt)
				}
				if err != nil {
					return
				}
			}
		},
	}
	srv.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// catTo writes a file as a PTY would show it.
func catTo(w io.Writer, name string) {
	f, err := os.Open(name)
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			w.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
		}
		if err != nil {
			return
		}
	}
}

// inProcessGoguacd serves the SSH backend (steady cursor, so every frame
// comes from output) on a loopback guacd listener.
func inProcessGoguacd(tb testing.TB) string {
	tb.Helper()
	reg := &backends.Registry{}
	reg.Register("ssh", &ssh.Backend{})
	srv := tunnel.NewServer(tunnel.Config{Backends: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.ServeListener(context.Background(), ln, nil)
	tb.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// sshClient is a measuring Guacamole client: it acknowledges every sync
// at once, rebuilds the display and counts bytes.
type sshClient struct {
	nc     net.Conn
	r      *protocol.Reader
	canvas displaytest.Canvas
	bytes  int64
	syncs  int
	other  map[string]bool // streams that are not images
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

func dialSSH(tb testing.TB, addr, sshAddr string) *sshClient {
	tb.Helper()
	host, port, _ := net.SplitHostPort(sshAddr)
	return dialSSHParams(tb, addr, map[string]string{"hostname": host, "port": port, "username": "bench", "password": sshBenchPasswd})
}

// dialSSHParams opens an SSH connection through goguacd with params.
func dialSSHParams(tb testing.TB, addr string, params map[string]string) *sshClient {
	tb.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	c := &sshClient{nc: nc, other: map[string]bool{}}
	c.r = protocol.NewReader(countingReader{nc, &c.bytes})
	nc.Write(protocol.AppendInstruction(nil, "select", "ssh"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	in, err := c.r.ReadInstruction()
	if err != nil || !in.Is("args") {
		tb.Fatalf("args: %v", err)
	}
	vals := []string{"VERSION_1_5_0"}
	for _, n := range in.Args[1:] {
		vals = append(vals, params[string(n)])
	}
	msg := protocol.AppendInstruction(nil, "size", strconv.Itoa(sshW), strconv.Itoa(sshH), "96")
	msg = protocol.AppendInstruction(msg, "image", "image/png")
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	nc.Write(msg)
	return c
}

// pump reads until cond (checked after every sync) holds or the server
// has been silent for quiet; onSync sees every frame end.
func (c *sshClient) pump(tb testing.TB, quiet time.Duration, cond func() bool, onSync func(at time.Time)) bool {
	tb.Helper()
	for {
		c.nc.SetReadDeadline(time.Now().Add(quiet))
		in, err := c.r.ReadInstruction()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return cond()
			}
			tb.Fatalf("read: %v", err)
		}
		switch {
		case in.Is("sync"):
			at := time.Now()
			c.syncs++
			c.nc.Write(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
			if onSync != nil {
				onSync(at)
			}
			if cond() {
				return true
			}
			continue
		case in.Is("error"):
			tb.Fatalf("error: %s", in.Args)
		case in.Is("argv"), in.Is("clipboard"):
			c.other[string(in.Args[0])] = true
			continue
		case in.Is("blob"), in.Is("end"):
			if c.other[string(in.Args[0])] {
				continue // not an image
			}
		case in.Is("name"):
			continue
		}
		if err := c.canvas.Apply(c.r.Raw()); err != nil {
			tb.Fatalf("apply %s: %v", in.Opcode, err)
		}
	}
}

func (c *sshClient) typeText(s string) {
	var msg []byte
	for _, r := range s {
		ks := int(r)
		if r == '\r' {
			ks = 0xFF0D
		}
		msg = protocol.AppendInstruction(msg, "key", strconv.Itoa(ks), "1")
		msg = protocol.AppendInstruction(msg, "key", strconv.Itoa(ks), "0")
	}
	c.nc.Write(msg)
}

// referenceScreen renders a fresh terminal fed what the shell wrote.
func referenceScreen(tb testing.TB, feed func(w io.Writer)) *rgb.Image {
	tb.Helper()
	eng := display.New(1, 1, display.Options{Lossless: true})
	r, err := render.New(eng, render.Options{DPI: 96})
	if err != nil {
		tb.Fatal(err)
	}
	cols, rows := r.GridSize(sshW, sshH)
	t := term.New(cols, rows, term.Options{})
	feed(t)
	r.Render(t)
	return eng.Image()
}

func sameScreen(a *image.RGBA, b *rgb.Image) bool {
	return a != nil && b != nil && a.Rect == b.Rect && displaytest.DiffPixels(a, b) == 0
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSSHCat: Enter → the last frame of `cat` of the 20 MB file,
// bytes to the client, CPU of the whole test process (goguacd's SSH
// backend and tunnel, the in-process SSH server and the measuring
// client), and the final screen checked against a fresh terminal.
func BenchmarkSSHCat(b *testing.B) {
	file := catFile(b)
	for i := 0; i < b.N; i++ {
		addr := inProcessGoguacd(b)
		c := dialSSH(b, addr, sshServer(b))
		prompt := referenceScreen(b, func(w io.Writer) { io.WriteString(w, sshPrompt) })
		if !c.pump(b, 10*time.Second, func() bool { return sameScreen(c.canvas.Image(), prompt) }, nil) {
			b.Fatal("no prompt")
		}
		cmd := "cat " + file
		final := referenceScreen(b, func(w io.Writer) {
			io.WriteString(w, sshPrompt+cmd+"\r\n")
			catTo(w, file)
			io.WriteString(w, sshPrompt)
		})
		c.typeText(cmd)
		c.pump(b, 200*time.Millisecond, func() bool { return false }, nil) // the echo of the command
		bytes0, syncs0, cpu0 := c.bytes, c.syncs, processCPU()
		start := time.Now()
		c.typeText("\r")
		var last time.Time
		if !c.pump(b, 5*time.Second, func() bool { return sameScreen(c.canvas.Image(), final) }, func(at time.Time) { last = at }) {
			b.Fatal("final screen differs from a fresh terminal fed the same bytes")
		}
		b.ReportMetric(last.Sub(start).Seconds(), "enter-to-last-frame-s")
		b.ReportMetric(float64(c.bytes-bytes0)/1000, "KB-to-client")
		b.ReportMetric(float64(c.syncs-syncs0), "frames")
		b.ReportMetric((processCPU() - cpu0).Seconds(), "process-cpu-s")
	}
}

// BenchmarkSSHEcho: keystroke to echo, 20 presses 100 ms apart, each from
// the key sent to the first frame drawn after it (the echo: nothing else
// changes the screen).
func BenchmarkSSHEcho(b *testing.B) {
	for i := 0; i < b.N; i++ {
		addr := inProcessGoguacd(b)
		c := dialSSH(b, addr, sshServer(b))
		prompt := referenceScreen(b, func(w io.Writer) { io.WriteString(w, sshPrompt) })
		if !c.pump(b, 10*time.Second, func() bool { return sameScreen(c.canvas.Image(), prompt) }, nil) {
			b.Fatal("no prompt")
		}
		var lat []time.Duration
		for k := 0; k < echoPresses; k++ {
			time.Sleep(echoInterval)
			sent := time.Now()
			c.typeText("x")
			got := false
			c.pump(b, 2*time.Second, func() bool { return got }, func(at time.Time) {
				if !got {
					got = true
					lat = append(lat, at.Sub(sent))
				}
			})
			if !got {
				b.Fatal("no echo frame")
			}
		}
		want := referenceScreen(b, func(w io.Writer) { io.WriteString(w, sshPrompt+strings.Repeat("x", echoPresses)) })
		if !sameScreen(c.canvas.Image(), want) {
			b.Fatal("screen after typing differs from a fresh terminal")
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
