// Package disconnect sends the Disconnect-Requests (RFC 5176) that
// administrators' changes queue in disconnect_request (package limits: a
// blocked card or user, a balance cut below its calls' reservations) to
// the gateways of those calls: Cisco IOS listens with `aaa pod server`
// on UDP 1700. Each request names the call by Acct-Session-Id, User-Name,
// NAS-IP-Address and h323-conf-id, is signed with the NAS client's secret,
// and is sent again until the gateway answers Disconnect-ACK or
// Disconnect-NAK, up to MaxAttempts; the outcome is kept in the row,
// logged and counted (radbill_disconnect_total).
package disconnect

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"layeh.com/radius"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/radiusd"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/store"
)

// Config configures a Sender; zero fields take their defaults.
type Config struct {
	// Port is the gateways' Disconnect port (1700, Cisco's `aaa pod
	// server` default; RFC 5176 registers 3799).
	Port int
	// PollInterval is how often queued requests are looked for (1 s).
	PollInterval time.Duration
	// Timeout is how long an attempt waits for the answer (3 s).
	Timeout time.Duration
	// MaxAttempts is when to give up (5); attempts after the first wait
	// Timeout times their number.
	MaxAttempts int
	// Clients finds the NAS client (and so the secret) of a gateway.
	Clients func() *radiusd.Clients
	Log     *zap.Logger
	Now     func() time.Time
}

// Sender sends the queued requests.
type Sender struct {
	db       *store.DB
	cfg      Config
	outcomes *prometheus.CounterVec
}

// New checks cfg and returns a Sender on db, its metrics in reg.
func New(db *store.DB, cfg Config, reg prometheus.Registerer) (*Sender, error) {
	if cfg.Clients == nil {
		return nil, errors.New("disconnect: no NAS clients")
	}
	cfg.Port = cmp.Or(cfg.Port, 1700)
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("disconnect.port %d: want 1 to 65535", cfg.Port)
	}
	cfg.PollInterval = cmp.Or(cfg.PollInterval, time.Second)
	cfg.Timeout = cmp.Or(cfg.Timeout, 3*time.Second)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 5)
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{db: db, cfg: cfg, outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "radbill_disconnect_total",
		Help: "Disconnect-Request attempts by outcome: acked, nacked, no_answer, failed (given up), no_client.",
	}, []string{"outcome"})}
	if err := reg.Register(s.outcomes); err != nil {
		return nil, err
	}
	return s, nil
}

// Run sends due requests every PollInterval until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("disconnect requests: database", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

type request struct {
	ID            int64  `db:"id"`
	ClientName    string `db:"client_name"`
	NASIP         string `db:"nas_ip"`
	AcctSessionID string `db:"acct_session_id"`
	ConfID        string `db:"conf_id"`
	UserName      string `db:"user_name"`
	Reason        string `db:"reason"`
	Attempts      int    `db:"attempts"`
}

