// Package demo is the embedded default's demo terminal: an in-process SSH
// server on loopback that runs a small built-in program, never the host's
// shell, so a new user can try the SSH backend with nothing installed.
package demo

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Server is a running demo terminal.
type Server struct {
	ln       net.Listener
	srv      *ssh.Server
	user     string
	password string
	hostKey  string // authorized_keys format, for the catalog's host-key
	done     chan struct{}
	wg       sync.WaitGroup
}

// Start listens on 127.0.0.1 with a fresh host key and a random password.
func Start(logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("demo terminal: host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("demo terminal: host key: %w", err)
	}
	var pw [12]byte
	_, _ = rand.Read(pw[:])
	s := &Server{user: "demo", password: hex.EncodeToString(pw[:]), done: make(chan struct{})}
	s.hostKey = strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo terminal: %w", err)
	}
	s.srv = &ssh.Server{
		Handler: func(sess ssh.Session) { s.run(sess) },
		PasswordHandler: func(ctx ssh.Context, password string) bool {
			return ctx.User() == s.user && password == s.password
		},
	}
	s.srv.AddHostKey(signer)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			logger.Warn("demo terminal stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Params are the SSH connection parameters that open the demo terminal.
func (s *Server) Params() map[string]string {
	host, port, _ := net.SplitHostPort(s.Addr())
	return map[string]string{"hostname": host, "port": port, "username": s.user,
		"password": s.password, "host-key": s.hostKey}
}

// Close stops the server and ends every session.
func (s *Server) Close() error {
	close(s.done)
	err := s.srv.Close()
	s.wg.Wait()
	return err
}

const banner = "\x1b[1;36mgoguacd demo terminal\x1b[0m — a built-in program, not a shell.\r\n" +
	"Type \x1b[1mhelp\x1b[0m for commands.\r\n"

// run is the built-in program: a line editor with a few commands.
func (s *Server) run(sess ssh.Session) {
	_, winCh, isPty := sess.Pty()
	if !isPty {
		fmt.Fprintln(sess, "the demo terminal needs a terminal (pty)")
		_ = sess.Exit(1)
		return
	}
	go func() {
		for range winCh { // window changes: the program redraws nothing
		}
	}()
	io.WriteString(sess, banner)
	var line []rune
	prompt := func() { io.WriteString(sess, "\x1b[32mdemo\x1b[0m$ ") }
	prompt()
	buf := make([]byte, 256)
	for {
		n, err := sess.Read(buf)
		if err != nil {
			return
		}
		for _, r := range string(buf[:n]) {
			switch r {
			case '\r', '\n':
				io.WriteString(sess, "\r\n")
				if quit := s.command(sess, strings.TrimSpace(string(line))); quit {
					_ = sess.Exit(0)
					return
				}
				line = line[:0]
				prompt()
			case 0x7f, 0x08:
				if len(line) > 0 {
					line = line[:len(line)-1]
					io.WriteString(sess, "\b \b")
				}
			case 0x03:
				line = line[:0]
				io.WriteString(sess, "^C\r\n")
				prompt()
			case 0x04:
				io.WriteString(sess, "bye\r\n")
				_ = sess.Exit(0)
				return
			default:
				if r >= 0x20 {
					line = append(line, r)
					io.WriteString(sess, string(r))
				}
			}
		}
	}
}

// command runs one line and reports whether the session should end.
func (s *Server) command(w io.Writer, cmd string) bool {
	name, arg, _ := strings.Cut(cmd, " ")
	switch name {
	case "":
	case "help":
		io.WriteString(w, "  help      this list\r\n  date      the time\r\n  echo TEXT print TEXT\r\n"+
			"  colors    the 16 terminal colours\r\n  count N   print N numbered lines\r\n  exit      end the session\r\n")
	case "date":
		io.WriteString(w, time.Now().Format(time.RFC1123)+"\r\n")
	case "echo":
		io.WriteString(w, arg+"\r\n")
	case "colors":
		for i := 0; i < 16; i++ {
			fmt.Fprintf(w, "\x1b[48;5;%dm  %2d  \x1b[0m", i, i)
			if i == 7 {
				io.WriteString(w, "\r\n")
			}
		}
		io.WriteString(w, "\r\n")
	case "count":
		var n int
		fmt.Sscanf(arg, "%d", &n)
		n = min(max(n, 0), 100000)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "%6d the quick brown fox jumps over the lazy dog\r\n", i)
		}
	case "exit", "logout":
		io.WriteString(w, "bye\r\n")
		return true
	default:
		fmt.Fprintf(w, "%s: unknown command (try help)\r\n", name)
	}
	return false
}
