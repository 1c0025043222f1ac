// Package sftp is the file transfer shared by the SSH and VNC backends, as
// guacd's common SSH code: an SSH connection (Dial), an SFTP filesystem
// confined to a root directory and exposed to the owner as a Guacamole
// filesystem object (FS), and the transfers users run on it (Transfers):
// directory listings and downloads through `get`, uploads through `put`
// and `file`.
package sftp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/protocol"
)

// Transfer constants.
const (
	// Object is the owner's filesystem object index.
	Object = 0
	// StreamIndex is the mimetype of a directory listing.
	StreamIndex  = "application/vnd.glyptodon.guacamole.stream-index+json"
	fileMimetype = "application/octet-stream"
	// BlobSize is the raw bytes per blob, as guacd's file transfers.
	BlobSize = 6048
	// Window is how many blobs of a download may await their ack: guacd
	// waits for each ack (stop-and-wait), which caps throughput at one
	// blob per round trip.
	Window = 16
)

// Settings are guacd's sftp-* parameters that shape the filesystem.
type Settings struct {
	// Root is sftp-root-directory: nothing outside it is reachable ("" is "/").
	Root string
	// UploadDir is sftp-directory: where `file` uploads (dropped files)
	// go, as a path inside the object ("" is its root).
	UploadDir       string
	DisableDownload bool
	DisableUpload   bool
}

// FS is an SFTP filesystem exposed to the owner, confined to the
// (canonical) root directory.
type FS struct {
	c               *sftp.Client
	name            string
	root            string
	disableDownload bool
	disableUpload   bool

	mu        sync.Mutex
	uploadDir string // Guacamole path that `file` uploads go to
}

// Open starts the SFTP subsystem on client and returns the filesystem,
// named name for users (guacd names it after the host).
func Open(client *gossh.Client, name string, set Settings) (*FS, error) {
	c, err := sftp.NewClient(client)
	if err != nil {
		return nil, fmt.Errorf("sftp: start subsystem: %w", err)
	}
	f, err := newFS(c, name, set)
	if err != nil {
		c.Close()
		return nil, err
	}
	return f, nil
}

func newFS(c *sftp.Client, name string, set Settings) (*FS, error) {
	hops := 0
	root, err := canonical(c, path.Clean("/"+set.Root), false, &hops)
	if err != nil {
		return nil, fmt.Errorf("sftp: root directory %q: %w", set.Root, err)
	}
	f := &FS{c: c, name: name, root: root, uploadDir: "/",
		disableDownload: set.DisableDownload, disableUpload: set.DisableUpload}
	f.SetUploadDir(set.UploadDir)
	return f, nil
}

// Root is the canonical server path of the object's root.
func (f *FS) Root() string { return f.root }

// AppendExpose appends the filesystem instruction for the owner.
func (f *FS) AppendExpose(dst []byte) []byte {
	return protocol.AppendFilesystem(dst, Object, f.name)
}

// SetUploadDir changes where `file` uploads go (guacd's OSC 482201 and
// sftp-directory). An empty or invalid path is ignored.
func (f *FS) SetUploadDir(dir string) {
	if dir == "" {
		return
	}
	if clean, ok := cleanPath(dir); ok {
		f.mu.Lock()
		f.uploadDir = clean
		f.mu.Unlock()
	}
}

// Close ends the SFTP session.
func (f *FS) Close() error { return f.c.Close() }

// upload is a file being written.
type upload struct{ f *sftp.File }

// create opens name for writing. With toUploadDir, name is a bare file
// name placed in the upload directory (`file`); otherwise it is a path in
// the filesystem object (`put`).
func (f *FS) create(name string, toUploadDir bool) (*upload, error) {
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
		d.buf = make([]byte, BlobSize)
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

// list returns the JSON stream index of directory remote, whose path in
// the object is name: entry paths map to their mimetypes.
func (f *FS) list(remote, name string) ([]byte, error) {
	entries, err := f.c.ReadDir(remote)
	if err != nil {
		return nil, err
	}
	dir, _ := cleanPath(name)
	index := make(map[string]string, len(entries))
	for _, e := range entries {
		mt := fileMimetype
		if e.IsDir() {
			mt = StreamIndex
		} else if e.Mode()&fs.ModeSymlink != 0 {
			// Follow the link, as a browser user expects, only to learn its type.
			if fi, err := f.c.Stat(path.Join(remote, e.Name())); err == nil && fi.IsDir() {
				mt = StreamIndex
			}
		}
		index[path.Join(dir, e.Name())] = mt
	}
	return json.Marshal(index)
}
