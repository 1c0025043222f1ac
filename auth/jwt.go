package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults for JWT verification, matching what Pomerium mints.
const (
	DefaultJWTHeader       = "X-Pomerium-Jwt-Assertion"
	DefaultJWKSPath        = "/.well-known/pomerium/jwks.json"
	DefaultLeeway          = 30 * time.Second
	DefaultRefreshInterval = 30 * time.Second
	// defaultKeyMaxAge re-reads the JWKS for known keys too, so a key the
	// proxy withdrew stops being accepted within this time.
	defaultKeyMaxAge = 10 * time.Minute
)

// DefaultAlgorithms are the signature algorithms Pomerium uses (ES256 for
// its default derived P-256 key, RS256 for RSA signing keys).
var DefaultAlgorithms = []string{"ES256", "RS256"}

// asymmetricAlgorithms are the only algorithms a JWT verifier may allow:
// HMAC would let anyone holding the (public) JWKS forge tokens, and "none"
// is no signature at all.
var asymmetricAlgorithms = map[string]jose.SignatureAlgorithm{
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"EdDSA": jose.EdDSA,
}

// JWTOptions configures NewJWT. Exactly one of JWKSURL and JWKSFile is set;
// Audience and Issuer are required.
type JWTOptions struct {
	JWKSURL    string       // full JWKS URL, or a base URL whose empty path gets DefaultJWKSPath
	JWKSFile   string       // static JWKS file, read once
	HTTPClient *http.Client // for JWKS fetches; nil means a client with a 10 s timeout

	Audience string // required "aud" (Pomerium: the route hostname)
	Issuer   string // required "iss"

	Algorithms      []string      // allowed "alg" values; nil means DefaultAlgorithms
	Leeway          time.Duration // clock skew allowed on exp/nbf/iat; 0 means DefaultLeeway
	RefreshInterval time.Duration // minimum time between JWKS fetches; 0 means DefaultRefreshInterval

	Header        string // header carrying the JWT; "" means DefaultJWTHeader
	UsernameClaim string // claim holding the username; "" means "email"
	GroupsClaim   string // claim holding groups; "" means "groups"

	// ClaimHeader is an unsigned identity header (e.g. X-Pomerium-Claim-Email)
	// that, when present on a request, must equal the verified username.
	ClaimHeader string

	// RequireTrustedProxy accepts JWTs only from peers in TrustedProxies.
	RequireTrustedProxy bool
	TrustedProxies      []netip.Prefix

	Logger *slog.Logger // nil means slog.Default()
}

// JWT authenticates requests by a signed JWT from the identity-aware proxy,
// verified against the proxy's published keys.
type JWT struct {
	opts JWTOptions
	algs []jose.SignatureAlgorithm
	keys *keySet
	log  *slog.Logger
}

