package render

import (
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends/ssh/term"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestConcurrentRenderers: parsed fonts are shared process-wide; sessions
// render in parallel (run with -race).
func TestConcurrentRenderers(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			s := &fakeSurface{}
			r, err := New(s, Options{FontSize: float64(10 + i)})
			if err != nil {
				t.Error(err)
				return
			}
			tm := term.New(20, 4, term.Options{})
			tm.Write([]byte("abc ✓ ┌─┐ \x1b[1mbold\x1b[3mitalic"))
			r.Render(tm)
		})
	}
	wg.Wait()
}
