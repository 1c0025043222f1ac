package rfbtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/des"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Xvnc is a real TigerVNC Xvnc (Debian's tigervnc-standalone-server) on
// loopback, for integration tests.
type Xvnc struct {
	Display int
	Addr    string
}

// VNCPasswordFile writes password in the vncpasswd format into dir: the
// password, zero-padded to 8 bytes, DES-encrypted with VNC's fixed
// obfuscation key (bits of each key byte reversed, as for VNC auth).
func VNCPasswordFile(tb testing.TB, dir, password string) string {
	tb.Helper()
	fixed := [8]byte{23, 82, 107, 6, 35, 78, 88, 7}
	for i, b := range fixed {
		fixed[i] = reverseBits(b)
	}
	blk, err := des.NewCipher(fixed[:])
	if err != nil {
		tb.Fatal(err)
	}
	var pw, out [8]byte
	copy(pw[:], password)
	blk.Encrypt(out[:], pw[:])
	path := filepath.Join(dir, "passwd")
	if err := os.WriteFile(path, out[:], 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// StartXvnc runs Xvnc with extra args (security options) on a free display
// and port, 320x240 at depth 24, until the test ends. It fails the test,
// naming the package, when Xvnc is not installed.
//
// Xvnc picks the display itself (-displayfd): several test binaries start
// servers at once, and choosing a free number here would race with them.
func StartXvnc(tb testing.TB, args ...string) *Xvnc {
	tb.Helper()
	bin, err := exec.LookPath("Xvnc")
	if err != nil {
		tb.Fatal("Xvnc not found: install the Debian package tigervnc-standalone-server (and x11-xserver-utils for xsetroot)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dr, dw, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer dr.Close()
	all := append([]string{"-displayfd", "3", "-rfbport", fmt.Sprint(port), "-interface", "127.0.0.1",
		"-geometry", "320x240", "-depth", "24", "-nolisten", "tcp", "-AlwaysShared"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.ExtraFiles = []*os.File{dw}
	// SIGTERM, not the default SIGKILL: Xvnc then removes its lock file
	// and socket, which would otherwise use up the display numbers.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	logs := new(LockedBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	err = cmd.Start()
	dw.Close()
	if err != nil {
		cancel()
		tb.Fatalf("start Xvnc: %v", err)
	}
	tb.Cleanup(func() {
		cancel()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("Xvnc output:\n%s", logs.String())
		}
	})
	dr.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(dr).ReadString('\n')
	display, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		tb.Fatalf("Xvnc did not report its display (%q, %v)\n%s", line, err, logs.String())
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Xvnc did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Xvnc{Display: display, Addr: addr}
}

// LockedBuffer collects a child process's output for failure messages:
// exec copies into it on its own goroutine while a failing test may read
// it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// XSetRoot paints the root window with xsetroot (x11-xserver-utils); a
// single argument is a solid colour.
func (x *Xvnc) XSetRoot(tb testing.TB, args ...string) {
	tb.Helper()
	bin, err := exec.LookPath("xsetroot")
	if err != nil {
		tb.Fatal("xsetroot not found: install the Debian package x11-xserver-utils")
	}
	if len(args) == 1 {
		args = []string{"-solid", args[0]}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", x.Display))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("xsetroot: %v\n%s", err, out)
	}
}
