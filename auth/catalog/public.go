package catalog

import (
	"log/slog"
	"maps"
	"strings"
)

// PublicConnection is a Connection with secret parameters removed, for
// browsers (JSON) and logs.
type PublicConnection struct {
	ID              string                 `json:"id"`
	Name            string                 `json:"name"`
	Protocol        string                 `json:"protocol"`
	Group           string                 `json:"group,omitempty"`
	Params          map[string]string      `json:"params,omitempty"`
	SharingProfiles []PublicSharingProfile `json:"sharing_profiles,omitempty"`
}

// PublicSharingProfile is a SharingProfile with secret parameters removed.
type PublicSharingProfile struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Params map[string]string `json:"params,omitempty"`
}

// Public returns a copy of c without secret parameters (see IsSecretParam).
func (c Connection) Public() PublicConnection {
	p := PublicConnection{ID: c.ID, Name: c.Name, Protocol: c.Protocol, Group: c.Group, Params: publicParams(c.Params)}
	for _, sp := range c.SharingProfiles {
		p.SharingProfiles = append(p.SharingProfiles, PublicSharingProfile{ID: sp.ID, Name: sp.Name, Params: publicParams(sp.Params)})
	}
	return p
}

// LogValue makes slog print the public form, so logging a Connection
// cannot leak a password.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("name", c.Name), slog.String("protocol", c.Protocol))
}

// String makes fmt's %v and %+v print the id and protocol only, for the same
// reason as LogValue.
func (c Connection) String() string { return c.ID + " (" + c.Protocol + ")" }

// GoString covers %#v, which ignores String.
func (c Connection) GoString() string { return "catalog.Connection{ID: " + c.ID + "}" }

func publicParams(params map[string]string) map[string]string {
	out := maps.Clone(params)
	maps.DeleteFunc(out, func(k, _ string) bool { return IsSecretParam(k) })
	if len(out) == 0 {
		return nil
	}
	return out
}

// secretWords mark a parameter name as secret wherever they appear in it:
// guacd's password, passphrase, private-key, sftp-password,
// sftp-private-key, sftp-passphrase, and anything a newer guacd adds in the
// same style.
var secretWords = []string{"password", "passwd", "passphrase", "secret", "key", "token", "credential", "cookie"}

// IsSecretParam reports whether a guacd parameter may hold a secret. It errs
// on the side of hiding: host-key (a public fingerprint) is the only "key"
// parameter shown.
func IsSecretParam(name string) bool {
	n := strings.ToLower(name)
	if n == "host-key" || n == "sftp-host-key" {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
