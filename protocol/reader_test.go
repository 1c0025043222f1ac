package protocol

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader returns its data in pseudo-random chunk sizes from 1 to max.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+c.rng.IntN(c.max), len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// parseAll is the expected output of a Reader: repeated Parser.Next over the
// whole input, as raw instruction bytes, plus the first error.
func parseAll(data []byte, limit int) (raws []string, err error) {
	p := Parser{MaxInstructionSize: limit}
	for len(data) > 0 {
		_, n, err := p.Next(data)
		if err != nil {
			return raws, err
		}
		raws = append(raws, string(data[:n]))
		data = data[n:]
	}
	return raws, nil
}

// readAll drains r, checking that Raw re-parses to the returned instruction.
func readAll(t testing.TB, r *Reader) (raws []string, err error) {
	for range 1 << 20 { // bounded: far more than any input here holds
		ins, err := r.ReadInstruction()
		if err != nil {
			if r.Raw() != nil {
				t.Fatalf("Raw() = %q after error", r.Raw())
			}
			return raws, err
		}
		raw := r.Raw()
		var p Parser
		if again, n, err := p.Next(raw); err != nil || n != len(raw) || !equalElems(elements(again), elements(ins)) {
			t.Fatalf("Raw %.60q does not parse back to the instruction %.60q: %v", raw, elements(ins), err)
		}
		raws = append(raws, string(raw))
	}
	t.Fatal("reader did not terminate")
	return nil, nil
}

func readerInputs(t testing.TB) map[string][]byte {
	var all strings.Builder
	for _, tc := range parseCases {
		if tc.err == nil && tc.limit == 0 && tc.trailer == 0 {
			all.WriteString(tc.in)
		}
	}
	return map[string][]byte{
		"table": []byte(all.String()),
		"ssh":   loadCorpus(t, "guacd-ssh-stream.bin"),
	}
}

func TestReaderSplits(t *testing.T) {
	for name, data := range readerInputs(t) {
		want, _ := parseAll(data, 0)
		readers := map[string]func() io.Reader{
			"whole":      func() io.Reader { return bytes.NewReader(data) },
			"one byte":   func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
			"half":       func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
			"data+EOF":   func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
			"random 1-7": func() io.Reader { return &chunkReader{data, rand.New(rand.NewPCG(1, 2)), 7} },
			"random 1-5000": func() io.Reader {
				return &chunkReader{data, rand.New(rand.NewPCG(3, 4)), 5000}
			},
		}
		for rname, mk := range readers {
			t.Run(name+"/"+rname, func(t *testing.T) {
				got, err := readAll(t, NewReader(mk()))
				if err != io.EOF {
					t.Fatalf("end error %v, want io.EOF", err)
				}
				if strings.Join(got, "") != strings.Join(want, "") || len(got) != len(want) {
					t.Fatalf("got %d instructions, want %d", len(got), len(want))
				}
			})
		}
	}
}

func TestReaderCorpus(t *testing.T) {
	data := loadCorpus(t, "guacd-vnc-stream.bin")
	// One-byte reads are covered by TestReaderSplits; 20 M of them here
	// would only slow the suite.
	for _, max := range []int{7, 4096, 1 << 16} {
		r := NewReader(&chunkReader{data, rand.New(rand.NewPCG(uint64(max), 5)), max})
		got, err := readAll(t, r)
		if err != io.EOF || len(got) != 6607 || strings.Join(got, "") != string(data) {
			t.Fatalf("chunks ≤ %d: %d instructions, err %v", max, len(got), err)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		size   int
		n      int // instructions before the error
		err    error
		offset int // stream offset for parse errors
	}{
		{name: "clean EOF", in: "3.nop;", n: 1, err: io.EOF},
		{name: "empty stream", in: "", n: 0, err: io.EOF},
		{name: "EOF mid instruction", in: "3.nop;4.sy", n: 1, err: io.ErrUnexpectedEOF},
		{name: "malformed after good", in: "3.nop;3.nop;x", n: 2, err: ErrMalformed, offset: 12},
		{name: "too long for buffer", in: "3.nop;4.test,20.01234567890123456789;", size: 16, n: 1, err: ErrInstructionTooLong, offset: 15},
		{name: "hostile length", in: "3.nop;4.blob,8192.AAAA", size: 64, n: 1, err: ErrInstructionTooLong, offset: 17},
		{name: "element too long", in: "9000.", n: 0, err: ErrElementTooLong, offset: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), tt.size)
			got, err := readAll(t, r)
			if len(got) != tt.n || !errors.Is(err, tt.err) {
				t.Fatalf("%d instructions then %v; want %d then %v", len(got), err, tt.n, tt.err)
			}
			var pe *ParseError
			if errors.As(err, &pe) && pe.Offset != tt.offset {
				t.Errorf("offset %d, want %d", pe.Offset, tt.offset)
			}
			if _, err2 := r.ReadInstruction(); err2 != err && !errors.Is(err2, tt.err) {
				t.Errorf("error not sticky: %v then %v", err, err2)
			}
		})
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("3.nop;3.no"), iotest.ErrReader(boom)))
	if ins, err := r.ReadInstruction(); err != nil || !ins.Is("nop") {
		t.Fatalf("%q %v", ins.Opcode, err)
	}
	if _, err := r.ReadInstruction(); !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
}

// emptyReader returns (0, nil) forever.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// liarReader claims to have read more than it was given room for.
type liarReader struct{}

