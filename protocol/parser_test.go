package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const (
	// guacd's own vectors (src/libguac/tests/parser, tests/socket).
	vecRead      = "4.test,6.a犬𐬀záb,5.12345,10.a犬𐬀zá犬𐬀zác;"
	vecRead2     = "5.test2,10.hellohello,15.worldworldworld;"
	vecAppend    = "4.test,8.testdata,5.zxcvb,13.guacamoletest;"
	nameValue    = "a犬𐬀záb犬𐬀zác"
	vecName      = "4.name,11." + nameValue + ";"
	vecNestInner = vecName + "4.sync,5.12345,1.1;"
	vecNest      = "4.nest,3.123,41." + vecNestInner + ";"
)

type parseCase struct {
	name    string
	in      string
	limit   int      // MaxInstructionSize; 0 = default
	want    []string // opcode then args, when err is nil
	err     error
	errOff  int // ParseError.Offset, when err is a hard error
	trailer int // bytes after the instruction that Next must not consume
}

var parseCases = []parseCase{
	{name: "guacd read vector", in: vecRead, want: []string{"test", "a犬𐬀záb", "12345", "a犬𐬀zá犬𐬀zác"}},
	{name: "guacd read vector 2", in: vecRead2, want: []string{"test2", "hellohello", "worldworldworld"}},
	{name: "guacd append vector", in: vecAppend, want: []string{"test", "testdata", "zxcvb", "guacamoletest"}},
	{name: "name with 11 code points", in: vecName, want: []string{"name", nameValue}},
	{name: "nested", in: vecNest, want: []string{"nest", "123", vecNestInner}},
	{name: "size", in: "4.size,1.0,4.1024,3.768;", want: []string{"size", "0", "1024", "768"}},
	{name: "no args", in: "3.nop;", want: []string{"nop"}},
	{name: "empty opcode", in: "0.;", want: []string{""}},
	{name: "internal ping", in: "0.,4.ping,13.1700000000000;", want: []string{"", "ping", "1700000000000"}},
	{name: "empty args", in: "3.abc,0.,0.;", want: []string{"abc", "", ""}},
	{name: "leading zeros within 5 digits", in: "00004.test;", want: []string{"test"}},
	{name: "trailing data not consumed", in: "3.nop;4.sync", want: []string{"nop"}, trailer: 6},
	{name: "astral counts one", in: "1.𐬀;", want: []string{"𐬀"}},
	{name: "stray continuation counts one", in: "2.\x80\xbf;", want: []string{"\x80\xbf"}},
	{name: "invalid lead byte counts one", in: "2.\xff\xfe;", want: []string{"\xff\xfe"}},
	{name: "lead byte swallows what follows", in: "1.\xe7ab;", want: []string{"\xe7ab"}},
	{name: "separator inside a value", in: "3.a,;,1.;;", want: []string{"a,;", ";"}},
	{name: "max element length", in: "4.blob," + "8192." + strings.Repeat("A", 8192) + ";", want: []string{"blob", strings.Repeat("A", 8192)}},
	{name: "max elements", in: "1.x" + strings.Repeat(",1.a", MaxElements-1) + ";", want: append([]string{"x"}, strings.Split(strings.Repeat("a", MaxElements-1), "")...)},
	{name: "exactly max size", in: "4.test,4.abcd;", limit: 14, want: []string{"test", "abcd"}},

	{name: "incomplete empty", in: "", err: ErrIncomplete},
	{name: "incomplete in length", in: "4", err: ErrIncomplete},
	{name: "incomplete after dot", in: "4.", err: ErrIncomplete},
	{name: "incomplete in value", in: "4.te", err: ErrIncomplete},
	{name: "incomplete before separator", in: "4.test", err: ErrIncomplete},
	{name: "incomplete after comma", in: "4.test,", err: ErrIncomplete},
	{name: "incomplete inside character", in: "1.\xf0\x90\xac", err: ErrIncomplete},

	{name: "letter for length", in: "x.abc;", err: ErrMalformed, errOff: 0},
	{name: "missing dot", in: "4test;", err: ErrMalformed, errOff: 1},
	{name: "dot without digits", in: ".abc;", err: ErrMalformed, errOff: 0},
	{name: "negative length", in: "-1.a;", err: ErrMalformed, errOff: 0},
	{name: "leading space", in: " 3.nop;", err: ErrMalformed, errOff: 0},
	{name: "wrong terminator", in: "4.test:", err: ErrMalformed, errOff: 6},
	{name: "value longer than declared", in: "3.test;", err: ErrMalformed, errOff: 5},
	{name: "empty element slot", in: "4.test,;", err: ErrMalformed, errOff: 7},
	{name: "double comma", in: "4.test,,", err: ErrMalformed, errOff: 7},
	{name: "newline between", in: "3.nop;\n", err: nil, want: []string{"nop"}, trailer: 1},

	{name: "element over 8192", in: "8193.", err: ErrElementTooLong, errOff: 3},
	{name: "huge length rejected early", in: "99999999999.", err: ErrElementTooLong, errOff: 3},
	{name: "six digit prefix", in: "000001.a;", err: ErrElementTooLong, errOff: 5},
	{name: "too many elements", in: "1.x" + strings.Repeat(",1.a", MaxElements) + ";", err: ErrTooManyElements, errOff: 3 + 4*(MaxElements-1)},
	{name: "declared value cannot fit", in: "4.test,10.", limit: 16, err: ErrInstructionTooLong, errOff: 9},
	{name: "max size reached without end", in: "4.test,4.abcd,1.x;", limit: 14, err: ErrInstructionTooLong, errOff: 14},
	{name: "character straddles max size", in: "4.test,1.\xe7\x8a\xac;", limit: 11, err: ErrInstructionTooLong, errOff: 9},
	{name: "default max size", in: strings.Repeat("1.a,", DefaultMaxInstructionSize/4) + "1.a;", err: ErrTooManyElements, errOff: 3 + 4*(MaxElements-1)},
}

