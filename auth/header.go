package auth

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// DefaultHeader is the identity header Pomerium sets when jwt_claims_headers
// includes email. The value is unsigned: it is only as good as the proxy that
// overwrote it.
const DefaultHeader = "X-Pomerium-Claim-Email"

// TrustedHeader believes an identity header (and an optional groups header)
// only when the TCP peer is one of the trusted reverse proxies, since anyone
// who can reach goguacd directly can set any header they like.
type TrustedHeader struct {
	// Header holds the username, e.g. X-Pomerium-Claim-Email or Remote-User.
	// Empty means DefaultHeader.
	Header string
	// GroupsHeader, if set, holds comma-separated group names.
	GroupsHeader string
	// TrustedProxies are the peers allowed to assert identity. Empty trusts
	// no one.
	TrustedProxies []netip.Prefix
	// Logger receives refusals; nil means slog.Default().
	Logger *slog.Logger
}

// Authenticate implements Authenticator.
func (h *TrustedHeader) Authenticate(r *http.Request) (Identity, error) {
	name := h.Header
	if name == "" {
		name = DefaultHeader
	}
	user := strings.TrimSpace(r.Header.Get(name))
	if user == "" {
		return Identity{}, noCredentials("no identity header")
	}
	if !trusted(h.TrustedProxies, r.RemoteAddr) {
		logger(h.Logger).Warn("auth: identity header from untrusted peer refused",
			"peer", r.RemoteAddr, "header", name)
		return Identity{}, unauthorized("identity not accepted from this address", "peer "+r.RemoteAddr+" is not a trusted proxy")
	}
	id := Identity{Username: user}
	if strings.Contains(user, "@") {
		id.Email = user
	}
	if h.GroupsHeader != "" {
		id.Groups = splitList(r.Header.Get(h.GroupsHeader))
	}
	return id, nil
}

// splitList splits a comma-joined header value (Pomerium joins slice claims
// with ",") and drops empty items.
func splitList(v string) []string {
	var out []string
	for _, g := range strings.Split(v, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
