package audio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// pulseQueue bounds the captured chunks waiting for the streamer (about
// two seconds at BlobSize fragments). PulseAudio's reader goroutine must
// never block on us, so a full queue drops audio instead.
const pulseQueue = 64

// pulseTimeout bounds each request to the server.
const pulseTimeout = 5 * time.Second

// clientName is how guacd names itself and its stream to PulseAudio.
const clientName = "Guacamole Audio"

// pulseSource records the monitor of a PulseAudio sink. It speaks the
// native protocol through the library's proto package rather than its
// pulse.Client, which dials without a deadline and crashes the process
// (a nil callback) when a server hangs up during the handshake.
type pulseSource struct {
	conn   net.Conn
	client *proto.Client
	stream atomic.Uint32 // record stream index, once created
	chunks chan []byte
	lost   chan struct{} // closed when the server ends the stream
	done   chan struct{} // closed by Close
	once   sync.Once
	lose   sync.Once
}

// DialPulse connects to the PulseAudio server named by server and records
// the monitor of its default sink as 44100 Hz stereo S16LE, as guacd does.
// server is a PulseAudio server string, as guacd's audio-servername
// ("unix:/path", "/path", "tcp:host:port", "host"…, several separated by
// spaces); empty means the local default: $PULSE_SERVER, else
// $XDG_RUNTIME_DIR/pulse/native, else the system-wide /run/pulse/native.
// Authentication uses the cookie in $PULSE_COOKIE or ~/.config/pulse/cookie
// when present, else an empty one (servers with auth-anonymous=1).
func DialPulse(ctx context.Context, server string) (Source, error) {
	if server == "" {
		server = os.Getenv("PULSE_SERVER")
	}
	var eps []endpoint
	if server == "" {
		eps = defaultEndpoints()
	} else {
		var err error
		if eps, err = parseServer(server); err != nil {
			return nil, err
		}
	}
	var errs []error
	for _, ep := range eps {
		if !ep.local() {
			continue
		}
		p, err := dialEndpoint(ctx, ep)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("audio: no PulseAudio server for this machine in %q", server)
	}
	return nil, errors.Join(errs...)
}

// defaultEndpoints are the sockets libpulse tries when no server is named.
func defaultEndpoints() []endpoint {
	var eps []endpoint
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		eps = append(eps, endpoint{network: "unix", addr: dir + "/pulse/native"})
	}
	return append(eps, endpoint{network: "unix", addr: "/run/pulse/native"})
}

// dialEndpoint connects, authenticates and starts recording.
func dialEndpoint(ctx context.Context, ep endpoint) (*pulseSource, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, ep.network, ep.addr)
	if err != nil {
		return nil, fmt.Errorf("audio: PulseAudio %s: %w", ep, err)
	}
	p := &pulseSource{
		conn:   conn,
		client: &proto.Client{},
		chunks: make(chan []byte, pulseQueue),
		lost:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	p.stream.Store(proto.Undefined)
	// Set before Open: the reader goroutine calls it from the first byte.
	p.client.Callback = p.callback
	p.client.SetTimeout(pulseTimeout)
	p.client.Open(&frameGuard{Conn: conn})
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := p.start(); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("audio: PulseAudio %s: %w", ep, err)
	}
	return p, nil
}

// start runs the handshake and creates the record stream.
func (p *pulseSource) start() error {
	c := p.client
	var auth proto.AuthReply
	if err := c.Request(&proto.Auth{Version: c.Version(), Cookie: cookie()}, &auth); err != nil {
		return fmt.Errorf("authenticating: %w", err)
	}
	c.SetVersion(auth.Version)
	name := proto.PropList{"application.name": proto.PropListString(clientName)}
	if err := c.Request(&proto.SetClientName{Props: name}, &proto.SetClientNameReply{}); err != nil {
		return fmt.Errorf("setting the client name: %w", err)
	}
	var sink proto.GetSinkInfoReply
	if err := c.Request(&proto.GetSinkInfo{SinkIndex: proto.Undefined}, &sink); err != nil {
		return fmt.Errorf("no default sink: %w", err)
	}
	req := proto.CreateRecordStream{
		SampleSpec:      proto.SampleSpec{Format: proto.FormatInt16LE, Channels: Channels, Rate: Rate},
		ChannelMap:      proto.ChannelMap{proto.ChannelLeft, proto.ChannelRight},
		SourceIndex:     sink.MonitorSourceIndex,
		BufferMaxLength: proto.Undefined,
		// As guacd: fragments of about one blob, delivered on time, and an
		// idle sink may still suspend.
		BufferFragSize:         BlobSize,
		AdjustLatency:          true,
		DontInhibitAutoSuspend: true,
		DirectOnInputIndex:     proto.Undefined,
		Properties:             proto.PropList{"media.name": proto.PropListString(clientName)},
		ChannelVolumes:         proto.ChannelVolumes{0x10000, 0x10000},
	}
	var rep proto.CreateRecordStreamReply
	if err := c.Request(&req, &rep); err != nil {
		return fmt.Errorf("recording the monitor of %q: %w", sink.SinkName, err)
	}
	if rep.SampleSpec != req.SampleSpec {
		return fmt.Errorf("server records %+v, want %+v", rep.SampleSpec, req.SampleSpec)
	}
	p.stream.Store(rep.StreamIndex)
	return nil
}

// cookie is the client's authentication cookie, as libpulse finds it.
func cookie() []byte {
	path := os.Getenv("PULSE_COOKIE")
	if path == "" {
		path = os.Getenv("HOME") + "/.config/pulse/cookie"
	}
	if b, err := os.ReadFile(path); err == nil && len(b) == 256 {
		return b
	}
	return make([]byte, 256)
}

// callback receives the server's messages on the library's reader goroutine.
func (p *pulseSource) callback(msg any) {
	switch m := msg.(type) {
	case *proto.DataPacket:
		if m.StreamIndex != p.stream.Load() {
			return
		}
		select {
		case p.chunks <- append([]byte(nil), m.Data...): // Data is the reader's buffer
		default: // the streamer is behind: drop rather than stall PulseAudio
		}
	case *proto.RecordStreamKilled:
		if m.StreamIndex == p.stream.Load() {
			p.lose.Do(func() { close(p.lost) })
		}
	case *proto.ConnectionClosed:
		p.lose.Do(func() { close(p.lost) })
	}
}

// Read implements Source.
func (p *pulseSource) Read() ([]byte, error) {
	select {
	case <-p.done:
		return nil, ErrClosed
	case <-p.lost:
		return nil, errors.New("audio: PulseAudio ended the stream")
	case b := <-p.chunks:
		return b, nil
	}
}

// Close implements Source. Closing the connection makes the server drop
// the record stream and ends the library's reader goroutine.
func (p *pulseSource) Close() error {
	var err error
	p.once.Do(func() {
		err = p.conn.Close()
		close(p.done)
	})
	return err
}
