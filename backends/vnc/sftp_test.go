package vnc_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends/sftp/sftptest"
	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// startSFTPServer runs an in-process SSH server that accepts password
// and offers only the SFTP subsystem (on the host's filesystem, which the
// tests confine with sftp-root-directory). It returns its port and a
// known_hosts line for its key.
func startSFTPServer(t *testing.T, password string) (port, hostLine string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	srv := &gliderssh.Server{
		Handler:         func(s gliderssh.Session) { s.Exit(1) },
		PasswordHandler: func(_ gliderssh.Context, pw string) bool { return pw == password },
		SubsystemHandlers: map[string]gliderssh.SubsystemHandler{
			"sftp": sftptest.Subsystem,
		},
	}
	srv.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, "127.0.0.1 " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
}

// transfers follows the file transfer instructions a viewer receives,
// answering as guacamole-common-js does (ack every body and blob).
type transfers struct {
	v       *viewer
	fsObj   string
	names   map[string]string // stream → name, from body
	kinds   map[string]string // stream → mimetype, from body
	data    map[string][]byte // stream → received bytes
	done    map[string]bool   // stream → ended
	acks    map[string]string // our stream → "message status"
	errs    []string
	picture bool // the first frame arrived
}

func newTransfers(v *viewer) *transfers {
	return &transfers{v: v, names: map[string]string{}, kinds: map[string]string{}, data: map[string][]byte{},
		done: map[string]bool{}, acks: map[string]string{}}
}

// pump reads instructions until cond holds or d passes.
func (x *transfers) pump(d time.Duration, cond func() bool) bool {
	x.v.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		x.v.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		in, err := x.v.r.ReadInstruction()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			x.v.t.Fatalf("read: %v (errors %v)", err, x.errs)
		}
		arg := func(i int) string { return string(in.Args[i]) }
		switch {
		case in.Is("sync"):
			x.picture = true
			x.v.nc.Write(protocol.AppendInstruction(nil, "sync", arg(0)))
		case in.Is("error"):
			x.errs = append(x.errs, arg(0)+" "+arg(1))
		case in.Is("filesystem"):
			x.fsObj = arg(0)
		case in.Is("body"):
			x.names[arg(1)], x.kinds[arg(1)] = arg(3), arg(2)
			x.v.nc.Write(protocol.AppendInstruction(nil, "ack", arg(1), "OK", "0"))
		case in.Is("blob"):
			if _, ok := x.names[arg(0)]; ok {
				b, err := base64Decode(arg(1))
				if err != nil {
					x.v.t.Fatal(err)
				}
				x.data[arg(0)] = append(x.data[arg(0)], b...)
				x.v.nc.Write(protocol.AppendInstruction(nil, "ack", arg(0), "OK", "0"))
			}
		case in.Is("end"):
			if _, ok := x.names[arg(0)]; ok {
				x.done[arg(0)] = true
			}
		case in.Is("ack"):
			x.acks[arg(0)] = arg(1) + " " + arg(2)
		}
	}
	return true
}

// get asks for name and returns its mimetype and content once complete,
// or ok false if nothing complete arrived within wait.
func (x *transfers) get(name string, wait time.Duration) (mimetype string, data []byte, ok bool) {
	x.v.t.Helper()
	x.v.nc.Write(protocol.AppendInstruction(nil, "get", x.fsObj, name))
	var stream string
	x.pump(wait, func() bool {
		for st, n := range x.names {
			if n == name && x.done[st] {
				stream = st
				return true
			}
		}
		return false
	})
	if stream == "" {
		return "", nil, false
	}
	delete(x.names, stream) // the index may be reused
	return x.kinds[stream], x.data[stream], true
}

// upload sends data on stream after open and returns the first ack.
func (x *transfers) upload(open []byte, stream int, data string) string {
	x.v.t.Helper()
	msg := append(open, protocol.AppendBlob(nil, stream, []byte(data))...)
	msg = protocol.AppendEnd(msg, stream)
	x.v.nc.Write(msg)
	key := itoa(stream)
	x.pump(10*time.Second, func() bool { return x.acks[key] != "" })
	return x.acks[key]
}

