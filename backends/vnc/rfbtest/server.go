package rfbtest

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"net"
	"sync"
	"time"
)

// Security types and VeNCrypt sub-types.
const (
	SecNone     = 1
	SecVNC      = 2
	SecVeNCrypt = 19

	TLSNone   = 257
	TLSVnc    = 258
	TLSPlain  = 259
	X509None  = 260
	X509Vnc   = 261
	X509Plain = 262
)

// Options configures a Server. The zero value serves a black 1280×800
// desktop over RFB 3.8 with security None and Raw updates.
type Options struct {
	// Version is "3.3", "3.7" or "3.8" (default).
	Version string
	// Security lists the offered security types in order (default
	// SecNone). RFB 3.3 uses the first.
	Security []uint8
	// Subtypes lists the offered VeNCrypt sub-types (default all six).
	Subtypes []uint32
	// Username and Password are the accepted credentials.
	Username, Password string
	// RejectAuth fails every SecurityResult, whatever the credentials.
	RejectAuth bool
	// TLSConfig serves VeNCrypt; nil generates a self-signed certificate.
	TLSConfig *tls.Config
	// Width and Height of the desktop (default 1280×800); Image, if set,
	// is copied as the initial framebuffer instead.
	Width, Height int
	Image         *image.RGBA
	// Name is the desktop name (default "rfbtest").
	Name string
	// Encoding is used for full updates and scenario frames (default Raw).
	Encoding Encoding
	// Encoder tunes Tight.
	Encoder EncoderOptions
	// AllowResize accepts client SetDesktopSize requests.
	AllowResize bool
	// SupportedMessages answers the SupportedMessages pseudo-encoding,
	// once, in the first update after the client asks for it, announcing
	// UltraVNC's SetServerInput. Without it the server, like TigerVNC,
	// drops a client that sends SetServerInput anyway.
	SupportedMessages bool

	// Scenario, when set, plays a benchmark scenario (see Scenario).
	Scenario Scenario
	// Frames is the number of scenario frames (default 300).
	Frames int
	// MaxFPS caps the scenario frame rate (default 60; negative: no cap).
	MaxFPS int
}

// EventKind says what a client sent.
type EventKind int

// Recorded client events.
const (
	KeyEvent EventKind = iota + 1
	PointerEvent
	CutTextEvent
	SetDesktopSizeEvent
	SetServerInputEvent
)

// Event is one recorded client message.
type Event struct {
	Kind          EventKind
	Keysym        uint32
	Down          bool
	Mask          uint8
	X, Y          int
	Text          string
	Width, Height int
	Status        uint8 // SetServerInput: 1 disables the local input
}

// Rect is one rectangle of a queued update.
type Rect struct {
	Rect     image.Rectangle
	Encoding Encoding
	// Src is the CopyRect source's top-left corner.
	Src image.Point
}

// item is one queued rectangle, real or pseudo.
type item struct {
	rect     Rect
	pseudo   int32 // 0, encCursor, encDesktopSize, encExtendedSize, encLastRect
	w, h     int
	hot      image.Point
	cursor   *image.RGBA
	status   int // ExtendedDesktopSize status
	reason   int // ExtendedDesktopSize reason
	fullNext bool
}

// Server is a fake RFB server listening on 127.0.0.1.
type Server struct {
	opts Options
	ln   net.Listener
	tls  *tls.Config

	mu       sync.Mutex
	cond     *sync.Cond
	fb       *image.RGBA
	conns    map[*conn]struct{}
	events   []Event
	encs     []int32
	pf       PixelFormat
	frame    int // last scenario frame applied
	lastSent time.Time
	closed   bool
	done     chan struct{} // closed when all scenario frames are sent
	quit     chan struct{}

	wg sync.WaitGroup
}

// conn is one client connection.
type conn struct {
	s   *Server
	raw net.Conn // for Close from other goroutines
	br  *bufio.Reader
	wmu sync.Mutex
	nc  net.Conn // guarded by wmu once the handshake may swap in TLS

	// guarded by s.mu
	pf        PixelFormat
	encs      map[int32]bool
	requested bool
	full      bool
	queue     [][]item
	enc       *Encoder
	ready     bool // handshake done: updates and broadcasts may be sent
	announced bool // SupportedMessages was sent
	dead      bool
}

