package rfb

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goguacd/goguacd/backends/rgb"
)

// Limits that bound what a hostile server can make us allocate.
const (
	// MaxDimension bounds framebuffer width and height (guacd also caps
	// sizes at 8192).
	MaxDimension = 8192
	// MaxCursorDimension bounds the Cursor pseudo-encoding's size.
	MaxCursorDimension = 512
	// MaxCutText bounds clipboard text kept from ServerCutText; longer
	// text is truncated.
	MaxCutText = 1 << 20
	maxName    = 1 << 16
	maxReason  = 1 << 16
	readBuffer = 64 << 10
)

// Client is one RFB connection. Create it with Dial or NewClient, then call
// Run once.
type Client struct {
	conn   net.Conn
	br     *bufio.Reader
	cfg    Config
	name   string
	wireFB pixelFormat
	cv     *converter

	fb       *rgb.Image
	fullNext bool // request a non-incremental update next (after a resize)

	wmu  sync.Mutex // serialises writes; guards wbuf and werr
	wbuf []byte
	werr error

	resize   atomic.Bool   // server announced ExtendedDesktopSize
	screenID atomic.Uint64 // id<<32 | flags of the server's first screen
	closed   atomic.Bool

	serverInputSent atomic.Bool // SetServerInput(disable) went out

	scratch []byte // reused per rectangle
	zrle    inflater
	tight   [4]inflater
	tightIn []byte
	grad    []byte // Tight gradient filter rows
}

// Dial connects to addr and performs the RFB handshake. ctx bounds the
// connect and the handshake only.
func Dial(ctx context.Context, network, addr string, cfg Config) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("rfb: dial %s: %w", addr, err)
	}
	c, err := NewClient(ctx, conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient performs the RFB handshake over conn. ctx bounds the handshake.
// On error the caller still owns conn; on success the Client does.
func NewClient(ctx context.Context, conn net.Conn, cfg Config) (*Client, error) {
	pf, err := formatForDepth(cfg.ColorDepth)
	if err != nil {
		return nil, err
	}
	encs, err := cfg.encodingList()
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, br: bufio.NewReaderSize(conn, readBuffer), cfg: cfg}
	c.wireFB = pf
	if cfg.SwapRedBlue {
		c.wireFB = pf.swapRB()
	}
	c.cv = newConverter(pf, cfg.SwapRedBlue)

	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Cancelling ctx must also interrupt blocked reads and writes.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	err = c.handshake(encs)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	c.conn.SetDeadline(time.Time{})
	return c, nil
}

// Name is the desktop name from ServerInit.
func (c *Client) Name() string { return c.name }

// Framebuffer returns the client's framebuffer. It is written by Run; read
// it only from Sink callbacks or after Run has returned. It is replaced on
// resize (Sink.Resize).
func (c *Client) Framebuffer() *rgb.Image { return c.fb }

// SupportsResize reports whether the server announced ExtendedDesktopSize,
// i.e. whether SetDesktopSize can work.
func (c *Client) SupportsResize() bool { return c.resize.Load() }

// Close closes the connection; a running Run returns.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.conn.Close()
}

// begin locks the writer and returns the empty message buffer; send
// writes what was appended to it and unlocks. The pair avoids a closure
// per message, which would allocate.
func (c *Client) begin() []byte {
	c.wmu.Lock()
	return c.wbuf[:0]
}

// send writes msg in one Write. A write error is sticky: every later write
// fails with it, so a half-sent message can never be followed by another.
func (c *Client) send(msg []byte) error {
	defer c.wmu.Unlock()
	c.wbuf = msg
	if c.werr != nil {
		return c.werr
	}
	if _, err := c.conn.Write(msg); err != nil {
		c.werr = fmt.Errorf("rfb: write: %w", err)
	}
	return c.werr
}

// write sends the message build appends, for the handshake's one-offs.
func (c *Client) write(build func(b []byte) []byte) error {
	return c.send(build(c.begin()))
}

// KeyEvent sends a key press or release (keysym unchanged, as guacd does).
func (c *Client) KeyEvent(keysym uint32, down bool) error {
	b := append(c.begin(), 4, boolByte(down), 0, 0)
	return c.send(binary.BigEndian.AppendUint32(b, keysym))
}

// PointerEvent sends the button mask and position; coordinates are clamped
// to 0..65535.
func (c *Client) PointerEvent(mask uint8, x, y int) error {
	b := append(c.begin(), 5, mask)
	b = binary.BigEndian.AppendUint16(b, clampU16(x))
	return c.send(binary.BigEndian.AppendUint16(b, clampU16(y)))
}

func clampU16(v int) uint16 {
	return uint16(min(max(v, 0), 0xffff))
}

// CutText sends clipboard text. RFB carries Latin-1: characters outside it
// become '?'.
func (c *Client) CutText(text string) error {
	n := 0
	for range text {
		n++
	}
	return c.write(func(b []byte) []byte {
		b = append(b, 6, 0, 0, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
		for _, r := range text {
			if r > 0xff {
				r = '?'
			}
			b = append(b, byte(r))
		}
		return b
	})
}

// SetDesktopSize asks the server to resize its desktop (ExtendedDesktopSize
// SetDesktopSize with one screen). It returns ErrUnsupported unless the
// server announced ExtendedDesktopSize. The server answers with an
// ExtendedDesktopSize update, reported through Sink.Resize.
func (c *Client) SetDesktopSize(w, h int) error {
	if !c.resize.Load() {
		return ErrUnsupported
	}
	if w <= 0 || h <= 0 || w > MaxDimension || h > MaxDimension {
		return fmt.Errorf("rfb: desktop size %dx%d out of range", w, h)
	}
	s := c.screenID.Load()
	return c.write(func(b []byte) []byte {
		b = append(b, 251, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(w))
		b = binary.BigEndian.AppendUint16(b, uint16(h))
		b = append(b, 1, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(s>>32)) // screen id
		b = append(b, 0, 0, 0, 0)                           // x, y
		b = binary.BigEndian.AppendUint16(b, uint16(w))
		b = binary.BigEndian.AppendUint16(b, uint16(h))
		return binary.BigEndian.AppendUint32(b, uint32(s)) // flags
	})
}

// requestUpdate sends a FramebufferUpdateRequest for the whole screen.
func (c *Client) requestUpdate(incremental bool) error {
	b := append(c.begin(), 3, boolByte(incremental), 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(c.fb.Rect.Dx()))
	return c.send(binary.BigEndian.AppendUint16(b, uint16(c.fb.Rect.Dy())))
}
