package sftp

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// Transfers runs one session's file transfers on its filesystem: per
// user, the listings and downloads being sent and the uploads being
// received. The filesystem may come up after users have joined (SetFS);
// until then `get` is ignored and uploads are refused.
type Transfers struct {
	log *slog.Logger

	mu    sync.Mutex
	fs    *FS
	users map[backends.User]*userStreams
}

// userStreams are one user's transfer streams.
type userStreams struct {
	next      int               // user-level output streams are even
	downloads map[int]*download // by stream index
	listings  map[int][]byte    // directory listings waiting for their first ack
	uploads   map[int]*upload   // by the user's stream index
}

// NewTransfers returns transfers without a filesystem yet.
func NewTransfers(log *slog.Logger) *Transfers {
	return &Transfers{log: log, users: map[backends.User]*userStreams{}}
}

// SetFS makes f the filesystem transfers use. Exposing it to the owner is
// the caller's job (FS.AppendExpose), so it can order it with its output.
func (t *Transfers) SetFS(f *FS) {
	t.mu.Lock()
	t.fs = f
	t.mu.Unlock()
}

// FS returns the filesystem, nil until SetFS.
func (t *Transfers) FS() *FS {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fs
}

// userLocked returns u's streams, created on first use. mu must be held.
func (t *Transfers) userLocked(u backends.User) *userStreams {
	us := t.users[u]
	if us == nil {
		us = &userStreams{downloads: map[int]*download{}, listings: map[int][]byte{}, uploads: map[int]*upload{}}
		t.users[u] = us
	}
	return us
}

// NewStream returns a free even output stream index for u; backends use it
// for their own per-user streams too (the SSH backend's argv), so indices
// never collide with transfers.
func (t *Transfers) NewStream(u backends.User) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.userLocked(u).newStream()
}

func (us *userStreams) newStream() int {
	for range 256 {
		us.next = (us.next + 2) % 512
		if us.next == 0 {
			continue
		}
		if _, busy := us.downloads[us.next]; busy {
			continue
		}
		if _, busy := us.listings[us.next]; busy {
			continue
		}
		return us.next
	}
	return 2
}

