package guactest

import (
	"bytes"
	"io"
	"slices"
	"testing"
)

const stream = "4.args,13.VERSION_1_5_0,8.hostname;5.ready,4.$abc;4.sync,2.10,1.1;10.disconnect;"

func TestParseAllAndReadAll(t *testing.T) {
	want := []string{"args", "ready", "sync", "disconnect"}
	parsed := ParseAll(t, []byte(stream))
	if !slices.Equal(Opcodes(parsed), want) {
		t.Fatalf("ParseAll opcodes %q", Opcodes(parsed))
	}
	for _, max := range []int{0, 1, 3, 1000} {
		read := ReadAll(t, NewChunkReader([]byte(stream), uint64(max), max))
		if len(read) != len(parsed) {
			t.Fatalf("max %d: %d instructions", max, len(read))
		}
		var wire bytes.Buffer
		for i := range read {
			if read[i].Opcode != parsed[i].Opcode || !slices.Equal(read[i].Args, parsed[i].Args) {
				t.Fatalf("max %d: instruction %d differs", max, i)
			}
			wire.WriteString(read[i].String())
		}
		if wire.String() != stream {
			t.Fatalf("re-encoded %q", wire.String())
		}
	}
}

func TestChunkReaderChunks(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1000)
	r := NewChunkReader(data, 7, 10)
	total, reads := 0, 0
	buf := make([]byte, 64)
	for reads < 2000 {
		n, err := r.Read(buf)
		if err == io.EOF {
			break
		}
		if n < 1 || n > 10 {
			t.Fatalf("chunk of %d bytes", n)
		}
		total += n
		reads++
	}
	if total != len(data) || reads < 100 {
		t.Fatalf("%d bytes in %d reads", total, reads)
	}
}

// TestFailures checks that malformed or truncated input fails the test.
func TestFailures(t *testing.T) {
	tests := []struct {
		name string
		run  func(tb testing.TB)
	}{
		{"parse malformed", func(tb testing.TB) { ParseAll(tb, []byte("x;")) }},
		{"parse truncated", func(tb testing.TB) { ParseAll(tb, []byte("3.nop;3.no")) }},
		{"read truncated", func(tb testing.TB) { ReadAll(tb, bytes.NewReader([]byte("3.nop;3.no"))) }},
	}
	for _, tt := range tests {
		ft := &fakeTB{}
		func() {
			defer func() { _ = recover() }()
			tt.run(ft)
		}()
		if !ft.failed {
			t.Errorf("%s: did not fail", tt.name)
		}
	}
}

// fakeTB records Fatalf instead of stopping the real test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}
