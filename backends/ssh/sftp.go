package ssh

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"sync"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// SFTP transfer constants.
const (
	fsObject     = 0 // the owner's filesystem object index
	streamIndex  = "application/vnd.glyptodon.guacamole.stream-index+json"
	fileMimetype = "application/octet-stream"
	blobSize     = 6048 // raw bytes per blob, as guacd's file transfers
	// window is how many blobs of a download may await their ack: guacd
	// waits for each ack (stop-and-wait), which caps throughput at one
	// blob per round trip.
	window = 16
)

// sftpFS is the SFTP filesystem exposed to the owner, confined to the
// (canonical) root directory.
type sftpFS struct {
	c               *sftp.Client
	name            string
	root            string
	disableDownload bool

	mu        sync.Mutex
	uploadDir string // Guacamole path that `file` uploads go to
}

// startSFTP opens the SFTP subsystem on its own SSH session and exposes
// the filesystem to the owner. Failure only disables file transfer.
func (s *session) startSFTP(client *gossh.Client) {
	c, err := sftp.NewClient(client)
	if err != nil {
		s.log.Warn("SFTP unavailable", "err", err)
		return
	}
	hops := 0
	root, err := canonical(c, path.Clean("/"+s.set.sftp.root), false, &hops)
	if err != nil {
		s.log.Warn("sftp-root-directory unusable; SFTP disabled", "root", s.set.sftp.root, "err", err)
		c.Close()
		return
	}
	fs := &sftpFS{c: c, name: hostLabel(s.set.client.addr), root: root, uploadDir: "/",
		disableDownload: s.set.sftp.disableDownload}
	s.engMu.Lock()
	s.termMu.Lock()
	s.fs = fs
	s.termMu.Unlock()
	if _, attached := s.users[s.owner]; attached {
		s.owner.Write(fs.appendExpose(nil))
	}
	s.engMu.Unlock()
	s.log.Info("SFTP filesystem available", "root", root)
}

// filesystem returns the SFTP filesystem, nil until it is up.
func (s *session) filesystem() *sftpFS {
	s.engMu.Lock()
	defer s.engMu.Unlock()
	return s.fs
}

// appendExpose appends the filesystem instruction for the owner.
func (f *sftpFS) appendExpose(dst []byte) []byte {
	return protocol.AppendFilesystem(dst, fsObject, f.name)
}

// setUploadDir is guacd's OSC 482201.
func (f *sftpFS) setUploadDir(dir string) {
	if clean, ok := cleanPath(dir); ok {
		f.mu.Lock()
		f.uploadDir = clean
		f.mu.Unlock()
	}
}

func (f *sftpFS) close() { f.c.Close() }

// upload is a file being written.
type upload struct{ f *sftp.File }

// create opens name for writing. With toUploadDir, name is a bare file
// name placed in the upload directory (`file`); otherwise it is a path in
// the filesystem object (`put`).
func (f *sftpFS) create(name string, toUploadDir bool) (*upload, error) {
	if toUploadDir {
		f.mu.Lock()
		name = path.Join(f.uploadDir, path.Base("/"+name))
		f.mu.Unlock()
	}
	remote, err := resolveIn(f.c, f.root, name, true)
	if err != nil {
		return nil, err
	}
	file, err := f.c.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return nil, err
	}
	return &upload{f: file}, nil
}

func (u *upload) write(p []byte) error {
	_, err := u.f.Write(p)
	return err
}

func (u *upload) close() error { return u.f.Close() }
func (u *upload) abort()       { _ = u.f.Close() }

// uploadRefusal maps an upload error to the ack users get.
func uploadRefusal(err error) (string, protocol.Status) {
	switch {
	case errors.Is(err, errEscape), errors.Is(err, fs.ErrPermission):
		return "Permission denied.", protocol.StatusClientForbidden
	case errors.Is(err, fs.ErrNotExist):
		return "No such directory.", protocol.StatusResourceNotFound
	}
	return "Upload failed.", protocol.StatusServerError
}

// download is a file being sent to one user, blobs paced by its acks.
type download struct {
	mu      sync.Mutex
	f       *sftp.File
	started bool
	done    bool
	buf     []byte
}

func (d *download) close() {
	d.mu.Lock()
	if !d.done {
		d.done = true
		_ = d.f.Close()
	}
	d.mu.Unlock()
}

