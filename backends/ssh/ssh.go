// Package ssh is goguacd's SSH backend: an SSH client (golang.org/x/crypto)
// whose PTY output feeds a terminal emulator (package term), drawn into
// the shared display engine (package display) by package render, so users
// get a terminal in the browser with nothing but guacamole-common-js.
//
// Concurrency: engMu serialises the display engine, the renderer and every
// broadcast, so Join can hand a user a state no broadcast is missing from;
// termMu guards the terminal and is the only lock the PTY reader takes,
// so output is never held up by image encoding or by slow users. The lock
// order is engMu, then termMu.
//
// read-only is enforced by the tunnel core, which passes a read-only
// user's acks and downloads (`get`) only; such users never type, resize or
// paste.
package ssh

import (
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/display"
	"github.com/goguacd/goguacd/backends/sftp"
	"github.com/goguacd/goguacd/backends/ssh/render"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/protocol"
)

// Frame pacing and limits.
const (
	// minFrame spaces frames of interactive output (echo, redraws): the
	// first change after a quiet spell is drawn at once.
	minFrame = 10 * time.Millisecond
	// bulkFrame is guacd's terminal frame duration, used while output
	// streams (cat of a big file): the latest state is drawn 25 times a
	// second, never each chunk.
	bulkFrame = 40 * time.Millisecond
	// bulkBytes of output since the last frame mark it as streaming.
	bulkBytes = 8 << 10
	// blinkInterval is the cursor blink half-period.
	blinkInterval  = 500 * time.Millisecond
	clipboardLimit = 256 << 10 // guacd's default clipboard-buffer-size
	readBuffer     = 32 << 10
	defaultWidth   = 1024
	defaultHeight  = 768
)

// Broadcast (connection-level) stream indices are odd, as in guacd.
const (
	imageStream = 1
	clipStream  = 3
	argvStream  = 5
)

// Backend is the SSH backends.Backend.
type Backend struct {
	// CursorBlink is the cursor's blink half-period; 0 keeps the cursor
	// steady, which makes every frame a pure function of the output
	// (tests and benchmarks compare pixels).
	CursorBlink time.Duration
}

// New returns the SSH backend with a blinking cursor.
func New() *Backend { return &Backend{CursorBlink: blinkInterval} }

// Args implements backends.Backend.
func (*Backend) Args() []string { return Args }

