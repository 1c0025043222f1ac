// Package catalog says which connections an identity may open. The YAML file
// catalog lives here; other stores (PostgreSQL) implement the same interface.
package catalog

import (
	"context"
	"errors"

	"github.com/goguacd/goguacd/auth"
)

// Errors returned by Catalog implementations. Callers map them to Guacamole
// statuses: ErrNotFound → RESOURCE_NOT_FOUND, ErrForbidden → CLIENT_FORBIDDEN,
// ErrUnavailable → SERVER_BUSY/UPSTREAM_UNAVAILABLE, ErrTooMany → CLIENT_TOO_MANY.
var (
	ErrNotFound    = errors.New("catalog: no such connection")
	ErrForbidden   = errors.New("catalog: not allowed to open this connection")
	ErrUnavailable = errors.New("catalog: unavailable")
	ErrTooMany     = errors.New("catalog: connection limit reached")
)

// Connection is one entry of the catalog.
type Connection struct {
	ID       string            // stable identifier used in URLs
	Name     string            // display name
	Protocol string            // "vnc", "ssh", "rdp", ...
	Params   map[string]string // guacd parameter names → values; may hold secrets: never send to browsers or logs
	Group    string            // folder path shown in the web client ("" = top level)

	// ProxyHost/ProxyPort name an upstream guacd that serves this connection
	// (guacamole_connection.proxy_hostname/proxy_port); empty means native.
	ProxyHost string
	ProxyPort int

	SharingProfiles []SharingProfile
}

// SharingProfile is a named set of parameter overrides for users joining a
// shared connection (e.g. read-only=true).
type SharingProfile struct {
	ID     string
	Name   string
	Params map[string]string
}

// Catalog lists and looks up the connections an identity may open.
type Catalog interface {
	// List returns the connections id may open, sorted by Group then Name.
	List(ctx context.Context, id auth.Identity) ([]Connection, error)
	// Get returns one connection if id may open it: ErrNotFound if it does
	// not exist, ErrForbidden if it exists but id may not open it.
	Get(ctx context.Context, id auth.Identity, connID string) (Connection, error)
}

// Tracker is implemented by catalogs that enforce connection limits and keep
// history. Acquire is called before a backend connection is made; the
// returned release func is called exactly once when the user leaves.
type Tracker interface {
	Acquire(ctx context.Context, id auth.Identity, c Connection, remoteAddr string) (release func(), err error)
}