// A VNC session with enable-sftp gives the owner a filesystem on the
// SSH server: listing, download, uploads (dropped files to sftp-directory),
// all confined to sftp-root-directory.
func TestSFTPAlongsideVNC(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("alpha"), 0o644))
	must(t, os.Mkdir(filepath.Join(root, "drop"), 0o755))
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 KB: many blobs
	must(t, os.WriteFile(filepath.Join(root, "big.bin"), big, 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(root, "out")))

	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	sshPort, hostLine := startSFTPServer(t, "pw")
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port,
		"enable-sftp": "true", "sftp-port": sshPort, "sftp-username": "u", "sftp-password": "pw",
		"sftp-host-key": hostLine, "sftp-root-directory": root, "sftp-directory": "/drop"})
	x := newTransfers(v)
	if !x.pump(30*time.Second, func() bool { return x.fsObj != "" && x.picture }) {
		t.Fatalf("no filesystem or no picture (errors %v)", x.errs)
	}

	mt, listing, ok := x.get("/", 10*time.Second)
	if !ok || mt != "application/vnd.glyptodon.guacamole.stream-index+json" {
		t.Fatalf("listing of /: %q %q", mt, listing)
	}
	var index map[string]string
	must(t, json.Unmarshal(listing, &index))
	for _, name := range []string{"/a.txt", "/big.bin", "/drop", "/out"} {
		if _, ok := index[name]; !ok {
			t.Fatalf("listing %v lacks %s", index, name)
		}
	}
	if _, data, ok := x.get("/big.bin", 20*time.Second); !ok || !bytes.Equal(data, big) {
		t.Fatalf("download of big.bin: %d bytes, want %d", len(data), len(big))
	}
	for _, name := range []string{"/out/secret.txt", "/../" + filepath.Base(outside) + "/secret.txt", "..\\..\\etc\\passwd"} {
		if _, data, ok := x.get(name, 300*time.Millisecond); ok {
			t.Fatalf("get %q escaped the root: %q", name, data)
		}
	}

	if a := x.upload(protocol.AppendFile(nil, 10, "text/plain", "../../dropped.txt"), 10, "via file"); a != "OK 0" {
		t.Fatalf("file ack %q", a)
	}
	if a := x.upload(protocol.AppendInstruction(nil, "put", x.fsObj, "12", "text/plain", "/put.txt"), 12, "via put"); a != "OK 0" {
		t.Fatalf("put ack %q", a)
	}
	if a := x.upload(protocol.AppendInstruction(nil, "put", x.fsObj, "14", "text/plain", "/out/evil.txt"), 14, "x"); a != "Permission denied. 771" {
		t.Fatalf("escaping put ack %q", a)
	}
	sftptest.WaitFile(t, filepath.Join(root, "drop", "dropped.txt"), "via file")
	sftptest.WaitFile(t, filepath.Join(root, "put.txt"), "via put")
	if _, err := os.Stat(filepath.Join(outside, "evil.txt")); err == nil {
		t.Fatal("upload escaped the root")
	}
	// The VNC side still works.
	v.nc.Write(protocol.AppendInstruction(nil, "key", "65", "1"))
	if evs, err := rs.WaitEvents(t.Context(), 1); err != nil || evs[0].Kind != rfbtest.KeyEvent {
		t.Fatalf("VNC input after transfers: %+v %v", evs, err)
	}
}

// sftp-disable-download still lists directories but sends no file;
// sftp-disable-upload refuses uploads.
func TestSFTPDisableTransfers(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("alpha"), 0o644))
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	sshPort, hostLine := startSFTPServer(t, "pw")
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port,
		"enable-sftp": "true", "sftp-port": sshPort, "sftp-username": "u", "sftp-password": "pw", "sftp-host-key": hostLine,
		"sftp-root-directory": root, "sftp-disable-download": "true", "sftp-disable-upload": "true"})
	x := newTransfers(v)
	if !x.pump(30*time.Second, func() bool { return x.fsObj != "" && x.picture }) {
		t.Fatalf("no filesystem (errors %v)", x.errs)
	}
	if _, listing, ok := x.get("/", 10*time.Second); !ok || !strings.Contains(string(listing), "/a.txt") {
		t.Fatalf("listing %q", listing)
	}
	if _, data, ok := x.get("/a.txt", 300*time.Millisecond); ok {
		t.Fatalf("downloaded %q with downloads disabled", data)
	}
	if a := x.upload(protocol.AppendFile(nil, 10, "text/plain", "f.txt"), 10, "data"); a != "File transfer unsupported. 256" {
		t.Fatalf("file ack %q", a)
	}
	if _, err := os.Stat(filepath.Join(root, "f.txt")); err == nil {
		t.Fatal("uploaded with uploads disabled")
	}
}

// As guacd, an SFTP connection that fails ends the VNC connection with
// the failure's status; without enable-sftp, uploads are refused.
func TestSFTPFailures(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	sshPort, hostLine := startSFTPServer(t, "pw")
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _ := gossh.NewPublicKey(other.Public())
	otherKey := "127.0.0.1 " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(otherPub)))
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	base := map[string]string{"hostname": host, "port": port, "enable-sftp": "true", "sftp-port": sshPort,
		"sftp-username": "u", "sftp-password": "pw", "sftp-host-key": hostLine}
	with := func(kv ...string) map[string]string {
		p := map[string]string{}
		for k, v := range base {
			p[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		status string
	}{
		{"wrong password", with("sftp-password", "nope"), "769"},
		{"unreachable", with("sftp-port", itoa(deadPort)), "519"},
		{"no username", with("sftp-username", ""), "512"},
		{"host key mismatch", with("sftp-host-key", otherKey), "512"},
		{"root missing", with("sftp-root-directory", "/no/such/dir"), "515"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := connectVNC(t, addr, tc.params)
			x := newTransfers(v)
			x.pump(30*time.Second, func() bool { return len(x.errs) > 0 })
			if len(x.errs) == 0 || !strings.HasSuffix(x.errs[0], " "+tc.status) {
				t.Fatalf("errors %v, want status %s", x.errs, tc.status)
			}
		})
	}
	t.Run("disabled", func(t *testing.T) {
		v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port})
		x := newTransfers(v)
		if !x.pump(30*time.Second, func() bool { return x.picture }) {
			t.Fatalf("no picture (errors %v)", x.errs)
		}
		if a := x.upload(protocol.AppendFile(nil, 10, "text/plain", "f.txt"), 10, "data"); a != "File transfer unsupported. 256" {
			t.Fatalf("file ack %q", a)
		}
		if x.fsObj != "" {
			t.Fatal("filesystem exposed without enable-sftp")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
