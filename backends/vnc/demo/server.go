// Package demo is goguacd's built-in demo desktop: a small in-process RFB
// (VNC) 3.8 server with no authentication that listens on loopback and draws
// something live, so the embedded default configuration has a desktop to
// show. It serves Raw and CopyRect encodings in 32-bit true colour: a clock
// that ticks every second, the text typed on the keyboard, and lines drawn
// with the mouse while a button is held. Every client sees the same screen.
package demo

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Config configures the demo server. The zero value gives 1024x768.
type Config struct {
	Width, Height int
	Logger        *slog.Logger
	// Ticks drives the clock (tests); nil means every second.
	Ticks <-chan time.Time
}

// Server is a running demo desktop.
type Server struct {
	ln   net.Listener
	d    *desktop
	log  *slog.Logger
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start listens on 127.0.0.1 on a free port and serves until ctx ends or
// Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = 1024, 768
	}
	if cfg.Width > 8192 || cfg.Height > 8192 || cfg.Width < 64 || cfg.Height < 64 {
		return nil, fmt.Errorf("demo: size %dx%d out of range 64–8192", cfg.Width, cfg.Height)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Server{ln: ln, d: newDesktop(cfg.Width, cfg.Height, time.Now()), log: cfg.Logger, stop: cancel, conns: map[net.Conn]struct{}{}}
	ticks := cfg.Ticks
	var ticker *time.Ticker
	if ticks == nil {
		ticker = time.NewTicker(time.Second)
		ticks = ticker.C
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if ticker != nil {
			defer ticker.Stop()
		}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-ticks:
				s.d.tick(now)
			}
		}
	}()
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	}()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the host:port to connect to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	s.stop()
	s.wg.Wait()
	return nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := s.serve(nc)
			nc.Close()
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Info("demo: client ended", "remote", nc.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

// pixelFormat is the part of an RFB PIXEL_FORMAT the server honours.
type pixelFormat struct {
	bigEndian                          bool
	redShift, greenShift, blueShift    uint8
	redMax, greenMax, blueMax          uint16
	bitsPerPixel, depth, trueColourFlg uint8
}

// defaultFormat is what ServerInit announces: 32 bpp, depth 24, little
// endian, red in bits 16–23.
var defaultFormat = pixelFormat{redShift: 16, greenShift: 8, blueShift: 0, redMax: 255, greenMax: 255, blueMax: 255, bitsPerPixel: 32, depth: 24, trueColourFlg: 1}

func (pf pixelFormat) encode() []byte {
	b := make([]byte, 16)
	b[0], b[1] = pf.bitsPerPixel, pf.depth
	if pf.bigEndian {
		b[2] = 1
	}
	b[3] = pf.trueColourFlg
	binary.BigEndian.PutUint16(b[4:], pf.redMax)
	binary.BigEndian.PutUint16(b[6:], pf.greenMax)
	binary.BigEndian.PutUint16(b[8:], pf.blueMax)
	b[10], b[11], b[12] = pf.redShift, pf.greenShift, pf.blueShift
	return b
}

func decodeFormat(b []byte) (pixelFormat, error) {
	pf := pixelFormat{
		bitsPerPixel: b[0], depth: b[1], bigEndian: b[2] != 0, trueColourFlg: b[3],
		redMax: binary.BigEndian.Uint16(b[4:]), greenMax: binary.BigEndian.Uint16(b[6:]), blueMax: binary.BigEndian.Uint16(b[8:]),
		redShift: b[10], greenShift: b[11], blueShift: b[12],
	}
	if pf.bitsPerPixel != 32 || pf.trueColourFlg == 0 || pf.redMax != 255 || pf.greenMax != 255 || pf.blueMax != 255 ||
		pf.redShift > 24 || pf.greenShift > 24 || pf.blueShift > 24 {
		return pf, fmt.Errorf("demo: unsupported pixel format (%d bpp, true colour %d, max %d/%d/%d): only 32-bit true colour with 8 bits per channel",
			pf.bitsPerPixel, pf.trueColourFlg, pf.redMax, pf.greenMax, pf.blueMax)
	}
	return pf, nil
}

// RFB encodings and message types used here.
const (
	encRaw      = 0
	encCopyRect = 1

	msgSetPixelFormat   = 0
	msgSetEncodings     = 2
	msgUpdateRequest    = 3
	msgKeyEvent         = 4
	msgPointerEvent     = 5
	msgClientCutText    = 6
	maxCutText          = 1 << 20
	maxEncodings        = 1024
	handshakeTimeout    = 10 * time.Second
	protocolVersion38   = "RFB 003.008\n"
	securityNone        = 1
	serverName          = "goguacd demo"
	framebufferUpdate   = 0
	rfbVersionPrefixLen = 12
)

// serve runs one client: handshake, then a reader (this goroutine) and a
// writer that sends updates when the client asked and something changed.
func (s *Server) serve(nc net.Conn) error {
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	br := bufio.NewReader(nc)
	if err := handshake(nc, br); err != nil {
		return err
	}
	_ = nc.SetDeadline(time.Time{})

	c := newClient(s.d, nc)
	s.d.mu.Lock()
	s.d.clients[c] = struct{}{}
	w, h := s.d.img.Bounds().Dx(), s.d.img.Bounds().Dy()
	s.d.mu.Unlock()
	defer func() {
		s.d.mu.Lock()
		delete(s.d.clients, c)
		s.d.mu.Unlock()
	}()

	// ServerInit.
	init := make([]byte, 4, 24+len(serverName))
	binary.BigEndian.PutUint16(init[0:], uint16(w))
	binary.BigEndian.PutUint16(init[2:], uint16(h))
	init = append(init, defaultFormat.encode()...)
	init = binary.BigEndian.AppendUint32(init, uint32(len(serverName)))
	init = append(init, serverName...)
	if _, err := nc.Write(init); err != nil {
		return err
	}

	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		werr = c.writeLoop()
	}()
	rerr := c.readLoop(br)
	c.close()
	nc.Close()
	<-done
	if rerr != nil {
		return rerr
	}
	return werr
}

