package sftp

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// errEscape is returned for a path that would leave sftp-root-directory.
var errEscape = errors.New("sftp: path leaves the SFTP root")

// maxLinkHops bounds symlink resolution, as the kernel's ELOOP limit.
const maxLinkHops = 40

// cleanPath turns a Guacamole filesystem path into a clean absolute path
// in the object's namespace: backslashes are separators (as guacd's
// normalisation), "." and ".." are resolved lexically and can never climb
// above "/". NUL bytes are refused.
func cleanPath(name string) (string, bool) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", false
	}
	return path.Clean("/" + strings.ReplaceAll(name, "\\", "/")), true
}

// linkFS is what path resolution needs from the SFTP server.
type linkFS interface {
	Lstat(p string) (fs.FileInfo, error)
	ReadLink(p string) (string, error)
}

// within reports whether p is root or below it (both clean and absolute).
func within(root, p string) bool {
	return p == root || root == "/" || strings.HasPrefix(p, root+"/")
}

// canonical resolves every symlink in the absolute path p on the server,
// as the server itself would follow them. With allowMissing, the last
// component may not exist yet (a file about to be uploaded).
func canonical(lfs linkFS, p string, allowMissing bool, hops *int) (string, error) {
	cur := "/"
	parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	for i, part := range parts {
		if part == "" {
			continue
		}
		next := path.Join(cur, part)
		fi, err := lfs.Lstat(next)
		if err != nil {
			if allowMissing && i == len(parts)-1 && errors.Is(err, fs.ErrNotExist) {
				return next, nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if *hops++; *hops > maxLinkHops {
			return "", errors.New("sftp: too many levels of symbolic links")
		}
		target, err := lfs.ReadLink(next)
		if err != nil {
			return "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		if cur, err = canonical(lfs, target, false, hops); err != nil {
			return "", err
		}
	}
	return cur, nil
}

// resolveIn maps a Guacamole path to the server path under root (itself
// canonical), refusing anything that would end up outside root after the
// server follows symlinks.
func resolveIn(lfs linkFS, root, name string, allowMissing bool) (string, error) {
	clean, ok := cleanPath(name)
	if !ok {
		return "", errEscape
	}
	hops := 0
	real, err := canonical(lfs, path.Join(root, clean), allowMissing, &hops)
	if err != nil {
		return "", err
	}
	if !within(root, real) {
		return "", errEscape
	}
	return real, nil
}