// SendDue sends the requests due now, each once, and returns how many
// were answered (ACK or NAK). A request is claimed by a compare-and-set
// on its attempts, so several radiusd on one database send it once each
// attempt.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	var due []request
	if err := s.db.SelectContext(ctx, &due, "SELECT id, client_name, nas_ip, acct_session_id, conf_id, user_name, reason, attempts FROM disconnect_request "+
		"WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 100", dbtime.Format(now)); err != nil {
		return 0, err
	}
	answered := 0
	for _, r := range due {
		r.Attempts++
		// Hidden from the others until this attempt's answer is due.
		res, err := s.db.ExecContext(ctx, "UPDATE disconnect_request SET attempts = ?, next_attempt_at = ? WHERE id = ? AND attempts = ? AND status = 'pending'",
			r.Attempts, dbtime.Format(now.Add(time.Duration(r.Attempts+1)*s.cfg.Timeout)), r.ID, r.Attempts-1)
		if err != nil {
			return answered, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // another server has it
		}
		outcome, detail := s.send(ctx, r)
		s.outcomes.WithLabelValues(outcome).Inc()
		status, next := "pending", dbtime.Null(now.Add(time.Duration(r.Attempts)*s.cfg.Timeout))
		switch {
		case outcome == "acked" || outcome == "nacked":
			status, next = outcome, dbtime.Null(time.Time{})
			answered++
		case r.Attempts >= s.cfg.MaxAttempts || outcome == "no_client":
			status, next = "failed", dbtime.Null(time.Time{})
			s.outcomes.WithLabelValues("failed").Inc()
		}
		log := s.cfg.Log.Info
		if status != "acked" {
			log = s.cfg.Log.Warn
		}
		log("disconnect request", zap.String("nas", r.NASIP), zap.String("session", r.AcctSessionID), zap.String("conf_id", r.ConfID),
			zap.String("reason", r.Reason), zap.Int("attempt", r.Attempts), zap.String("outcome", outcome), zap.String("detail", detail))
		var done any
		if status != "pending" {
			done = dbtime.Format(s.cfg.Now())
		}
		if _, err := s.db.ExecContext(ctx, "UPDATE disconnect_request SET status = ?, next_attempt_at = ?, last_error = ?, done_at = ? WHERE id = ?",
			status, next, detail, done, r.ID); err != nil {
			return answered, err
		}
	}
	return answered, nil
}

// Attributes of a Disconnect-Request and its answer.
const (
	attrUserName       = 1
	attrNASIPAddress   = 4
	attrVendorSpecific = 26
	attrAcctSessionID  = 44
	attrEventTimestamp = 55
	attrErrorCause     = 101
)

// send makes one attempt: the outcome (acked, nacked, no_answer,
// no_client) and what went wrong.
func (s *Sender) send(ctx context.Context, r request) (string, string) {
	addr, err := netip.ParseAddr(r.NASIP)
	if err != nil {
		return "no_client", fmt.Sprintf("NAS address %q: %v", r.NASIP, err)
	}
	clients := s.cfg.Clients()
	client := clients.Lookup(addr)
	if client == nil {
		client = clients.Named(r.ClientName)
	}
	if client == nil {
		return "no_client", "no NAS client for " + r.NASIP + " or " + r.ClientName
	}
	p := radius.New(radius.CodeDisconnectRequest, client.Secret)
	var id [1]byte
	_, _ = rand.Read(id[:])
	p.Identifier = id[0]
	p.Add(attrAcctSessionID, radius.Attribute(r.AcctSessionID))
	if r.UserName != "" {
		p.Add(attrUserName, radius.Attribute(r.UserName))
	}
	if addr.Is4() {
		p.Add(attrNASIPAddress, radius.Attribute(addr.AsSlice()))
	}
	if r.ConfID != "" {
		if vsa, err := cisco.NewVSA(cisco.AttrConfID, r.ConfID); err == nil {
			p.Add(attrVendorSpecific, vsa)
		}
	}
	p.Add(attrEventTimestamp, radius.NewInteger(uint32(s.cfg.Now().Unix())))
	wire, err := p.Encode()
	if err != nil {
		return "no_client", err.Error()
	}
	conn, err := net.Dial("udp", net.JoinHostPort(addr.String(), strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return "no_answer", err.Error()
	}
	defer conn.Close()
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write(wire); err != nil {
		return "no_answer", err.Error()
	}
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return "no_answer", err.Error()
		}
		reply, err := radius.Parse(buf[:n], client.Secret)
		if err != nil || reply.Identifier != p.Identifier || !radius.IsAuthenticResponse(buf[:n], wire, client.Secret) {
			continue // not the answer to this request
		}
		switch reply.Code {
		case radius.CodeDisconnectACK:
			return "acked", ""
		case radius.CodeDisconnectNAK:
			cause := ""
			if v, ok := reply.Lookup(attrErrorCause); ok {
				if c, err := radius.Integer(v); err == nil {
					cause = "Error-Cause " + strconv.Itoa(int(c))
				}
			}
			return "nacked", cmp.Or(cause, "Disconnect-NAK")
		}
	}
}
