//go:build !amd64

package display

import "testing"

// withPaths runs f on the only code path this architecture has.
func withPaths(t *testing.T, f func(t *testing.T)) { f(t) }
