package auth

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
)

// DevUser authenticates every request as one fixed identity. It exists for
// local development only; NewDevUser refuses to build one for a listener
// that other machines could reach.
type DevUser struct {
	id Identity
}

// NewDevUser returns a DevUser for username if listenAddr (host:port) binds
// loopback only, and logs a warning that authentication is off.
func NewDevUser(username, listenAddr string, log *slog.Logger) (*DevUser, error) {
	if username == "" {
		return nil, configErr("dev_user: empty username")
	}
	if !loopbackOnly(listenAddr) {
		return nil, configErr("dev_user: refused because listen address %q is not loopback-only (use 127.0.0.1 or [::1])", listenAddr)
	}
	logger(log).Warn("auth: development user enabled, every request is trusted", "user", username, "listen", listenAddr)
	return &DevUser{id: Identity{Username: username}}, nil
}

// Authenticate implements Authenticator.
func (d *DevUser) Authenticate(*http.Request) (Identity, error) {
	return d.id, nil
}

// loopbackOnly reports whether a listen address binds only loopback. An
// empty host, 0.0.0.0 or :: binds every interface; other host names could
// resolve anywhere, so only "localhost" and loopback literals pass.
func loopbackOnly(listenAddr string) bool {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
