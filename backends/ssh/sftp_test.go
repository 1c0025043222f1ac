package ssh

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/sftp"
	"github.com/goguacd/goguacd/backends/sftp/sftptest"
	"github.com/goguacd/goguacd/protocol"
)

func TestSFTP(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB: many blobs
	must(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("alpha"), 0o644))
	must(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "sub", "big.bin"), big, 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(root, "out")))
	must(t, os.Symlink("sub", filepath.Join(root, "inlink")))
	must(t, os.Symlink("../"+filepath.Base(outside)+"/secret.txt", filepath.Join(root, "rel")))

	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "u", "password": "secret",
		"enable-sftp": "true", "sftp-root-directory": root})
	if !v.pump(30*time.Second, func() bool { return v.fsObj != "" }) {
		t.Fatalf("no filesystem (errors %v)", v.errs)
	}
	get := func(name string, wait time.Duration) *outStream {
		t.Helper()
		v.send(protocol.AppendInstruction(nil, "get", v.fsObj, name))
		var got *outStream
		v.pump(wait, func() bool {
			for _, st := range v.streams {
				if st.done && st.name == name {
					got = st
					return true
				}
			}
			return false
		})
		return got
	}

	listing := get("/", 5*time.Second)
	if listing == nil || listing.kind != sftp.StreamIndex {
		t.Fatalf("listing of / = %+v", listing)
	}
	var index map[string]string
	must(t, json.Unmarshal(listing.data, &index))
	want := map[string]string{"/a.txt": "application/octet-stream", "/sub": sftp.StreamIndex, "/inlink": sftp.StreamIndex, "/out": sftp.StreamIndex, "/rel": "application/octet-stream"}
	for k, mt := range want {
		if index[k] != mt {
			t.Fatalf("index %v, want %s → %s", index, k, mt)
		}
	}
	if dl := get("/a.txt", 5*time.Second); dl == nil || string(dl.data) != "alpha" {
		t.Fatalf("download a.txt: %+v", dl)
	}
	if dl := get("/inlink/big.bin", 10*time.Second); dl == nil || !bytes.Equal(dl.data, big) {
		t.Fatal("download through an inside symlink failed")
	}
	for _, name := range []string{"/out/secret.txt", "/rel", "/../" + filepath.Base(outside) + "/secret.txt", "..\\..\\etc\\passwd", "/etc/passwd"} {
		if dl := get(name, 300*time.Millisecond); dl != nil {
			t.Fatalf("get %q escaped the root: %q", name, dl.data)
		}
	}

	// Uploads: put to a path, file to the upload directory; escapes refused.
	up := func(open []byte, stream int, data string) string {
		t.Helper()
		msg := append(open, protocol.AppendBlob(nil, stream, []byte(data))...)
		msg = protocol.AppendEnd(msg, stream)
		v.send(msg)
		key := itoa(stream)
		v.pump(30*time.Second, func() bool { return v.acks[key] != "" })
		return v.acks[key]
	}
	if a := up(protocol.AppendInstruction(nil, "put", v.fsObj, "12", "text/plain", "/sub/up.txt"), 12, "uploaded"); a != "OK 0" {
		t.Fatalf("put ack %q", a)
	}
	if a := up(protocol.AppendFile(nil, 14, "text/plain", "../../new.txt"), 14, "via file"); a != "OK 0" {
		t.Fatalf("file ack %q", a)
	}
	if a := up(protocol.AppendInstruction(nil, "put", v.fsObj, "16", "text/plain", "/out/evil.txt"), 16, "x"); a != "Permission denied. 771" {
		t.Fatalf("escaping put ack %q", a)
	}
	sftptest.WaitFile(t, filepath.Join(root, "sub", "up.txt"), "uploaded")
	sftptest.WaitFile(t, filepath.Join(root, "new.txt"), "via file")
	if _, err := os.Stat(filepath.Join(outside, "evil.txt")); err == nil {
		t.Fatal("upload escaped the root")
	}
}

// Downloads keep several blobs in flight instead of one per round trip.
func TestDownloadWindow(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "big.bin"), bytes.Repeat([]byte{7}, 100*sftp.BlobSize), 0o644))
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "u", "password": "secret",
		"enable-sftp": "true", "sftp-root-directory": root})
	if !v.pump(30*time.Second, func() bool { return v.fsObj != "" }) {
		t.Fatalf("no filesystem (errors %v)", v.errs)
	}
	v.send(protocol.AppendInstruction(nil, "get", v.fsObj, "/big.bin"))
	// Read by hand, acknowledging only the body.
	blobs, stream := 0, ""
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		v.nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		in, err := v.r.ReadInstruction()
		if err != nil {
			break // quiet: the window is full
		}
		switch {
		case in.Is("sync"):
			v.send(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
		case in.Is("body"):
			stream = string(in.Args[1])
			v.send(protocol.AppendAck(nil, atoi(in.Args[1]), "OK", protocol.StatusSuccess))
		case in.Is("blob") && string(in.Args[0]) == stream:
			blobs++
		}
	}
	if blobs != sftp.Window {
		t.Fatalf("%d blobs in flight without acks, want %d", blobs, sftp.Window)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
