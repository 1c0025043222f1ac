//go:build integration

package vnc_test

import (
	"context"
	"image"
	"image/color"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/vnc/rfb"
	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// snapSink keeps a copy of the framebuffer as of the last update, taken on
// the client's own goroutine.
type snapSink struct {
	c    *rfb.Client
	mu   sync.Mutex
	last *image.RGBA
	at   time.Time
}

func (s *snapSink) Resize(w, h int)                       {}
func (s *snapSink) Damage(image.Rectangle)                {}
func (s *snapSink) CopyRect(image.Rectangle, image.Point) {}
func (s *snapSink) Cursor(image.Point, *image.RGBA)       {}
func (s *snapSink) Bell()                                 {}
func (s *snapSink) ServerCutText(string)                  {}
func (s *snapSink) EndOfUpdate() {
	cp := s.c.Framebuffer().RGBA()
	s.mu.Lock()
	s.last, s.at = cp, time.Now()
	s.mu.Unlock()
}

// reference reads the Xvnc screen directly with Raw encoding once it has
// been quiet for 500 ms.
func reference(t *testing.T, addr, password string) *image.RGBA {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := rfb.Dial(ctx, "tcp", addr, rfb.Config{Password: password, Encodings: []string{"raw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := &snapSink{c: c}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, s) }()
	defer func() { cancel(); <-done }()
	for {
		time.Sleep(100 * time.Millisecond)
		s.mu.Lock()
		last, at := s.last, s.at
		s.mu.Unlock()
		if last != nil && time.Since(at) > 500*time.Millisecond {
			return last
		}
		if ctx.Err() != nil {
			t.Fatal("no quiet reference picture")
		}
	}
}

// Through goguacd, in lossless mode, the display rebuilt from goguacd's
// instructions equals Xvnc's framebuffer pixel for pixel; the owner's
// browser size resizes the desktop.
func TestTigerVNCThroughGoguacd(t *testing.T) {
	dir := t.TempDir()
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "VncAuth", "-PasswordFile", rfbtest.VNCPasswordFile(t, dir, "s3cret"))
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(x.Addr)
	// disable-server-input must not send UltraVNC's SetServerInput to
	// TigerVNC, which does not announce it and would drop the connection.
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "password": "s3cret", "force-lossless": "true",
		"disable-server-input": "true"})
	if !v.pump(30*time.Second, func() bool {
		img := v.canvas.Image()
		return img != nil && img.Rect.Dx() == 1024 && img.Rect.Dy() == 768
	}) {
		t.Fatalf("desktop not resized to the browser's 1024x768: %v (errors %v)", v.canvas.Image().Rect, v.errs)
	}
	x.XSetRoot(t, "-mod", "5", "7", "-fg", "red", "-bg", "#2040c0")
	time.Sleep(300 * time.Millisecond)
	want := reference(t, x.Addr, "s3cret")
	if !v.pump(30*time.Second, func() bool { return displaytest.DiffPixels(v.canvas.Image(), want) == 0 }) {
		t.Fatalf("goguacd's picture differs from Xvnc's in %d pixels", displaytest.DiffPixels(v.canvas.Image(), want))
	}

	// The wrong password is CLIENT_UNAUTHORIZED.
	bad := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "password": "nope"})
	bad.pump(20*time.Second, func() bool { return len(bad.errs) > 0 })
	if len(bad.errs) == 0 || bad.errs[0][len(bad.errs[0])-3:] != "769" {
		t.Fatalf("wrong password: %v", bad.errs)
	}
}

// VeNCrypt (X509Vnc, TigerVNC's default offer) through goguacd.
func TestTigerVNCVeNCryptThroughGoguacd(t *testing.T) {
	dir := t.TempDir()
	_, certPEM, keyPEM, err := rfbtest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "X509Vnc", "-PasswordFile", rfbtest.VNCPasswordFile(t, dir, "tlspass"),
		"-X509Cert", certFile, "-X509Key", keyFile)
	rootThroughGoguacd(t, x, "tlspass", "blue", color.RGBA{0, 0, 255, 255})
}

// VeNCrypt TLSVnc: anonymous Diffie-Hellman TLS (no certificate on the
// server), then VNC authentication, through goguacd.
func TestTigerVNCAnonymousTLSThroughGoguacd(t *testing.T) {
	x := rfbtest.StartXvnc(t, "-SecurityTypes", "TLSVnc", "-PasswordFile", rfbtest.VNCPasswordFile(t, t.TempDir(), "anonpass"))
	rootThroughGoguacd(t, x, "anonpass", "green", color.RGBA{0, 255, 0, 255})
}

// rootThroughGoguacd opens x through a goguacd with password, paints its
// root window with the named colour and waits for a client to show want.
func rootThroughGoguacd(t *testing.T, x *rfbtest.Xvnc, password, colour string, want color.RGBA) {
	t.Helper()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(x.Addr)
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "password": password, "disable-display-resize": "true"})
	v.pump(20*time.Second, func() bool { return v.canvas.Image() != nil && v.canvas.Image().Rect.Dx() == 320 })
	x.XSetRoot(t, colour)
	if !v.pump(30*time.Second, func() bool { return v.canvas.Image().RGBAAt(10, 10) == want }) {
		t.Fatalf("pixel (10,10) = %v, want %s %v (errors %v)", v.canvas.Image().RGBAAt(10, 10), colour, want, v.errs)
	}
}