func (liarReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestReaderInvalidCount(t *testing.T) {
	_, err := NewReader(liarReader{}).ReadInstruction()
	if err == nil || !strings.Contains(err.Error(), "invalid count") {
		t.Fatalf("err %v, want invalid count", err)
	}
}

func TestReaderNoProgress(t *testing.T) {
	if _, err := NewReader(emptyReader{}).ReadInstruction(); err != io.ErrNoProgress {
		t.Fatalf("err %v, want io.ErrNoProgress", err)
	}
}

func TestReaderBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("3.nop;4.sync,1.5;3.en"))
	tests := []struct {
		op       string
		buffered int
	}{{"nop", 15}, {"sync", 4}}
	for _, tt := range tests {
		ins, err := r.ReadInstruction()
		if err != nil || !ins.Is(tt.op) {
			t.Fatalf("%q %v", ins.Opcode, err)
		}
		if r.Buffered() != tt.buffered {
			t.Errorf("after %s Buffered() = %d, want %d", tt.op, r.Buffered(), tt.buffered)
		}
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("x"))
	if _, err := r.ReadInstruction(); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	r.Reset(strings.NewReader("3.nop;"))
	if ins, err := r.ReadInstruction(); err != nil || !ins.Is("nop") {
		t.Fatalf("after Reset: %q %v", ins.Opcode, err)
	}
	if _, err := r.ReadInstruction(); err != io.EOF {
		t.Fatalf("err %v, want io.EOF", err)
	}
}

func TestReaderBufferFixed(t *testing.T) {
	r := NewReaderSize(strings.NewReader("4.blob,8192."+strings.Repeat("A", 100)), 1024)
	if len(r.buf) != 1024 {
		t.Fatalf("buffer %d bytes, want 1024", len(r.buf))
	}
	if _, err := r.ReadInstruction(); !errors.Is(err, ErrInstructionTooLong) {
		t.Fatalf("err %v", err)
	}
	if len(r.buf) != 1024 || cap(r.buf) != 1024 {
		t.Fatalf("buffer grew to %d", cap(r.buf))
	}
}

// loopReader serves data endlessly, so a Reader can be measured in steady
// state.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func TestReaderZeroAllocs(t *testing.T) {
	r := NewReader(&loopReader{data: loadCorpus(t, "guacd-vnc-stream.bin")})
	allocs := testing.AllocsPerRun(5000, func() {
		if _, err := r.ReadInstruction(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadInstruction: %v allocs per instruction, want 0", allocs)
	}
}

func FuzzReader(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), uint8(3), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, size uint16) {
		limit := int(size)
		if limit == 0 {
			limit = DefaultMaxInstructionSize
		}
		want, wantErr := parseAll(data, limit)
		cr := &chunkReader{data, rand.New(rand.NewPCG(uint64(chunk), 0)), int(chunk) + 1}
		got, err := readAll(t, NewReaderSize(cr, limit))
		if strings.Join(got, "") != strings.Join(want, "") || len(got) != len(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		switch {
		case wantErr == nil && err != io.EOF:
			t.Fatalf("err %v, want io.EOF", err)
		case wantErr == ErrIncomplete && err != io.ErrUnexpectedEOF:
			t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
		case wantErr != nil && wantErr != ErrIncomplete && sentinel(err) != sentinel(wantErr):
			t.Fatalf("err %v, want %v", err, wantErr)
		}
	})
}

func BenchmarkReader(b *testing.B) {
	for _, name := range []string{"vnc", "ssh"} {
		b.Run(name, func(b *testing.B) {
			data := loadCorpus(b, "guacd-"+name+"-stream.bin")
			br := bytes.NewReader(data)
			r := NewReader(br)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			m := startCPU(b, int64(len(data)))
			for b.Loop() {
				br.Reset(data)
				r.Reset(br)
				for {
					if _, err := r.ReadInstruction(); err != nil {
						if err == io.EOF {
							break
						}
						b.Fatal(err)
					}
				}
			}
			m.stop()
		})
	}
}

// timeoutReader fails its first read with a deadline error, then serves data.
type timeoutReader struct {
	fails int
	data  []byte
}

type deadlineErr struct{}

func (deadlineErr) Error() string { return "i/o timeout" }
func (deadlineErr) Timeout() bool { return true }

func (t *timeoutReader) Read(p []byte) (int, error) {
	if t.fails > 0 {
		t.fails--
		return 0, deadlineErr{}
	}
	if len(t.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, t.data)
	t.data = t.data[n:]
	return n, nil
}

// A read deadline passing is not the end of the stream: reading again
// after it must return the data that arrives later.
func TestReaderTimeoutNotSticky(t *testing.T) {
	r := NewReader(&timeoutReader{fails: 2, data: []byte("4.sync,1.5;")})
	for i := 0; i < 2; i++ {
		if _, err := r.ReadInstruction(); !isTimeout(err) {
			t.Fatalf("read %d: %v, want the timeout", i, err)
		}
	}
	ins, err := r.ReadInstruction()
	if err != nil || !ins.Is("sync") {
		t.Fatalf("after timeouts: %v %v", ins, err)
	}
}

func TestReaderUnread(t *testing.T) {
	r := NewReader(strings.NewReader("6.select,3.vnc;4.size,3.800;4.sy"))
	if _, err := r.ReadInstruction(); err != nil {
		t.Fatal(err)
	}
	if got := string(r.Unread()); got != "4.size,3.800;4.sy" {
		t.Fatalf("Unread = %q", got)
	}
}
