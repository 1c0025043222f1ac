package rfb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"time"
)

// Server-to-client message types.
const (
	msgFramebufferUpdate   = 0
	msgSetColourMapEntries = 1
	msgBell                = 2
	msgServerCutText       = 3
)

// Run reads server messages and feeds sink until the connection fails, the
// server violates the protocol, Close is called or ctx is done. It reports
// the initial size through sink.Resize, asks for a full update, and asks
// for the next incremental update right after each one is processed. The
// error wraps io.EOF/io.ErrUnexpectedEOF for a closed connection,
// ErrProtocol for bad data, or ctx.Err().
func (c *Client) Run(ctx context.Context, sink Sink) error {
	stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	err := c.run(sink)
	if ctx.Err() != nil {
		return fmt.Errorf("rfb: run: %w", ctx.Err())
	}
	return err
}

func (c *Client) run(sink Sink) error {
	if locker, ok := sink.(FramebufferLocker); ok {
		locker.LockFramebuffer()
		sink.Resize(c.fb.Rect.Dx(), c.fb.Rect.Dy())
		locker.UnlockFramebuffer()
	} else {
		sink.Resize(c.fb.Rect.Dx(), c.fb.Rect.Dy())
	}
	if err := c.requestUpdate(false); err != nil {
		return err
	}
	for {
		t, err := c.br.ReadByte()
		if err != nil {
			return fmt.Errorf("rfb: read message: %w", err)
		}
		if err := c.message(t, sink); err != nil {
			if errors.Is(err, io.EOF) {
				// EOF at a message boundary is a clean close; inside one it
				// is a truncated message.
				return fmt.Errorf("rfb: connection closed inside a message: %w", io.ErrUnexpectedEOF)
			}
			return err
		}
	}
}

// message handles one server message whose type byte has been read.
func (c *Client) message(t byte, sink Sink) error {
	switch t {
	case msgFramebufferUpdate:
		if err := c.framebufferUpdate(sink); err != nil {
			return err
		}
		sink.EndOfUpdate()
		full := c.fullNext
		c.fullNext = false
		return c.requestUpdate(!full)
	case msgSetColourMapEntries:
		// We always ask for true colour; a colour map is skipped.
		h, err := c.next(5)
		if err != nil {
			return fmt.Errorf("rfb: read SetColourMapEntries: %w", err)
		}
		return c.discard(int(binary.BigEndian.Uint16(h[3:])) * 6)
	case msgBell:
		sink.Bell()
		return nil
	case msgServerCutText:
		h, err := c.next(7)
		if err != nil {
			return fmt.Errorf("rfb: read ServerCutText: %w", err)
		}
		n := binary.BigEndian.Uint32(h[3:])
		keep := min(n, MaxCutText)
		text, err := c.readBytes(keep, MaxCutText)
		if err == nil {
			err = c.discard(int(n - keep))
		}
		if err != nil {
			return fmt.Errorf("rfb: read ServerCutText: %w", err)
		}
		sink.ServerCutText(latin1(text))
		return nil
	}
	return protoErr("unknown server message type %d", t)
}

// next returns the next n (<= 64 KiB) bytes of input, valid until the
// next read. Peek+Discard reads from bufio's buffer without copying and,
// unlike io.ReadFull into a local array, lets nothing escape to the heap.
func (c *Client) next(n int) ([]byte, error) {
	b, err := c.br.Peek(n)
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	c.br.Discard(n)
	return b, nil
}

func (c *Client) discard(n int) error {
	if _, err := c.br.Discard(n); err != nil {
		return fmt.Errorf("rfb: skip %d bytes: %w", n, err)
	}
	return nil
}

// errLastRect ends a FramebufferUpdate early.
var errLastRect = errors.New("rfb: last rect")

