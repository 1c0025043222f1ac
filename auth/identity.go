// Package auth turns an HTTP request into an identity: trusted proxy headers,
// verified signed JWTs, encrypted connection tokens, or a development user.
package auth

import "net/http"

// Identity is who a request comes from, as vouched for by an Authenticator.
type Identity struct {
	Username string   // primary name used for catalog look-ups (often the email)
	Email    string   // may be empty
	Groups   []string // group names from the proxy's claims, if any

	// Token is set when the request carried a guacamole-lite connection
	// token instead of a user identity: the connection to open comes from
	// the token, not from a catalog, and Username is empty.
	Token *TokenPayload
}

// Authenticator decides who a request comes from. It returns an *Error for
// requests it refuses, so callers can answer 401/403 with a plain message.
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, error)
}

// Error is a refusal with the HTTP status to answer (401 or 403) and a plain
// message safe to show the user. Detail is for logs only.
type Error struct {
	Status  int
	Message string
	Detail  string
	Err     error // underlying cause, e.g. ErrNoCredentials; may be nil
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "auth: " + e.Message + ": " + e.Detail
	}
	return "auth: " + e.Message
}

// Unwrap returns the underlying cause so errors.Is(err, ErrNoCredentials)
// works through an *Error.
func (e *Error) Unwrap() error { return e.Err }
