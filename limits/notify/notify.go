// Package notify e-mails enterprise users' limit notifications. The rows
// are enqueued in table limit_notification by limits.Service.SettleUserTx,
// in the transaction of the debit that reached a threshold, so the call
// path never waits for mail; a Sender, running in the background of each
// radiusd, delivers them over SMTP and records the outcome in the row.
//
// Delivery is at least once and, barring a crash between the SMTP server's
// acceptance and the row's update, exactly once, also with several
// Senders on one database: a Sender claims a row by a compare-and-set on
// its attempts counter and hides it from the others for a lease of twice
// the delivery timeout. A failed attempt is retried with exponential
// backoff (RetryBase, doubling, capped at RetryMax); after MaxAttempts the
// row stays "failed" with next_attempt_at NULL.
package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"time"

	"github.com/wneessen/go-mail"
	"go.uber.org/zap"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// SMTP is how to reach the mail server.
type SMTP struct {
	Host string
	// Port defaults to 587 with StartTLS, 25 without.
	Port int
	// StartTLS requires STARTTLS before anything is sent (the connection
	// fails if the server does not offer it); off sends in clear text.
	StartTLS bool
	// Username and Password log in with the strongest mechanism the server
	// offers (PLAIN and LOGIN only over TLS); an empty Username skips AUTH.
	Username, Password string
	// From is the sender address, e.g. "radbill <billing@example.com>".
	From string
	// TLSConfig verifies the server for STARTTLS; nil uses the system's
	// roots and Host as server name. Set RootCAs for a private CA.
	TLSConfig *tls.Config
}

// Config configures a Sender; zero fields take their defaults.
type Config struct {
	SMTP SMTP
	// PollInterval is how often Run looks for due notifications (15 s).
	PollInterval time.Duration
	// Timeout bounds one delivery, connection included (1 min).
	Timeout time.Duration
	// RetryBase is the delay after the first failed attempt, doubled after
	// each further one up to RetryMax (1 min, 6 h).
	RetryBase, RetryMax time.Duration
	// MaxAttempts is when to give up (10).
	MaxAttempts int
	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives failures (none).
	Log *zap.Logger
	// Language is the e-mails' language for users who have none ("en").
	Language string
}

// Sender delivers due notifications. Its methods may be called from
// several goroutines, and several Senders may share a database.
type Sender struct {
	db      *store.DB
	cfg     Config
	catalog *locale.Catalog
}

// New checks cfg and returns a Sender on db.
func New(db *store.DB, cfg Config) (*Sender, error) {
	if cfg.SMTP.Host == "" {
		return nil, errors.New("notify: no SMTP host")
	}
	if _, err := netmail.ParseAddress(cfg.SMTP.From); err != nil {
		return nil, fmt.Errorf("notify: from address %q: %w", cfg.SMTP.From, err)
	}
	defaultPort := 25
	if cfg.SMTP.StartTLS {
		defaultPort = 587
	}
	cfg.SMTP.Port = cmp.Or(cfg.SMTP.Port, defaultPort)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, 15*time.Second)
	cfg.Timeout = cmp.Or(cfg.Timeout, time.Minute)
	cfg.RetryBase = cmp.Or(cfg.RetryBase, time.Minute)
	cfg.RetryMax = cmp.Or(cfg.RetryMax, 6*time.Hour)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 10)
	cfg.Language = cmp.Or(cfg.Language, "en")
	if err := locale.Check(cfg.Language); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	catalog, err := locale.Load()
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &Sender{db: db, cfg: cfg, catalog: catalog}, nil
}

// Run delivers due notifications every PollInterval until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	ticker := time.NewTicker(s.cfg.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("limit notifications: database", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// notification is a due limit_notification row with its user.
type notification struct {
	ID               int64  `db:"id"`
	Attempts         int    `db:"attempts"`
	Threshold        string `db:"threshold"`
	ThresholdPercent int    `db:"threshold_percent"`
	PeriodStart      string `db:"period_start"`
	PeriodEnd        string `db:"period_end"`
	Spend            int64  `db:"spend_micros"`
	Limit            int64  `db:"limit_micros"`
	Currency         string `db:"currency"`
	Name             string `db:"name"`
	Email            string `db:"email"`
	Language         string `db:"language"`
}

// batchSize bounds the rows one SendDue handles; the rest wait a poll.
const batchSize = 50

