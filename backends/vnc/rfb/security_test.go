package rfb

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

func dial(t *testing.T, opts rfbtest.Options, cfg Config) (*Client, error) {
	t.Helper()
	srv, err := rfbtest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp", srv.Addr(), cfg)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestSecurity(t *testing.T) {
	ve := []uint8{rfbtest.SecVeNCrypt}
	tests := []struct {
		name    string
		opts    rfbtest.Options
		cfg     Config
		wantErr error
	}{
		{"3.3/none", rfbtest.Options{Version: "3.3"}, Config{}, nil},
		{"3.7/none", rfbtest.Options{Version: "3.7"}, Config{}, nil},
		{"3.8/none", rfbtest.Options{Version: "3.8"}, Config{}, nil},
		{"3.3/vnc", rfbtest.Options{Version: "3.3", Security: []uint8{2}, Password: "secret"}, Config{Password: "secret"}, nil},
		{"3.7/vnc", rfbtest.Options{Version: "3.7", Security: []uint8{2}, Password: "secret"}, Config{Password: "secret"}, nil},
		{"3.8/vnc", rfbtest.Options{Security: []uint8{2}, Password: "secret"}, Config{Password: "secret"}, nil},
		{"3.8/vnc-long-password", rfbtest.Options{Security: []uint8{2}, Password: "longpassword"}, Config{Password: "longpassword"}, nil},
		{"3.3/vnc-wrong", rfbtest.Options{Version: "3.3", Security: []uint8{2}, Password: "secret"}, Config{Password: "nope"}, ErrAuthFailed},
		{"3.7/vnc-wrong", rfbtest.Options{Version: "3.7", Security: []uint8{2}, Password: "secret"}, Config{Password: "nope"}, ErrAuthFailed},
		{"3.8/vnc-wrong", rfbtest.Options{Security: []uint8{2}, Password: "secret"}, Config{Password: "nope"}, ErrAuthFailed},
		{"3.8/prefers-vnc-over-none", rfbtest.Options{Security: []uint8{1, 2}, Password: "pw"}, Config{Password: "pw"}, nil},
		{"3.8/none-rejected", rfbtest.Options{RejectAuth: true}, Config{}, &ServerError{}},
		{"3.8/password-required", rfbtest.Options{Security: []uint8{2}}, Config{}, ErrPasswordRequired},
		{"3.3/password-required", rfbtest.Options{Version: "3.3", Security: []uint8{2}}, Config{}, ErrPasswordRequired},
		{"3.8/unsupported", rfbtest.Options{Security: []uint8{16}}, Config{}, ErrUnsupportedSecurity},
		{"3.8/unsupported-type", rfbtest.Options{Security: []uint8{16, 30}}, Config{Password: "x"}, ErrUnsupportedSecurity},
		{"3.7/unsupported", rfbtest.Options{Version: "3.7", Security: []uint8{16}}, Config{}, ErrUnsupportedSecurity},
		{"vencrypt/no-matching-subtype", rfbtest.Options{Security: ve, Subtypes: []uint32{rfbtest.X509Plain}}, Config{}, ErrUnsupportedSecurity},
		{"vencrypt/plain-wrong", rfbtest.Options{Security: ve, Subtypes: []uint32{rfbtest.X509Plain}, Username: "u", Password: "p"}, Config{Username: "u", Password: "q"}, ErrAuthFailed},
		{"vencrypt/vnc-wrong", rfbtest.Options{Security: ve, Subtypes: []uint32{rfbtest.TLSVnc}, Password: "p"}, Config{Password: "q"}, ErrAuthFailed},
	}
	for _, sub := range []struct {
		name string
		id   uint32
		cfg  Config
	}{
		{"TLSNone", rfbtest.TLSNone, Config{}},
		{"TLSVnc", rfbtest.TLSVnc, Config{Password: "pw"}},
		{"TLSPlain", rfbtest.TLSPlain, Config{Username: "user", Password: "pw"}},
		{"X509None", rfbtest.X509None, Config{}},
		{"X509Vnc", rfbtest.X509Vnc, Config{Password: "pw"}},
		{"X509Plain", rfbtest.X509Plain, Config{Username: "user", Password: "pw"}},
	} {
		tests = append(tests, struct {
			name    string
			opts    rfbtest.Options
			cfg     Config
			wantErr error
		}{"vencrypt/" + sub.name, rfbtest.Options{Security: []uint8{rfbtest.SecVeNCrypt, 2, 1}, Subtypes: []uint32{sub.id}, Username: "user", Password: "pw"}, sub.cfg, nil})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Width, tt.opts.Height = 64, 48
			tt.opts.Name = "desk-é"
			c, err := dial(t, tt.opts, tt.cfg)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if c.Name() != "desk-é" {
					t.Errorf("Name = %q", c.Name())
				}
				if b := c.Framebuffer().Bounds(); b.Dx() != 64 || b.Dy() != 48 {
					t.Errorf("framebuffer %v", b)
				}
			case *ServerError:
				var se *ServerError
				if !errors.As(err, &se) || se.Reason == "" {
					t.Fatalf("err = %v, want a ServerError with a reason", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

// TestAuthFailedReason checks that 3.8 failure reasons reach the caller.
func TestAuthFailedReason(t *testing.T) {
	_, err := dial(t, rfbtest.Options{Security: []uint8{2}, Password: "a"}, Config{Password: "b"})
	var se *ServerError
	if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &se) || se.Reason != "authentication failed" {
		t.Fatalf("err = %v", err)
	}
}

// TestVNCAuthResponse checks the DES response against a vector computed
// with OpenSSL: key = "password" with each byte's bits reversed
// (0e86ceceeef64e26), DES-ECB over the challenge 00 01 .. 0f.
func TestVNCAuthResponse(t *testing.T) {
	var ch [16]byte
	for i := range ch {
		ch[i] = byte(i)
	}
	got := VNCAuthResponse("password", ch)
	if want := "b866924125c8eebb9debc1db61c538e2"; fmt.Sprintf("%x", got) != want {
		t.Fatalf("response %x, want %s", got, want)
	}
	// Only the first 8 password bytes count.
	if VNCAuthResponse("password-and-more", ch) != got {
		t.Error("passwords are not truncated to 8 bytes")
	}
}

func TestDialRefused(t *testing.T) {
	srv, err := rfbtest.NewServer(rfbtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, "tcp", addr, Config{}); err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
}

func TestHandshakeContextCancel(t *testing.T) {
	// A listener that accepts and never speaks: the handshake must end
	// when the context does.
	srv, err := rfbtest.NewServer(rfbtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := Dial(cctx, "tcp", srv.Addr(), Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