// NewServer starts a server on 127.0.0.1:0. Close it when done.
func NewServer(opts Options) (*Server, error) {
	if opts.Version == "" {
		opts.Version = "3.8"
	}
	if opts.Version != "3.3" && opts.Version != "3.7" && opts.Version != "3.8" {
		return nil, fmt.Errorf("rfbtest: version %q", opts.Version)
	}
	if opts.Security == nil {
		opts.Security = []uint8{SecNone}
	}
	if opts.Subtypes == nil {
		opts.Subtypes = []uint32{X509Plain, X509Vnc, X509None, TLSPlain, TLSVnc, TLSNone}
	}
	if opts.Width == 0 || opts.Height == 0 {
		opts.Width, opts.Height = 1280, 800
	}
	if opts.Name == "" {
		opts.Name = "rfbtest"
	}
	if opts.Frames == 0 {
		opts.Frames = 300
	}
	if opts.MaxFPS == 0 {
		opts.MaxFPS = 60
	}
	s := &Server{opts: opts, conns: map[*conn]struct{}{}, done: make(chan struct{}), quit: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	switch {
	case opts.Image != nil:
		s.fb = image.NewRGBA(opts.Image.Rect.Sub(opts.Image.Rect.Min))
		draw.Draw(s.fb, s.fb.Rect, opts.Image, opts.Image.Rect.Min, draw.Src)
	case opts.Scenario != "":
		s.fb = image.NewRGBA(image.Rect(0, 0, opts.Width, opts.Height))
		if err := RenderFrame(opts.Scenario, 0, s.fb); err != nil {
			return nil, err
		}
	default:
		s.fb = image.NewRGBA(image.Rect(0, 0, opts.Width, opts.Height))
		draw.Draw(s.fb, s.fb.Rect, image.NewUniform(color.RGBA{A: 255}), image.Point{}, draw.Src)
	}
	s.tls = opts.TLSConfig
	if s.tls == nil {
		for _, t := range opts.Security {
			if t == SecVeNCrypt {
				cert, _, _, err := SelfSignedCert()
				if err != nil {
					return nil, err
				}
				s.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("rfbtest: listen: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening address (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, closes every connection and waits for all its
// goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
		for c := range s.conns {
			c.raw.Close()
		}
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go s.serve(nc)
	}
}

func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	c := &conn{s: s, raw: nc, nc: nc, br: bufio.NewReaderSize(nc, 64<<10), pf: nativeFormat, encs: map[int32]bool{}}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		nc.Close()
		s.mu.Lock()
		c.dead = true
		delete(s.conns, c)
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.handshake(); err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	s.mu.Lock()
	c.ready = true
	s.mu.Unlock()
	s.wg.Add(1)
	go c.sender()
	c.reader()
}

// Framebuffer returns a copy of the server's framebuffer.
func (s *Server) Framebuffer() *image.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	fb := image.NewRGBA(s.fb.Rect)
	copy(fb.Pix, s.fb.Pix)
	return fb
}

// Draw runs f on the framebuffer under the server lock. Changes are sent
// only when queued with Update.
func (s *Server) Draw(f func(fb *image.RGBA)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.fb)
}

// Update queues one FramebufferUpdate with rects for every connection.
func (s *Server) Update(rects ...Rect) { s.queue(rectItems(rects, false)) }

// UpdateLastRect queues an update whose rectangle count is 0xFFFF,
// terminated by a LastRect pseudo-rectangle.
func (s *Server) UpdateLastRect(rects ...Rect) { s.queue(rectItems(rects, true)) }

func rectItems(rects []Rect, last bool) []item {
	items := make([]item, 0, len(rects)+1)
	for _, r := range rects {
		items = append(items, item{rect: r})
	}
	if last {
		items = append(items, item{pseudo: encLastRect})
	}
	return items
}

func (s *Server) queue(items []item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.ready {
			c.queue = append(c.queue, items)
		}
	}
	s.cond.Broadcast()
}