// SendDue delivers the notifications due now, one by one, and returns how
// many the SMTP server accepted. Failed deliveries are recorded in their
// rows; only database errors are returned.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	var due []notification
	err := s.db.SelectContext(ctx, &due, "SELECT n.id, n.attempts, n.threshold, n.threshold_percent, n.period_start, n.period_end, "+
		"n.spend_micros, n.limit_micros, n.currency, u.name, u.email, u.language FROM limit_notification n JOIN enterprise_user u ON u.id = n.user_id "+
		"WHERE n.status IN ('pending', 'failed') AND n.next_attempt_at <= ? ORDER BY n.next_attempt_at, n.id LIMIT ?",
		dbtime.Format(now), batchSize)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, n := range due {
		claimed, err := s.claim(ctx, n, now)
		if err != nil {
			return delivered, err
		}
		if !claimed {
			continue // another Sender has it
		}
		n.Attempts++
		if sendErr := s.deliver(ctx, n); sendErr != nil {
			err = s.recordFailure(ctx, n, sendErr)
		} else {
			delivered++
			_, err = s.db.ExecContext(ctx, "UPDATE limit_notification SET status = 'sent', sent_at = ?, next_attempt_at = NULL, "+
				"last_error = '' WHERE id = ? AND attempts = ?", dbtime.Format(s.cfg.Now()), n.ID, n.Attempts)
		}
		if err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// claim counts the attempt and hides the row from other Senders for the
// lease, unless another Sender counted an attempt since n was read.
func (s *Sender) claim(ctx context.Context, n notification, now time.Time) (bool, error) {
	leaseEnd := now.Add(2 * s.cfg.Timeout)
	res, err := s.db.ExecContext(ctx, "UPDATE limit_notification SET attempts = attempts + 1, next_attempt_at = ? "+
		"WHERE id = ? AND attempts = ? AND status <> 'sent'", dbtime.Format(leaseEnd), n.ID, n.Attempts)
	if err != nil {
		return false, err
	}
	rows, err := res.RowsAffected()
	return rows == 1, err
}

// maxErrorLength fits limit_notification.last_error.
const maxErrorLength = 1000

func (s *Sender) recordFailure(ctx context.Context, n notification, sendErr error) error {
	message := sendErr.Error()
	if runes := []rune(message); len(runes) > maxErrorLength {
		message = string(runes[:maxErrorLength])
	}
	next := dbtime.Null(s.cfg.Now().Add(s.retryDelay(n.Attempts)))
	log := s.cfg.Log.Warn
	if n.Attempts >= s.cfg.MaxAttempts {
		next, log = dbtime.Null(time.Time{}), s.cfg.Log.Error
	}
	log("limit notification not delivered", zap.Int64("id", n.ID), zap.String("to", n.Email),
		zap.Int("attempts", n.Attempts), zap.Bool("given_up", !next.Valid), zap.Error(sendErr))
	_, err := s.db.ExecContext(ctx, "UPDATE limit_notification SET status = 'failed', last_error = ?, next_attempt_at = ? "+
		"WHERE id = ? AND attempts = ?", message, next, n.ID, n.Attempts)
	return err
}

// retryDelay is the wait after the given number of failed attempts.
func (s *Sender) retryDelay(attempts int) time.Duration {
	delay := s.cfg.RetryBase
	for i := 1; i < attempts && delay < s.cfg.RetryMax; i++ {
		delay *= 2
	}
	return min(delay, s.cfg.RetryMax)
}

func (s *Sender) deliver(ctx context.Context, n notification) error {
	if n.Email == "" {
		return errors.New("the user has no e-mail address")
	}
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.SMTP.From); err != nil {
		return err
	}
	if err := msg.AddToFormat(n.Name, n.Email); err != nil {
		return err
	}
	subject, body, err := s.compose(n)
	if err != nil {
		return err
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, body)

	smtp := s.cfg.SMTP
	tlsPolicy := mail.NoTLS
	if smtp.StartTLS {
		tlsPolicy = mail.TLSMandatory
	}
	options := []mail.Option{mail.WithPort(smtp.Port), mail.WithTimeout(s.cfg.Timeout), mail.WithTLSPolicy(tlsPolicy)}
	if smtp.StartTLS && smtp.TLSConfig != nil {
		tlsConfig := smtp.TLSConfig.Clone()
		tlsConfig.ServerName = cmp.Or(tlsConfig.ServerName, smtp.Host)
		options = append(options, mail.WithTLSConfig(tlsConfig))
	}
	if smtp.Username != "" {
		options = append(options, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(smtp.Username), mail.WithPassword(smtp.Password))
	}
	client, err := mail.NewClient(smtp.Host, options...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}

// compose writes the e-mail in the user's language (the Sender's when
// the user has none): the period, the spend, the limit and the share of
// the limit spent, with the currency.
func (s *Sender) compose(n notification) (subject, body string, err error) {
	start, err := time.Parse(time.DateOnly, n.PeriodStart)
	if err != nil {
		return "", "", err
	}
	next, err := time.Parse(time.DateOnly, n.PeriodEnd)
	if err != nil {
		return "", "", err
	}
	t := s.catalog.Tr(cmp.Or(n.Language, s.cfg.Language))
	data := map[string]any{
		"Name": n.Name, "First": t.Date(start), "Last": t.Date(next.AddDate(0, 0, -1)), "Next": t.Date(next),
		"Spend": t.Money(rating.Money(n.Spend)) + " " + n.Currency, "Limit": t.Money(rating.Money(n.Limit)) + " " + n.Currency,
		// The real share, not the threshold's: a call may carry the spend
		// well past it.
		"Percent": n.Spend * 100 / n.Limit, "Threshold": n.ThresholdPercent,
	}
	var kind string
	switch limits.Threshold(n.Threshold) {
	case limits.ThresholdWarning:
		kind = "warning"
	case limits.ThresholdLimit:
		kind = "limit"
	default:
		return "", "", fmt.Errorf("limit notification %d: unknown threshold %q", n.ID, n.Threshold)
	}
	body = t.Text("mail.greeting", data) + "\n\n" + t.Text("mail."+kind+".body", data) + "\n\n" + t.Text("mail.restart", data) + "\n"
	return t.Text("mail."+kind+".subject", data), body, nil
}
