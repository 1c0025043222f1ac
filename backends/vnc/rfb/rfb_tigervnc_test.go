//go:build integration

package rfb

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

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
	return c.Framebuffer().RGBA()
}

func TestTigerVNCVncAuth(t *testing.T) {
	dir := t.TempDir()
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "VncAuth", "-PasswordFile", rfbtest.VNCPasswordFile(t, dir, "s3cret"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Dial(ctx, "tcp", x.Addr, Config{Password: "wrong"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: err = %v, want ErrAuthFailed", err)
	}

	// A live change reaches a running client.
	red := color.RGBA{255, 0, 0, 255}
	c := dialXvnc(t, x.Addr, Config{Password: "s3cret"})
	waitColour(t, c, red, func() { x.XSetRoot(t, "red") })

	// A two-colour plaid, then every lossless encoding must reproduce the
	// Raw picture exactly; 16 and 8 bit depths approximately.
	x.XSetRoot(t, "-mod", "5", "7", "-fg", "red", "-bg", "#2040c0")
	time.Sleep(200 * time.Millisecond)
	ref := snapshot(t, x.Addr, Config{Password: "s3cret", Encodings: []string{"raw"}})
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
			got := snapshot(t, x.Addr, Config{Password: "s3cret", Encodings: tt.encs, ColorDepth: tt.depth})
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
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "X509Vnc", "-PasswordFile", rfbtest.VNCPasswordFile(t, dir, "tlspass"),
		"-X509Cert", certFile, "-X509Key", keyFile)
	c := dialXvnc(t, x.Addr, Config{Password: "tlspass"})
	waitColour(t, c, color.RGBA{0, 0, 255, 255}, func() { x.XSetRoot(t, "blue") })
}

// TestTigerVNCAnonymousTLS: the TLS* sub-types, which TigerVNC serves
// with GnuTLS anonymous Diffie-Hellman (no certificate), with each inner
// authentication; and a wrong password through it.
func TestTigerVNCAnonymousTLS(t *testing.T) {
	for _, tt := range []struct {
		sub string
		cfg Config
	}{
		{"TLSNone", Config{}},
		{"TLSVnc", Config{Password: "anonpass"}},
		{"TLSPlain", Config{Username: "someone", Password: "x"}},
	} {
		t.Run(tt.sub, func(t *testing.T) {
			args := []string{"-SecurityTypes", tt.sub}
			switch tt.sub {
			case "TLSVnc":
				args = append(args, "-PasswordFile", rfbtest.VNCPasswordFile(t, t.TempDir(), "anonpass"))
			case "TLSPlain":
				// Xvnc checks Plain credentials with PAM against its
				// PlainUsers list; nobody is listed, so it must refuse
				// after a working TLS session.
				args = append(args, "-PlainUsers", "nobody-here")
			}
			x := rfbtest.StartXvnc(t, args...)
			if tt.sub == "TLSPlain" {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				c, err := Dial(ctx, "tcp", x.Addr, tt.cfg)
				if err == nil {
					c.Close()
					t.Fatal("Plain login of an unlisted user accepted")
				}
				if !errors.Is(err, ErrAuthFailed) {
					t.Fatalf("Plain login refused with %v, want ErrAuthFailed (the TLS session must work)", err)
				}
				return
			}
			c := dialXvnc(t, x.Addr, tt.cfg)
			waitColour(t, c, color.RGBA{0, 0, 255, 255}, func() { x.XSetRoot(t, "blue") })
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		x := rfbtest.StartXvnc(t, "-SecurityTypes", "TLSVnc", "-PasswordFile", rfbtest.VNCPasswordFile(t, t.TempDir(), "anonpass"))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := Dial(ctx, "tcp", x.Addr, Config{Password: "wrong"})
		if err == nil {
			c.Close()
			t.Fatal("wrong password accepted")
		}
		if !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("wrong password: %v, want ErrAuthFailed", err)
		}
	})
}

// TestTigerVNCSetDesktopSize: Xvnc announces ExtendedDesktopSize and
// accepts a resize from the client.
func TestTigerVNCSetDesktopSize(t *testing.T) {
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "None")
	c := dialXvnc(t, x.Addr, Config{})
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
