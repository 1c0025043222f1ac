package ssh

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkOutputFrame measures the output path of a streaming command:
// 1 MB of PTY output into the terminal (as the reader does, in 32 KB
// chunks), then one frame rendered and encoded, as the flusher does.
func BenchmarkOutputFrame(b *testing.B) {
	var data []byte
	for i := 0; len(data) < 1<<20; i++ {
		data = fmt.Appendf(data, "%7d the quick brown fox jumps over the lazy dog\r\n", i)
	}
	u := &fakeUser{}
	sess, err := (&Backend{}).Open(context.Background(), u, &fakeDisplay{})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	s := sess.(*session)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(data); i += readBuffer {
			s.output(data[i:min(i+readBuffer, len(data))], true)
		}
		s.engMu.Lock()
		s.flushLocked()
		s.engMu.Unlock()
	}
}