// Copy copies src to dst in the framebuffer and queues a CopyRect.
func (s *Server) Copy(src image.Rectangle, dst image.Point) {
	s.mu.Lock()
	copyRGBA(s.fb, src, dst)
	s.mu.Unlock()
	s.Update(Rect{Rect: src.Sub(src.Min).Add(dst), Encoding: CopyRect, Src: src.Min})
}

func copyRGBA(fb *image.RGBA, src image.Rectangle, dst image.Point) {
	tmp := image.NewRGBA(src)
	draw.Draw(tmp, src, fb, src.Min, draw.Src)
	draw.Draw(fb, src.Sub(src.Min).Add(dst), tmp, src.Min, draw.Src)
}

// Resize changes the desktop size (keeping the top-left content) and
// queues an ExtendedDesktopSize (or DesktopSize) rectangle followed by a
// full update, depending on what each client asked for.
func (s *Server) Resize(w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resizeLocked(w, h, 0, 0)
}

func (s *Server) resizeLocked(w, h, reason, status int) {
	if status == 0 {
		fb := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(fb, fb.Rect, image.NewUniform(color.RGBA{A: 255}), image.Point{}, draw.Src)
		draw.Draw(fb, fb.Rect, s.fb, image.Point{}, draw.Src)
		s.fb = fb
	}
	for c := range s.conns {
		if !c.ready {
			continue
		}
		c.queue = append(c.queue, []item{{pseudo: encExtendedSize, w: s.fb.Rect.Dx(), h: s.fb.Rect.Dy(), reason: reason, status: status, fullNext: status == 0}})
	}
	s.cond.Broadcast()
}

// SetCursor queues a Cursor pseudo-rectangle.
func (s *Server) SetCursor(hot image.Point, img *image.RGBA) {
	s.queue([]item{{pseudo: encCursor, hot: hot, cursor: img}})
}

// CutText sends ServerCutText (Latin-1; other characters become '?').
func (s *Server) CutText(text string) {
	b := []byte{3, 0, 0, 0, 0, 0, 0, 0}
	n := 0
	for _, r := range text {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
		n++
	}
	binary.BigEndian.PutUint32(b[4:], uint32(n))
	s.broadcast(b)
}

// Bell sends a Bell message.
func (s *Server) Bell() { s.broadcast([]byte{2}) }

// SendGarbage sends bytes that are no valid server message.
func (s *Server) SendGarbage() { s.broadcast([]byte{0xee, 0xff, 0x13, 0x37, 0, 0, 0, 0}) }

// CloseMidRect sends the start of a full-screen Raw update and then closes
// every connection.
func (s *Server) CloseMidRect() {
	s.mu.Lock()
	w, h := s.fb.Rect.Dx(), s.fb.Rect.Dy()
	s.mu.Unlock()
	b := []byte{0, 0, 0, 1}
	b = appendRectHeader(b, image.Rect(0, 0, w, h), int32(Raw))
	b = append(b, make([]byte, w*4)...)
	s.broadcast(b)
	s.Disconnect()
}

// Disconnect closes every client connection (the server keeps listening).
func (s *Server) Disconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.raw.Close()
	}
}

func (s *Server) broadcast(b []byte) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		if c.ready {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.write(b)
	}
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// Events returns the recorded client events.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// WaitEvents waits until at least n events were recorded and returns them.
func (s *Server) WaitEvents(ctx context.Context, n int) ([]Event, error) {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.events) < n {
		if ctx.Err() != nil {
			return append([]Event(nil), s.events...), fmt.Errorf("rfbtest: %d of %d events: %w", len(s.events), n, ctx.Err())
		}
		s.cond.Wait()
	}
	return append([]Event(nil), s.events...), nil
}

// ClientEncodings returns the encodings of the last SetEncodings received.
func (s *Server) ClientEncodings() []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int32(nil), s.encs...)
}

// ClientPixelFormat returns the last pixel format a client set.
func (s *Server) ClientPixelFormat() PixelFormat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pf
}

// FramesSent is the number of scenario frames sent so far.
func (s *Server) FramesSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame
}

