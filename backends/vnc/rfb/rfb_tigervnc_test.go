//go:build integration

package rfb

import (
	"context"
	"crypto/des"
	"errors"
	"fmt"
	"image"
	"image/color"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// xvnc is a running TigerVNC Xvnc on loopback.
type xvnc struct {
	display int
	addr    string
}

// vncPasswordFile writes password in the vncpasswd format: the password,
// zero-padded to 8 bytes, DES-encrypted with VNC's fixed obfuscation key
// (bits of each key byte reversed, as for VNC Authentication).
func vncPasswordFile(t *testing.T, dir, password string) string {
	t.Helper()
	fixed := [8]byte{23, 82, 107, 6, 35, 78, 88, 7}
	for i, b := range fixed {
		fixed[i] = reverseBits(b)
	}
	blk, err := des.NewCipher(fixed[:])
	if err != nil {
		t.Fatal(err)
	}
	var pw, out [8]byte
	copy(pw[:], password)
	blk.Encrypt(out[:], pw[:])
	path := filepath.Join(dir, "passwd")
	if err := os.WriteFile(path, out[:], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startXvnc runs Xvnc with args on a free display and port until the test
// ends.
func startXvnc(t *testing.T, args ...string) *xvnc {
	t.Helper()
	bin, err := exec.LookPath("Xvnc")
	if err != nil {
		t.Fatal("Xvnc not found: install the Debian package tigervnc-standalone-server (and x11-xserver-utils for xsetroot)")
	}
	display := -1
	for d := 40; d < 200; d++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", d)); os.IsNotExist(err) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", d)); os.IsNotExist(err) {
				display = d
				break
			}
		}
	}
	if display < 0 {
		t.Fatal("no free X display number")
	}
	port := freePort(t)
	all := append([]string{fmt.Sprintf(":%d", display), "-rfbport", fmt.Sprint(port), "-interface", "127.0.0.1",
		"-geometry", "320x240", "-depth", "24", "-nolisten", "tcp", "-AlwaysShared"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, all...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start Xvnc: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("Xvnc output:\n%s", logs.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Xvnc did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &xvnc{display: display, addr: addr}
}

// xsetroot paints the root window of the Xvnc display.
func (x *xvnc) xsetroot(t *testing.T, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("xsetroot")
	if err != nil {
		t.Fatal("xsetroot not found: install the Debian package x11-xserver-utils")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if len(args) == 1 {
		args = []string{"-solid", args[0]}
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", x.display))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xsetroot: %v\n%s", err, out)
	}
}

// pixelSink samples pixel (10, 10) at the end of every update, on Run's
// goroutine, so the test never reads the framebuffer while it is written.
type pixelSink struct {
	chanSink
	c  *Client
	px chan color.RGBA
}

func (s pixelSink) EndOfUpdate() {
	select {
	case s.px <- s.c.Framebuffer().RGBAAt(10, 10):
	default:
	}
}

// waitColour runs the client until pixel (10, 10) shows want.
func waitColour(t *testing.T, c *Client, want color.RGBA, paint func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sink := pixelSink{chanSink: make(chanSink, 4096), c: c, px: make(chan color.RGBA, 4096)}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	defer func() {
		cancel()
		<-done
	}()
	painted := false
	var last color.RGBA
	for {
		select {
		case <-sink.chanSink:
		case got := <-sink.px:
			if !painted {
				painted = true
				if paint != nil {
					paint()
					continue
				}
			}
			last = got
			if near(got, want) {
				return
			}
		case err := <-done:
			done <- err
			t.Fatalf("Run ended: %v", err)
		case <-ctx.Done():
			t.Fatalf("pixel (10,10) = %v, want %v", last, want)
		}
	}
}

// near allows for the colour loss of 8/16-bit formats.
func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return max(x, y)-min(x, y) < 40 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

func dialXvnc(t *testing.T, addr string, cfg Config) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if b := c.Framebuffer().Bounds(); b != image.Rect(0, 0, 320, 240) {
		t.Fatalf("framebuffer %v", b)
	}
	return c
}

// snapshot connects, waits for the full picture and returns a copy of the
// framebuffer.
func snapshot(t *testing.T, addr string, cfg Config) *image.RGBA {
	t.Helper()
	c := dialXvnc(t, addr, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sink := make(chanSink, 4096)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	// Xvnc may split the first picture over several updates (pseudo-
	// rectangles first): wait until it has been quiet for a while.
	sink.waitFor(t, "end")
	for quiet := false; !quiet; {
		select {
		case <-sink:
		case <-time.After(300 * time.Millisecond):
			quiet = true
		case <-ctx.Done():
			t.Fatal("no quiet period")
		}
	}
	cancel()
	<-done
	fb := c.Framebuffer()
	out := image.NewRGBA(fb.Rect)
	copy(out.Pix, fb.Pix)
	return out
}

func TestTigerVNCVncAuth(t *testing.T) {
	dir := t.TempDir()
	x := startXvnc(t, "-SecurityTypes", "VncAuth", "-PasswordFile", vncPasswordFile(t, dir, "s3cret"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Dial(ctx, "tcp", x.addr, Config{Password: "wrong"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: err = %v, want ErrAuthFailed", err)
	}

	// A live change reaches a running client.
	red := color.RGBA{255, 0, 0, 255}
	c := dialXvnc(t, x.addr, Config{Password: "s3cret"})
	waitColour(t, c, red, func() { x.xsetroot(t, "red") })

	// A two-colour plaid, then every lossless encoding must reproduce the
	// Raw picture exactly; 16 and 8 bit depths approximately.
	x.xsetroot(t, "-mod", "5", "7", "-fg", "red", "-bg", "#2040c0")
	time.Sleep(200 * time.Millisecond)
	ref := snapshot(t, x.addr, Config{Password: "s3cret", Encodings: []string{"raw"}})
	if ref.RGBAAt(0, 0) == ref.RGBAAt(1, 1) && ref.RGBAAt(0, 0) == ref.RGBAAt(3, 0) {
		t.Fatalf("plaid not drawn: %v", ref.RGBAAt(0, 0))
	}
	for _, tt := range []struct {
		encs  []string
		depth int
	}{
		{nil, 32}, {[]string{"tight"}, 32}, {[]string{"zrle"}, 32}, {[]string{"hextile"}, 32},
		{[]string{"tight"}, 16}, {[]string{"zrle"}, 16}, {[]string{"hextile"}, 8}, {[]string{"tight"}, 8},
	} {
		t.Run(fmt.Sprintf("%v/%d", tt.encs, tt.depth), func(t *testing.T) {
			got := snapshot(t, x.addr, Config{Password: "s3cret", Encodings: tt.encs, ColorDepth: tt.depth})
			if tt.depth == 32 {
				assertSame(t, got, ref)
				return
			}
			for y := 0; y < 240; y++ {
				for x := 0; x < 320; x++ {
					if g, w := got.RGBAAt(x, y), ref.RGBAAt(x, y); !near(g, w) {
						t.Fatalf("(%d,%d) = %v, want about %v", x, y, g, w)
					}
				}
			}
		})
	}
}

func TestTigerVNCVeNCrypt(t *testing.T) {
	dir := t.TempDir()
	_, certPEM, keyPEM, err := rfbtest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	x := startXvnc(t, "-SecurityTypes", "X509Vnc", "-PasswordFile", vncPasswordFile(t, dir, "tlspass"),
		"-X509Cert", certFile, "-X509Key", keyFile)
	c := dialXvnc(t, x.addr, Config{Password: "tlspass"})
	waitColour(t, c, color.RGBA{0, 0, 255, 255}, func() { x.xsetroot(t, "blue") })
}

// TestTigerVNCSetDesktopSize: Xvnc announces ExtendedDesktopSize and
// accepts a resize from the client.
func TestTigerVNCSetDesktopSize(t *testing.T) {
	x := startXvnc(t, "-SecurityTypes", "None")
	c := dialXvnc(t, x.addr, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sink := make(chanSink, 4096)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	defer func() {
		cancel()
		<-done
	}()
	sink.waitFor(t, "end")
	if !c.SupportsResize() {
		t.Fatal("Xvnc did not announce ExtendedDesktopSize")
	}
	if err := c.SetDesktopSize(400, 300); err != nil {
		t.Fatal(err)
	}
	for {
		e := sink.waitFor(t, "resize")
		if e.w == 400 && e.h == 300 {
			return
		}
	}
}