func checkParse(t *testing.T, tc parseCase, ins Instruction, n int, err error) {
	t.Helper()
	if tc.err != nil {
		if !errors.Is(err, tc.err) {
			t.Fatalf("err = %v, want %v", err, tc.err)
		}
		if tc.err == ErrIncomplete {
			if err != ErrIncomplete {
				t.Fatalf("ErrIncomplete must be returned unwrapped, got %T", err)
			}
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("err %v is %T, want *ParseError", err, err)
		}
		if pe.Offset != tc.errOff {
			t.Errorf("offset = %d, want %d (%v)", pe.Offset, tc.errOff, err)
		}
		if len(pe.Snippet) == 0 || pe.Snippet[0] != '"' {
			t.Errorf("snippet %s is not %%q-quoted", pe.Snippet)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if n != len(tc.in)-tc.trailer {
		t.Errorf("n = %d, want %d", n, len(tc.in)-tc.trailer)
	}
	got := []string{string(ins.Opcode)}
	for _, a := range ins.Args {
		got = append(got, string(a))
	}
	if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") || len(got) != len(tc.want) {
		t.Errorf("elements = %q, want %q", got, tc.want)
	}
}

func TestParserNext(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			p := Parser{MaxInstructionSize: tc.limit}
			ins, n, err := p.Next([]byte(tc.in))
			checkParse(t, tc, ins, n, err)
		})
	}
}

// TestParserEveryPrefix feeds each case one more byte at a time, copying the
// prefix to a fresh buffer every call so the Parser cannot depend on the
// buffer staying put; each call resumes inside length prefixes, values and
// multi-byte characters.
func TestParserEveryPrefix(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			p := Parser{MaxInstructionSize: tc.limit}
			for k := 0; k <= len(tc.in); k++ {
				buf := []byte(tc.in[:k])
				ins, n, err := p.Next(buf)
				if err == ErrIncomplete && k < len(tc.in) {
					continue
				}
				checkParse(t, tc, ins, n, err)
				if tc.err == nil && k != n {
					t.Fatalf("completed at prefix %d, want %d", k, n)
				}
				return
			}
			if tc.err != ErrIncomplete {
				t.Fatalf("never completed")
			}
		})
	}
}

// TestParserSplitOnce splits each input once at every offset: the first call
// sees the head, the second the whole input.
func TestParserSplitOnce(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for k := 0; k <= len(in); k++ {
				p := Parser{MaxInstructionSize: tc.limit}
				ins, n, err := p.Next(in[:k])
				if err == ErrIncomplete {
					ins, n, err = p.Next(in)
				}
				checkParse(t, tc, ins, n, err)
			}
		})
	}
}

func TestParserAgreesWithReference(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = DefaultMaxInstructionSize
			}
			checkAgainstReference(t, []byte(tc.in), limit)
		})
	}
}

