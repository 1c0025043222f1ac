package rfb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// bitmaps builds a SupportedMessages body announcing the given client
// message types.
func bitmaps(clientTypes ...uint8) []byte {
	b := make([]byte, supportedMessagesLen)
	for _, t := range clientTypes {
		b[t/8] |= 1 << (t % 8)
	}
	return b
}

func TestParseSupportedMessages(t *testing.T) {
	for _, tt := range []struct {
		name    string
		body    []byte
		accepts bool
		err     bool
	}{
		{"with SetServerInput", bitmaps(0, 2, 3, 4, 5, 6, 9), true, false},
		{"standard only", bitmaps(0, 2, 3, 4, 5, 6), false, false},
		{"neighbours of 9 only", bitmaps(8, 10), false, false},
		// Type 9 in the server-to-client half says nothing about sending it.
		{"server half", func() []byte { b := make([]byte, supportedMessagesLen); b[32+1] = 1 << 1; return b }(), false, false},
		{"short", make([]byte, 63), false, true},
		{"long", make([]byte, 65), false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseSupportedMessages(tt.body)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				if !errors.Is(err, ErrProtocol) {
					t.Errorf("error %v does not match ErrProtocol", err)
				}
				return
			}
			if got := m.accepts(msgSetServerInput); got != tt.accepts {
				t.Errorf("accepts(SetServerInput) = %v, want %v", got, tt.accepts)
			}
		})
	}
}

// recordConn keeps what the client writes.
type recordConn struct {
	net.Conn
	buf *bytes.Buffer
}

func (c recordConn) Write(p []byte) (int, error) { return c.buf.Write(p) }

// supportedUpdate is a FramebufferUpdate holding one SupportedMessages
// rectangle with body.
func supportedUpdate(body []byte) []byte {
	b := []byte{0, 0, 0, 1, 0, 0, 0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, 0xFFFE0001) // SupportedMessages
	return append(b, body...)
}

// TestSetServerInputSentOnce decodes two announcements: the request goes
// out after the first only, and never without the option or the bit.
func TestSetServerInputSentOnce(t *testing.T) {
	for _, tt := range []struct {
		name    string
		disable bool
		body    []byte
		want    int
	}{
		{"announced", true, bitmaps(9), 1},
		{"not announced", true, bitmaps(0, 2, 3, 4, 5, 6), 0},
		{"option off", false, bitmaps(9), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := append(supportedUpdate(tt.body), supportedUpdate(tt.body)...)
			c := decodeClient(8, 8, 32, bytes.NewReader(in))
			var out bytes.Buffer
			c.conn = recordConn{buf: &out}
			c.cfg.DisableServerInput = tt.disable
			for range 2 {
				if err := decodeOnce(c); err != nil {
					t.Fatal(err)
				}
			}
			// Each update is followed by a 10-byte update request.
			got := bytes.Count(out.Bytes(), []byte{msgSetServerInput, 1, 0, 0, 3})
			if got != tt.want || out.Len() != 20+4*tt.want {
				t.Fatalf("wrote % x: %d SetServerInput, want %d", out.Bytes(), got, tt.want)
			}
			if c.ServerInputDisabled() != (tt.want == 1) {
				t.Errorf("ServerInputDisabled() = %v", c.ServerInputDisabled())
			}
		})
	}
}

// TestDisableServerInput runs against the fake server, with and without
// the announcement: announced, the server receives SetServerInput(1) once,
// before any later input; not announced, it never does and the connection
// (which the fake, like TigerVNC, would drop) keeps working.
func TestDisableServerInput(t *testing.T) {
	for _, tt := range []struct {
		name      string
		announce  bool
		disable   bool
		want      []rfbtest.Event
		askedList bool
	}{
		{"announced", true, true, []rfbtest.Event{{Kind: rfbtest.SetServerInputEvent, Status: 1}, {Kind: rfbtest.KeyEvent, Keysym: 'a', Down: true}}, true},
		{"not announced", false, true, []rfbtest.Event{{Kind: rfbtest.KeyEvent, Keysym: 'a', Down: true}}, true},
		{"option off", true, false, []rfbtest.Event{{Kind: rfbtest.KeyEvent, Keysym: 'a', Down: true}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, rfbtest.Options{Width: 16, Height: 16, SupportedMessages: tt.announce}, Config{DisableServerInput: tt.disable})
			s.sink.waitFor(t, "end")
			if got := slices.Contains(s.srv.ClientEncodings(), encSupportedMessages); got != tt.askedList {
				t.Errorf("SupportedMessages requested = %v, want %v", got, tt.askedList)
			}
			if err := s.c.KeyEvent('a', true); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := s.srv.WaitEvents(ctx, len(tt.want)); err != nil {
				t.Fatal(err)
			}
			// A later update must not repeat the request.
			s.srv.Update(rfbtest.Rect{Rect: image.Rect(0, 0, 8, 8), Encoding: rfbtest.Raw})
			s.sink.waitFor(t, "end")
			if err := s.c.KeyEvent('a', false); err != nil {
				t.Fatal(err)
			}
			got, err := s.srv.WaitEvents(ctx, len(tt.want)+1)
			if err != nil {
				t.Fatal(err)
			}
			want := append(tt.want, rfbtest.Event{Kind: rfbtest.KeyEvent, Keysym: 'a'})
			if !slices.Equal(got, want) {
				t.Fatalf("server saw %+v, want %+v", got, want)
			}
		})
	}
}
