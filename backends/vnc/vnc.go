// Package vnc is goguacd's VNC backend: our own RFB client (package rfb)
// feeding the shared display engine (package display), which sends only
// what changed, copies as copy, solid areas as rect+cfill, and images as
// PNG or JPEG.
package vnc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/audio"
	"github.com/goguacd/goguacd/backends/display"
	"github.com/goguacd/goguacd/backends/vnc/rfb"
	"github.com/goguacd/goguacd/protocol"
)

// Frame pacing, as guacd's display render thread.
const (
	minFrame       = 10 * time.Millisecond  // at most ~100 frames per second
	maxLagWait     = 500 * time.Millisecond // cap on waiting for a lagging user
	connectTimeout = 15 * time.Second
	retryInterval  = time.Second // guacd's GUAC_VNC_CONNECT_INTERVAL
	clipboardLimit = 256 << 10   // guacd's minimum clipboard buffer
	clipStream     = 3           // odd: a connection-level (broadcast) stream
)

// Backend is the VNC backends.Backend.
type Backend struct{}

// New returns the VNC backend.
func New() *Backend { return &Backend{} }

// Args implements backends.Backend.
func (*Backend) Args() []string { return Args }

// Open implements backends.Backend: it connects to the VNC server named by
// the owner's parameters and starts relaying.
func (*Backend) Open(ctx context.Context, owner backends.User, d backends.Display) (backends.Session, error) {
	p := owner.Params()
	log := d.Logger().With("protocol", "vnc")
	ds, err := dialSettingsFrom(p)
	if err != nil {
		return nil, &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Invalid VNC parameters: " + err.Error() + ".", Err: err}
	}
	cfg := rfb.Config{
		Password:    p.String("password", ""),
		Username:    p.String("username", ""),
		NoCursor:    p.String("cursor", "") == "remote",
		ColorDepth:  p.Int("color-depth", 0),
		SwapRedBlue: p.Bool("swap-red-blue", false),
		// Sent only if the server announces it, as libvncclient does.
		DisableServerInput: p.Bool("disable-server-input", false),
	}
	if enc := strings.Fields(p.String("encodings", "")); len(enc) > 0 {
		cfg.Encodings = enc
	}
	if q := p.Int("quality-level", -1); q >= 0 {
		cfg.QualityLevel = &q
	}
	if c := p.Int("compress-level", -1); c >= 0 {
		cfg.CompressLevel = &c
	}
	codec, ok := newClipboardCodec(p.String("clipboard-encoding", ""))
	if !ok {
		log.Warn("unknown clipboard-encoding; using ISO8859-1", "clipboard-encoding", p["clipboard-encoding"])
	}

	if ds.wol != nil {
		if err := ds.wol.Send(ctx); err != nil {
			log.Warn("Wake-on-LAN failed; connecting anyway", "err", err)
		}
	}
	client, err := connect(ctx, ds, cfg, p.Int("autoretry", 0), log)
	if err != nil {
		return nil, err
	}
	// SFTP comes after the VNC connection, as in guacd.
	fl, err := openFiles(ctx, p, log)
	if err != nil {
		client.Close()
		return nil, err
	}
	fb := client.Framebuffer()
	// Lossy only where the owner's browser takes JPEG: unlike guacd, which
	// assumes every client can show it.
	info := owner.Info()
	lossless := p.Bool("force-lossless", false) || (len(info.Image) > 0 && !info.Accepts("image/jpeg"))
	eng := display.NewFor(fb, display.Options{
		Lossless:      lossless,
		WebP:          info.Accepts("image/webp"),
		CompressLevel: p.Int("compress-level", 0),
		ImageStream:   1,
		Spill:         d.WriteFrame,
	})
	s := &session{
		client:       client,
		d:            d,
		eng:          eng,
		log:          log,
		codec:        codec,
		disableCopy:  p.Bool("disable-copy", false),
		disablePaste: p.Bool("disable-paste", false),
		noResize:     p.Bool("disable-display-resize", false),
		ownerSize:    image.Pt(owner.Info().Width, owner.Info().Height),
		wake:         make(chan struct{}, 1),
		done:         make(chan struct{}),
		clip:         make(map[*clipIn]struct{}),
		users:        make(map[backends.User]bool),
		files:        fl,
	}
	s.wg.Add(2)
	go s.readLoop()
	go s.flushLoop()
	s.audio = startAudio(p, log)
	log.Info("connected to VNC server", "addr", ds.addr, "reverse", ds.reverse, "name", client.Name(), "size", fmt.Sprintf("%dx%d", fb.Rect.Dx(), fb.Rect.Dy()))
	return s, nil
}