func TestParserStickyErrorAndReset(t *testing.T) {
	var p Parser
	_, _, err1 := p.Next([]byte("x;"))
	_, _, err2 := p.Next([]byte("3.nop;"))
	if !errors.Is(err1, ErrMalformed) || err2 != err1 {
		t.Fatalf("errors %v, %v: want the same sticky ErrMalformed", err1, err2)
	}
	p.Reset()
	if ins, _, err := p.Next([]byte("3.nop;")); err != nil || !ins.Is("nop") {
		t.Fatalf("after Reset: %v %q", err, ins.Opcode)
	}
}

func TestParserShorterInputRestarts(t *testing.T) {
	var p Parser
	if _, _, err := p.Next([]byte("4.sync,1.1")); err != ErrIncomplete {
		t.Fatal(err)
	}
	// Shorter than what was validated, so certainly not an extension of the
	// prefix: the Parser must start over, not index out of range.
	ins, n, err := p.Next([]byte("3.nop;"))
	if err != nil || !ins.Is("nop") || n != 6 {
		t.Fatalf("got %q %d %v", ins.Opcode, n, err)
	}
}

func TestParserSequence(t *testing.T) {
	in := []byte(vecRead + vecName + "0.;" + vecNest + "3.nop;")
	want := []string{"test", "name", "", "nest", "nop"}
	var p Parser
	for i, op := range want {
		ins, n, err := p.Next(in)
		if err != nil || string(ins.Opcode) != op {
			t.Fatalf("instruction %d: %q %v, want %q", i, ins.Opcode, err, op)
		}
		in = in[n:]
	}
	if len(in) != 0 {
		t.Fatalf("%d bytes left", len(in))
	}
}

func TestInstructionAccessors(t *testing.T) {
	var p Parser
	ins, _, err := p.Next([]byte("5.mouse,2.10,2.20,1.1;"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		i    int
		want []byte
	}{{0, []byte("10")}, {2, []byte("1")}, {3, nil}, {-1, nil}}
	for _, tt := range tests {
		if got := ins.Arg(tt.i); !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Arg(%d) = %q, want %q", tt.i, got, tt.want)
		}
	}
	if !ins.Is("mouse") || ins.Is("mous") || ins.Is("mouse ") {
		t.Error("Is mismatch")
	}
	if a := testing.AllocsPerRun(100, func() { _ = ins.Is("mouse") }); a != 0 {
		t.Errorf("Is allocates %v", a)
	}
}

// TestParserArgsDoNotClobber checks that appending to a returned arg cannot
// overwrite the bytes that follow it in the buffer.
func TestParserArgsDoNotClobber(t *testing.T) {
	var p Parser
	in := []byte("4.sync,1.1,1.2;")
	ins, _, err := p.Next(in)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(ins.Arg(0), 'X')
	if string(in) != "4.sync,1.1,1.2;" {
		t.Fatalf("buffer clobbered: %q", in)
	}
}

// checkAgainstReference compares Parser with refParse on b, fed whole and
// split once at every offset.
func checkAgainstReference(t *testing.T, b []byte, limit int) {
	t.Helper()
	wantElems, wantN, wantErr := refParse(b, limit)
	for k := 0; k <= len(b); k++ {
		p := Parser{MaxInstructionSize: limit}
		ins, n, err := p.Next(b[:k])
		if err == ErrIncomplete {
			// The head may legitimately be incomplete; resume with it all.
			ins, n, err = p.Next(b)
		}
		if sentinel(err) != wantErr {
			t.Fatalf("split %d of %q: err %v, reference %v", k, b, err, wantErr)
		}
		if err != nil {
			continue
		}
		if n != wantN || !equalElems(elements(ins), wantElems) {
			t.Fatalf("split %d of %q: got %q n=%d, reference %q n=%d", k, b, elements(ins), n, wantElems, wantN)
		}
	}
}