// framebufferUpdate decodes the rectangles of one FramebufferUpdate.
func (c *Client) framebufferUpdate(sink Sink) error {
	h, err := c.next(3)
	if err != nil {
		return fmt.Errorf("rfb: read FramebufferUpdate: %w", err)
	}
	n := int(binary.BigEndian.Uint16(h[1:]))
	locker, _ := sink.(FramebufferLocker)
	for i := 0; i < n; i++ {
		if locker != nil {
			locker.LockFramebuffer()
		}
		err := c.rect(sink)
		if locker != nil {
			locker.UnlockFramebuffer()
		}
		if err == errLastRect {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rect decodes one rectangle: header, then its encoding.
func (c *Client) rect(sink Sink) error {
	h, err := c.next(12)
	if err != nil {
		return fmt.Errorf("rfb: read rectangle header: %w", err)
	}
	x, y := int(binary.BigEndian.Uint16(h[0:])), int(binary.BigEndian.Uint16(h[2:]))
	w, hh := int(binary.BigEndian.Uint16(h[4:])), int(binary.BigEndian.Uint16(h[6:]))
	enc := int32(binary.BigEndian.Uint32(h[8:]))
	r := image.Rect(x, y, x+w, y+hh)

	switch enc {
	case encDesktopSize:
		return c.resizeTo(w, hh, sink)
	case encExtendedDesktopSize:
		return c.extendedDesktopSize(y, w, hh, sink)
	case encLastRect:
		return errLastRect
	case encCursor:
		return c.cursor(image.Pt(x, y), w, hh, sink)
	case encSupportedMessages:
		return c.supportedMessagesRect(w)
	}
	if !r.In(c.fb.Rect) {
		return protoErr("rectangle %v (encoding %d) outside framebuffer %v", r, enc, c.fb.Rect)
	}
	if r.Empty() {
		// Some servers send empty rects; every encoding then has no body
		// except Tight, which still sends its control byte.
		if enc != encTight {
			return nil
		}
	}
	switch enc {
	case encRaw:
		err = c.raw(r)
	case encCopyRect:
		s, err := c.next(4)
		if err != nil {
			return fmt.Errorf("rfb: read CopyRect: %w", err)
		}
		sp := image.Pt(int(binary.BigEndian.Uint16(s[0:])), int(binary.BigEndian.Uint16(s[2:])))
		src := r.Sub(r.Min).Add(sp)
		if !src.In(c.fb.Rect) {
			return protoErr("CopyRect source %v outside framebuffer", src)
		}
		c.fb.Move(src, r.Min)
		sink.CopyRect(src, r.Min)
		return nil
	case encHextile:
		err = c.hextile(r)
	case encZRLE:
		err = c.zrleRect(r)
	case encTight:
		err = c.tightRect(r)
	default:
		return protoErr("unrequested encoding %d", enc)
	}
	if err != nil {
		return err
	}
	if !r.Empty() {
		sink.Damage(r)
	}
	return nil
}

// raw reads Raw pixels row by row into the framebuffer, converting them
// where they lie in the read buffer: a full-screen update is megabytes,
// and copying it out first costs as much again.
func (c *Client) raw(r image.Rectangle) error {
	w, size := r.Dx(), c.cv.size
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := c.fb.PixOffset(r.Min.X, y)
		row, err := c.br.Peek(w * size)
		if err != nil {
			return fmt.Errorf("rfb: read Raw: %w", err)
		}
		c.cv.putRow(c.fb.Pix[off:off+w*3], row, w, size)
		c.br.Discard(len(row))
	}
	return nil
}

// Every Raw row fits the read buffer, so raw can Peek it whole.
var _ [readBuffer - 4*MaxDimension]struct{}

// buf returns the scratch buffer resized to n bytes.
func (c *Client) buf(n int) []byte {
	if cap(c.scratch) < n {
		c.scratch = make([]byte, n)
	}
	return c.scratch[:n]
}

// resizeTo replaces the framebuffer after a size change.
func (c *Client) resizeTo(w, h int, sink Sink) error {
	if w > MaxDimension || h > MaxDimension {
		return protoErr("desktop size %dx%d exceeds %d", w, h, MaxDimension)
	}
	if w == c.fb.Rect.Dx() && h == c.fb.Rect.Dy() {
		return nil
	}
	c.fb = newFramebuffer(w, h)
	c.fullNext = true
	sink.Resize(w, h)
	return nil
}

// extendedDesktopSize handles the ExtendedDesktopSize pseudo-rectangle,
// whose header y is the status (x, the reason, does not matter to us),
// followed by a screen list.
func (c *Client) extendedDesktopSize(status, w, h int, sink Sink) error {
	hdr, err := c.next(4)
	if err != nil {
		return fmt.Errorf("rfb: read ExtendedDesktopSize: %w", err)
	}
	n := int(hdr[0])
	for i := 0; i < n; i++ {
		s, err := c.next(16)
		if err != nil {
			return fmt.Errorf("rfb: read ExtendedDesktopSize screen: %w", err)
		}
		if i == 0 {
			c.screenID.Store(uint64(binary.BigEndian.Uint32(s[0:]))<<32 | uint64(binary.BigEndian.Uint32(s[12:])))
		}
	}
	c.resize.Store(true)
	if status != 0 {
		return nil // a refused SetDesktopSize: the size is unchanged
	}
	return c.resizeTo(w, h, sink)
}

// cursor decodes the Cursor pseudo-encoding: pixels then a 1-bit mask.
func (c *Client) cursor(hot image.Point, w, h int, sink Sink) error {
	if w > MaxCursorDimension || h > MaxCursorDimension {
		return protoErr("cursor %dx%d exceeds %d", w, h, MaxCursorDimension)
	}
	size := c.cv.size
	stride := (w + 7) / 8
	data := c.buf(w*h*size + stride*h)
	if _, err := io.ReadFull(c.br, data); err != nil {
		return fmt.Errorf("rfb: read Cursor: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	mask := data[w*h*size:]
	for y := 0; y < h; y++ {
		c.cv.putRowRGBA(img.Pix[y*img.Stride:], data[y*w*size:], w, size)
		for x := 0; x < w; x++ {
			if mask[y*stride+x/8]&(0x80>>(x%8)) == 0 {
				o := y*img.Stride + x*4
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = 0, 0, 0, 0
			}
		}
	}
	if w > 0 && h > 0 && !hot.In(img.Rect) {
		hot = image.Pt(min(hot.X, w-1), min(hot.Y, h-1))
	}
	sink.Cursor(hot, img)
	return nil
}