// connect dials with guacd's autoretry: extra attempts one second apart.
func connect(ctx context.Context, ds dialSettings, cfg rfb.Config, retries int, log *slog.Logger) (*rfb.Client, error) {
	var err error
	for attempt := 0; attempt <= max(retries, 0); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(retryInterval):
			}
		}
		dctx, cancel := context.WithTimeout(ctx, connectTimeout+ds.listenTimeout)
		var c *rfb.Client
		c, err = ds.dialRFB(dctx, cfg)
		cancel()
		if err == nil {
			return c, nil
		}
		log.Info("VNC connection attempt failed", "addr", ds.addr, "attempt", attempt+1, "err", err)
		if errors.Is(err, rfb.ErrAuthFailed) {
			break // retrying a wrong password only locks accounts out
		}
	}
	return nil, connectError(err)
}

// connectError maps a failed connection to the status users are shown.
func connectError(err error) error {
	var se *rfb.ServerError
	var ne net.Error
	switch {
	case errors.Is(err, rfb.ErrAuthFailed):
		return &protocol.StatusError{Status: protocol.StatusClientUnauthorized, Message: "The VNC server refused the password.", Err: err}
	case errors.Is(err, rfb.ErrUnsupportedSecurity):
		return &protocol.StatusError{Status: protocol.StatusUnsupported, Message: "The VNC server offers no security type goguacd supports.", Err: err}
	case errors.As(err, &se):
		return &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "The VNC server refused the connection: " + se.Reason, Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &protocol.StatusError{Status: protocol.StatusUpstreamTimeout, Message: "The VNC server did not answer in time.", Err: err}
	}
	return &protocol.StatusError{Status: protocol.StatusUpstreamNotFound, Message: "Could not connect to the VNC server.", Err: err}
}

