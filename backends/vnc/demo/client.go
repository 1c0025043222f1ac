package demo

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"net"
	"sync"
)

// client is one RFB viewer. The reader goroutine handles its messages; the
// writer sends a FramebufferUpdate whenever one was requested and there is
// damage (or the request was not incremental).
type client struct {
	d  *desktop
	nc net.Conn

	mu      sync.Mutex // guards everything below; taken under d.mu too
	cond    *sync.Cond
	format  pixelFormat
	canCopy bool
	wanted  bool            // an update request is pending
	full    image.Rectangle // non-incremental request area
	dirty   image.Rectangle
	copies  []copyOp
	closed  bool

	buttons uint8
	last    image.Point
}

func newClient(d *desktop, nc net.Conn) *client {
	c := &client{d: d, nc: nc, format: defaultFormat}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// damage is called with d.mu held.
func (c *client) damage(r image.Rectangle) {
	c.mu.Lock()
	c.dirty = c.dirty.Union(r)
	c.cond.Signal()
	c.mu.Unlock()
}

// copyRect records a scroll (d.mu held). Damage not yet sent moves with the
// copy, so it is widened to cover both places.
func (c *client) copyRect(src image.Rectangle, dst image.Point) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.canCopy || len(c.copies) > 16 {
		c.dirty = c.dirty.Union(src).Union(src.Sub(src.Min).Add(dst))
		c.cond.Signal()
		return
	}
	if !c.dirty.Empty() {
		c.dirty = c.dirty.Union(c.dirty.Sub(src.Min).Add(dst))
	}
	c.copies = append(c.copies, copyOp{src: src, dst: dst})
	c.cond.Signal()
}

func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	c.cond.Signal()
	c.mu.Unlock()
}

func (c *client) readLoop(br *bufio.Reader) error {
	var hdr [20]byte
	for {
		typ, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch typ {
		case msgSetPixelFormat:
			if _, err := io.ReadFull(br, hdr[:19]); err != nil {
				return err
			}
			pf, err := decodeFormat(hdr[3:19])
			if err != nil {
				// RFB has no way to refuse a format after init: say why in
				// the log and hang up rather than send garbage.
				return err
			}
			c.mu.Lock()
			c.format = pf
			c.mu.Unlock()
		case msgSetEncodings:
			if _, err := io.ReadFull(br, hdr[:3]); err != nil {
				return err
			}
			n := int(binary.BigEndian.Uint16(hdr[1:3]))
			if n > maxEncodings {
				return fmt.Errorf("demo: %d encodings", n)
			}
			copyRect := false
			for range n {
				if _, err := io.ReadFull(br, hdr[:4]); err != nil {
					return err
				}
				if int32(binary.BigEndian.Uint32(hdr[:4])) == encCopyRect {
					copyRect = true
				}
			}
			c.mu.Lock()
			c.canCopy = copyRect
			c.mu.Unlock()
		case msgUpdateRequest:
			if _, err := io.ReadFull(br, hdr[:9]); err != nil {
				return err
			}
			r := image.Rect(int(binary.BigEndian.Uint16(hdr[1:])), int(binary.BigEndian.Uint16(hdr[3:])), 0, 0)
			r.Max = r.Min.Add(image.Pt(int(binary.BigEndian.Uint16(hdr[5:])), int(binary.BigEndian.Uint16(hdr[7:]))))
			c.mu.Lock()
			c.wanted = true
			if hdr[0] == 0 {
				c.full = c.full.Union(r)
			}
			c.cond.Signal()
			c.mu.Unlock()
		case msgKeyEvent:
			if _, err := io.ReadFull(br, hdr[:7]); err != nil {
				return err
			}
			if hdr[0] != 0 {
				if r, ok := keysymRune(binary.BigEndian.Uint32(hdr[3:7])); ok {
					c.d.typeRune(r)
				}
			}
		case msgPointerEvent:
			if _, err := io.ReadFull(br, hdr[:5]); err != nil {
				return err
			}
			p := image.Pt(int(binary.BigEndian.Uint16(hdr[1:])), int(binary.BigEndian.Uint16(hdr[3:])))
			mask := hdr[0]
			if mask&1 != 0 {
				from := c.last
				if c.buttons&1 == 0 {
					from = p
				}
				c.d.line(from, p)
			}
			c.buttons, c.last = mask, p
		case msgClientCutText:
			if _, err := io.ReadFull(br, hdr[:7]); err != nil {
				return err
			}
			n := binary.BigEndian.Uint32(hdr[3:7])
			if n > maxCutText {
				return fmt.Errorf("demo: cut text of %d bytes", n)
			}
			if _, err := br.Discard(int(n)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("demo: unknown client message %d", typ)
		}
	}
}

// keysymRune maps a pressed X11 keysym to what the demo types.
func keysymRune(k uint32) (rune, bool) {
	switch {
	case k == 0xff08:
		return '\b', true
	case k == 0xff0d, k == 0xff8d:
		return '\n', true
	case k >= 0x20 && k <= 0x7e, k >= 0xa0 && k <= 0xff:
		return rune(k), true
	case k&0xff000000 == 0x01000000 && k&0xffffff >= 0x20:
		return rune(k & 0xffffff), true
	}
	return 0, false
}

// writeLoop sends updates until the client closes.
func (c *client) writeLoop() error {
	var buf []byte
	for {
		c.mu.Lock()
		for !c.closed && !(c.wanted && (!c.full.Empty() || !c.dirty.Empty() || len(c.copies) > 0)) {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return nil
		}
		copies := c.copies
		c.copies = nil
		region := c.dirty.Union(c.full)
		c.dirty, c.full, c.wanted = image.Rectangle{}, image.Rectangle{}, false
		pf := c.format
		c.mu.Unlock()

		c.d.mu.Lock()
		region = region.Intersect(c.d.img.Bounds())
		n := len(copies)
		if !region.Empty() {
			n++
		}
		buf = append(buf[:0], framebufferUpdate, 0)
		buf = binary.BigEndian.AppendUint16(buf, uint16(n))
		for _, cp := range copies {
			buf = appendRectHeader(buf, image.Rectangle{Min: cp.dst, Max: cp.dst.Add(cp.src.Size())}, encCopyRect)
			buf = binary.BigEndian.AppendUint16(buf, uint16(cp.src.Min.X))
			buf = binary.BigEndian.AppendUint16(buf, uint16(cp.src.Min.Y))
		}
		if !region.Empty() {
			buf = appendRectHeader(buf, region, encRaw)
			buf = appendRaw(buf, c.d.img, region, pf)
		}
		c.d.mu.Unlock()
		if _, err := c.nc.Write(buf); err != nil {
			return err
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

func appendRectHeader(b []byte, r image.Rectangle, enc int32) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(r.Min.X))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Min.Y))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Dx()))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Dy()))
	return binary.BigEndian.AppendUint32(b, uint32(enc))
}

// appendRaw appends r's pixels in the client's pixel format.
func appendRaw(b []byte, img *image.RGBA, r image.Rectangle, pf pixelFormat) []byte {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		for x := 0; x < r.Dx(); x++ {
			p := img.Pix[off+4*x : off+4*x+3 : off+4*x+3]
			v := uint32(p[0])<<pf.redShift | uint32(p[1])<<pf.greenShift | uint32(p[2])<<pf.blueShift
			if pf.bigEndian {
				b = binary.BigEndian.AppendUint32(b, v)
			} else {
				b = binary.LittleEndian.AppendUint32(b, v)
			}
		}
	}
	return b
}