// Done is closed once every scenario frame has been sent.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) record(e Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// reader handles client messages until the connection fails.
func (c *conn) reader() {
	s := c.s
	for {
		t, err := c.br.ReadByte()
		if err != nil {
			return
		}
		switch t {
		case 0: // SetPixelFormat
			var b [19]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			pf := parsePixelFormat(b[3:])
			if !pf.TrueColour || (pf.BPP != 8 && pf.BPP != 16 && pf.BPP != 32) {
				return
			}
			s.mu.Lock()
			c.pf, s.pf = pf, pf
			c.enc = nil
			s.mu.Unlock()
		case 2: // SetEncodings
			var b [3]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			n := int(binary.BigEndian.Uint16(b[1:]))
			list := make([]int32, n)
			for i := range list {
				v, err := readU32(c.br)
				if err != nil {
					return
				}
				list[i] = int32(v)
			}
			s.mu.Lock()
			s.encs = list
			c.encs = map[int32]bool{}
			for _, e := range list {
				c.encs[e] = true
			}
			s.mu.Unlock()
		case 3: // FramebufferUpdateRequest
			var b [9]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			s.mu.Lock()
			c.requested = true
			if b[0] == 0 {
				c.full = true
			}
			s.cond.Broadcast()
			s.mu.Unlock()
		case 4: // KeyEvent
			var b [7]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			ev := Event{Kind: KeyEvent, Down: b[0] != 0, Keysym: binary.BigEndian.Uint32(b[3:])}
			s.record(ev)
			if s.opts.Scenario == Echo && ev.Down {
				s.echo()
			}
		case 5: // PointerEvent
			var b [5]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			s.record(Event{Kind: PointerEvent, Mask: b[0], X: int(binary.BigEndian.Uint16(b[1:])), Y: int(binary.BigEndian.Uint16(b[3:]))})
		case 6: // ClientCutText
			var b [7]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(b[3:])
			if n > 1<<20 {
				return
			}
			text := make([]byte, n)
			if _, err := io.ReadFull(c.br, text); err != nil {
				return
			}
			r := make([]rune, n)
			for i, x := range text {
				r[i] = rune(x)
			}
			s.record(Event{Kind: CutTextEvent, Text: string(r)})
		case 251: // SetDesktopSize
			var b [7]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			w, h := int(binary.BigEndian.Uint16(b[1:])), int(binary.BigEndian.Uint16(b[3:]))
			if _, err := c.br.Discard(int(b[5]) * 16); err != nil {
				return
			}
			s.record(Event{Kind: SetDesktopSizeEvent, Width: w, Height: h})
			s.mu.Lock()
			if s.opts.AllowResize && w > 0 && h > 0 {
				s.resizeLocked(w, h, 1, 0)
			} else {
				s.resizeLocked(0, 0, 1, 1)
			}
			s.mu.Unlock()
		case msgSetServerInput:
			var b [3]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return
			}
			s.record(Event{Kind: SetServerInputEvent, Status: b[0]})
			if !s.opts.SupportedMessages {
				return
			}
		default:
			return
		}
	}
}