// NewJWT checks opts and returns a verifier. With JWKSFile the keys are read
// now; with JWKSURL they are fetched on first use, so the proxy need not be
// up when goguacd starts.
func NewJWT(o JWTOptions) (*JWT, error) {
	if o.Audience == "" {
		return nil, configErr("jwt.audience: required (the proxy route's hostname)")
	}
	if o.Issuer == "" {
		return nil, configErr("jwt.issuer: required")
	}
	if (o.JWKSURL == "") == (o.JWKSFile == "") {
		return nil, configErr("jwt: set exactly one of jwks_url and jwks_file")
	}
	if o.RequireTrustedProxy && len(o.TrustedProxies) == 0 {
		return nil, configErr("jwt.require_trusted_proxy: needs trusted_proxies")
	}
	if o.Leeway < 0 || o.RefreshInterval < 0 {
		return nil, configErr("jwt.leeway and jwt.refresh_interval must not be negative")
	}
	if o.Algorithms == nil {
		o.Algorithms = DefaultAlgorithms
	}
	if len(o.Algorithms) == 0 {
		return nil, configErr("jwt.algorithms: must not be empty")
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(o.Algorithms))
	for i, a := range o.Algorithms {
		alg, ok := asymmetricAlgorithms[a]
		if !ok {
			return nil, configErr("jwt.algorithms[%d]: %q is not an allowed asymmetric algorithm", i, a)
		}
		algs = append(algs, alg)
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultLeeway
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.Header == "" {
		o.Header = DefaultJWTHeader
	}
	if o.UsernameClaim == "" {
		o.UsernameClaim = "email"
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
	ks := &keySet{minInterval: o.RefreshInterval, maxAge: defaultKeyMaxAge, now: time.Now}
	if o.JWKSFile != "" {
		keys, err := loadJWKSFile(o.JWKSFile)
		if err != nil {
			return nil, configErr("jwt.jwks_file: %v", err)
		}
		ks.keys = keys
	} else {
		u, err := jwksURL(o.JWKSURL)
		if err != nil {
			return nil, err
		}
		client := o.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		ks.fetch = httpJWKS(client, u)
	}
	return &JWT{opts: o, algs: algs, keys: ks, log: logger(o.Logger)}, nil
}

// jwksURL appends DefaultJWKSPath to a base URL with no path.
func jwksURL(raw string) (string, error) {
	u, err := parseHTTPURL(raw)
	if err != nil {
		return "", configErr("jwt.jwks_url: %v", err)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = DefaultJWKSPath
	}
	return u.String(), nil
}

// Authenticate implements Authenticator. It refuses with ErrNoCredentials
// when the JWT header is absent.
func (j *JWT) Authenticate(r *http.Request) (Identity, error) {
	raw := r.Header.Get(j.opts.Header)
	if raw == "" {
		return Identity{}, noCredentials("no identity token")
	}
	if j.opts.RequireTrustedProxy && !trusted(j.opts.TrustedProxies, r.RemoteAddr) {
		return Identity{}, j.refuse(r, "identity not accepted from this address", "peer is not a trusted proxy")
	}
	tok, err := jwt.ParseSigned(raw, j.algs)
	if err != nil {
		return Identity{}, j.refuse(r, "invalid identity token", err.Error())
	}
	if len(tok.Headers) != 1 {
		return Identity{}, j.refuse(r, "invalid identity token", "want exactly one signature")
	}
	h := tok.Headers[0]
	if h.KeyID == "" {
		return Identity{}, j.refuse(r, "invalid identity token", "no kid in header")
	}
	key, err := j.keys.key(r.Context(), h.KeyID)
	if err != nil {
		return Identity{}, j.refuse(r, "invalid identity token", fmt.Sprintf("kid %q: %v", h.KeyID, err))
	}
	if key.Algorithm != "" && key.Algorithm != h.Algorithm {
		return Identity{}, j.refuse(r, "invalid identity token", fmt.Sprintf("key %q is for %s, token uses %s", h.KeyID, key.Algorithm, h.Algorithm))
	}
	var std jwt.Claims
	var claims map[string]json.RawMessage
	if err := tok.Claims(key.Key, &std, &claims); err != nil {
		return Identity{}, j.refuse(r, "invalid identity token", err.Error())
	}
	if std.Expiry == nil {
		return Identity{}, j.refuse(r, "invalid identity token", "no exp claim")
	}
	want := jwt.Expected{Issuer: j.opts.Issuer, AnyAudience: jwt.Audience{j.opts.Audience}, Time: time.Now()}
	if err := std.ValidateWithLeeway(want, j.opts.Leeway); err != nil {
		return Identity{}, j.refuse(r, "invalid identity token", err.Error())
	}
	user, err := stringClaim(claims, j.opts.UsernameClaim)
	if err != nil || user == "" {
		return Identity{}, j.refuse(r, "invalid identity token", fmt.Sprintf("claim %q: missing or not a string", j.opts.UsernameClaim))
	}
	groups, err := listClaim(claims, j.opts.GroupsClaim)
	if err != nil {
		return Identity{}, j.refuse(r, "invalid identity token", fmt.Sprintf("claim %q: %v", j.opts.GroupsClaim, err))
	}
	if j.opts.ClaimHeader != "" {
		if hv := strings.TrimSpace(r.Header.Get(j.opts.ClaimHeader)); hv != "" && hv != user {
			j.log.Warn("auth: identity header disagrees with signed token",
				"peer", r.RemoteAddr, "header", j.opts.ClaimHeader, "header_user", hv, "token_user", user)
			return Identity{}, unauthorized("conflicting identity", "header "+j.opts.ClaimHeader+" disagrees with the token")
		}
	}
	id := Identity{Username: user, Groups: groups}
	if email, _ := stringClaim(claims, "email"); email != "" {
		id.Email = email
	}
	return id, nil
}

// refuse logs a refusal with the peer and reason (never the token) and
// returns the 401.
func (j *JWT) refuse(r *http.Request, message, detail string) *Error {
	j.log.Warn("auth: identity token refused", "peer", r.RemoteAddr, "reason", detail)
	return unauthorized(message, detail)
}

// stringClaim returns a string claim, "" if absent or null.
func stringClaim(claims map[string]json.RawMessage, name string) (string, error) {
	raw, ok := claims[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("auth: claim %q is not a string", name)
	}
	return s, nil
}

// listClaim accepts an array of strings, a single string, or absence/null.
func listClaim(claims map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := claims[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("auth: claim %q is neither a string nor a list of strings", name)
	}
	return []string{s}, nil
}
