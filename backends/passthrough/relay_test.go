package passthrough

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// scriptConn is a net.Conn whose reads return chunks in turn and whose
// writes are kept. Methods the relay does not use are left to the nil
// embedded interface.
type scriptConn struct {
	net.Conn
	chunks [][]byte
	wrote  bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if c.chunks[0] = c.chunks[0][n:]; len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}
func (c *scriptConn) Write(p []byte) (int, error)      { return c.wrote.Write(p) }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }
func (c *scriptConn) Close() error                     { return nil }

// recSink records what a relay passes on, with "|" between writes and
// "F<n>" for frames.
type recSink struct{ log bytes.Buffer }

func (s *recSink) write(p []byte) {
	s.log.Write(p)
	s.log.WriteByte('|')
}
func (s *recSink) frame(frames int) {
	s.log.WriteString("F")
	s.log.WriteString(string(rune('0' + frames)))
	s.log.WriteByte('|')
}

func TestRelay(t *testing.T) {
	rect := "4.rect,1.0,1.0,1.0,2.10,2.10;"
	cfill := "5.cfill,2.12,1.0,1.0,1.0,1.0,3.255;"
	tests := []struct {
		name    string
		chunks  []string
		want    string // recSink log
		acks    string // written upstream
		wantErr func(error) bool
	}{
		{"one batch", []string{rect + cfill}, rect + cfill + "|", "", isEOF},
		{"cut inside an instruction", []string{rect + cfill[:7], cfill[7:]}, rect + "|" + cfill + "|", "", isEOF},
		{"sync replaced and acknowledged", []string{rect + "4.sync,3.123,1.2;" + cfill},
			rect + "|F2|" + cfill + "|", "4.sync,3.123;", isEOF},
		{"sync without frames", []string{"4.sync,2.77;"}, "F1|", "4.sync,2.77;", isEOF},
		{"msg dropped", []string{rect + "3.msg,1.1,2.@x,1.y;" + cfill}, rect + "|" + cfill + "|", "", isEOF},
		{"error ends with guacd's status", []string{rect + "5.error,5.Boom.,3.521;" + cfill}, rect + "|", "",
			func(err error) bool {
				var se *protocol.StatusError
				return errors.As(err, &se) && se.Status == protocol.StatusSessionConflict && se.Message == "Boom."
			}},
		{"disconnect", []string{rect + "10.disconnect;"}, rect + "|", "",
			func(err error) bool { return errors.Is(err, errUpstreamDisconnect) }},
		{"malformed after good data", []string{rect + "x;"}, rect + "|", "",
			func(err error) bool { return errors.Is(err, protocol.ErrMalformed) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &scriptConn{}
			for _, c := range tt.chunks {
				sc.chunks = append(sc.chunks, []byte(c))
			}
			up := newUpstream(sc)
			var s recSink
			err := up.relay(&s)
			if !tt.wantErr(err) {
				t.Fatalf("err %v", err)
			}
			if s.log.String() != tt.want || sc.wrote.String() != tt.acks {
				t.Fatalf("sink %q acks %q\nwant %q acks %q", s.log.String(), sc.wrote.String(), tt.want, tt.acks)
			}
		})
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// frameSink reconstructs the stream a relay passes on, rendering frames as
// sync,0,n; so it can be compared with the input.
type frameSink struct{ out []byte }

func (s *frameSink) write(p []byte)   { s.out = append(s.out, p...) }
func (s *frameSink) frame(frames int) { s.out = protocol.AppendSync(s.out, 0, frames) }

// expectedRelay is what relaying in must produce, computed in one pass.
func expectedRelay(in []byte) []byte {
	var p protocol.Parser
	var out []byte
	for {
		ins, n, err := p.Next(in)
		if err != nil {
			return out
		}
		switch {
		case ins.Is("sync"):
			out = protocol.AppendSync(out, 0, syncFrames(ins))
		case ins.Is("msg"):
		case ins.Is("error"), ins.Is("disconnect"):
			return out
		default:
			out = append(out, in[:n]...)
		}
		in = in[n:]
	}
}

func FuzzRelay(f *testing.F) {
	f.Add([]byte("4.rect,1.0,1.0,1.0,2.10,2.10;4.sync,3.123,1.2;3.msg,1.1,2.@x,1.y;"), uint8(3))
	f.Add([]byte("5.error,5.Boom.,3.521;"), uint8(1))
	f.Add([]byte("4.sync,2.77;10.disconnect;"), uint8(0))
	f.Add([]byte("4.test,6.a犬𐬀záb,5.12345,10.a犬𐬀zá犬𐬀zác;"), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		sc := &scriptConn{}
		step := int(cut) + 1
		for i := 0; i < len(in); i += step {
			sc.chunks = append(sc.chunks, in[i:min(i+step, len(in))])
		}
		up := newUpstream(sc)
		var s frameSink
		_ = up.relay(&s)
		if want := expectedRelay(in); !bytes.Equal(s.out, want) {
			t.Fatalf("relayed %q\nwant %q", s.out, want)
		}
	})
}

// BenchmarkRelay replays real guacd VNC output through a loopback TCP
// connection into a Display, as a passthrough session does.
func BenchmarkRelay(b *testing.B) {
	corpus, err := os.ReadFile("/work/shared/corpus/guacd-vnc-stream.bin")
	if err != nil {
		b.Fatalf("corpus: %v", err)
	}
	want := int64(len(expectedRelay(corpus)))
	var p protocol.Parser
	syncs := 0
	for in := corpus; ; {
		ins, n, err := p.Next(in)
		if err != nil {
			break
		}
		if ins.Is("sync") {
			syncs += syncFrames(ins)
			want -= int64(len(protocol.AppendSync(nil, 0, syncFrames(ins))))
		}
		in = in[n:]
	}

	g := newFakeGuacd(b, []string{"hostname"})
	g.payload, g.repeats = corpus, b.N
	be := newBackend(b, g.addr(), nil)
	d := newFakeDisplay()
	d.discard = true
	u := owner(nil, protocol.Version150)
	u.params = map[string]string{}
	sess, err := be.Open(b.Context(), u, d)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	if err := sess.Join(u); err != nil {
		b.Fatal(err)
	}
	total := want * int64(b.N)
	deadline := time.After(5 * time.Minute)
	for {
		d.mu.Lock()
		got, frames := d.bytes, d.frames
		d.mu.Unlock()
		if got >= total && frames >= syncs*b.N {
			if got != total {
				b.Fatalf("relayed %d bytes, want %d", got, total)
			}
			break
		}
		select {
		case <-d.notify:
		case <-deadline:
			b.Fatalf("relayed %d of %d bytes", got, total)
		}
	}
	b.StopTimer()
	d.mu.Lock()
	b.ReportMetric(float64(d.writes)/float64(b.N), "writes/op")
	d.mu.Unlock()
}

// discardConn swallows sync acknowledgements.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

type nopSink struct{}

func (nopSink) write([]byte) {}
func (nopSink) frame(int)    {}

// TestProcessAllocs checks that relaying allocates nothing per instruction,
// including the sync rewriting and acknowledgement.
func TestProcessAllocs(t *testing.T) {
	unit := []byte("4.rect,1.0,1.0,1.0,2.10,2.10;5.cfill,2.12,1.0,1.0,1.0,1.0,3.255;4.sync,3.123,1.1;3.msg,1.1,2.@x,1.y;")
	data := bytes.Repeat(unit, 1000)
	up := newUpstream(discardConn{})
	allocs := testing.AllocsPerRun(50, func() {
		up.start, up.end = 0, copy(up.buf, data)
		up.p.Reset()
		if err := up.process(nopSink{}); err != nil {
			t.Fatal(err)
		}
		if up.start != len(data) {
			t.Fatalf("consumed %d of %d", up.start, len(data))
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run of 4000 instructions", allocs)
	}
}
