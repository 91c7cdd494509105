package radiusd

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Drop reasons, the label values of radbill_drops_total.
const (
	DropQueueFull          = "queue_full"
	DropRateLimited        = "rate_limited"
	DropQueueTimeout       = "queue_timeout"
	DropUnknownClient      = "unknown_client"
	DropMalformed          = "malformed"
	DropUnexpectedCode     = "unexpected_code"
	DropBadAuthenticator   = "bad_authenticator"
	DropBadMessageAuth     = "bad_message_authenticator"
	DropMissingMessageAuth = "missing_message_authenticator"
	// DropProxyStateWithoutMessageAuth: limit_proxy_state (BlastRADIUS).
	DropProxyStateWithoutMessageAuth = "proxy_state_without_message_authenticator"
	DropPanic                        = "panic"
	DropRetransmitInFlight           = "retransmit_in_flight"
	DropBadStatusType                = "bad_status_type"
	DropStoreFailed                  = "store_failed"
	// DropSourceBusy: the source address already had
	// server.max_in_flight_per_source requests being handled (overload).
	DropSourceBusy = "source_busy"
	// DropWriterBusy: the NAS's writer queue stayed full (overload).
	DropWriterBusy  = "writer_busy"
	DropReplyFailed = "reply_failed"
)

type metrics struct {
	packets  *prometheus.CounterVec
	drops    *prometheus.CounterVec
	replayed *prometheus.CounterVec
	// replySeconds is how long the requests that are answered wait for
	// their answer, per client: under overload, whether what radbill
	// accepts is still answered within its latency goal.
	replySeconds *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, queueDepth, cacheSize func() float64) *metrics {
	m := &metrics{
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "radbill_packets_total", Help: "Requests answered, by listener, request code and reply code.",
		}, []string{"listener", "code", "reply"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "radbill_drops_total", Help: "Requests dropped without a reply, by client (empty: the source matched none), listener and reason.",
		}, []string{"client", "listener", "reason"}),
		replayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "radbill_retransmits_replayed_total", Help: "Retransmitted requests answered from the reply cache.",
		}, []string{"listener"}),
		replySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "radbill_reply_seconds", Help: "Time from a request's arrival to its reply, by listener and client (accounting: after the record's batch committed).",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2},
		}, []string{"listener", "client"}),
	}
	reg.MustRegister(m.packets, m.drops, m.replayed, m.replySeconds,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_queue_depth", Help: "Packets waiting for a worker."}, queueDepth),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_reply_cache_entries", Help: "Requests remembered for retransmit detection."}, cacheSize),
	)
	return m
}

// dropLog logs drops at warn level, at most once per interval per reason,
// so a flood of bad packets cannot flood the log.
type dropLog struct {
	log      *zap.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	skipped  map[string]int
}

func newDropLog(log *zap.Logger, interval time.Duration) *dropLog {
	return &dropLog{log: log, interval: interval, last: map[string]time.Time{}, skipped: map[string]int{}}
}

// due reports whether a drop for reason is to be logged now, and how many
// were not logged since the last one. The caller builds the log fields only
// then: under a flood most drops are not logged, and must cost little.
func (d *dropLog) due(reason string) (skipped int, ok bool) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.last[reason]) < d.interval {
		d.skipped[reason]++
		return 0, false
	}
	skipped = d.skipped[reason]
	d.last[reason] = now
	d.skipped[reason] = 0
	return skipped, true
}

func (d *dropLog) warn(reason, listener string, skipped int, fields ...zap.Field) {
	d.log.Warn("packet dropped", append(fields, zap.String("reason", reason), zap.String("listener", listener), zap.Int("similar_drops_not_logged", skipped))...)
}
