package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds a JWKS response; real sets are a few KiB.
const maxJWKSBytes = 1 << 20

// errUnknownKey is returned when no key in the set carries the token's kid.
var errUnknownKey = errors.New("auth: no key with this kid")

// keySet caches verification keys by kid. A lookup of an unknown kid
// triggers at most one fetch per minInterval; concurrent lookups share the
// fetch in flight instead of each hitting the proxy.
type keySet struct {
	fetch       func(ctx context.Context) (map[string]jose.JSONWebKey, error)
	minInterval time.Duration // minimum time between fetches
	maxAge      time.Duration // known keys are re-fetched after this, so removed keys stop working
	now         func() time.Time

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time  // last successful fetch
	triedAt   time.Time  // last fetch attempt, successful or not
	inflight  *fetchCall // non-nil while a fetch runs
	fetches   int        // attempts, for tests
}

type fetchCall struct {
	done chan struct{}
}

// key returns the key for kid, fetching the set if kid is unknown (or the
// set is stale) and the rate limit allows.
func (s *keySet) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	s.mu.Lock()
	if k, ok := s.keys[kid]; ok && !s.staleLocked() {
		s.mu.Unlock()
		return k, nil
	}
	if c := s.inflight; c != nil {
		s.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return jose.JSONWebKey{}, fmt.Errorf("auth: waiting for JWKS: %w", ctx.Err())
		}
		return s.cached(kid)
	}
	if s.fetch == nil || s.now().Sub(s.triedAt) < s.minInterval {
		s.mu.Unlock()
		return s.cached(kid)
	}
	c := &fetchCall{done: make(chan struct{})}
	s.inflight = c
	s.triedAt = s.now()
	s.fetches++
	s.mu.Unlock()

	// The fetch serves every waiter, so one caller giving up must not cancel it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	keys, err := s.fetch(fctx)
	cancel()

	s.mu.Lock()
	if err == nil {
		s.keys = keys
		s.fetchedAt = s.now()
	}
	s.inflight = nil
	close(c.done)
	s.mu.Unlock()
	if k, cerr := s.cached(kid); cerr == nil {
		// A failed refresh keeps serving the last good keys.
		return k, nil
	}
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return jose.JSONWebKey{}, errUnknownKey
}

func (s *keySet) staleLocked() bool {
	return s.fetch != nil && s.maxAge > 0 && s.now().Sub(s.fetchedAt) > s.maxAge
}

func (s *keySet) cached(kid string) (jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return jose.JSONWebKey{}, errUnknownKey
}

// parseJWKS decodes a JWKS document and keeps only public asymmetric
// signing keys with a kid. Dropping symmetric keys here means an HMAC token
// can never be checked against key material an attacker can read.
func parseJWKS(data []byte) (map[string]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("auth: parse JWKS: %w", err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.KeyID == "" || !k.Valid() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if _, symmetric := k.Key.([]byte); symmetric {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		keys[k.KeyID] = k
	}
	if len(keys) == 0 {
		return nil, errors.New("auth: JWKS holds no usable public signing key")
	}
	return keys, nil
}

// httpJWKS returns a fetch func that GETs url with client.
func httpJWKS(client *http.Client, url string) func(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	return func(ctx context.Context) (map[string]jose.JSONWebKey, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS request: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("auth: fetch JWKS: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("auth: fetch JWKS %s: HTTP %d", url, resp.StatusCode)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
		if err != nil {
			return nil, fmt.Errorf("auth: read JWKS: %w", err)
		}
		if len(data) > maxJWKSBytes {
			return nil, fmt.Errorf("auth: JWKS from %s exceeds %d bytes", url, maxJWKSBytes)
		}
		return parseJWKS(data)
	}
}

// loadJWKSFile reads a static JWKS file once.
func loadJWKSFile(path string) (map[string]jose.JSONWebKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read JWKS file: %w", err)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return keys, nil
}