// session is one SSH connection and its terminal.
type session struct {
	d     backends.Display
	log   *slog.Logger
	set   settings
	blink time.Duration
	owner backends.User

	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by engMu.
	engMu    sync.Mutex
	eng      *display.Engine
	rend     *render.Renderer
	buf      []byte
	blinkOff bool
	copied   string                 // last selection copied to users, for joiners
	argv     map[string]string      // live-changeable parameters' current values
	users    map[backends.User]bool // attached users

	// Guarded by termMu.
	termMu     sync.Mutex
	t          *term.Terminal
	cw, ch     int // cell size and margin, cached for pointer mapping
	margin     int
	dispW      int // last display size asked for, for font changes
	dispH      int
	pending    int // output bytes since the last frame
	bulk       bool
	title      string
	titleDirty bool
	paste      string // the paste buffer: the users' last clipboard
	prompt     *prompt
	ptr        pointerState
	ts         *typescript
	pty        *gossh.Session

	stdin *stdinWriter
	fs    *sftp.FS // nil until SFTP is up; set once under engMu and termMu
	xfer  *sftp.Transfers

	mu     sync.Mutex // guards client, closed and streams
	client *gossh.Client
	closed bool
	in     map[streamKey]*inStream

	wake chan struct{}
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// Open implements backends.Backend. It sets up the terminal at the owner's
// size and returns at once; connecting (and asking for missing
// credentials inside the terminal) goes on in the background, and a
// failure ends the connection with the matching status.
func (b *Backend) Open(ctx context.Context, owner backends.User, d backends.Display) (backends.Session, error) {
	log := d.Logger().With("protocol", "ssh")
	info := owner.Info()
	set := settingsFrom(owner.Params(), info, log)
	if owner.Params().String("hostname", "") == "" {
		return nil, statusErr(protocol.StatusClientBadRequest, "No hostname given.", nil)
	}
	eng := display.New(1, 1, display.Options{Lossless: true, ImageStream: imageStream, Spill: d.WriteFrame})
	eng.SetCursor(image.Pt(3, 8), ibeam)
	rend, err := render.New(eng, render.Options{FontName: set.fontName, FontSize: set.fontSize, DPI: info.DPI})
	if err != nil {
		log.Warn("font not usable; using the default", "font-name", set.fontName, "err", err)
		if rend, err = render.New(eng, render.Options{FontSize: set.fontSize, DPI: info.DPI}); err != nil {
			return nil, statusErr(protocol.StatusServerError, "The terminal font could not be loaded.", err)
		}
	}
	w, h := info.Width, info.Height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	s := &session{
		d: d, log: log, set: set, blink: b.CursorBlink, owner: owner,
		eng: eng, rend: rend,
		argv: map[string]string{
			"color-scheme": set.schemeSpec,
			"font-name":    set.fontName,
			"font-size":    owner.Params().String("font-size", "12"),
		},
		users: map[backends.User]bool{},
		xfer:  sftp.NewTransfers(log),
		dispW: w, dispH: h,
		stdin: newStdinWriter(),
		in:    map[streamKey]*inStream{},
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.cw, s.ch = rend.CellSize()
	s.margin = rend.Margin()
	cols, rows := rend.GridSize(w, h)
	scheme := set.scheme
	s.t = term.New(cols, rows, term.Options{
		Scrollback:   set.scrollback,
		Scheme:       &scheme,
		Backspace:    set.backspace,
		TerminalType: set.termType,
		Reply:        func(p []byte) { s.stdin.write(p, false) },
		Title:        s.setTitle,
		OSC:          s.osc,
	})
	if set.typescript.path != "" {
		if s.ts, err = openTypescript(set.typescript, time.Now); err != nil {
			// As guacd: the session goes on without a typescript.
			log.Warn("typescript could not be created", "err", err)
		}
	}
	s.rend.Render(s.t)
	s.wg.Add(2)
	go s.flushLoop()
	go s.connect()
	log.Info("SSH session starting", "addr", set.client.Addr, "size", [2]int{cols, rows})
	return s, nil
}

// setTitle is the terminal's OSC 0/2 callback (termMu held): the title is
// sent with the next frame as `name`.
func (s *session) setTitle(title string) {
	s.title, s.titleDirty = title, true
}

// osc handles guacd's private OSC codes the backend acts on. termMu held.
func (s *session) osc(code int, text string) {
	switch code {
	case 482201: // set the upload directory
		if s.fs != nil {
			s.fs.SetUploadDir(text)
		}
	case 482200, 482202, 482203, 482204:
		// Download a file, open/close an output pipe, resize the history.
		s.log.Info("guacd private OSC not implemented; ignored", "code", code)
	}
}

// connect dials, authenticates (prompting as needed), starts the shell
// and relays output until the remote side ends.
func (s *session) connect() {
	defer s.wg.Done()
	if s.set.wol != nil {
		if err := s.set.wol.Send(s.ctx); err != nil {
			s.log.Warn("Wake-on-LAN failed; connecting anyway", "err", err)
		}
	}
	client, err := sftp.Dial(s.ctx, s.set.client, s, s.log)
	if err != nil {
		s.fail(err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		client.Close()
		return
	}
	s.client = client
	s.mu.Unlock()

	pty, stdout, stderr, err := s.startShell(client)
	if err != nil {
		s.fail(err)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sftp.KeepAlive(s.ctx, client, s.set.client.AliveSeconds, s.log)
	}()
	if s.set.sftp.enable {
		// On the side: the terminal must not wait for the SFTP handshake.
		s.wg.Go(func() { s.startSFTP(client) })
	}
	var readers sync.WaitGroup
	readers.Go(func() { s.readLoop(stderr) })
	s.readLoop(stdout)
	readers.Wait()
	err = pty.Wait()
	var exit *gossh.ExitError
	if err != nil && !errors.As(err, &exit) && !errors.Is(err, io.EOF) {
		s.log.Debug("SSH session ended", "err", err)
	}
	// Show the last output before ending, as guacd's final frame.
	s.engMu.Lock()
	s.flushLocked()
	s.engMu.Unlock()
	if s.ctx.Err() == nil {
		s.log.Info("SSH session ended by the server")
		s.d.Close(nil)
	}
}

// startShell opens the PTY session: TERM, VERASE, LANG and TZ (refusals
// ignored, as guacd), then `command` or the login shell.
func (s *session) startShell(client *gossh.Client) (pty *gossh.Session, stdout, stderr io.Reader, err error) {
	pty, err = client.NewSession()
	if err != nil {
		return nil, nil, nil, statusErr(protocol.StatusUpstreamError, "The SSH server refused a session.", err)
	}
	s.termMu.Lock()
	cols, rows := s.t.Cols(), s.t.Rows()
	s.termMu.Unlock()
	modes := gossh.TerminalModes{gossh.VERASE: uint32(s.set.backspace)}
	if err := pty.RequestPty(s.set.termType, rows, cols, modes); err != nil {
		pty.Close()
		return nil, nil, nil, statusErr(protocol.StatusUpstreamError, "The SSH server refused a terminal.", err)
	}
	if s.set.locale != "" {
		_ = pty.Setenv("LANG", s.set.locale)
	}
	if s.set.timezone != "" {
		_ = pty.Setenv("TZ", s.set.timezone)
	}
	// The pipes must exist before the shell starts.
	stdin, err := pty.StdinPipe()
	if err == nil {
		stdout, err = pty.StdoutPipe()
	}
	if err == nil {
		stderr, err = pty.StderrPipe()
	}
	if err != nil {
		pty.Close()
		return nil, nil, nil, statusErr(protocol.StatusServerError, "SSH session pipes unavailable.", err)
	}
	if s.set.command != "" {
		err = pty.Start(s.set.command)
	} else {
		err = pty.Shell()
	}
	if err != nil {
		pty.Close()
		return nil, nil, nil, statusErr(protocol.StatusUpstreamError, "The SSH server refused to start the shell.", err)
	}
	s.termMu.Lock()
	s.pty = pty
	nc, nr := s.t.Cols(), s.t.Rows()
	s.termMu.Unlock()
	if nc != cols || nr != rows {
		// The display was resized while the shell was starting, when
		// there was no PTY to tell yet (resize sends WindowChange only
		// once s.pty is set).
		if err := pty.WindowChange(nr, nc); err != nil {
			s.log.Debug("window-change failed", "err", err)
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.stdin.run(stdin)
	}()
	return pty, stdout, stderr, nil
}

// fail ends the connection with err unless the session is closing anyway.
func (s *session) fail(err error) {
	if s.ctx.Err() != nil {
		return
	}
	s.log.Info("SSH connection failed", "err", err)
	var se *protocol.StatusError
	if !errors.As(err, &se) {
		err = statusErr(protocol.StatusUpstreamError, "SSH connection failed.", err)
	}
	s.d.Close(err)
}

// readLoop feeds one output stream of the PTY into the terminal. It holds
// only termMu, briefly, so it never waits for encoding or for users.
func (s *session) readLoop(r io.Reader) {
	buf := make([]byte, readBuffer)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.output(buf[:n], n == len(buf))
		}
		if err != nil {
			return
		}
	}
}

// output applies p to the terminal and the typescript and wakes the
// flusher. full says the read filled its buffer: more is on the way.
func (s *session) output(p []byte, full bool) {
	s.termMu.Lock()
	if s.ts != nil {
		s.ts.write(p)
	}
	s.t.Write(p)
	s.pending += len(p)
	s.bulk = s.bulk || full || s.pending >= bulkBytes
	s.termMu.Unlock()
	s.kick()
}

// kick wakes the flusher.
func (s *session) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Join implements backends.Session: pending changes go to the current
// users first, so the state sent to u is exactly what they show.
func (s *session) Join(u backends.User) error {
	s.engMu.Lock()
	defer s.engMu.Unlock()
	s.flushLocked()
	state := s.eng.AppendState(nil)
	s.termMu.Lock()
	title := s.title
	s.termMu.Unlock()
	if title != "" {
		state = protocol.AppendName(state, title)
	}
	if s.copied != "" && !s.set.disableCopy {
		state = appendClipboard(state, s.copied)
	}
	s.users[u] = true
	// guacd sends the current live-changeable values to every user.
	for _, name := range []string{"color-scheme", "font-name", "font-size"} {
		state = appendArgv(state, s.xfer.NewStream(u), name, s.argv[name])
	}
	if s.fs != nil && u.Owner() {
		state = s.fs.AppendExpose(state)
	}
	state = protocol.AppendSync(state, 0, 1)
	u.Write(state)
	u.Attach()
	return nil
}

// appendArgv appends an argv stream carrying value for name.
func appendArgv(dst []byte, stream int, name, value string) []byte {
	dst = protocol.AppendArgv(dst, stream, "text/plain", name)
	if value != "" {
		dst = protocol.AppendBlob(dst, stream, []byte(value))
	}
	return protocol.AppendEnd(dst, stream)
}

// appendClipboard appends a text/plain clipboard stream.
func appendClipboard(dst []byte, text string) []byte {
	dst = protocol.AppendClipboard(dst, clipStream, "text/plain")
	for len(text) > 0 {
		n := min(len(text), 4096)
		dst = protocol.AppendBlob(dst, clipStream, []byte(text[:n]))
		text = text[n:]
	}
	return protocol.AppendEnd(dst, clipStream)
}

// Leave implements backends.Session.
func (s *session) Leave(u backends.User) {
	s.engMu.Lock()
	delete(s.users, u)
	s.engMu.Unlock()
	s.xfer.Leave(u)
	s.mu.Lock()
	for k := range s.in {
		if k.user == u {
			delete(s.in, k)
		}
	}
	s.mu.Unlock()
	s.termMu.Lock()
	if u.Owner() && s.prompt != nil {
		s.prompt.cancel()
		s.prompt = nil
	}
	s.termMu.Unlock()
}

// Close implements backends.Session.
func (s *session) Close() error {
	s.once.Do(func() {
		s.cancel()
		close(s.done)
		s.mu.Lock()
		s.closed = true
		client := s.client
		s.mu.Unlock()
		s.stdin.close()
		if client != nil {
			client.Close()
		}
	})
	s.wg.Wait()
	if err := s.xfer.Close(); err != nil {
		s.log.Debug("SFTP close", "err", err)
	}
	s.termMu.Lock()
	defer s.termMu.Unlock()
	if s.ts != nil {
		if err := s.ts.close(); err != nil {
			s.log.Warn("typescript", "err", err)
		}
		s.ts = nil
	}
	return nil
}

// hostLabel names the SFTP filesystem as guacd does: by host.
func hostLabel(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}
