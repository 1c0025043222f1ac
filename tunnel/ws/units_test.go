package ws

import (
	"bytes"
	"errors"
	"net/url"
	"testing"

	"github.com/goguacd/goguacd/protocol"
)

var recountTests = []struct {
	name        string
	codePoints  string // lengths in code points
	utf16       string // the same instructions with lengths in UTF-16 units
	malformedCP bool
}{
	{"ascii", "4.sync,3.123;", "4.sync,3.123;", false},
	{"bmp", "4.name,3.été;", "4.name,3.été;", false},
	{"astral", "4.name,2.😀x;", "4.name,3.😀x;", false},
	{"two astral, several instructions", "4.name,2.😀😀;3.nop;0.,4.ping,1.1;", "4.name,4.😀😀;3.nop;0.,4.ping,1.1;", false},
	{"empty element", "5.error,0.,3.512;", "5.error,0.,3.512;", false},
	{"three-byte CJK", "4.name,2.漢字;", "4.name,2.漢字;", false},
}

func TestRecount(t *testing.T) {
	for _, tt := range recountTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := recount(nil, []byte(tt.codePoints), true)
			if err != nil || string(got) != tt.utf16 {
				t.Fatalf("to UTF-16: %q, %v; want %q", got, err, tt.utf16)
			}
			back, err := recount(nil, []byte(tt.utf16), false)
			if err != nil || string(back) != tt.codePoints {
				t.Fatalf("to code points: %q, %v; want %q", back, err, tt.codePoints)
			}
		})
	}
}

func TestRecountMalformed(t *testing.T) {
	for _, in := range []string{
		"4.sync",         // no terminator
		"4.sync,",        // instruction not ended
		"4.sync,3.12",    // value cut short
		"x.sync;",        // no length
		"4sync;",         // no dot
		"4.syncX",        // bad separator
		"123456.a;",      // too many digits
		"4.name,1.😀;",    // UTF-16 length splits a surrogate pair
		"4.name,2.\xf0;", // truncated 4-byte sequence
	} {
		if _, err := recount(nil, []byte(in), false); err == nil {
			t.Errorf("recount(%q) accepted malformed input", in)
		}
	}
}

func TestHasAstral(t *testing.T) {
	if hasAstral([]byte("4.name,3.été;")) || !hasAstral([]byte("😀")) {
		t.Fatal("hasAstral is wrong")
	}
}

func FuzzRecount(f *testing.F) {
	for _, tt := range recountTests {
		f.Add([]byte(tt.codePoints))
		f.Add([]byte(tt.utf16))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := recount(nil, b, true)
		if err != nil {
			return
		}
		// Whatever is accepted in code points survives the round trip
		// through UTF-16 units, element for element (leading zeros of
		// lengths may go).
		back, err := recount(nil, u, false)
		if err != nil {
			t.Fatalf("round trip of %q failed: %v", b, err)
		}
		if len(u) < len(back) {
			t.Fatalf("UTF-16 form shorter: %q → %q", back, u)
		}
		var p1, p2 protocol.Parser
		for o1, o2 := 0, 0; o1 < len(b); {
			i1, n1, err1 := p1.Next(b[o1:])
			i2, n2, err2 := p2.Next(back[o2:])
			if err1 != nil || err2 != nil {
				if errors.Is(err1, protocol.ErrElementTooLong) || errors.Is(err1, protocol.ErrTooManyElements) || errors.Is(err1, protocol.ErrInstructionTooLong) {
					return
				}
				t.Fatalf("recount accepted %q but the parser fails: %v / %v", b, err1, err2)
			}
			if !bytes.Equal(i1.Opcode, i2.Opcode) || len(i1.Args) != len(i2.Args) {
				t.Fatalf("instruction changed: %q → %q", b[o1:o1+n1], back[o2:o2+n2])
			}
			for i := range i1.Args {
				if !bytes.Equal(i1.Args[i], i2.Args[i]) {
					t.Fatalf("argument %d changed: %q → %q", i, b[o1:o1+n1], back[o2:o2+n2])
				}
			}
			o1 += n1
			o2 += n2
		}
	})
}

func FuzzParseConnect(f *testing.F) {
	for _, s := range []string{connectGreen, "GUAC_TYPE=a&GUAC_ID=%24x&GUAC_SHARE=ro", "GUAC_WIDTH=-1", "GUAC_DPI=99999999999999999999", "GUAC_AUDIO=audio/L16&GUAC_AUDIO=audio/L8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		cd, err := parseConnect(v)
		if err != nil {
			var se *protocol.StatusError
			if !errors.As(err, &se) || se.Status != protocol.StatusClientBadRequest {
				t.Fatalf("error %v is not CLIENT_BAD_REQUEST", err)
			}
			return
		}
		for _, n := range []int{cd.info.Width, cd.info.Height, cd.info.DPI} {
			if n <= 0 || n > 16384 {
				t.Fatalf("accepted out-of-range size %d from %q", n, s)
			}
		}
	})
}
