package sftp

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/protocol"
)

func TestHostKeyCallback(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := gossh.NewPublicKey(priv.Public())
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := gossh.NewPublicKey(otherPriv.Public())
	authorized := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key)))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name, line string
		offered    gossh.PublicKey
		parseErr   bool
		mismatch   bool
	}{
		{name: "none accepts anything", line: "", offered: other},
		{name: "bare key", line: authorized, offered: key},
		{name: "known_hosts line", line: "example.com,10.0.0.1 " + authorized, offered: key},
		{name: "hashed host and marker", line: "@cert-authority |1|abc=|def= " + authorized, offered: key},
		{name: "mismatch", line: "example.com " + authorized, offered: other, mismatch: true},
		{name: "garbage", line: "not a key", parseErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cb, err := hostKeyCallback(tc.line, log)
			if tc.parseErr {
				if err == nil {
					t.Fatal("want a parse error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = cb("h:22", &net.TCPAddr{}, tc.offered)
			var m *hostKeyMismatch
			if errors.As(err, &m) != tc.mismatch || (!tc.mismatch && err != nil) {
				t.Fatalf("callback: %v", err)
			}
		})
	}
}

// A server that accepts TCP but never speaks SSH times out with 514.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	cfg := DialConfig{Addr: ln.Addr().String(), Username: "u", Password: "p", Timeout: time.Second}
	_, err = Dial(context.Background(), cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var se *protocol.StatusError
	if !errors.As(err, &se) || se.Status != protocol.StatusUpstreamTimeout {
		t.Fatalf("err %v, want UPSTREAM_TIMEOUT", err)
	}
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(time.Second):
	}
}

// Cancelling the context interrupts a handshake in progress.
func TestDialCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c) // silent until the client hangs up
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	cfg := DialConfig{Addr: ln.Addr().String(), Username: "u", Password: "p", Timeout: 30 * time.Second}
	// With a 30 s timeout, only the cancellation can end the dial with
	// context.Canceled: no wall-clock bound is needed to tell them apart.
	_, err = Dial(ctx, cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}
