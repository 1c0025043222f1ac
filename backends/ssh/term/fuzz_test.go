package term

import (
	"testing"
)

// FuzzWrite feeds arbitrary bytes with resizes in between. Properties: no
// panic, the cursor stays on the grid, every row has Cols cells, damage
// has one flag per row and scroll ops stay within the screen.
func FuzzWrite(f *testing.F) {
	seeds := []string{
		"hello\r\nworld", "\x1b[2;3r\x1b[3;1H\n\n\x1bM", "a中\u0301b\x1b[2@\x1b[P", "\x1b[?1049h\x1b[H\x1b[2J\x1b[?1049l",
		"\x1b(0lqk\x0e\x0f", "\x1b]0;t\x07\x1bPq\x1b\\", "\x1b[38:2::1:2:3m\x1b[4:3m", "\x1b[99;99H\x1b[6n\x1b[99b",
		"\x1b[?6h\x1b[5;2r\x1b[H\x1b[L\x1b[M", "\x1b#8\x1b[3J\x1b[?7l" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i*7), uint8(i*3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cols, rows uint8) {
		tm := New(int(cols%40)+1, int(rows%20)+1, Options{Scrollback: 8, Reply: func([]byte) {}})
		check := func() {
			x, y, _ := tm.Cursor()
			if x < 0 || x >= tm.Cols() || y < 0 || y >= tm.Rows() {
				t.Fatalf("cursor %d,%d outside %dx%d", x, y, tm.Cols(), tm.Rows())
			}
			if len(tm.Damage()) != tm.Rows() {
				t.Fatalf("damage has %d rows, want %d", len(tm.Damage()), tm.Rows())
			}
			for y := range tm.Rows() {
				if n := len(tm.lines[y].cells); n != tm.Cols() {
					t.Fatalf("row %d has %d cells, want %d", y, n, tm.Cols())
				}
			}
			for _, o := range tm.ScrollOps() {
				if o.Top < 0 || o.Bottom >= tm.Rows() || o.Top > o.Bottom {
					t.Fatalf("bad scroll op %+v", o)
				}
			}
			tm.SelectStart(0, 0, SelectWord)
			tm.SelectExtend(tm.Cols()-1, tm.Rows()-1)
			_ = tm.SelectionText()
		}
		for len(data) > 0 {
			n := min(len(data), int(data[0]%32)+1)
			tm.Write(data[:n])
			check()
			if data[0]&0xC0 == 0xC0 {
				tm.Resize(int(data[0]%13)+1, int(data[n-1]%11)+1)
				check()
			}
			if data[0]&0x30 == 0x30 {
				tm.ScrollView(int(data[0]%7) - 3)
				for y := range tm.Rows() {
					_ = tm.Row(y)
				}
			}
			data = data[n:]
		}
	})
}

// FuzzParseScheme: any spec either fails cleanly or yields a scheme whose
// colours are opaque.
func FuzzParseScheme(f *testing.F) {
	for _, s := range []string{"", "gray-black", "green-black", "foreground:rgb:f/8/0;background:navy;color3:#102030;",
		"foreground:color7;background:Dark Gray", "color255:rgb:ffff/0/1234", "foreground", "color300:red"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseScheme(spec)
		if err != nil {
			return
		}
		if s.FG.A != 0xFF || s.BG.A != 0xFF {
			t.Fatalf("%q: translucent default colours %v %v", spec, s.FG, s.BG)
		}
		for i, c := range s.Palette {
			if c.A != 0xFF {
				t.Fatalf("%q: palette %d translucent", spec, i)
			}
		}
	})
}
