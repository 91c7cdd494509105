package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/limits/internal/fixture"
	"github.com/radbill/radbill/limits/notify"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

const from = "radbill <billing@example.net>"

// env is a database with the fixture tariff and a limits.Service whose
// clock stands at 12:00 UTC on 10 March 2025 (14:00 in Sofia, the retail
// plan's zone): the period of reset day 1 is 2025-03-01 to 2025-03-31.
type env struct {
	db     *store.DB
	tariff fixture.Tariff
	clock  *fixture.Clock
	svc    *limits.Service
}

func newEnv(t *testing.T, b testdb.Backend) *env {
	t.Helper()
	db := testdb.Open(t, b)
	e := &env{db: db, tariff: fixture.ImportTariff(t, db), clock: fixture.NewClock(time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC))}
	e.svc = limits.New(db, limits.Options{PINCost: bcrypt.MinCost, Now: e.clock.Now})
	return e
}

// user creates a notification-type user with a 10.00 limit, warned at 80 %.
func (e *env) user(t *testing.T, name, number string) limits.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), limits.NewUser{Name: name, Email: name + "@example.com", PlanID: e.tariff.RetailPlan,
		Limit: limits.Limit{Type: limits.LimitNotification, Amount: 10_000_000}, Numbers: []string{number}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// spend settles a call of the user's in its own transaction.
func (e *env) spend(t *testing.T, db *store.DB, number, reference string, cost rating.Money) {
	t.Helper()
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit; a failed test's must not hold the database its cleanup drops
	u, err := e.svc.UserByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SettleUserTx(context.Background(), tx, u.ID, limits.CallCharge{Reference: reference, Cost: cost}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (e *env) sender(t *testing.T, db *store.DB, host string, port int, edit func(*notify.Config)) *notify.Sender {
	t.Helper()
	cfg := notify.Config{SMTP: notify.SMTP{Host: host, Port: port, From: from}, Timeout: 10 * time.Second, Now: e.clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	s, err := notify.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sendDue(t *testing.T, s *notify.Sender, want int) {
	t.Helper()
	n, err := s.SendDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("delivered %d, want %d", n, want)
	}
}

// state is the delivery columns of a user's notification.
type state struct {
	Status    string         `db:"status"`
	Attempts  int            `db:"attempts"`
	Next      sql.NullString `db:"next_attempt_at"`
	LastError string         `db:"last_error"`
	SentAt    sql.NullString `db:"sent_at"`
}

func (e *env) state(t *testing.T, userID int64, threshold limits.Threshold) state {
	t.Helper()
	var s state
	err := e.db.Get(&s, "SELECT status, attempts, next_attempt_at, last_error, sent_at FROM limit_notification WHERE user_id = ? AND threshold = ?", userID, threshold)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stamp is a time as the database returns it.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// message is a received e-mail, decoded.
type message struct {
	envelopeTo []string
	to         string
	subject    string
	body       string
}

func decode(t *testing.T, r received) message {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(r.data))
	if err != nil {
		t.Fatal(err)
	}
	body := io.Reader(m.Body)
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return message{envelopeTo: r.to, to: m.Header.Get("To"), subject: subject, body: string(text)}
}

func expectMessage(t *testing.T, got message, to, subject string, bodyParts ...string) {
	t.Helper()
	if len(got.envelopeTo) != 1 || got.envelopeTo[0] != to || !strings.Contains(got.to, to) {
		t.Errorf("sent to %v (To: %s), want %s", got.envelopeTo, got.to, to)
	}
	if got.subject != subject {
		t.Errorf("subject %q, want %q", got.subject, subject)
	}
	for _, part := range bodyParts {
		if !strings.Contains(got.body, part) {
			t.Errorf("body lacks %q:\n%s", part, got.body)
		}
	}
}

func TestOneMailPerThresholdAndPeriod(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{}
		host, port := startSMTP(t, box, nil)
		ana := e.user(t, "ana", "2001")
		e.spend(t, e.db, "2001", "cdr-1", 8_500_000) // 85 %: the warning
		e.spend(t, e.db, "2001", "cdr-2", 2_000_000) // 10.50: the limit
		e.spend(t, e.db, "2001", "cdr-3", 1_000_000) // already notified this period
		sender := e.sender(t, e.db, host, port, nil)

		sendDue(t, sender, 2)
		mails := box.delivered()
		if len(mails) != 2 {
			t.Fatalf("%d mails arrived, want 2", len(mails))
		}
		if mails[0].from != "billing@example.net" || mails[0].tls {
			t.Errorf("envelope from %q, TLS %v", mails[0].from, mails[0].tls)
		}
		expectMessage(t, decode(t, mails[0]), "ana@example.com", "Your calls have reached 85% of your limit for 2025-03-01 to 2025-03-31",
			"Hello ana,", "from 2025-03-01 to 2025-03-31 have cost 8.50 EUR so far: 85% of your limit of 10.00 EUR (you are warned at 80%).", "starts again on 2025-04-01")
		expectMessage(t, decode(t, mails[1]), "ana@example.com", "Your calls have reached your limit for 2025-03-01 to 2025-03-31",
			"from 2025-03-01 to 2025-03-31 have cost 10.50 EUR: you have reached your limit of 10.00 EUR.")
		for _, threshold := range []limits.Threshold{limits.ThresholdWarning, limits.ThresholdLimit} {
			want := state{Status: "sent", Attempts: 1, SentAt: sql.NullString{String: stamp(e.clock.Now()), Valid: true}}
			if got := e.state(t, ana.ID, threshold); got != want {
				t.Errorf("%s: %+v, want %+v", threshold, got, want)
			}
		}

		sendDue(t, sender, 0)
		if n := len(box.delivered()); n != 2 {
			t.Fatalf("%d mails after a second pass, want 2", n)
		}
	})
}

// A user's e-mails come in the user's language, else in the Sender's.
func TestMailInTheUsersLanguage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{}
		host, port := startSMTP(t, box, nil)
		ana := e.user(t, "ana", "2001")
		if err := e.svc.SetUserContact(context.Background(), ana.ID, ana.Email, "bg"); err != nil {
			t.Fatal(err)
		}
		e.user(t, "ivan", "2002")
		e.spend(t, e.db, "2001", "cdr-1", 1_234_500_000)
		e.spend(t, e.db, "2002", "cdr-2", 8_500_000)
		sendDue(t, e.sender(t, e.db, host, port, nil), 2)
		mails := box.delivered()
		if len(mails) != 2 {
			t.Fatalf("%d mails arrived, want 2", len(mails))
		}
		slices.SortFunc(mails, func(a, b received) int { return strings.Compare(a.to[0], b.to[0]) })
		expectMessage(t, decode(t, mails[0]), "ana@example.com", "Разговорите ви достигнаха лимита ви за 01.03.2025 – 31.03.2025",
			"Здравейте, ana,", "от 01.03.2025 до 31.03.2025 струват 1\u00a0234,50 EUR: достигнахте лимита си от 10,00 EUR.",
			"Лимитът започва отначало на 01.04.2025.")
		expectMessage(t, decode(t, mails[1]), "ivan@example.com", "Your calls have reached 85% of your limit for 2025-03-01 to 2025-03-31",
			"Hello ivan,")

		e.spend(t, e.db, "2002", "cdr-3", 2_000_000)
		sendDue(t, e.sender(t, e.db, host, port, func(c *notify.Config) { c.Language = "bg" }), 1)
		expectMessage(t, decode(t, box.delivered()[2]), "ivan@example.com", "Разговорите ви достигнаха лимита ви за 01.03.2025 – 31.03.2025",
			"Здравейте, ivan,", "струват 10,50 EUR")
		if _, err := notify.New(e.db, notify.Config{SMTP: notify.SMTP{Host: host, From: from}, Language: "xx"}); err == nil {
			t.Error("a Sender in an unknown language")
		}
		if err := e.svc.SetUserContact(context.Background(), ana.ID, ana.Email, "xx"); err == nil {
			t.Error("a user's unknown language taken")
		}
	})
}

