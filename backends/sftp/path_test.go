package sftp

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"
)

// memFS is an in-memory linkFS: entries are dirs, files or symlinks.
type memFS map[string]string // path → "dir", "file" or "->target"

type memInfo struct{ mode fs.FileMode }

func (m memInfo) Name() string       { return "" }
func (m memInfo) Size() int64        { return 0 }
func (m memInfo) Mode() fs.FileMode  { return m.mode }
func (m memInfo) ModTime() time.Time { return time.Time{} }
func (m memInfo) IsDir() bool        { return m.mode.IsDir() }
func (m memInfo) Sys() any           { return nil }

func (m memFS) Lstat(p string) (fs.FileInfo, error) {
	switch v := m[p]; {
	case p == "/" || v == "dir":
		return memInfo{fs.ModeDir}, nil
	case v == "file":
		return memInfo{}, nil
	case strings.HasPrefix(v, "->"):
		return memInfo{fs.ModeSymlink}, nil
	}
	return nil, fs.ErrNotExist
}

func (m memFS) ReadLink(p string) (string, error) {
	if v := m[p]; strings.HasPrefix(v, "->") {
		return v[2:], nil
	}
	return "", errors.New("not a link")
}

var testFS = memFS{
	"/srv": "dir", "/srv/root": "dir", "/srv/root/a": "file", "/srv/root/d": "dir",
	"/srv/root/in": "->d", "/srv/root/out": "->/etc", "/srv/root/up": "->..", "/srv/root/loop": "->loop",
	"/srv/root/abs": "->/srv/root/d", "/srv/root/dangling": "->/etc/nothing", "/etc": "dir", "/etc/passwd": "file",
	"/srv/rootx": "dir", "/srv/root/sib": "->../rootx",
}

func TestResolveIn(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		missing    bool
		err        error
	}{
		{name: "/a", want: "/srv/root/a"},
		{name: "a", want: "/srv/root/a"},
		{name: "/", want: "/srv/root"},
		{name: "/../../etc/passwd", want: "", err: fs.ErrNotExist}, // cleaned to /srv/root/etc/passwd
		{name: "..\\..\\a", want: "/srv/root/a"},
		{name: "/in/x", want: "/srv/root/d/x", missing: true},
		{name: "/abs", want: "/srv/root/d"},
		{name: "/out/passwd", err: errEscape},
		{name: "/up/rootx", err: errEscape},
		{name: "/sib", err: errEscape},
		{name: "/dangling", missing: true, err: fs.ErrNotExist},
		{name: "/loop", err: errors.New("loop")},
		{name: "/new", want: "/srv/root/new", missing: true},
		{name: "/new", err: fs.ErrNotExist},
		{name: "/a\x00", err: errEscape},
	} {
		got, err := resolveIn(testFS, "/srv/root", tc.name, tc.missing)
		switch {
		case tc.err != nil && err == nil:
			t.Errorf("%q: got %q, want error %v", tc.name, got, tc.err)
		case tc.err == nil && (err != nil || got != tc.want):
			t.Errorf("%q: got %q, %v; want %q", tc.name, got, err, tc.want)
		case tc.err != nil && tc.err.Error() != "loop" && !errors.Is(err, tc.err):
			t.Errorf("%q: error %v, want %v", tc.name, err, tc.err)
		}
	}
}

// FuzzResolveIn: whatever the name, a resolved path never leaves the root.
func FuzzResolveIn(f *testing.F) {
	for _, s := range []string{"/a", "..", "/in/../../etc", "out/passwd", "up/rootx", "\\..\\x", "sib", "loop/x", "/abs/../a"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, missing bool) {
		got, err := resolveIn(testFS, "/srv/root", name, missing)
		if err != nil {
			return
		}
		if !within("/srv/root", got) || path.Clean(got) != got {
			t.Fatalf("%q resolved to %q", name, got)
		}
	})
}
