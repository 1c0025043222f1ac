package audio

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// DefaultMaxLag is how far behind a user's display may trail before its
// audio is dropped: audio that late is useless, and queueing it only makes
// a congested link worse.
const DefaultMaxLag = time.Second

// Source is captured PCM in the package's format (Rate, Channels,
// BitsPerSample, little-endian).
type Source interface {
	// Read blocks until PCM is captured and returns it; the caller owns the
	// slice. It fails once capture has ended, at the latest after Close.
	Read() ([]byte, error)
	// Close ends capture and releases the source.
	Close() error
}

// ErrClosed is returned by sources read after Close.
var ErrClosed = errors.New("audio: source closed")

// Options tune a Streamer.
type Options struct {
	Logger *slog.Logger  // nil means slog.Default()
	MaxLag time.Duration // 0 means DefaultMaxLag
}

// Streamer sends one Source to the users that accept audio/L16, each on
// the same output stream index. Users are written to directly, never
// blocked on: a user whose display lags more than MaxLag misses audio until
// it catches up. A nil *Streamer does nothing, so sessions without audio
// need no checks.
type Streamer struct {
	stream int
	log    *slog.Logger
	maxLag time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu      sync.Mutex
	users   map[backends.User]bool // accepting users → told about the stream
	src     Source                 // set once capture has started
	closed  bool
	partial []byte // trailing bytes of an incomplete frame
	msg     []byte // blob instructions, reused
	lagging map[backends.User]bool
}

// NewStreamer returns a Streamer for output stream index stream, which must
// not be used by any other stream of the connection.
func NewStreamer(stream int, opts Options) *Streamer {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxLag <= 0 {
		opts.MaxLag = DefaultMaxLag
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Streamer{
		stream:  stream,
		log:     opts.Logger,
		maxLag:  opts.MaxLag,
		ctx:     ctx,
		cancel:  cancel,
		users:   make(map[backends.User]bool),
		lagging: make(map[backends.User]bool),
	}
}

// Run opens the source in the background and streams it until Close or
// until the source ends; it must be called at most once. open's context is
// cancelled by Close. When open fails the failure is logged and the
// session goes on without sound; users are only told about the stream once
// capture works.
func (s *Streamer) Run(open func(ctx context.Context) (Source, error)) {
	if s == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		src, err := open(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("audio unavailable; continuing without sound", "err", err)
			}
			return
		}
		if !s.begin(src) {
			_ = src.Close()
			return
		}
		for {
			pcm, err := src.Read()
			if err != nil {
				if s.ctx.Err() == nil {
					s.log.Info("audio capture ended", "err", err)
				}
				return
			}
			s.write(pcm)
		}
	}()
}

// begin announces the stream to every accepting user, unless closed.
func (s *Streamer) begin(src Source) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.src = src
	announce := protocol.AppendInstruction(nil, "audio", strconv.Itoa(s.stream), Mimetype)
	for u := range s.users {
		u.Write(announce)
		s.users[u] = true
	}
	s.log.Info("audio streaming", "users", len(s.users))
	return true
}

// Add makes u receive the stream if it accepts audio/L16. Calling it again
// for a user already added (a rejoin after its output was coalesced)
// restarts the stream for that user, since whatever it was last sent may
// have been dropped.
func (s *Streamer) Add(u backends.User) {
	if s == nil || !Accepts(u.Info().Audio) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.src == nil {
		s.users[u] = false
		return
	}
	var msg []byte
	if s.users[u] {
		msg = protocol.AppendEnd(msg, s.stream)
	}
	msg = protocol.AppendInstruction(msg, "audio", strconv.Itoa(s.stream), Mimetype)
	u.Write(msg)
	s.users[u] = true
}

// Remove stops sending to u, which is leaving.
func (s *Streamer) Remove(u backends.User) {
	if s == nil {
		return
	}
	s.mu.Lock()
	delete(s.users, u)
	delete(s.lagging, u)
	s.mu.Unlock()
}

// Close stops capture, ends the stream for every user and waits for the
// background work to finish.
func (s *Streamer) Close() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		s.cancel()
		s.mu.Lock()
		s.closed = true
		src := s.src
		s.mu.Unlock()
		if src != nil {
			_ = src.Close() // unblocks Read
		}
		s.wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		if src != nil {
			end := protocol.AppendEnd(nil, s.stream)
			for u, told := range s.users {
				if told {
					u.Write(end)
				}
			}
		}
		clear(s.users)
	})
}

// write sends one captured chunk as blobs of whole frames. All-zero chunks
// are not sent, as guacd does: an idle desktop costs no bandwidth (raw
// PCM is 235 kB/s once in base64).
func (s *Streamer) write(pcm []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if silent(pcm) {
		s.partial = s.partial[:0]
		return
	}
	data := pcm
	if len(s.partial) > 0 {
		data = append(s.partial, pcm...)
	}
	whole := len(data) - len(data)%frameSize
	s.msg = s.msg[:0]
	for off := 0; off < whole; off += BlobSize {
		s.msg = protocol.AppendBlob(s.msg, s.stream, data[off:min(off+BlobSize, whole)])
	}
	s.partial = append(s.partial[:0], data[whole:]...)
	if len(s.msg) == 0 {
		return
	}
	for u := range s.users {
		lag := u.Lag()
		if lag > s.maxLag {
			if !s.lagging[u] {
				s.lagging[u] = true
				s.log.Debug("user lags; dropping its audio", "user", u.ID(), "lag", lag)
			}
			continue
		}
		delete(s.lagging, u)
		u.Write(s.msg)
	}
}

// silent reports whether pcm is digital silence.
func silent(pcm []byte) bool {
	for _, b := range pcm {
		if b != 0 {
			return false
		}
	}
	return true
}
