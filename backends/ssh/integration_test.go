//go:build integration

package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends/display/displaytest"
)

// Debian OpenSSH server and programs the screen checks run.
const (
	sshdPath   = "/usr/sbin/sshd"
	itUser     = "goguacdit"
	itPassword = "It-Pa55word"
)

// sshd is a throwaway OpenSSH server on a loopback port.
type sshd struct {
	port    string
	hostKey string // known_hosts line
	key     string // private key accepted for itUser
}

func need(t *testing.T, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (apt-get install -y %s)", prog, pkg, pkg)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		t.Fatalf("%s missing: install the Debian package openssh-server", sshdPath)
	}
	keygen := need(t, "ssh-keygen", "openssh-client")
	if os.Geteuid() != 0 {
		t.Fatal("the sshd integration test runs sshd and creates a local user: run it as root")
	}
	if _, err := user.Lookup(itUser); err != nil {
		run(t, need(t, "useradd", "passwd"), "-m", "-s", "/bin/bash", itUser)
	}
	cmd := exec.Command(need(t, "chpasswd", "passwd"))
	cmd.Stdin = strings.NewReader(itUser + ":" + itPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v %s", err, out)
	}
	// Not t.TempDir: its parent is private and sshd reads
	// authorized_keys as the test user.
	dir, err := os.MkdirTemp("", "goguacd-sshd")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	run(t, keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "host"))
	pubHost, err := os.ReadFile(filepath.Join(dir, "host.pub"))
	must(t, err)

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := gossh.MarshalPrivateKey(priv, "")
	must(t, err)
	pub, err := gossh.NewPublicKey(priv.Public())
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "authorized_keys"), gossh.MarshalAuthorizedKey(pub), 0o644))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	conf := strings.Join([]string{
		"Port " + port, "ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"UsePAM no", "PasswordAuthentication yes", "KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes", "StrictModes no", "PermitRootLogin no",
		"Subsystem sftp internal-sftp", "",
	}, "\n")
	must(t, os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o644))
	must(t, os.MkdirAll("/run/sshd", 0o755)) // privilege separation directory
	srv := exec.Command(sshdPath, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	srv.Stderr = testLog()
	must(t, srv.Start())
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("sshd did not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &sshd{
		port:    port,
		hostKey: "127.0.0.1 " + strings.TrimSpace(string(pubHost)),
		key:     string(pem.EncodeToMemory(block)),
	}
}

// screen pumps until the viewer shows exactly a fresh render of the
// typescript so far and cond holds for that grid's text.
func screen(t *testing.T, v *viewer, tsFile string, cond func(text string) bool) string {
	t.Helper()
	cols, rows := gridFor(t, viewW, viewH)
	var text string
	ok := v.pump(20*time.Second, func() bool {
		if !v.synced {
			return false // mid-frame: the screen is not meant to match yet
		}
		data, err := os.ReadFile(tsFile)
		if err != nil {
			return false
		}
		data = []byte(strings.TrimPrefix(string(data), typescriptHeader))
		tm, img := reference(t, cols, rows, data)
		text = tm.String()
		if os.Getenv("GOGUACD_TEST_LOG") != "" && v.canvas.Image() != nil && v.canvas.Image().Rect == img.Rect {
			t.Logf("cond %v, %d pixels differ: %q", cond(text), displaytest.DiffPixels(v.canvas.Image(), img), strings.TrimSpace(text))
		}
		return cond(text) && sameRGB(v.canvas.Image(), img)
	})
	if !ok {
		t.Fatalf("screen never matched (errors %v):\n%s", v.errs, text)
	}
	if strings.Contains(text, "\x1b") || strings.Contains(text, "[?") {
		t.Fatalf("escape sequence text visible:\n%s", text)
	}
	return text
}

func TestSSHDIntegration(t *testing.T) {
	vim := need(t, "vim.tiny", "vim-tiny")
	need(t, "htop", "htop")
	d := startSSHD(t)
	addr := startGoguacd(t)
	base := func(dir string) map[string]string {
		return map[string]string{"hostname": "127.0.0.1", "port": d.port, "username": itUser,
			"host-key": d.hostKey, "typescript-path": dir, "typescript-name": "ts"}
	}

	t.Run("password, echo, vim, htop", func(t *testing.T) {
		dir := t.TempDir()
		p := base(dir)
		p["password"] = itPassword
		v := connect(t, addr, p)
		ts := filepath.Join(dir, "ts")
		screen(t, v, ts, func(s string) bool { return strings.Contains(s, "$") })
		v.typeText("echo hel''lo\r")
		screen(t, v, ts, func(s string) bool { return strings.Contains(s, "\nhello\n") })

		v.typeText(vim + " -u NONE\r")
		text := screen(t, v, ts, func(s string) bool { return strings.Count(s, "\n~") > 5 })
		rows := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if !strings.HasPrefix(rows[len(rows)-3], "~") {
			t.Fatalf("vim's ~ column does not reach the bottom:\n%s", text)
		}
		v.typeText("\x1b:q!\r")
		// TERM=linux has no alternate screen: vim's text stays, the prompt
		// comes back below it.
		screen(t, v, ts, atPrompt)

		v.typeText("htop -d 100\r") // a still screen: refreshes every 10 s
		screen(t, v, ts, func(s string) bool {
			return strings.Contains(s, "Load average") && strings.Contains(s, "Tasks")
		})
		v.typeText("q")
		screen(t, v, ts, atPrompt)
	})

	t.Run("key, backspace sets VERASE", func(t *testing.T) {
		p := base(t.TempDir())
		p["private-key"] = d.key
		p["backspace"] = "8"
		v := connect(t, addr, p)
		ts := filepath.Join(p["typescript-path"], "ts")
		screen(t, v, ts, func(s string) bool { return strings.Contains(s, "$") })
		v.typeText("stty -a | grep -o 'erase = ^.'\r")
		screen(t, v, ts, func(s string) bool { return strings.Contains(s, "\nerase = ^H\n") })
	})

	t.Run("wrong password", func(t *testing.T) {
		p := base(t.TempDir())
		p["password"] = "wrong"
		v := connect(t, addr, p)
		v.pump(20*time.Second, func() bool { return len(v.errs) > 0 })
		if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " 769") {
			t.Fatalf("errors %v, want 769", v.errs)
		}
	})

	t.Run("host key mismatch", func(t *testing.T) {
		p := base(t.TempDir())
		p["password"] = itPassword
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		otherPub, _ := gossh.NewPublicKey(other.Public())
		p["host-key"] = strings.TrimSpace(string(gossh.MarshalAuthorizedKey(otherPub)))
		v := connect(t, addr, p)
		v.pump(20*time.Second, func() bool { return len(v.errs) > 0 })
		if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " 512") {
			t.Fatalf("errors %v, want 512", v.errs)
		}
	})
}

// atPrompt reports whether the last non-blank row is a shell prompt.
func atPrompt(text string) bool {
	return strings.HasSuffix(strings.TrimRight(text, " \n"), "$")
}
