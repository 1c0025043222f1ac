package term

import (
	"fmt"
	"testing"
)

// catStream is what `cat` of a numbered text file looks like through a
// PTY (LF becomes CR LF), like the 20 MB SSH anchor.
func catStream(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "%07d the quick brown fox jumps over the lazy dog\r\n", i)
	}
	return b
}

// colourStream mixes SGR colours, cursor positioning and erases, like a
// full-screen program redrawing (htop, vim).
func colourStream(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "\x1b[%d;1H\x1b[38;5;%dm%6d \x1b[1;32mok\x1b[0m \x1b[48;2;10;20;30m│ ┌─┐ 中文 \x1b[m\x1b[K", i%40+1, i%256, i)
	}
	return b
}

func benchWrite(b *testing.B, data []byte) {
	t := New(120, 40, Options{})
	const chunk = 32 << 10
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(data); i += chunk {
			t.Write(data[i:min(i+chunk, len(data))])
		}
		t.ClearDamage()
	}
}

func BenchmarkWriteCat(b *testing.B)    { benchWrite(b, catStream(4<<20)) }
func BenchmarkWriteColour(b *testing.B) { benchWrite(b, colourStream(4<<20)) }