// session is one VNC connection. mu serialises the display engine between
// the RFB reader (producer), the flusher and joins.
type session struct {
	client *rfb.Client
	d      backends.Display
	log    *slog.Logger
	codec  clipboardCodec

	disableCopy, disablePaste, noResize bool

	mu        sync.Mutex
	eng       *display.Engine
	frames    int    // source updates since the last flush
	buf       []byte // flush output, reused
	clipboard string // last server clipboard, for joiners
	ownerSize image.Point
	resized   bool // the owner's handshake size was sent
	clip      map[*clipIn]struct{}
	files     *files

	// users are the joined users, each with whether it accepts
	// image/webp: as in guacd, lossy areas go out as WebP only while all do.
	users map[backends.User]bool

	audio *audio.Streamer // nil unless enable-audio

	wake chan struct{}
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

var (
	_ rfb.Sink              = (*session)(nil)
	_ rfb.FramebufferLocker = (*session)(nil)
)

// LockFramebuffer implements rfb.FramebufferLocker: the engine encodes
// straight from the RFB client's framebuffer (no copy, 4 bytes a pixel
// less per connection), so decoding and flushing take turns.
func (s *session) LockFramebuffer() { s.mu.Lock() }

// UnlockFramebuffer implements rfb.FramebufferLocker.
func (s *session) UnlockFramebuffer() { s.mu.Unlock() }

// Resize implements rfb.Sink (called with mu held).
func (s *session) Resize(w, h int) {
	s.eng.UseImage(s.client.Framebuffer())
}

// Damage implements rfb.Sink (called with mu held).
func (s *session) Damage(r image.Rectangle) { s.eng.Damage(r) }

// CopyRect implements rfb.Sink (called with mu held): the client already
// moved the pixels; the engine sends it as `copy`.
func (s *session) CopyRect(src image.Rectangle, dst image.Point) { s.eng.CopyApplied(src, dst) }

// Cursor implements rfb.Sink (called with mu held).
func (s *session) Cursor(hot image.Point, img *image.RGBA) { s.eng.SetCursor(hot, img) }

// EndOfUpdate implements rfb.Sink: an explicit frame boundary.
func (s *session) EndOfUpdate() {
	s.mu.Lock()
	s.frames++
	s.eng.EndUpdate()
	first := !s.resized
	s.resized = true
	s.mu.Unlock()
	if first {
		s.sendOwnerSize()
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sendOwnerSize asks the server for the owner's browser size once the
// screen is set up, as guacd does.
func (s *session) sendOwnerSize() {
	sz := s.ownerSize
	if s.noResize || sz.X <= 0 || sz.Y <= 0 || !s.client.SupportsResize() {
		return
	}
	fb := s.client.Framebuffer().Rect
	if fb.Dx() == sz.X && fb.Dy() == sz.Y {
		return
	}
	if err := s.client.SetDesktopSize(min(sz.X, 8192), min(sz.Y, 8192)); err != nil {
		s.log.Debug("SetDesktopSize failed", "err", err)
	}
}

// Bell implements rfb.Sink.
func (s *session) Bell() {}

// ServerCutText implements rfb.Sink: the server's clipboard goes to every
// user, unless disable-copy.
func (s *session) ServerCutText(text string) {
	if s.disableCopy {
		return
	}
	raw := make([]byte, 0, len(text))
	for _, r := range text { // rfb decoded the wire bytes as Latin-1
		raw = append(raw, byte(r))
	}
	utf := s.codec.decode(raw)
	s.mu.Lock()
	s.clipboard = utf
	s.d.Write(appendClipboard(nil, utf))
	s.mu.Unlock()
}

// appendClipboard appends a text/plain clipboard stream.
func appendClipboard(dst []byte, text string) []byte {
	dst = protocol.AppendClipboard(dst, clipStream, "text/plain")
	dst = protocol.AppendBlob(dst, clipStream, []byte(text))
	return protocol.AppendEnd(dst, clipStream)
}

// readLoop runs the RFB client until it fails or the session closes.
func (s *session) readLoop() {
	defer s.wg.Done()
	err := s.client.Run(context.Background(), s)
	select {
	case <-s.done:
		return // closed by us
	default:
	}
	s.log.Info("VNC server connection ended", "err", err)
	s.d.Close(&protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "The VNC server closed the connection.", Err: err})
}

// flushLoop sends frames: after an update, at most one frame per minFrame,
// and while users lag, later (up to maxLagWait), as guacd's render thread.
// Lagging users never block it: their output is coalesced by the core.
func (s *session) flushLoop() {
	defer s.wg.Done()
	var last time.Time
	refresh := time.NewTimer(time.Hour)
	defer refresh.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-refresh.C:
		}
		lag := s.d.Lag()
		wait := max(minFrame-time.Since(last), min(lag-time.Since(last), maxLagWait))
		if wait > 0 {
			select {
			case <-s.done:
				return
			case <-time.After(wait):
			}
		}
		s.mu.Lock()
		sent := s.flushLocked(lag)
		s.mu.Unlock()
		last = time.Now()
		if sent {
			// JPEG areas are re-sent losslessly once they have stayed
			// still for RefreshDelay: look again then.
			refresh.Reset(display.RefreshDelay + minFrame)
		}
	}
}

// flushLocked broadcasts pending changes as one frame and reports whether
// it sent anything. mu must be held.
func (s *session) flushLocked(lag time.Duration) bool {
	if !s.eng.Dirty() {
		return false
	}
	if s.buf == nil {
		s.buf = protocol.GetBuffer(0)
	}
	s.buf = s.eng.Flush(s.buf[:0], lag)
	sent := len(s.buf) > 0
	if sent {
		s.buf = s.d.WriteFrame(s.buf)
		s.d.EndFrame(max(s.frames, 1))
		s.frames = 0
	}
	// A big buffer the display did not take serves the next connection to
	// flush rather than staying pinned to this one.
	if protocol.PutBuffer(s.buf) {
		s.buf = nil
	}
	return sent
}

// Join implements backends.Session: pending changes go to the current
// users first, so the state sent to u is exactly what they show.
func (s *session) Join(u backends.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked(s.d.Lag())
	// Frames after the join reach u too: from now on only in formats
	// it accepts.
	s.users[u] = u.Info().Accepts("image/webp")
	s.setWebPLocked()
	state := s.eng.AppendState(nil)
	if s.clipboard != "" && !s.disableCopy {
		state = appendClipboard(state, s.clipboard)
	}
	state = s.files.appendExpose(state, u)
	state = protocol.AppendSync(state, 0, 1)
	u.Write(state)
	u.Attach()
	s.audio.Add(u)
	return nil
}

