//go:build integration

package bench

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The anchor setup: Debian's OpenSSH sshd on loopback, key
// authentication, bash in a real PTY.
const sshdUser = "goguacdbench"

// startOpenSSH runs sshd as root with a throwaway config and user; it
// returns the port and a private key the user accepts.
func startOpenSSH(b *testing.B) (port, key string) {
	b.Helper()
	for prog, pkg := range map[string]string{"/usr/sbin/sshd": "openssh-server", "ssh-keygen": "openssh-client", "useradd": "passwd"} {
		if _, err := exec.LookPath(prog); err != nil {
			b.Fatalf("%s not found: install the Debian package %s", prog, pkg)
		}
	}
	if os.Geteuid() != 0 {
		b.Fatal("the OpenSSH benchmark runs sshd and creates a local user: run it as root")
	}
	if _, err := user.Lookup(sshdUser); err != nil {
		if out, err := exec.Command("useradd", "-m", "-s", "/bin/bash", sshdUser).CombinedOutput(); err != nil {
			b.Fatalf("useradd: %v %s", err, out)
		}
	}
	// A new account is locked until it has a password; sshd refuses
	// locked accounts even for keys.
	pw := exec.Command("chpasswd")
	pw.Stdin = strings.NewReader(sshdUser + ":" + rand.Text() + "\n")
	if out, err := pw.CombinedOutput(); err != nil {
		b.Fatalf("chpasswd: %v %s", err, out)
	}
	dir, err := os.MkdirTemp("", "goguacd-sshd-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "host")).CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen: %v %s", err, out)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := gossh.MarshalPrivateKey(priv, "")
	pub, _ := gossh.NewPublicKey(priv.Public())
	os.WriteFile(filepath.Join(dir, "authorized_keys"), gossh.MarshalAuthorizedKey(pub), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	ln.Close()
	conf := "Port " + port + "\nListenAddress 127.0.0.1\nHostKey " + filepath.Join(dir, "host") +
		"\nPidFile " + filepath.Join(dir, "pid") + "\nAuthorizedKeysFile " + filepath.Join(dir, "authorized_keys") +
		"\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o644)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, string(pem.EncodeToMemory(block))
}

// BenchmarkOpenSSHCat is BenchmarkSSHCat against OpenSSH's sshd and bash
// (started as `bash --norc` with PS1='$ '): Enter → the frame that shows
// the prompt after the 20 MB file. The final screen is checked against a
// fresh terminal fed the session's typescript (every byte sshd sent).
func BenchmarkOpenSSHCat(b *testing.B) {
	file := catFile(b)
	os.Chmod(filepath.Dir(file), 0o755)
	os.Chmod(filepath.Dir(filepath.Dir(file)), 0o755)
	port, key := startOpenSSH(b)
	for i := 0; i < b.N; i++ {
		addr := inProcessGoguacd(b)
		tsDir := b.TempDir()
		c := dialSSHParams(b, addr, map[string]string{"hostname": "127.0.0.1", "port": port, "username": sshdUser,
			"private-key": key, "command": "env PS1='$ ' bash --norc --noprofile",
			"typescript-path": tsDir, "typescript-name": "ts"})
		tsFile := filepath.Join(tsDir, "ts")
		fromTypescript := func() []byte {
			data, _ := os.ReadFile(tsFile)
			return []byte(strings.TrimPrefix(string(data), "[BEGIN TYPESCRIPT]\n"))
		}
		atPrompt := func() bool {
			data := fromTypescript()
			return strings.HasSuffix(string(data), "$ ") &&
				sameScreen(c.canvas.Image(), referenceScreen(b, func(w io.Writer) { w.Write(data) }))
		}
		if !c.pump(b, 10*time.Second, atPrompt, nil) {
			b.Fatal("no prompt")
		}
		cmd := "cat " + file
		c.typeText(cmd)
		c.pump(b, 300*time.Millisecond, func() bool { return false }, nil)
		bytes0, syncs0, cpu0 := c.bytes, c.syncs, processCPU()
		start := time.Now()
		c.typeText("\r")
		var last time.Time
		done := func() bool {
			data := fromTypescript()
			return len(data) > catBytes && strings.HasSuffix(string(data), "$ ")
		}
		// Until the server has been silent for 2 s: the last frame is then known.
		c.pump(b, 2*time.Second, func() bool { return false }, func(at time.Time) { last = at })
		if !done() || !atPrompt() {
			b.Fatal("final screen differs from a fresh terminal fed the typescript")
		}
		b.ReportMetric(last.Sub(start).Seconds(), "enter-to-last-frame-s")
		b.ReportMetric(float64(c.bytes-bytes0)/1000, "KB-to-client")
		b.ReportMetric(float64(c.syncs-syncs0), "frames")
		b.ReportMetric((processCPU() - cpu0).Seconds(), "process-cpu-s")
	}
}