func TestParseCorpusRoundTrip(t *testing.T) {
	tests := []struct {
		file    string
		count   int
		opcodes map[string]int
	}{
		{"guacd-vnc-stream.bin", 6607, map[string]int{"blob": 3277, "img": 1383, "end": 1380, "copy": 195, "sync": 147, "rect": 107, "cfill": 107, "size": 4, "cursor": 3, "args": 2, "ready": 2}},
		{"guacd-ssh-stream.bin", 769, map[string]int{"rect": 271, "cfill": 271, "blob": 57, "end": 53, "img": 50, "sync": 47, "size": 8, "move": 5, "argv": 3, "args": 1, "ready": 1, "cursor": 1, "disconnect": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := loadCorpus(t, tt.file)
			var p Parser
			out := make([]byte, 0, len(data))
			got := map[string]int{}
			count := 0
			for rest := data; len(rest) > 0; count++ {
				ins, n, err := p.Next(rest)
				if err != nil {
					t.Fatalf("instruction %d at byte %d: %v", count, len(data)-len(rest), err)
				}
				got[string(ins.Opcode)]++
				before := len(out)
				out = AppendInstructionBytes(out, ins)
				if !bytes.Equal(out[before:], rest[:n]) {
					t.Fatalf("instruction %d re-encodes differently:\n got %.80q\nwant %.80q", count, out[before:], rest[:n])
				}
				rest = rest[n:]
			}
			if count != tt.count {
				t.Errorf("%d instructions, want %d", count, tt.count)
			}
			for op, c := range tt.opcodes {
				if got[op] != c {
					t.Errorf("%d %q, want %d", got[op], op, c)
				}
			}
			if !bytes.Equal(out, data) {
				t.Error("re-encoded corpus differs")
			}
		})
	}
}

func TestParserZeroAllocs(t *testing.T) {
	data := loadCorpus(t, "guacd-vnc-stream.bin")
	var p Parser
	rest := data
	allocs := testing.AllocsPerRun(2000, func() {
		if len(rest) == 0 {
			rest = data
		}
		_, n, err := p.Next(rest)
		if err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	})
	if allocs != 0 {
		t.Errorf("Parser.Next: %v allocs per instruction, want 0", allocs)
	}
	// The incomplete path runs on every short read and must not allocate
	// either.
	allocs = testing.AllocsPerRun(100, func() {
		p.Reset()
		if _, _, err := p.Next(data[:100]); err != ErrIncomplete {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parser.Next incomplete: %v allocs, want 0", allocs)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), uint16(tc.limit))
	}
	f.Add([]byte(vecRead+vecNest), uint16(20))
	f.Fuzz(func(t *testing.T, b []byte, lim uint16) {
		// Small limits reach the too-long paths; 0 is the default.
		limit := int(lim)
		if limit == 0 {
			limit = DefaultMaxInstructionSize
		}
		wantElems, wantN, wantErr := refParse(b, limit)

		p := Parser{MaxInstructionSize: limit}
		ins, n, err := p.Next(b)
		if sentinel(err) != wantErr {
			t.Fatalf("err %v, reference %v", err, wantErr)
		}
		if err == nil && (n != wantN || !equalElems(elements(ins), wantElems)) {
			t.Fatalf("got %q n=%d, reference %q n=%d", elements(ins), n, wantElems, wantN)
		}

		// Resume from a split point chosen by the input.
		if len(b) > 0 {
			k := int(b[0]) % (len(b) + 1)
			var q Parser
			q.MaxInstructionSize = limit
			_, _, err := q.Next(bytes.Clone(b[:k]))
			if err == ErrIncomplete {
				ins2, n2, err2 := q.Next(b)
				if sentinel(err2) != wantErr || (err2 == nil && (n2 != wantN || !equalElems(elements(ins2), wantElems))) {
					t.Fatalf("split at %d: %q %d %v, reference %q %d %v", k, elements(ins2), n2, err2, wantElems, wantN, wantErr)
				}
			} else if sentinel(err) != wantErr {
				t.Fatalf("head of %d bytes: %v, full input gives %v", k, err, wantErr)
			}
		}

		if err != nil {
			return
		}
		// parse → append → parse → append must be stable.
		enc1 := AppendInstructionBytes(nil, ins)
		var r Parser
		ins2, n2, err := r.Next(enc1)
		if err != nil && !(errors.Is(err, ErrInstructionTooLong) && len(enc1) > limit) {
			t.Fatalf("re-parse of %q: %v", enc1, err)
		}
		if err != nil {
			return
		}
		if n2 != len(enc1) || !equalElems(elements(ins2), wantElems) {
			t.Fatalf("round trip changed %q into %q", wantElems, elements(ins2))
		}
		if enc2 := AppendInstructionBytes(nil, ins2); !bytes.Equal(enc1, enc2) {
			t.Fatalf("re-encoding unstable: %q vs %q", enc1, enc2)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"vnc", "ssh"} {
		b.Run(name, func(b *testing.B) {
			data := loadCorpus(b, "guacd-"+name+"-stream.bin")
			var p Parser
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			m := startCPU(b, int64(len(data)))
			for b.Loop() {
				for rest := data; len(rest) > 0; {
					_, n, err := p.Next(rest)
					if err != nil {
						b.Fatal(err)
					}
					rest = rest[n:]
				}
			}
			m.stop()
		})
	}
}