// Leave implements backends.Session.
func (s *session) Leave(u backends.User) {
	s.files.transfers.Leave(u)
	s.audio.Remove(u)
	s.mu.Lock()
	for c := range s.clip {
		if c.user == u {
			delete(s.clip, c)
		}
	}
	delete(s.users, u)
	s.setWebPLocked()
	s.mu.Unlock()
}

// setWebPLocked lets the engine use WebP while every user accepts it.
// mu must be held.
func (s *session) setWebPLocked() {
	all := len(s.users) > 0
	for _, webp := range s.users {
		all = all && webp
	}
	s.eng.SetWebP(all)
}

// Input implements backends.Session: key and mouse go to the server
// unchanged, as guacd does; the owner's size resizes the desktop; clipboard
// streams are collected and sent as cut text.
func (s *session) Input(u backends.User, ins protocol.Instruction) error {
	if handled, err := s.files.input(u, ins); handled || err != nil {
		return err
	}
	switch {
	case ins.Is("mouse"):
		if len(ins.Args) < 3 {
			return errArgs(ins)
		}
		x, y, mask := atoi(ins.Args[0]), atoi(ins.Args[1]), atoi(ins.Args[2])
		return s.client.PointerEvent(uint8(mask), x, y)
	case ins.Is("key"):
		if len(ins.Args) < 2 {
			return errArgs(ins)
		}
		return s.client.KeyEvent(uint32(atoi(ins.Args[0])), string(ins.Args[1]) == "1")
	case ins.Is("size"):
		if len(ins.Args) < 2 || !u.Owner() || s.noResize || !s.client.SupportsResize() {
			return nil
		}
		w, h := atoi(ins.Args[0]), atoi(ins.Args[1])
		if w <= 0 || h <= 0 {
			return errArgs(ins)
		}
		return s.client.SetDesktopSize(min(w, 8192), min(h, 8192))
	case ins.Is("clipboard"):
		return s.clipboardStart(u, ins)
	case ins.Is("blob"), ins.Is("end"):
		return s.clipboardData(u, ins)
	case ins.Is("file"), ins.Is("pipe"), ins.Is("argv"):
		// Answer so the browser does not wait on a stream nobody reads.
		if len(ins.Args) > 0 {
			u.Write(protocol.AppendAck(nil, atoi(ins.Args[0]), "Unsupported.", protocol.StatusUnsupported))
		}
	}
	return nil
}

// clipIn is one inbound clipboard stream.
type clipIn struct {
	user   backends.User
	stream int
	data   []byte
}

func (s *session) clipboardStart(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 2 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	if s.disablePaste || !strings.HasPrefix(string(ins.Args[1]), "text/") {
		u.Write(protocol.AppendAck(nil, stream, "Clipboard unsupported.", protocol.StatusUnsupported))
		return nil
	}
	s.mu.Lock()
	s.clip[&clipIn{user: u, stream: stream}] = struct{}{}
	s.mu.Unlock()
	u.Write(protocol.AppendAck(nil, stream, "OK", protocol.StatusSuccess))
	return nil
}

func (s *session) clipboardData(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 1 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	s.mu.Lock()
	var c *clipIn
	for k := range s.clip {
		if k.user == u && k.stream == stream {
			c = k
		}
	}
	if c == nil {
		s.mu.Unlock()
		return nil // a stream another handler owns
	}
	if ins.Is("end") {
		delete(s.clip, c)
		s.mu.Unlock()
		wire := s.codec.encode(string(c.data))
		latin := make([]rune, len(wire))
		for i, b := range wire {
			latin[i] = rune(b)
		}
		return s.client.CutText(string(latin))
	}
	if len(ins.Args) >= 2 && len(c.data) < clipboardLimit {
		c.data = appendBase64(c.data, ins.Args[1], clipboardLimit)
	}
	s.mu.Unlock()
	u.Write(protocol.AppendAck(nil, stream, "OK", protocol.StatusSuccess))
	return nil
}

// Close implements backends.Session.
func (s *session) Close() error {
	s.once.Do(func() { close(s.done) })
	err := errors.Join(s.client.Close(), s.files.close())
	s.wg.Wait()
	s.audio.Close()
	return err
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

func errArgs(ins protocol.Instruction) error {
	return fmt.Errorf("vnc: %q: too few arguments (%d)", ins.Opcode, len(ins.Args))
}
