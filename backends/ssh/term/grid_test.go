package term

import (
	"strings"
	"testing"
	"unsafe"
)

// screen returns the terminal's rows (trailing blanks trimmed) for golden
// comparisons.
func screen(t *Terminal) []string {
	return strings.Split(strings.TrimSuffix(t.String(), "\n"), "\n")
}

func TestGrid(t *testing.T) {
	tests := []struct {
		name       string
		cols, rows int
		in         string
		want       []string
		cx, cy     int
	}{
		{"plain", 10, 3, "hello", []string{"hello", "", ""}, 5, 0},
		{"crlf", 10, 3, "ab\r\ncd", []string{"ab", "cd", ""}, 2, 1},
		{"lf keeps column", 10, 3, "ab\ncd", []string{"ab", "  cd", ""}, 4, 1},
		{"autowrap pending", 5, 3, "abcde", []string{"abcde", "", ""}, 4, 0},
		{"autowrap wraps", 5, 3, "abcdef", []string{"abcde", "f", ""}, 1, 1},
		{"pending wrap cleared by CR", 5, 3, "abcde\rX", []string{"Xbcde", "", ""}, 1, 0},
		{"no autowrap", 5, 2, "\x1b[?7labcdefg", []string{"abcdg", ""}, 4, 0},
		{"scroll at bottom", 5, 2, "a\r\nb\r\nc", []string{"b", "c"}, 1, 1},
		{"CUP", 10, 3, "\x1b[2;3HX", []string{"", "  X", ""}, 3, 1},
		{"HVP default", 10, 3, "abc\x1b[fX", []string{"Xbc", "", ""}, 1, 0},
		{"CUU CUD CUF CUB", 10, 4, "\x1b[3;3H\x1b[AU\x1b[2BD\x1b[3CF\x1b[2DB", []string{"", "  U", "", "   D  BF"}, 7, 3},
		{"CNL CPL", 10, 3, "ab\x1b[Ec\x1b[Fd", []string{"db", "c", ""}, 1, 0},
		{"CHA HPA VPA", 10, 3, "\x1b[5GA\x1b[3`B\x1b[3dC", []string{"  B A", "", "   C"}, 4, 2},
		{"HPR VPR", 10, 3, "\x1b[2aA\x1b[eB", []string{"  A", "   B", ""}, 4, 1},
		{"CUP clamps", 5, 3, "\x1b[99;99HX", []string{"", "", "    X"}, 4, 2},
		{"DECSC DECRC", 10, 3, "ab\x1b7\x1b[3;1Hx\x1b8c", []string{"abc", "", "x"}, 3, 0},
		{"?1048 save restore", 10, 3, "ab\x1b[?1048h\x1b[3;1Hx\x1b[?1048lc", []string{"abc", "", "x"}, 3, 0},
		{"CSI s u", 10, 3, "ab\x1b[s\x1b[3;1Hx\x1b[uc", []string{"abc", "", "x"}, 3, 0},
		{"ED 0", 5, 3, "aaaaabbbbbccc\x1b[2;3H\x1b[J", []string{"aaaaa", "bb", ""}, 2, 1},
		{"ED 1", 5, 3, "aaaaabbbbbccc\x1b[2;3H\x1b[1J", []string{"", "   bb", "ccc"}, 2, 1},
		{"ED 2", 5, 3, "aaaaabbbbbccc\x1b[2J", []string{"", "", ""}, 3, 2},
		{"EL 0 1 2", 6, 3, "abcdef\x1b[1;3H\x1b[K\r\n123456\x1b[2;3H\x1b[1K\r\n\x1b[2K", []string{"ab", "   456", ""}, 0, 2},
		{"ECH", 6, 1, "abcdef\x1b[1;2H\x1b[3X", []string{"a   ef"}, 1, 0},
		{"ICH", 6, 1, "abcdef\x1b[1;2H\x1b[2@", []string{"a  bcd"}, 1, 0},
		{"DCH", 6, 1, "abcdef\x1b[1;2H\x1b[2P", []string{"adef"}, 1, 0},
		{"IL", 3, 4, "a\r\nb\r\nc\r\nd\x1b[2;1H\x1b[L", []string{"a", "", "b", "c"}, 0, 1},
		{"DL", 3, 4, "a\r\nb\r\nc\r\nd\x1b[2;1H\x1b[2M", []string{"a", "d", "", ""}, 0, 1},
		{"IL in region", 3, 4, "a\r\nb\r\nc\r\nd\x1b[1;3r\x1b[1;1H\x1b[L", []string{"", "a", "b", "d"}, 0, 0},
		{"IL outside region ignored", 3, 4, "a\r\nb\r\nc\r\nd\x1b[1;2r\x1b[4;1H\x1b[L", []string{"a", "b", "c", "d"}, 0, 3},
		{"DECSTBM scroll", 3, 4, "a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[3;1H\nX", []string{"a", "c", "X", "d"}, 1, 2},
		{"RI at top of region", 3, 4, "a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[2;1H\x1bMX", []string{"a", "X", "b", "d"}, 1, 1},
		{"IND NEL", 5, 3, "ab\x1bDc\x1bEd", []string{"ab", "  c", "d"}, 1, 2},
		{"SU SD", 3, 3, "a\r\nb\r\nc\x1b[S", []string{"b", "c", ""}, 1, 2},
		{"SD", 3, 3, "a\r\nb\r\nc\x1b[2T", []string{"", "", "a"}, 1, 2},
		{"origin mode", 5, 4, "\x1b[2;3r\x1b[?6h\x1b[1;1HX\x1b[9;1HY", []string{"", "X", "Y", ""}, 1, 2},
		{"tabs", 20, 1, "a\tb\tc", []string{"a       b       c"}, 17, 0},
		{"tab stops set and cleared", 20, 1, "\x1b[3g\x1b[4G\x1bH\r\tX\tY", []string{"   X               Y"}, 19, 0},
		{"CHT CBT", 20, 1, "\x1b[2IX\x1b[2ZY", []string{"        Y       X"}, 9, 0},
		{"insert mode", 6, 1, "abcd\r\x1b[4hXY\x1b[4lZ", []string{"XYZbcd"}, 3, 0},
		{"LNM", 6, 2, "\x1b[20hab\ncd", []string{"ab", "cd"}, 2, 1},
		{"DEC line drawing", 6, 1, "\x1b(0lqk\x1b(Bx", []string{"┌─┐x"}, 4, 0},
		{"SO SI G1", 6, 1, "\x1b)0a\x0eq\x0fq", []string{"a─q"}, 3, 0},
		{"UK charset", 4, 1, "\x1b(A#", []string{"£"}, 1, 0},
		{"UTF-8", 6, 1, "h\xc3\xa9llo", []string{"héllo"}, 5, 0},
		{"wide", 6, 1, "a中b", []string{"a中b"}, 4, 0},
		{"wide wraps at edge", 4, 2, "abc中", []string{"abc", "中"}, 2, 1},
		{"overwrite wide half", 6, 1, "中\x1b[1;2Hx", []string{" x"}, 2, 0},
		{"combining", 6, 1, "e\xcc\x81x", []string{"e\u0301x"}, 2, 0},
		{"invalid utf8", 6, 1, "a\xffb\xc3c", []string{"a\ufffdb\ufffdc"}, 5, 0},
		{"REP", 8, 1, "ab\x1b[3b", []string{"abbbb"}, 5, 0},
		{"DECALN", 3, 2, "\x1b#8", []string{"EEE", "EEE"}, 0, 0},
		{"RIS", 5, 2, "abc\x1bc", []string{"", ""}, 0, 0},
		{"C0 inside CSI", 6, 2, "\x1b[\n2CA", []string{"", "  A"}, 3, 1},
		{"CAN aborts", 6, 1, "\x1b[2\x18A", []string{"A"}, 1, 0},
		{"OSC swallowed", 6, 1, "\x1b]0;title\x07ab\x1b]2;t\x1b\\c", []string{"abc"}, 3, 0},
		{"DCS swallowed", 6, 1, "\x1bPq#0;1\x1b\\ab", []string{"ab"}, 2, 0},
		{"APC swallowed", 6, 1, "\x1b_junk\x1b\\ab", []string{"ab"}, 2, 0},
		{"DECSTR", 6, 2, "\x1b[?7l\x1b[!pabcdefg", []string{"abcdef", "g"}, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := New(tc.cols, tc.rows, Options{})
			term.Write([]byte(tc.in))
			got := screen(term)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("screen\n got %q\nwant %q", got, tc.want)
			}
			if x, y, _ := term.Cursor(); x != tc.cx || y != tc.cy {
				t.Errorf("cursor = %d,%d, want %d,%d", x, y, tc.cx, tc.cy)
			}
			// Byte-at-a-time feeding must give the same result.
			one := New(tc.cols, tc.rows, Options{})
			for i := range len(tc.in) {
				one.Write([]byte{tc.in[i]})
			}
			if one.String() != term.String() {
				t.Errorf("byte-wise feed differs:\n%q\n%q", one.String(), term.String())
			}
		})
	}
}

