// Package guactest provides test helpers for code built on package
// protocol: copied (keepable) instructions, whole-stream parsing that fails
// the test on any error, and an io.Reader that delivers data in
// pseudo-random chunks to exercise every split point.
//
// It is meant for _test.go files and bench/ only.
package guactest

import (
	"io"
	"math/rand/v2"
	"testing"

	"github.com/goguacd/goguacd/protocol"
)

// Instr is a copy of a parsed instruction that stays valid after the next
// parse call.
type Instr struct {
	Opcode string
	Args   []string
}

// Copy copies a parsed instruction out of the parser's buffer.
func Copy(ins protocol.Instruction) Instr {
	c := Instr{Opcode: string(ins.Opcode), Args: make([]string, len(ins.Args))}
	for i, a := range ins.Args {
		c.Args[i] = string(a)
	}
	return c
}

// String returns the instruction in wire form.
func (i Instr) String() string {
	return string(protocol.AppendInstruction(nil, i.Opcode, i.Args...))
}

// ParseAll parses data, which must hold only complete instructions, and
// fails tb otherwise.
func ParseAll(tb testing.TB, data []byte) []Instr {
	tb.Helper()
	var p protocol.Parser
	var out []Instr
	for off := 0; off < len(data); {
		ins, n, err := p.Next(data[off:])
		if err != nil {
			tb.Fatalf("guactest: parse at byte %d: %v", off, err)
		}
		out = append(out, Copy(ins))
		off += n
	}
	return out
}

// ReadAll reads instructions from r until io.EOF and fails tb on any other
// error, including an end of stream inside an instruction.
func ReadAll(tb testing.TB, r io.Reader) []Instr {
	tb.Helper()
	pr := protocol.NewReader(r)
	var out []Instr
	for {
		ins, err := pr.ReadInstruction()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatalf("guactest: after %d instructions: %v", len(out), err)
		}
		out = append(out, Copy(ins))
	}
}

// Opcodes lists the opcodes of ins in order, for compact assertions.
func Opcodes(ins []Instr) []string {
	ops := make([]string, len(ins))
	for i, in := range ins {
		ops[i] = in.Opcode
	}
	return ops
}

// ChunkReader returns its data in chunks of pseudo-random size between 1
// and a maximum, reproducibly for a given seed, then io.EOF.
type ChunkReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

// NewChunkReader returns a ChunkReader over data with chunks of 1 to maxChunk
// bytes (maxChunk < 1 means 1).
func NewChunkReader(data []byte, seed uint64, maxChunk int) *ChunkReader {
	return &ChunkReader{data: data, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), max: max(maxChunk, 1)}
}

// Read implements io.Reader.
func (c *ChunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+c.rng.IntN(c.max), len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}
