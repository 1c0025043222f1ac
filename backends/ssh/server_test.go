package ssh

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends/sftp/sftptest"
)

// testServer is an in-process SSH server with a tiny shell-like program
// (never the host's shell) and an SFTP subsystem.
type testServer struct {
	addr    string
	hostKey gossh.Signer
	srv     *gliderssh.Server

	mu         sync.Mutex
	out        bytes.Buffer // everything the shell wrote, in order
	in         bytes.Buffer // everything the shell read
	term       string
	env        []string
	windows    []gliderssh.Window
	users      []string
	keepalives int
	cond       *sync.Cond
}

// serverAuth chooses the auth methods a testServer offers.
type serverAuth struct {
	password string            // accepted password ("" = method off)
	keys     []gossh.PublicKey // accepted keys
	kbd      string            // keyboard-interactive answer ("" = off)
}

func startServer(t *testing.T, auth serverAuth) *testServer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{hostKey: signer}
	ts.cond = sync.NewCond(&ts.mu)
	srv := &gliderssh.Server{
		Handler: ts.shell,
		RequestHandlers: map[string]gliderssh.RequestHandler{
			"keepalive@openssh.com": func(gliderssh.Context, *gliderssh.Server, *gossh.Request) (bool, []byte) {
				ts.mu.Lock()
				ts.keepalives++
				ts.cond.Broadcast()
				ts.mu.Unlock()
				return true, nil
			},
		},
		SubsystemHandlers: map[string]gliderssh.SubsystemHandler{
			"sftp": sftptest.Subsystem,
		},
	}
	srv.AddHostKey(signer)
	if auth.password != "" {
		srv.PasswordHandler = func(ctx gliderssh.Context, pw string) bool { return pw == auth.password }
	}
	if len(auth.keys) > 0 {
		srv.PublicKeyHandler = func(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
			for _, k := range auth.keys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return true
				}
			}
			return false
		}
	}
	if auth.kbd != "" {
		srv.KeyboardInteractiveHandler = func(ctx gliderssh.Context, ch gossh.KeyboardInteractiveChallenge) bool {
			ans, err := ch("", "", []string{"Password: "}, []bool{false})
			return err == nil && len(ans) == 1 && ans[0] == auth.kbd
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.srv = srv
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ts
}

// hostLine is the server's key as a known_hosts line.
func (ts *testServer) hostLine() string {
	return "127.0.0.1 " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(ts.hostKey.PublicKey())))
}

func (ts *testServer) port() string {
	_, p, _ := net.SplitHostPort(ts.addr)
	return p
}

// output returns everything the shell wrote so far.
func (ts *testServer) output() []byte {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return bytes.Clone(ts.out.Bytes())
}

func (ts *testServer) input() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.in.String()
}

// waitFor waits until cond holds (under ts.mu) or d passes.
func (ts *testServer) waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() { ts.mu.Lock(); ts.cond.Broadcast(); ts.mu.Unlock() })
	defer timer.Stop()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		ts.cond.Wait()
	}
	return true
}

// write sends p to the client and records it.
func (ts *testServer) write(s gliderssh.Session, p []byte) {
	ts.mu.Lock()
	ts.out.Write(p)
	ts.cond.Broadcast()
	ts.mu.Unlock()
	_, _ = s.Write(p)
}

// shell is the test program: it echoes typed characters, handles
// BackSpace and Enter, and runs a few commands: echo, color, title, cat
// (LF → CR LF, as a PTY), env NAME, exit.
func (ts *testServer) shell(s gliderssh.Session) {
	pty, winch, ok := s.Pty()
	ts.mu.Lock()
	ts.env = s.Environ()
	ts.users = append(ts.users, s.User())
	if ok {
		ts.term = pty.Term
	}
	ts.cond.Broadcast()
	ts.mu.Unlock()
	if ok {
		go func() {
			for w := range winch {
				ts.mu.Lock()
				ts.windows = append(ts.windows, w)
				ts.cond.Broadcast()
				ts.mu.Unlock()
			}
		}()
	}
	if cmd := s.RawCommand(); cmd != "" {
		ts.run(s, cmd)
		return
	}
	ts.write(s, []byte("$ "))
	var line []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(buf)
		ts.mu.Lock()
		ts.in.Write(buf[:n])
		ts.cond.Broadcast()
		ts.mu.Unlock()
		for _, c := range buf[:n] {
			switch {
			case c == '\r':
				ts.write(s, []byte("\r\n"))
				if string(line) == "exit" {
					return
				}
				ts.run(s, string(line))
				line = line[:0]
				ts.write(s, []byte("$ "))
			case c == 127 || c == 8:
				if len(line) > 0 {
					line = line[:len(line)-1]
					ts.write(s, []byte("\b \b"))
				}
			case c >= 0x20:
				line = append(line, c)
				ts.write(s, []byte{c})
			}
		}
		if err != nil {
			return
		}
	}
}

func (ts *testServer) run(s gliderssh.Session, cmd string) {
	name, arg, _ := strings.Cut(cmd, " ")
	switch name {
	case "echo":
		ts.write(s, []byte(arg+"\r\n"))
	case "color":
		ts.write(s, []byte("\x1b[31mred\x1b[0m \x1b[1;32mgreen\x1b[0m \x1b[44mblue\x1b[0m\r\n"))
	case "title":
		ts.write(s, []byte("\x1b]0;"+arg+"\x07"))
	case "env":
		for _, kv := range s.Environ() {
			if k, v, _ := strings.Cut(kv, "="); k == arg {
				ts.write(s, []byte(v+"\r\n"))
			}
		}
	case "cat":
		f, err := os.Open(arg)
		if err != nil {
			ts.write(s, []byte(err.Error()+"\r\n"))
			return
		}
		defer f.Close()
		buf := make([]byte, 32<<10)
		var conv []byte
		for {
			n, err := f.Read(buf)
			conv = bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n"))
			if len(conv) > 0 {
				ts.write(s, conv)
			}
			if err == io.EOF || err != nil {
				return
			}
		}
	case "":
	default:
		ts.write(s, []byte(name+": command not found\r\n"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
