// Package sftptest holds what the SSH and VNC backends' SFTP tests share.
package sftptest

import (
	"os"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	"github.com/pkg/sftp"
)

// Subsystem is a gliderlabs/ssh "sftp" subsystem handler serving the
// process's filesystem, for in-process SSH servers in tests.
func Subsystem(s gliderssh.Session) {
	server, err := sftp.NewServer(s)
	if err != nil {
		return
	}
	_ = server.Serve()
	server.Close()
}

// WaitFile waits up to two seconds for file name to hold want, failing t
// otherwise: uploads land asynchronously.
func WaitFile(t testing.TB, name, want string) {
	t.Helper()
	for range 100 {
		if b, err := os.ReadFile(name); err == nil && string(b) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(name)
	t.Fatalf("%s = %q, %v; want %q", name, b, err, want)
}