// TestOneCallPastBothThresholds: a call that takes the spend from below the
// warning to past the limit (here 160 %) brings the limit's mail alone.
func TestOneCallPastBothThresholds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{}
		host, port := startSMTP(t, box, nil)
		e.user(t, "ana", "2001")
		e.spend(t, e.db, "2001", "cdr-1", 16_000_000)
		sendDue(t, e.sender(t, e.db, host, port, nil), 1)
		mails := box.delivered()
		if len(mails) != 1 {
			t.Fatalf("%d mails arrived, want the limit's alone", len(mails))
		}
		expectMessage(t, decode(t, mails[0]), "ana@example.com", "Your calls have reached your limit for 2025-03-01 to 2025-03-31",
			"have cost 16.00 EUR: you have reached your limit of 10.00 EUR.")
	})
}

func TestRetryAfterTemporaryRefusal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{refusals: 1}
		host, port := startSMTP(t, box, nil)
		ana := e.user(t, "ana", "2001")
		e.spend(t, e.db, "2001", "cdr-1", 8_000_000)
		sender := e.sender(t, e.db, host, port, func(c *notify.Config) { c.RetryBase = time.Minute })
		refusedAt := e.clock.Now()

		sendDue(t, sender, 0)
		got := e.state(t, ana.ID, limits.ThresholdWarning)
		if got.Status != "failed" || got.Attempts != 1 || !strings.Contains(got.LastError, "451") ||
			got.Next.String != stamp(refusedAt.Add(time.Minute)) || got.SentAt.Valid {
			t.Fatalf("after the refusal: %+v", got)
		}
		e.clock.Advance(59 * time.Second)
		sendDue(t, sender, 0) // not yet due
		if box.attempts() != 1 {
			t.Fatalf("%d attempts before the retry was due", box.attempts())
		}
		e.clock.Advance(time.Second)
		sendDue(t, sender, 1)
		got = e.state(t, ana.ID, limits.ThresholdWarning)
		if got.Status != "sent" || got.Attempts != 2 || got.LastError != "" || got.Next.Valid {
			t.Fatalf("after the retry: %+v", got)
		}
		sendDue(t, sender, 0)
		if mails := box.delivered(); len(mails) != 1 || box.attempts() != 2 {
			t.Fatalf("%d mails in %d attempts, want 1 in 2", len(mails), box.attempts())
		}
	})
}

func TestBackoffAndGivingUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{refusals: 100}
		host, port := startSMTP(t, box, nil)
		ana := e.user(t, "ana", "2001")
		e.spend(t, e.db, "2001", "cdr-1", 8_000_000)
		sender := e.sender(t, e.db, host, port, func(c *notify.Config) {
			c.RetryBase, c.RetryMax, c.MaxAttempts = time.Minute, 3*time.Minute, 4
		})
		// Waits after attempts 1, 2, 3: 1, 2, then 4 capped to 3 minutes.
		for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
			sendDue(t, sender, 0)
			got := e.state(t, ana.ID, limits.ThresholdWarning)
			if got.Attempts != attempt+1 || got.Next.String != stamp(e.clock.Now().Add(wait)) {
				t.Fatalf("after attempt %d: %+v, want next in %s", attempt+1, got, wait)
			}
			e.clock.Advance(wait)
		}
		sendDue(t, sender, 0)
		if got := e.state(t, ana.ID, limits.ThresholdWarning); got.Status != "failed" || got.Attempts != 4 || got.Next.Valid {
			t.Fatalf("after the last attempt: %+v, want given up", got)
		}
		e.clock.Advance(24 * time.Hour)
		sendDue(t, sender, 0)
		if box.attempts() != 4 {
			t.Fatalf("%d attempts, want 4", box.attempts())
		}
	})
}

