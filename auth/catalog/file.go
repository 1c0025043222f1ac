package catalog

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/goguacd/goguacd/auth"
)

// File is a catalog read from a YAML file. It is immutable once loaded, so
// it is safe for concurrent use; Reloader swaps whole Files.
//
// Format (see testdata/example.yaml):
//
//	connections:
//	  - id: desktop              # required, unique; letters, digits, . _ ~ -
//	    name: Demo desktop       # defaults to id
//	    protocol: vnc            # required: vnc, ssh, rdp, telnet, kubernetes
//	    group: Demos             # optional folder
//	    params: {hostname: 127.0.0.1, port: "5901", password: secret}
//	    proxy_host: guacd.internal   # optional upstream guacd
//	    proxy_port: 4822
//	    sharing_profiles: [{id: view, name: Watch, params: {read-only: "true"}}]
//	users:                       # keyed by Identity.Username, matched exactly
//	  alice@example.com: {connections: [desktop], admin: false}
//	groups:                      # keyed by the proxy's group names
//	  researchers: {connections: [desktop], admin: false}
//	defaults: {connections: []}  # what any authenticated user may open
//
// An admin (directly or through a group) may open every connection.
// Unknown keys, duplicate ids, unknown protocols and references to unknown
// connections are load errors that carry the line number.
type File struct {
	conns    map[string]Connection
	users    map[string]grant
	groups   map[string]grant
	defaults []string
}

var _ Catalog = (*File)(nil)

// LoadFile reads and validates a catalog file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return parse(path, data)
}

// Parse validates a catalog document; name is used in error messages.
func Parse(name string, data []byte) (*File, error) {
	return parse(name, data)
}

// access returns whether id is an admin and which connections it may open.
// An identity without a username (e.g. a guacamole-lite token) gets nothing:
// its connection comes from the token.
func (f *File) access(id auth.Identity) (admin bool, allowed map[string]bool) {
	if id.Username == "" {
		return false, nil
	}
	allowed = map[string]bool{}
	add := func(g grant) {
		admin = admin || g.admin
		for _, c := range g.conns {
			allowed[c] = true
		}
	}
	add(grant{conns: f.defaults})
	add(f.users[id.Username])
	for _, g := range id.Groups {
		add(f.groups[g])
	}
	return admin, allowed
}

// List implements Catalog.
func (f *File) List(_ context.Context, id auth.Identity) ([]Connection, error) {
	admin, allowed := f.access(id)
	var out []Connection
	for cid, c := range f.conns {
		if admin || allowed[cid] {
			out = append(out, c.clone())
		}
	}
	slices.SortFunc(out, func(a, b Connection) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Get implements Catalog.
func (f *File) Get(_ context.Context, id auth.Identity, connID string) (Connection, error) {
	c, ok := f.conns[connID]
	if !ok {
		return Connection{}, ErrNotFound
	}
	if !f.may(id, connID) {
		return Connection{}, ErrForbidden
	}
	return c.clone(), nil
}

// may reports whether id may open connID without building the whole access
// set, since Get runs on every connect.
func (f *File) may(id auth.Identity, connID string) bool {
	if id.Username == "" {
		return false
	}
	ok := func(g grant) bool { return g.admin || slices.Contains(g.conns, connID) }
	if slices.Contains(f.defaults, connID) || ok(f.users[id.Username]) {
		return true
	}
	for _, g := range id.Groups {
		if ok(f.groups[g]) {
			return true
		}
	}
	return false
}

// Len returns the number of connections in the file.
func (f *File) Len() int { return len(f.conns) }

// clone copies the maps and slices so callers cannot change the catalog.
func (c Connection) clone() Connection {
	c.Params = maps.Clone(c.Params)
	c.SharingProfiles = slices.Clone(c.SharingProfiles)
	for i := range c.SharingProfiles {
		c.SharingProfiles[i].Params = maps.Clone(c.SharingProfiles[i].Params)
	}
	return c
}