func readU32(r io.Reader) (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

// sender answers update requests from the queue, with full updates, or
// with scenario frames.
func (c *conn) sender() {
	s := c.s
	defer s.wg.Done()
	var buf []byte
	for {
		s.mu.Lock()
		for !s.closed && !c.dead && !(c.requested && (c.full || len(c.queue) > 0 || s.scenarioReadyLocked())) {
			s.cond.Wait()
		}
		if s.closed || c.dead {
			s.mu.Unlock()
			return
		}
		if c.enc == nil {
			c.enc = NewEncoder(c.pf, s.opts.Encoder)
		}
		var items []item
		switch {
		case len(c.queue) > 0:
			items = c.queue[0]
			c.queue = c.queue[1:]
		case c.full:
			items = []item{{rect: Rect{Rect: s.fb.Rect, Encoding: s.opts.Encoding}}}
			c.full = false
		default:
			// Scenario frame: wait for the frame slot without the lock.
			wait := s.frameWaitLocked()
			s.mu.Unlock()
			if wait > 0 {
				select {
				case <-time.After(wait):
				case <-s.quit:
					return
				}
			}
			s.mu.Lock()
			if s.closed || c.dead {
				s.mu.Unlock()
				return
			}
			items = s.nextFrameLocked()
		}
		c.requested = false
		buf = c.encodeLocked(buf[:0], items)
		s.mu.Unlock()
		if len(buf) > 0 {
			if err := c.write(buf); err != nil {
				return
			}
		}
	}
}

// encodeLocked builds one FramebufferUpdate.
func (c *conn) encodeLocked(dst []byte, items []item) []byte {
	s := c.s
	dst = append(dst, 0, 0, 0, 0)
	n := 0
	last := false
	if s.opts.SupportedMessages && c.encs[encSupportedMessages] && !c.announced {
		c.announced = true
		dst = appendSupportedMessages(dst)
		n++
	}
	for _, it := range items {
		switch it.pseudo {
		case 0:
			r := it.rect.Rect.Intersect(s.fb.Rect)
			if it.rect.Encoding == CopyRect {
				dst = AppendCopyRect(dst, r, it.rect.Src)
			} else {
				dst = c.enc.AppendRect(dst, s.fb, r, it.rect.Encoding)
			}
		case encLastRect:
			dst = appendRectHeader(dst, image.Rectangle{}, encLastRect)
			last = true
		case encCursor:
			if !c.encs[encCursor] {
				continue
			}
			dst = c.appendCursor(dst, it)
		case encExtendedSize:
			r := image.Rect(it.reason, it.status, it.reason+it.w, it.status+it.h)
			switch {
			case c.encs[encExtendedSize]:
				dst = appendRectHeader(dst, r, encExtendedSize)
				dst = append(dst, 1, 0, 0, 0)
				dst = binary.BigEndian.AppendUint32(dst, 1) // screen id
				dst = append(dst, 0, 0, 0, 0)
				dst = binary.BigEndian.AppendUint16(dst, uint16(it.w))
				dst = binary.BigEndian.AppendUint16(dst, uint16(it.h))
				dst = binary.BigEndian.AppendUint32(dst, 0)
			case c.encs[encDesktopSize] && it.status == 0:
				dst = appendRectHeader(dst, image.Rect(0, 0, it.w, it.h), encDesktopSize)
			default:
				continue
			}
			if it.fullNext {
				n++
				dst = c.enc.AppendRect(dst, s.fb, s.fb.Rect, s.opts.Encoding)
			}
		}
		n++
	}
	if n == 0 {
		return dst[:0]
	}
	if last {
		n = 0xffff
	}
	binary.BigEndian.PutUint16(dst[2:], uint16(n))
	return dst
}

func (c *conn) appendCursor(dst []byte, it item) []byte {
	img := it.cursor
	r := img.Rect
	dst = appendRectHeader(dst, image.Rect(it.hot.X, it.hot.Y, it.hot.X+r.Dx(), it.hot.Y+r.Dy()), encCursor)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dst = c.pf.appendPixel(dst, img.RGBAAt(x, y))
		}
	}
	stride := (r.Dx() + 7) / 8
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := make([]byte, stride)
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y).A >= 128 {
				i := x - r.Min.X
				row[i/8] |= 0x80 >> (i % 8)
			}
		}
		dst = append(dst, row...)
	}
	return dst
}

// ServeConn serves one client on an already connected nc: for reverse
// connections, where the VNC server dials the viewer, and for repeaters.
func (s *Server) ServeConn(nc net.Conn) {
	s.wg.Add(1)
	go s.serve(nc)
}

// appendSupportedMessages appends the SupportedMessages pseudo-rectangle:
// the standard client messages plus SetServerInput, and the standard
// server messages.
func appendSupportedMessages(dst []byte) []byte {
	dst = appendRectHeader(dst, image.Rect(0, 0, supportedMessagesLen, 0), encSupportedMessages)
	var bits [supportedMessagesLen]byte
	set := func(half int, t uint8) { bits[half*32+int(t/8)] |= 1 << (t % 8) }
	for _, t := range []uint8{0, 2, 3, 4, 5, 6, msgSetServerInput} {
		set(0, t)
	}
	for _, t := range []uint8{0, 1, 2, 3} {
		set(1, t)
	}
	return append(dst, bits[:]...)
}
