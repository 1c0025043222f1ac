package ws

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/goguacd/goguacd/protocol"
)

// wsPair returns a server-side wsConn and the browser end of the same
// loopback WebSocket.
func wsPair(t testing.TB, utf16 bool) (*wsConn, *websocket.Conn) {
	t.Helper()
	ch := make(chan *websocket.Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		ch <- c
	}))
	t.Cleanup(ts.Close)
	d := websocket.Dialer{Subprotocols: []string{"guacamole"}}
	cc, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := newWSConn(<-ch, utf16, "test")
	t.Cleanup(func() { sc.finish(); cc.Close() })
	return sc, cc
}

func TestWriteCoalescesWholeInstructions(t *testing.T) {
	sc, cc := wsPair(t, false)
	// Small instructions, one over MaxMessage, then more small ones.
	var in []byte
	for i := range 3000 {
		in = protocol.AppendSync(in, int64(i), 1)
		if i == 1500 {
			in = protocol.AppendInstruction(in, "test", strings.Repeat("A", 8000), strings.Repeat("B", 8000))
		}
		if i%7 == 0 {
			in = protocol.AppendInstruction(in, "name", "été 漢字")
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- sc.Write(in) }()
	var got []byte
	msgs := 0
	for len(got) < len(in) {
		_ = cc.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, m, err := cc.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		msgs++
		if typ != websocket.TextMessage {
			t.Fatalf("message type %d", typ)
		}
		parts := splitWhole(t, m)
		if len(m) > MaxMessage && len(parts) != 1 {
			t.Fatalf("message of %d bytes holds %d instructions", len(m), len(parts))
		}
		got = append(got, m...)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, in) {
		t.Fatal("stream changed in transit")
	}
	if most := 2*(len(in)/MaxMessage+1) + 2; msgs > most {
		t.Fatalf("%d messages for %d bytes: not coalesced", msgs, len(in))
	}
}

func TestWriteRejectsPartialInstructions(t *testing.T) {
	sc, _ := wsPair(t, false)
	if err := sc.Write([]byte("4.sync,1.1")); !errors.Is(err, protocol.ErrIncomplete) {
		t.Fatalf("Write of a partial instruction: %v", err)
	}
}

func TestCloseSendsLastErrorStatus(t *testing.T) {
	for _, tt := range []struct {
		out  string
		code int
		text string
	}{
		{"10.disconnect;", 1000, "0"},
		{string(protocol.AppendError(nil, "gone", protocol.StatusUpstreamNotFound)), 1011, "519"},
		{"5.error,3.bad,3.769;10.disconnect;", 1008, "769"},
		{"5.error,3.bad,4.abcd;", 1011, "512"},
	} {
		sc, cc := wsPair(t, false)
		if err := sc.Write([]byte(tt.out)); err != nil {
			t.Fatal(err)
		}
		_ = sc.Close()
		_ = cc.SetReadDeadline(time.Now().Add(5 * time.Second))
		var err error
		for err == nil {
			_, _, err = cc.ReadMessage()
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != tt.code || ce.Text != tt.text {
			t.Errorf("after %q: %v, want close %d %q", tt.out, err, tt.code, tt.text)
		}
	}
}

func TestReadDeadlineIsReported(t *testing.T) {
	sc, _ := wsPair(t, false)
	_ = sc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := sc.ReadInstruction(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadInstruction after deadline: %v", err)
	}
}

func TestReadAfterBrowserCloseIsEOF(t *testing.T) {
	sc, cc := wsPair(t, false)
	_ = cc.WriteMessage(websocket.TextMessage, []byte("3.nop;"))
	_ = cc.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1005, ""))
	if ins, err := sc.ReadInstruction(); err != nil || !ins.Is("nop") {
		t.Fatalf("first read: %v %v", ins, err)
	}
	if _, err := sc.ReadInstruction(); err != io.EOF {
		t.Fatalf("read after close: %v, want io.EOF", err)
	}
}

func TestBinaryMessageRefused(t *testing.T) {
	sc, cc := wsPair(t, false)
	_ = cc.WriteMessage(websocket.BinaryMessage, []byte("3.nop;"))
	var se *protocol.StatusError
	if _, err := sc.ReadInstruction(); !errors.As(err, &se) || se.Status != protocol.StatusClientBadType {
		t.Fatalf("binary message: %v", err)
	}
}

// clientFrame is payload as one masked text frame, as a browser sends it.
func clientFrame(payload []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	f := []byte{0x81}
	if len(payload) < 126 {
		f = append(f, 0x80|byte(len(payload)))
	} else {
		f = append(f, 0x80|126, byte(len(payload)>>8), byte(len(payload)))
	}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

// TestRelayAllocations pins the per-message allocation counts: writing is
// free; reading costs gorilla's one messageReader per message (16 bytes),
// which its API does not let us reuse. The browser side uses the raw
// socket so that only the relay's allocations are counted.
func TestRelayAllocations(t *testing.T) {
	sc, cc := wsPair(t, false)
	out := protocol.AppendSync(protocol.AppendCfill(protocol.AppendRect(nil, 0, 0, 0, 64, 64), protocol.ModeSrc, 0, 1, 2, 3, 255), 12345, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, cc.UnderlyingConn())
	}()
	if n := testing.AllocsPerRun(1000, func() {
		if err := sc.Write(out); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Write allocates %v times per message", n)
	}
	cc.Close()
	<-done

	sc2, cc2 := wsPair(t, false)
	frame := clientFrame([]byte("5.mouse,3.100,3.200,1.1,13.1712345678901;"))
	var all []byte
	for range 1001 {
		all = append(all, frame...)
	}
	go func() { _, _ = cc2.UnderlyingConn().Write(all) }()
	if n := testing.AllocsPerRun(1000, func() {
		if ins, err := sc2.ReadInstruction(); err != nil || !ins.Is("mouse") {
			t.Fatalf("read: %v %v", ins, err)
		}
	}); n > 1 {
		t.Fatalf("ReadInstruction allocates %v times per message", n)
	}
}

func BenchmarkRelayWrite(b *testing.B) {
	for _, size := range []int{64, 1024, 8000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			sc, cc := wsPair(b, false)
			go func() { _, _ = io.Copy(io.Discard, cc.UnderlyingConn()) }()
			// A frame of instructions of about size bytes.
			var out []byte
			ins := 0
			for len(out) < size {
				out = protocol.AppendRect(out, 0, 10, 10, 64, 64)
				out = protocol.AppendCfill(out, protocol.ModeSrc, 0, 1, 2, 3, 255)
				ins += 2
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(out)))
			b.ResetTimer()
			for b.Loop() {
				if err := sc.Write(out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ins)*float64(b.N)/b.Elapsed().Seconds(), "instructions/s")
		})
	}
}

func BenchmarkRelayRead(b *testing.B) {
	sc, cc := wsPair(b, false)
	msg := []byte("5.mouse,3.100,3.200,1.1,13.1712345678901;")
	var burst []byte
	for range 256 {
		burst = append(burst, clientFrame(msg)...)
	}
	go func() {
		for {
			if _, err := cc.UnderlyingConn().Write(burst); err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := sc.ReadInstruction(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "instructions/s")
}
