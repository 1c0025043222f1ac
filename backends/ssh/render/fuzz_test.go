package render

import (
	"testing"

	"github.com/goguacd/goguacd/backends/ssh/term"
)

// FuzzRender feeds arbitrary output to a terminal, rendering incrementally
// after each chunk, and requires the result to equal a full repaint.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"hello\r\nworld\r\n\r\n\r\n\r\nmore", "\x1b[2;3r\x1b[3;1H\n\n\x1bM\x1b[r", "a中\u0301b\x1b[2@\x1b[P┌─┐",
		"\x1b[?1049h\x1b[H\x1b[2J\x1b[7mx\x1b[?1049l", "\x1b[41m\x1b[2J\x1b[?25l\x1b[1;4;9mZ",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, view uint8) {
		tm := term.New(12, 5, term.Options{Scrollback: 6})
		s := &fakeSurface{}
		r, err := New(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(data); i += 16 {
			tm.Write(data[i:min(i+16, len(data))])
			if data[i]%5 == 0 {
				tm.ScrollView(int(view%5) - 2)
			}
			if data[i]%7 == 0 {
				tm.SelectStart(int(data[i]%12), int(view%5), term.SelectWord)
			}
			r.Render(tm)
		}
		r.Render(tm)
		assertSameAsFresh(t, tm, r, s)
	})
}