// next appends up to n blobs on stream, then end at end of file. It
// reports whether the download is over.
func (d *download) next(dst []byte, stream, n int) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return dst, true
	}
	if d.buf == nil {
		d.buf = make([]byte, blobSize)
	}
	for range n {
		m, err := io.ReadFull(d.f, d.buf)
		if m > 0 {
			dst = protocol.AppendBlob(dst, stream, d.buf[:m])
		}
		if err != nil {
			d.done = true
			_ = d.f.Close()
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				return protocol.AppendAck(dst, stream, "Read failed.", protocol.StatusServerError), true
			}
			return protocol.AppendEnd(dst, stream), true
		}
	}
	return dst, false
}

// get answers a filesystem read: a directory becomes a stream-index JSON
// body, a file a binary body whose blobs follow the user's acks.
func (s *session) get(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 2 {
		return errArgs(ins)
	}
	f := s.filesystem()
	if f == nil || atoi(ins.Args[0]) != fsObject {
		return nil
	}
	name := string(ins.Args[1])
	remote, err := resolveIn(f.c, f.root, name, false)
	if err != nil {
		// As guacd: logged, nothing sent.
		s.log.Info("SFTP get refused", "name", name, "err", err)
		return nil
	}
	fi, err := f.c.Stat(remote)
	if err != nil {
		s.log.Info("SFTP get failed", "name", name, "err", err)
		return nil
	}
	if fi.IsDir() {
		listing, err := f.list(remote, name)
		if err != nil {
			s.log.Info("SFTP list failed", "name", name, "err", err)
			return nil
		}
		s.engMu.Lock()
		defer s.engMu.Unlock()
		us := s.users[u]
		if us == nil {
			return nil
		}
		stream := us.newStream()
		us.listings[stream] = listing
		u.Write(protocol.AppendBody(nil, fsObject, stream, streamIndex, name))
		return nil
	}
	if f.disableDownload {
		s.log.Info("SFTP download refused: downloads are disabled", "name", name)
		return nil
	}
	file, err := f.c.Open(remote)
	if err != nil {
		s.log.Info("SFTP open failed", "name", name, "err", err)
		return nil
	}
	s.engMu.Lock()
	defer s.engMu.Unlock()
	us := s.users[u]
	if us == nil {
		file.Close()
		return nil
	}
	stream := us.newStream()
	us.downloads[stream] = &download{f: file}
	u.Write(protocol.AppendBody(nil, fsObject, stream, fileMimetype, name))
	return nil
}

// list returns the JSON stream index of directory remote, whose path in
// the object is name: entry paths map to their mimetypes.
func (f *sftpFS) list(remote, name string) ([]byte, error) {
	entries, err := f.c.ReadDir(remote)
	if err != nil {
		return nil, err
	}
	dir, _ := cleanPath(name)
	index := make(map[string]string, len(entries))
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		mt := fileMimetype
		if e.IsDir() {
			mt = streamIndex
		} else if e.Mode()&fs.ModeSymlink != 0 {
			// Follow the link, as a browser user expects, only to learn its type.
			if fi, err := f.c.Stat(path.Join(remote, e.Name())); err == nil && fi.IsDir() {
				mt = streamIndex
			}
		}
		index[path.Join(dir, e.Name())] = mt
	}
	return json.Marshal(index)
}

// ack handles a user's acknowledgement of one of our output streams: the
// first ack of a body starts the data; later ones keep the window full.
// An error status cancels a download.
func (s *session) ack(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 3 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	ok := atoi(ins.Args[2]) == int(protocol.StatusSuccess)
	s.engMu.Lock()
	us := s.users[u]
	if us == nil {
		s.engMu.Unlock()
		return nil
	}
	if listing, pending := us.listings[stream]; pending {
		delete(us.listings, stream)
		s.engMu.Unlock()
		if !ok {
			return nil
		}
		var out []byte
		for len(listing) > 0 {
			n := min(len(listing), blobSize)
			out = protocol.AppendBlob(out, stream, listing[:n])
			listing = listing[n:]
		}
		u.Write(protocol.AppendEnd(out, stream))
		return nil
	}
	dl := us.downloads[stream]
	if dl == nil {
		s.engMu.Unlock()
		return nil
	}
	n := 1
	if !dl.started {
		dl.started = true
		n = window
	}
	if !ok {
		delete(us.downloads, stream)
	}
	s.engMu.Unlock()
	if !ok {
		dl.close()
		return nil
	}
	// Reading from the server happens outside engMu so frames keep going.
	out, finished := dl.next(nil, stream, n)
	if finished {
		s.engMu.Lock()
		delete(us.downloads, stream)
		s.engMu.Unlock()
	}
	u.Write(out)
	return nil
}