// Get answers a filesystem read: a directory becomes a stream-index JSON
// body, a file a binary body whose blobs follow the user's acks. Refusals
// are logged and nothing is sent, as guacd does.
func (t *Transfers) Get(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 2 {
		return errArgs(ins)
	}
	f := t.FS()
	if f == nil || atoi(ins.Args[0]) != Object {
		return nil
	}
	name := string(ins.Args[1])
	remote, err := resolveIn(f.c, f.root, name, false)
	if err != nil {
		t.log.Info("SFTP get refused", "name", name, "err", err)
		return nil
	}
	fi, err := f.c.Stat(remote)
	if err != nil {
		t.log.Info("SFTP get failed", "name", name, "err", err)
		return nil
	}
	if fi.IsDir() {
		listing, err := f.list(remote, name)
		if err != nil {
			t.log.Info("SFTP list failed", "name", name, "err", err)
			return nil
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		us := t.userLocked(u)
		stream := us.newStream()
		us.listings[stream] = listing
		u.Write(protocol.AppendBody(nil, Object, stream, StreamIndex, name))
		return nil
	}
	if f.disableDownload {
		t.log.Info("SFTP download refused: downloads are disabled", "name", name)
		return nil
	}
	file, err := f.c.Open(remote)
	if err != nil {
		t.log.Info("SFTP open failed", "name", name, "err", err)
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	us := t.userLocked(u)
	stream := us.newStream()
	us.downloads[stream] = &download{f: file}
	u.Write(protocol.AppendBody(nil, Object, stream, fileMimetype, name))
	return nil
}

// Ack handles a user's acknowledgement of one of the transfer streams: the
// first ack of a body starts the data, later ones keep the Window full, an
// error status cancels. It reports whether the stream was a transfer.
func (t *Transfers) Ack(u backends.User, ins protocol.Instruction) (bool, error) {
	if len(ins.Args) < 3 {
		return false, errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	ok := atoi(ins.Args[2]) == int(protocol.StatusSuccess)
	t.mu.Lock()
	us := t.users[u]
	if us == nil {
		t.mu.Unlock()
		return false, nil
	}
	if listing, pending := us.listings[stream]; pending {
		delete(us.listings, stream)
		t.mu.Unlock()
		if !ok {
			return true, nil
		}
		var out []byte
		for len(listing) > 0 {
			n := min(len(listing), BlobSize)
			out = protocol.AppendBlob(out, stream, listing[:n])
			listing = listing[n:]
		}
		u.Write(protocol.AppendEnd(out, stream))
		return true, nil
	}
	dl := us.downloads[stream]
	if dl == nil {
		t.mu.Unlock()
		return false, nil
	}
	n := 1
	if !dl.started {
		dl.started = true
		n = Window
	}
	if !ok {
		delete(us.downloads, stream)
	}
	t.mu.Unlock()
	if !ok {
		dl.close()
		return true, nil
	}
	// Reading from the server happens outside mu so other users' transfers
	// keep going.
	out, finished := dl.next(nil, stream, n)
	if finished {
		t.mu.Lock()
		if us.downloads[stream] == dl {
			delete(us.downloads, stream)
		}
		t.mu.Unlock()
	}
	u.Write(out)
	return true, nil
}

// Upload handles `file` (to the upload directory) and `put` (to a path in
// the object), answering with an ack.
func (t *Transfers) Upload(u backends.User, ins protocol.Instruction) error {
	put := ins.Is("put")
	idx := 0
	if put {
		idx = 1
	}
	if len(ins.Args) < idx+2 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[idx])
	name := ""
	if len(ins.Args) > idx+2 {
		name = string(ins.Args[idx+2])
	}
	f := t.FS()
	var refuse string
	var status protocol.Status
	var up *upload
	switch {
	case f == nil || f.disableUpload:
		refuse, status = "File transfer unsupported.", protocol.StatusUnsupported
	case put && atoi(ins.Args[0]) != Object:
		refuse, status = "Invalid object.", protocol.StatusClientBadRequest
	default:
		var err error
		if up, err = f.create(name, !put); err != nil {
			t.log.Info("SFTP upload refused", "name", name, "err", err)
			refuse, status = uploadRefusal(err)
		}
	}
	if refuse != "" {
		u.Write(protocol.AppendAck(nil, stream, refuse, status))
		return nil
	}
	t.mu.Lock()
	us := t.userLocked(u)
	if old := us.uploads[stream]; old != nil {
		old.abort() // guacd ends a stream reopened on the same index
	}
	us.uploads[stream] = up
	t.mu.Unlock()
	u.Write(protocol.AppendAck(nil, stream, "OK", protocol.StatusSuccess))
	return nil
}

// Data handles blob and end of an upload stream. It reports whether the
// stream was an upload; other streams are left to the caller.
func (t *Transfers) Data(u backends.User, ins protocol.Instruction) (bool, error) {
	if len(ins.Args) < 1 {
		return false, errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	end := ins.Is("end")
	t.mu.Lock()
	us := t.users[u]
	var up *upload
	if us != nil {
		up = us.uploads[stream]
		if up != nil && end {
			delete(us.uploads, stream)
		}
	}
	t.mu.Unlock()
	if up == nil {
		return false, nil
	}
	if end {
		if err := up.close(); err != nil {
			t.log.Info("SFTP upload failed", "err", err)
		}
		return true, nil
	}
	if len(ins.Args) < 2 {
		return true, errArgs(ins)
	}
	data, err := base64.StdEncoding.AppendDecode(nil, ins.Args[1])
	if err != nil {
		u.Write(protocol.AppendAck(nil, stream, "Invalid data.", protocol.StatusClientBadRequest))
		return true, nil
	}
	if err := up.write(data); err != nil {
		t.mu.Lock()
		if us.uploads[stream] == up {
			delete(us.uploads, stream)
		}
		t.mu.Unlock()
		up.abort()
		t.log.Info("SFTP upload failed", "err", err)
		u.Write(protocol.AppendAck(nil, stream, "Write failed.", protocol.StatusServerError))
		return true, nil
	}
	u.Write(protocol.AppendAck(nil, stream, "OK", protocol.StatusSuccess))
	return true, nil
}

// Leave drops u's transfers.
func (t *Transfers) Leave(u backends.User) {
	t.mu.Lock()
	us := t.users[u]
	delete(t.users, u)
	t.mu.Unlock()
	if us != nil {
		us.abort()
	}
}

func (us *userStreams) abort() {
	for _, dl := range us.downloads {
		dl.close()
	}
	for _, up := range us.uploads {
		up.abort()
	}
}

// Close drops every transfer and closes the filesystem.
func (t *Transfers) Close() error {
	t.mu.Lock()
	users, f := t.users, t.fs
	t.users, t.fs = map[backends.User]*userStreams{}, nil
	t.mu.Unlock()
	for _, us := range users {
		us.abort()
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

func errArgs(ins protocol.Instruction) error {
	return fmt.Errorf("sftp: %q: too few arguments (%d)", ins.Opcode, len(ins.Args))
}