func TestCellSize(t *testing.T) {
	if s := unsafe.Sizeof(Cell{}); s != 16 {
		t.Fatalf("Cell is %d bytes; the Write fast path is tuned for 16", s)
	}
}

// TestWriteSteadyStateAllocs: once history is full, plain output and
// scrolling reuse row storage.
func TestWriteSteadyStateAllocs(t *testing.T) {
	tm := New(80, 24, Options{Scrollback: 50})
	line := []byte("0000123 the quick brown fox jumps over the lazy dog \x1b[32mok\x1b[m\r\n")
	for range 100 {
		tm.Write(line)
	}
	if n := testing.AllocsPerRun(500, func() { tm.Write(line) }); n != 0 {
		t.Errorf("Write allocates %.1f times per line", n)
	}
}

func TestRuneWidth(t *testing.T) {
	tests := []struct {
		r rune
		w int
	}{
		{'a', 1}, {'é', 1}, {0x301, 0}, {0x200B, 0}, {'─', 1}, {'中', 2}, {'あ', 2}, {'한', 2},
		{0xFF21, 2}, {0xFF61, 1}, {0x1F600, 2}, {0x20000, 2}, {0x1D167, 0}, {0x10000, 1},
	}
	for _, tc := range tests {
		if got := runeWidth(tc.r); got != tc.w {
			t.Errorf("width(%U) = %d, want %d", tc.r, got, tc.w)
		}
	}
}
