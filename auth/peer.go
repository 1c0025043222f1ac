package auth

import (
	"net/netip"
	"strings"
)

// peerAddr returns the TCP peer of an http.Request's RemoteAddr, with
// IPv4-mapped IPv6 addresses unmapped so "::ffff:10.0.0.1" matches 10.0.0.0/8.
// ok is false for anything that is not ip:port (e.g. a Unix socket peer).
func peerAddr(remoteAddr string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// trusted reports whether remoteAddr is inside one of the prefixes.
func trusted(prefixes []netip.Prefix, remoteAddr string) bool {
	a, ok := peerAddr(remoteAddr)
	if !ok {
		return false
	}
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes parses CIDRs or bare addresses (a bare address means just
// that host) into prefixes. Errors name the offending entry's index.
func ParsePrefixes(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, configErr("trusted_proxies[%d]: %q is not a CIDR: %v", i, e, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, configErr("trusted_proxies[%d]: %q is not an address or CIDR", i, e)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