// TestBackgroundSender runs a Sender as radiusd would and settles a call
// that crosses the warning: the mail arrives without anyone waiting for it.
func TestBackgroundSender(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{}
		host, port := startSMTP(t, box, nil)
		e.user(t, "ana", "2001")
		sender := e.sender(t, e.db, host, port, func(c *notify.Config) { c.PollInterval = 10 * time.Millisecond })
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { sender.Run(ctx); close(stopped) }()
		defer func() { cancel(); <-stopped }()

		e.spend(t, e.db, "2001", "cdr-1", 9_000_000)
		for deadline := time.Now().Add(10 * time.Second); len(box.delivered()) == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no mail within 10 s")
			}
		}
		expectMessage(t, decode(t, box.delivered()[0]), "ana@example.com", "Your calls have reached 90% of your limit for 2025-03-01 to 2025-03-31",
			"have cost 9.00 EUR so far: 90% of your limit of 10.00 EUR")
	})
}

// TestSendersShareWork runs two Senders on separate connection pools (two
// radiusd processes) at once: every notification is mailed exactly once.
func TestSendersShareWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		box := &mailbox{}
		host, port := startSMTP(t, box, nil)
		for i, name := range []string{"ana", "boris", "cveta", "dimo"} {
			number := "200" + string(rune('1'+i))
			e.user(t, name, number)
			e.spend(t, e.db, number, "cdr-"+number, 9_000_000)   // the warning
			e.spend(t, e.db, number, "cdr-2-"+number, 3_000_000) // the limit
		}
		senders := []*notify.Sender{e.sender(t, e.db, host, port, nil), e.sender(t, testdb.Open(t, b), host, port, nil)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for i := range 6 {
			wg.Go(func() {
				n, err := senders[i%2].SendDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if mails := box.delivered(); total != 8 || len(mails) != 8 {
			t.Fatalf("senders report %d, server received %d, want 8", total, len(mails))
		}
	})
}

func TestStartTLSAndAuth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		serverTLS, roots := selfSignedTLS(t)
		box := &mailbox{username: "radbill", password: "s3cret"}
		host, port := startSMTP(t, box, serverTLS)
		ana := e.user(t, "ana", "2001")
		boris := e.user(t, "boris", "2002")
		plainBox := &mailbox{}
		plainHost, plainPort := startSMTP(t, plainBox, nil)
		withTLS := func(password string) func(*notify.Config) {
			return func(c *notify.Config) {
				c.SMTP.StartTLS, c.SMTP.TLSConfig = true, &tls.Config{RootCAs: roots}
				c.SMTP.Username, c.SMTP.Password = "radbill", password
			}
		}

		e.spend(t, e.db, "2001", "cdr-1", 8_000_000)
		sendDue(t, e.sender(t, e.db, host, port, withTLS("s3cret")), 1)
		if mails := box.delivered(); len(mails) != 1 || !mails[0].tls || mails[0].authUser != "radbill" {
			t.Fatalf("received %+v, want one mail over TLS from user radbill", mails)
		}

		e.spend(t, e.db, "2002", "cdr-2", 8_000_000)
		sendDue(t, e.sender(t, e.db, host, port, withTLS("wrong")), 0)
		if got := e.state(t, boris.ID, limits.ThresholdWarning); got.Status != "failed" || !strings.Contains(got.LastError, "535") {
			t.Fatalf("with a wrong password: %+v", got)
		}
		// STARTTLS required, and the server does not offer it: nothing is
		// sent in clear text.
		e.clock.Advance(time.Hour)
		sendDue(t, e.sender(t, e.db, plainHost, plainPort, withTLS("s3cret")), 0)
		if got := e.state(t, boris.ID, limits.ThresholdWarning); got.Attempts != 2 || !strings.Contains(got.LastError, "STARTTLS") || plainBox.attempts() != 0 {
			t.Fatalf("without STARTTLS on the server: %+v, %d attempts", got, plainBox.attempts())
		}
		if got := e.state(t, ana.ID, limits.ThresholdWarning); got.Status != "sent" {
			t.Fatalf("ana's warning: %+v", got)
		}
	})
}

func TestConfigChecks(t *testing.T) {
	for _, cfg := range []notify.Config{
		{SMTP: notify.SMTP{From: from}},
		{SMTP: notify.SMTP{Host: "localhost", From: "not an address"}},
	} {
		if _, err := notify.New(nil, cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
}
