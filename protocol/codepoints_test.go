package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var codePointCases = []struct {
	in   string
	want int
}{
	{"", 0},
	{"hello", 5},
	{nameValue, 11},
	{"a犬𐬀záb", 6},
	{"𐬀", 1},        // 4-byte: 1, not 2 as in UTF-16
	{"\x80", 1},     // stray continuation byte
	{"\xff\xfe", 2}, // invalid lead bytes
	{"\xe7", 1},     // truncated character at the end
	{"\xe7ab", 1},   // lead byte swallows the next two bytes
	{"\xf0\x90", 1}, // truncated 4-byte character
	{"é" + strings.Repeat("x", 40) + "犬", 42},
	{strings.Repeat("A", 8191) + "犬", 8192},
	{strings.Repeat("犬", 100), 100},
}

func TestCodePoints(t *testing.T) {
	for _, tc := range codePointCases {
		if got := CodePointsString(tc.in); got != tc.want {
			t.Errorf("CodePointsString(%q) = %d, want %d", tc.in, got, tc.want)
		}
		if got := CodePoints([]byte(tc.in)); got != tc.want {
			t.Errorf("CodePoints(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCharSize(t *testing.T) {
	for c := range 256 {
		if got, want := charSize(byte(c)), refCharSize(byte(c)); got != want {
			t.Errorf("charSize(%#x) = %d, want %d", c, got, want)
		}
	}
}

func TestASCIIPrefix(t *testing.T) {
	// Put one non-ASCII byte at every position of every length up to 80 to
	// cover the 32-byte, 8-byte and tail loops.
	for n := range 80 {
		b := []byte(strings.Repeat("a", n))
		if got := asciiPrefix(b); got != n {
			t.Fatalf("all-ASCII length %d: %d", n, got)
		}
		for i := range n {
			b[i] = 0x80
			if got := asciiPrefix(b); got != i {
				t.Fatalf("length %d, non-ASCII at %d: got %d", n, i, got)
			}
			b[i] = 'a'
		}
	}
}

func FuzzCodePoints(f *testing.F) {
	for _, tc := range codePointCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := refCodePoints(b)
		if got := CodePoints(b); got != want {
			t.Fatalf("CodePoints(%q) = %d, reference %d", b, got, want)
		}
		if got := CodePointsString(string(b)); got != want {
			t.Fatalf("CodePointsString(%q) = %d, reference %d", b, got, want)
		}
		if utf8.Valid(b) && want != utf8.RuneCount(b) {
			t.Fatalf("valid UTF-8 %q: %d code points, utf8.RuneCount %d", b, want, utf8.RuneCount(b))
		}
	})
}

func BenchmarkCodePoints(b *testing.B) {
	for _, tc := range []struct{ name, s string }{
		{"base64-8KiB", strings.Repeat("QUJD", 2048)},
		{"cjk-1KiB", strings.Repeat("犬", 341)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := []byte(tc.s)
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				CodePoints(buf)
			}
		})
	}
}
