package ssh

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

	"github.com/goguacd/goguacd/backends"
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
	cfg := clientConfigFrom(backends.Params{"hostname": "127.0.0.1", "port": ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):],
		"username": "u", "password": "p", "timeout": "1"})
	_, err = dial(context.Background(), cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg := clientConfigFrom(backends.Params{"hostname": "127.0.0.1", "port": port, "username": "u", "password": "p", "timeout": "30"})
	// With a 30 s timeout, only the cancellation can end the dial with
	// context.Canceled: no wall-clock bound is needed to tell them apart.
	_, err = dial(ctx, cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestSettings(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	info := backends.ClientInfo{Timezone: "Asia/Tokyo"}
	for _, tc := range []struct {
		name  string
		p     backends.Params
		check func(s settings) bool
	}{
		{"defaults", backends.Params{}, func(s settings) bool {
			return s.fontName == "monospace" && s.fontSize == 12 && s.termType == "linux" && s.backspace == 127 &&
				s.scrollback == 1000 && s.timezone == "Asia/Tokyo" && s.sftp.root == "/" && s.typescript.name == "typescript" &&
				s.client.addr == ":22" && s.client.timeout == 10*time.Second
		}},
		{"values", backends.Params{"hostname": "h", "port": "2222", "font-size": "14.5", "backspace": "8", "terminal-type": "xterm-256color",
			"timezone": "UTC", "scrollback": "50", "color-scheme": "green-black", "sftp-root-directory": "/srv", "server-alive-interval": "5"},
			func(s settings) bool {
				return s.client.addr == "h:2222" && s.fontSize == 14.5 && s.backspace == 8 && s.termType == "xterm-256color" &&
					s.timezone == "UTC" && s.scrollback == 50 && s.scheme.FG == s.scheme.Palette[2] && s.sftp.root == "/srv" &&
					s.client.aliveSeconds == 5
			}},
		{"bad values fall back", backends.Params{"font-size": "huge", "backspace": "300", "color-scheme": "foreground:nocolour", "scrollback": "-3"},
			func(s settings) bool {
				return s.fontSize == 12 && s.backspace == 127 && s.scheme.FG == s.scheme.Palette[7] && s.scrollback == 1000
			}},
	} {
		if s := settingsFrom(tc.p, info, log); !tc.check(s) {
			t.Errorf("%s: %+v", tc.name, s)
		}
	}
}

func TestStdinWriter(t *testing.T) {
	w := newStdinWriter()
	w.write([]byte("typed ahead "), false) // before the channel exists
	r, pw := io.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); w.run(pw) }()
	w.write([]byte("then more"), true)
	buf := make([]byte, 64)
	var got []byte
	for len(got) < len("typed ahead then more") {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "typed ahead then more" {
		t.Fatalf("got %q", got)
	}
	w.close()
	r.Close()
	<-done
	w.write([]byte("after close"), true) // must not block
}