// handshake does the RFB 3.3/3.7/3.8 version and security exchange with
// security type None.
func handshake(nc net.Conn, br *bufio.Reader) error {
	if _, err := io.WriteString(nc, protocolVersion38); err != nil {
		return err
	}
	var v [rfbVersionPrefixLen]byte
	if _, err := io.ReadFull(br, v[:]); err != nil {
		return fmt.Errorf("demo: read version: %w", err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(v[:]), "RFB %03d.%03d\n", &major, &minor); err != nil || major != 3 {
		return fmt.Errorf("demo: bad client version %q", v[:])
	}
	if err := negotiateSecurity(nc, br, minor); err != nil {
		return err
	}
	// ClientInit: the shared flag; every client shares the one desktop.
	if _, err := br.ReadByte(); err != nil {
		return fmt.Errorf("demo: read client init: %w", err)
	}
	return nil
}

// negotiateSecurity offers only None: 3.3 is told, 3.7 and 3.8 choose it
// from a list, and 3.8 gets a result.
func negotiateSecurity(nc net.Conn, br *bufio.Reader, minor int) error {
	if minor < 7 {
		_, err := nc.Write([]byte{0, 0, 0, securityNone})
		return err
	}
	if _, err := nc.Write([]byte{1, securityNone}); err != nil {
		return err
	}
	choice, err := br.ReadByte()
	if err != nil {
		return fmt.Errorf("demo: read security type: %w", err)
	}
	if choice != securityNone {
		return fmt.Errorf("demo: client chose security type %d", choice)
	}
	if minor >= 8 {
		_, err = nc.Write([]byte{0, 0, 0, 0})
	}
	return err
}

// copyOp is a scroll a client has not been sent yet.
type copyOp struct {
	src image.Rectangle
	dst image.Point
}
