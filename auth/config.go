package auth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Config is the "auth" section of goguacd's configuration file.
//
//	auth:
//	  header: X-Pomerium-Claim-Email      # identity header (default); or Remote-User
//	  groups_header: X-Pomerium-Claim-Groups
//	  trusted_proxies: [10.0.0.0/8, 127.0.0.1]
//	  jwt:                                # when set, a signed JWT is required
//	    jwks_url: https://auth.example.com   # base URL gets /.well-known/pomerium/jwks.json
//	    audience: guac.example.com
//	    issuer: guac.example.com
//	    algorithms: [ES256, RS256]
//	    leeway: 30s
//	  token_key: base64-or-hex-32-bytes   # accept guacamole-lite tokens
//	  dev_user: me@example.com            # development only, loopback listeners only
type Config struct {
	Header         string     `yaml:"header"`
	GroupsHeader   string     `yaml:"groups_header"`
	TrustedProxies []string   `yaml:"trusted_proxies"`
	JWT            *JWTConfig `yaml:"jwt"`
	DevUser        string     `yaml:"dev_user"`
	// TokenKey is the 32-byte guacamole-lite key as 64 hex digits, base64,
	// or 32 raw characters (guacamole-lite's own examples use a 32-char string).
	TokenKey string `yaml:"token_key"`
}

// JWTConfig is the "auth.jwt" section; see JWTOptions for the meaning.
type JWTConfig struct {
	JWKSURL             string        `yaml:"jwks_url"`
	JWKSFile            string        `yaml:"jwks_file"`
	Audience            string        `yaml:"audience"`
	Issuer              string        `yaml:"issuer"`
	Algorithms          []string      `yaml:"algorithms"`
	Leeway              time.Duration `yaml:"leeway"`
	RefreshInterval     time.Duration `yaml:"refresh_interval"`
	Header              string        `yaml:"header"`
	UsernameClaim       string        `yaml:"username_claim"`
	GroupsClaim         string        `yaml:"groups_claim"`
	RequireTrustedProxy bool          `yaml:"require_trusted_proxy"`
}

// ConfigError is a configuration mistake; the message names the key.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return "auth: config: " + e.msg }

func configErr(format string, args ...any) error {
	return &ConfigError{msg: fmt.Sprintf(format, args...)}
}

// New builds the authenticator cfg describes. listenAddr is the address the
// browser-facing listener binds (host:port); it gates dev_user.
//
// Precedence: a guacamole-lite token (when token_key is set and the request
// has one) is tried first; then dev_user, or the JWT verifier (which also
// cross-checks the unsigned header), or the trusted header alone.
func New(cfg Config, listenAddr string, log *slog.Logger) (Authenticator, error) {
	log = logger(log)
	proxies, err := ParsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	var chain Chain
	if cfg.TokenKey != "" {
		key, err := ParseTokenKey(cfg.TokenKey)
		if err != nil {
			return nil, err
		}
		chain = append(chain, &Token{Key: key})
	}
	header := cfg.Header
	if header == "" {
		header = DefaultHeader
	}
	switch {
	case cfg.DevUser != "":
		if cfg.JWT != nil {
			return nil, configErr("dev_user: cannot be combined with jwt")
		}
		d, err := NewDevUser(cfg.DevUser, listenAddr, log)
		if err != nil {
			return nil, err
		}
		chain = append(chain, d)
	case cfg.JWT != nil:
		j := cfg.JWT
		v, err := NewJWT(JWTOptions{
			JWKSURL: j.JWKSURL, JWKSFile: j.JWKSFile,
			Audience: j.Audience, Issuer: j.Issuer,
			Algorithms: j.Algorithms, Leeway: j.Leeway, RefreshInterval: j.RefreshInterval,
			Header: j.Header, UsernameClaim: j.UsernameClaim, GroupsClaim: j.GroupsClaim,
			ClaimHeader:         header,
			RequireTrustedProxy: j.RequireTrustedProxy, TrustedProxies: proxies,
			Logger: log,
		})
		if err != nil {
			return nil, err
		}
		chain = append(chain, v)
	case len(proxies) > 0:
		chain = append(chain, &TrustedHeader{Header: header, GroupsHeader: cfg.GroupsHeader, TrustedProxies: proxies, Logger: log})
	case cfg.Header != "" || cfg.GroupsHeader != "" || len(chain) == 0:
		return nil, configErr("trusted_proxies: required for header authentication (or configure jwt, token_key or dev_user)")
	}
	if len(chain) == 1 {
		return chain[0], nil
	}
	return chain, nil
}

// ParseTokenKey accepts a 32-byte key as 64 hex digits, standard base64, or
// 32 raw characters.
func ParseTokenKey(s string) ([]byte, error) {
	if len(s) == 2*TokenKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == TokenKeySize {
		return b, nil
	}
	if len(s) == TokenKeySize {
		return []byte(s), nil
	}
	return nil, configErr("token_key: want 32 bytes as 64 hex digits, base64, or 32 characters")
}

func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("want an http:// or https:// URL with a host")
	}
	return u, nil
}
