package demo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzClientMessages feeds arbitrary client-to-server messages to the reader:
// it must end with an error (at worst io.EOF), never panic, and leave the
// desktop drawable.
func FuzzClientMessages(f *testing.F) {
	key := append([]byte{msgKeyEvent, 1, 0, 0}, binary.BigEndian.AppendUint32(nil, 'a')...)
	ptr := []byte{msgPointerEvent, 1, 0, 10, 0, 10, msgPointerEvent, 1, 0, 40, 0, 20}
	enc := []byte{msgSetEncodings, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0}
	upd := []byte{msgUpdateRequest, 1, 0, 0, 0, 0, 0, 64, 0, 64}
	cut := []byte{msgClientCutText, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'}
	pf := append([]byte{msgSetPixelFormat, 0, 0, 0}, defaultFormat.encode()...)
	enter := append([]byte{msgKeyEvent, 1, 0, 0}, binary.BigEndian.AppendUint32(nil, 0xff0d)...)
	for _, seed := range [][]byte{key, ptr, enc, upd, cut, pf, bytes.Repeat(enter, 10), {}, {9}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDesktop(64, 64, time.Unix(0, 0))
		c := newClient(d, nil)
		err := c.readLoop(bufio.NewReader(bytes.NewReader(data)))
		if err == nil {
			t.Fatal("readLoop returned nil at end of input")
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && err.Error() == "" {
			t.Fatalf("empty error")
		}
		d.tick(time.Unix(1, 0))
		d.typeRune('x')
	})
}
