package ssh

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
)

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
				s.client.Addr == ":22" && s.client.Timeout == 10*time.Second
		}},
		{"values", backends.Params{"hostname": "h", "port": "2222", "font-size": "14.5", "backspace": "8", "terminal-type": "xterm-256color",
			"timezone": "UTC", "scrollback": "50", "color-scheme": "green-black", "sftp-root-directory": "/srv", "server-alive-interval": "5"},
			func(s settings) bool {
				return s.client.Addr == "h:2222" && s.fontSize == 14.5 && s.backspace == 8 && s.termType == "xterm-256color" &&
					s.timezone == "UTC" && s.scrollback == 50 && s.scheme.FG == s.scheme.Palette[2] && s.sftp.root == "/srv" &&
					s.client.AliveSeconds == 5
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
