package sftp

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/pkg/sftp"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// fakeUser records what is written to it.
type fakeUser struct {
	backends.User
	mu  sync.Mutex
	out []protocol.Instruction
}

func (u *fakeUser) Write(p []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := protocol.NewReader(bytes.NewReader(p))
	for {
		in, err := r.ReadInstruction()
		if err != nil {
			return
		}
		args := make([][]byte, len(in.Args))
		for i, a := range in.Args {
			args[i] = bytes.Clone(a)
		}
		u.out = append(u.out, protocol.Instruction{Opcode: bytes.Clone(in.Opcode), Args: args})
	}
}

// take returns and forgets what was written so far.
func (u *fakeUser) take() []protocol.Instruction {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.out
	u.out = nil
	return out
}

// memTransfers serves dir through an in-process SFTP server (no SSH).
func memTransfers(t *testing.T, set Settings) *Transfers {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	server, err := sftp.NewServer(struct {
		io.Reader
		io.WriteCloser
	}{sr, sw})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = server.Serve() }()
	c, err := sftp.NewClientPipe(cr, cw)
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFS(c, "test", set)
	if err != nil {
		t.Fatal(err)
	}
	x := NewTransfers(slog.New(slog.NewTextHandler(io.Discard, nil)))
	x.SetFS(f)
	t.Cleanup(func() {
		// Ending the server side first lets the client's reader stop.
		sr.Close()
		sw.Close()
		<-done
		x.Close()
		server.Close()
	})
	return x
}

func ins(op string, args ...string) protocol.Instruction {
	in := protocol.Instruction{Opcode: []byte(op)}
	for _, a := range args {
		in.Args = append(in.Args, []byte(a))
	}
	return in
}

// A download keeps Window blobs in flight; leaving closes it and a later
// ack finds nothing; stream indices stay clear of busy streams.
func TestTransfersWindowAndLeave(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), bytes.Repeat([]byte{1}, 40*BlobSize), 0o644); err != nil {
		t.Fatal(err)
	}
	x := memTransfers(t, Settings{Root: dir})
	u := &fakeUser{}
	if err := x.Get(u, ins("get", "0", "/big")); err != nil {
		t.Fatal(err)
	}
	out := u.take()
	if len(out) != 1 || !out[0].Is("body") {
		t.Fatalf("get answered %v", out)
	}
	stream := string(out[0].Args[1])
	if other := x.NewStream(u); strconv.Itoa(other) == stream {
		t.Fatalf("NewStream reused busy stream %d", other)
	}
	if handled, err := x.Ack(u, ins("ack", stream, "OK", "0")); !handled || err != nil {
		t.Fatalf("ack: %v %v", handled, err)
	}
	if out := u.take(); len(out) != Window {
		t.Fatalf("%d instructions after the first ack, want %d blobs", len(out), Window)
	}
	x.Leave(u)
	if handled, _ := x.Ack(u, ins("ack", stream, "OK", "0")); handled {
		t.Fatal("ack after Leave still handled")
	}
	if out := u.take(); len(out) != 0 {
		t.Fatalf("sent %d instructions after Leave", len(out))
	}
}

// Uploads land in the upload directory (file) or at a path (put); data
// for other streams is left to the backend.
func TestTransfersUpload(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := memTransfers(t, Settings{Root: dir, UploadDir: "/in"})
	u := &fakeUser{}
	for _, tc := range []struct {
		open protocol.Instruction
		path string
	}{
		{ins("file", "4", "text/plain", "../x.txt"), "in/x.txt"},
		{ins("put", "0", "6", "text/plain", "/y.txt"), "y.txt"},
	} {
		stream := string(tc.open.Args[0])
		if tc.open.Is("put") {
			stream = string(tc.open.Args[1])
		}
		if err := x.Upload(u, tc.open); err != nil {
			t.Fatal(err)
		}
		for _, in := range []protocol.Instruction{ins("blob", stream, "aGk="), ins("blob", stream, "!!"), ins("end", stream)} {
			if handled, err := x.Data(u, in); !handled || err != nil {
				t.Fatalf("%s: %v %v", in.Opcode, handled, err)
			}
		}
		out := u.take()
		if len(out) != 3 || string(out[0].Args[2]) != "0" || string(out[1].Args[2]) != "0" || string(out[2].Args[1]) != "Invalid data." {
			t.Fatalf("acks %v", out)
		}
		if b, err := os.ReadFile(filepath.Join(dir, tc.path)); err != nil || string(b) != "hi" {
			t.Fatalf("%s = %q, %v", tc.path, b, err)
		}
	}
	if handled, err := x.Data(u, ins("blob", "8", "aGk=")); handled || err != nil {
		t.Fatalf("unknown stream: handled %v, %v", handled, err)
	}
}
