package tunnel

import (
	"time"

	"github.com/goguacd/goguacd/protocol"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's Prometheus collectors. Children with fixed labels
// are bound once so the hot path does no label look-ups.
type Metrics struct {
	connections       prometheus.Gauge
	users             prometheus.Gauge
	handshakes        prometheus.Counter
	handshakeFailures *prometheus.CounterVec
	bytesOut          prometheus.Counter
	bytesIn           prometheus.Counter
	frames            prometheus.Counter
	forwarded         prometheus.Counter
	broadcastBytes    prometheus.Counter
	instructionsIn    prometheus.Counter
	coalesced         prometheus.Counter
	lag               prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "goguacd_connections", Help: "Live backend connections."}),
		users:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "goguacd_users", Help: "Users attached to connections."}),
		handshakes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_handshakes_total", Help: "guacd handshakes started."}),
		handshakeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goguacd_handshake_failures_total", Help: "Sessions refused before they started, by reason.",
		}, []string{"reason"}),
		bytesOut:       prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_bytes_to_clients_total", Help: "Bytes written to clients."}),
		bytesIn:        prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_bytes_from_clients_total", Help: "Instruction bytes received from clients."}),
		forwarded:      prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_joins_forwarded_total", Help: "Joins forwarded to the replica that owns the connection."}),
		frames:         prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_frames_total", Help: "Frames (sync instructions) broadcast by backends."}),
		broadcastBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_bytes_from_backends_total", Help: "Bytes drawn by backends (before fan-out)."}),
		instructionsIn: prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_instructions_from_clients_total", Help: "Instructions received from clients."}),
		coalesced:      prometheus.NewCounter(prometheus.CounterOpts{Name: "goguacd_user_queue_overflows_total", Help: "Times a slow user's queued frames were replaced by a full resync."}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "goguacd_user_lag_seconds", Help: "User display lag measured from sync acknowledgements.",
			Buckets: []float64{0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.users, m.handshakes, m.handshakeFailures, m.bytesOut, m.bytesIn, m.frames, m.forwarded,
			m.broadcastBytes, m.instructionsIn, m.coalesced, m.lag)
	}
	return m
}

func (m *Metrics) observeLag(d time.Duration) { m.lag.Observe(d.Seconds()) }

// wireLen is the encoded size of ins, counting element lengths in bytes
// (exact for ASCII, which is nearly all client input).
func wireLen(ins protocol.Instruction) int {
	n := len(ins.Opcode) + digits(len(ins.Opcode)) + 2
	for _, a := range ins.Args {
		n += len(a) + digits(len(a)) + 2
	}
	return n
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
