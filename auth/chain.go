package auth

import (
	"errors"
	"net/http"
)

// ErrNoCredentials marks a refusal because the request carried none of the
// credentials an authenticator looks for (as opposed to bad ones). Chain
// moves on to the next authenticator only for this cause.
var ErrNoCredentials = errors.New("auth: no credentials")

// unauthorized builds a 401 refusal. detail goes to logs only.
func unauthorized(message, detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Message: message, Detail: detail}
}

// noCredentials builds a 401 refusal that lets a Chain try the next method.
func noCredentials(message string) *Error {
	return &Error{Status: http.StatusUnauthorized, Message: message, Err: ErrNoCredentials}
}

// Chain tries each authenticator in order and returns the first answer that
// is not an ErrNoCredentials refusal. A bad credential stops the chain: a
// forged token must not fall through to a weaker method.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(r *http.Request) (Identity, error) {
	var last error = noCredentials("no credentials")
	for _, a := range c {
		id, err := a.Authenticate(r)
		if err == nil || !errors.Is(err, ErrNoCredentials) {
			return id, err
		}
		last = err
	}
	return Identity{}, last
}
