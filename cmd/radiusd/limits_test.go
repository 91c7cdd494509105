package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"layeh.com/radius"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// inbox is an SMTP server in the test that keeps every message it accepts.
type inbox struct {
	mu       sync.Mutex
	messages []mail
}

type mail struct {
	to   []string
	data string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &inboxSession{box: b}, nil }

func (b *inbox) received() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]mail(nil), b.messages...)
}

type inboxSession struct {
	box *inbox
	m   mail
}

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.data = string(b)
	s.box.mu.Lock()
	s.box.messages = append(s.box.messages, s.m)
	s.box.mu.Unlock()
	s.m = mail{}
	return nil
}
func (s *inboxSession) Reset()        { s.m = mail{} }
func (s *inboxSession) Logout() error { return nil }

func startSMTP(t *testing.T) (*inbox, string, int) {
	t.Helper()
	box := &inbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	return box, addr.IP.String(), addr.Port
}

// TestEnterpriseUserSpendAndLimitMails: Stops from an enterprise user's
// number are rated with the user's plan and charged to the user's period
// spend in the CDR's transaction; a call crossing 80 % and 100 % of the
// limit at once sends the limit's e-mail alone, through a real SMTP server,
// without holding up accounting; a repeated Stop charges nothing.
func TestEnterpriseUserSpendAndLimitMails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		box, host, port := startSMTP(t)
		h := startServer(t, b, func(c *config.Config) {
			c.SMTP.Host, c.SMTP.Port, c.SMTP.StartTLS, c.SMTP.PollInterval = host, port, false, 50*time.Millisecond
		})
		ctx := context.Background()
		if err := h.db.ImportTariffs(ctx, testTariff(400_000)); err != nil {
			t.Fatal(err)
		}
		plan, err := h.db.PlanID(ctx, "retail")
		if err != nil {
			t.Fatal(err)
		}
		svc := limits.New(h.db, limits.Options{})
		user, err := svc.CreateUser(ctx, limits.NewUser{Name: "Ann Petrova", Email: "ann@example.com", PlanID: plan,
			Limit: limits.Limit{Type: limits.LimitNotification, Amount: 1_000_000, WarningPercent: 80}, Numbers: []string{"1110001"}})
		if err != nil {
			t.Fatal(err)
		}
		h.publishTables()

		// The gateway has no default plan: the legs are rated because they are Ann's.
		mustAck(t, h, telephonyStop(t, "U1", "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120)) // 0.70: 70 %
		if r := h.rated("U1"); r.Status != "ok" || *r.Cost != 700_000 {
			t.Fatalf("U1 = %+v", r)
		}
		second := telephonyStop(t, "U2", "35988123456", "11:00:00.000 UTC Wed Nov 25 2026", 120) // 1.40: past 80 % and 100 %
		mustAck(t, h, second)
		mustAck(t, h, second) // a retransmit
		mustAck(t, h, telephonyStop(t, "U2", "35988123456", "11:00:00.000 UTC Wed Nov 25 2026", 120,
			func(p *radius.Packet) { p.Set(41, radius.NewInteger(9)) })) // the gateway's retry: a new packet for the same Stop

		usage, err := svc.UserUsage(ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if usage.Spend != rating.Money(1_400_000) {
			t.Fatalf("spend %s, want 1.400000", usage.Spend)
		}
		// One call took the spend from 70 % past the limit: the limit's
		// e-mail alone.
		var mails []mail
		for deadline := time.Now().Add(10 * time.Second); len(mails) < 1 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mails = box.received()
		}
		time.Sleep(300 * time.Millisecond) // a second e-mail would have arrived by now
		mails = box.received()
		if len(mails) != 1 {
			t.Fatalf("%d e-mails, want 1 (the limit's)", len(mails))
		}
		m := mails[0]
		if len(m.to) != 1 || m.to[0] != "ann@example.com" || !strings.Contains(m.data, "1.40") || !strings.Contains(m.data, "EUR") ||
			!strings.Contains(m.data, "reached your limit") {
			t.Errorf("e-mail to %v:\n%s", m.to, m.data)
		}
	})
}

// TestUserCreateTakesEffectAtOnce: `radbill user create` returns only once
// the running radiusd has loaded the user, so a Stop sent right after it
// is the user's even though radiusd polls only every 2 s; a server that
// does not catch up within --wait is named in a warning.
func TestUserCreateTakesEffectAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := buildBinaries(t, "radbill")
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b, func(c *config.Config) { c.Rating.ReloadInterval = 2 * time.Second })
		ctx := context.Background()
		if err := h.db.ImportTariffs(ctx, testTariff(400_000)); err != nil {
			t.Fatal(err)
		}
		config := filepath.Join(t.TempDir(), "radbill.yaml")
		if err := os.WriteFile(config, []byte("database: {driver: "+b.Driver+", dsn: \""+b.DSN+"\"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		radbill := func(args ...string) string {
			t.Helper()
			out, err := exec.Command(filepath.Join(bin, "radbill"), append([]string{"--config", config}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("radbill %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		// The server has loaded the imported tariff before the user exists.
		time.Sleep(2500 * time.Millisecond)
		out := radbill("user", "create", "Ann", "--plan", "retail", "--type", "unrestricted", "--number", "1110001")
		if !strings.Contains(out, "in force on the 1 running radiusd") {
			t.Errorf("user create said:\n%s", out)
		}
		mustAck(t, h, telephonyStop(t, "W1", "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120))
		if n := h.count("SELECT COUNT(*) FROM cdr WHERE acct_session_id = 'W1' AND user_id IS NOT NULL"); n != 1 {
			t.Fatalf("the Stop right after user create was billed to nobody")
		}

		// A server that reports an old version and a refused reload.
		if err := h.db.ReportInstance(ctx, store.Instance{ID: "other/1/1", Hostname: "other", PID: 1, StartedAt: time.Now(), SeenAt: time.Now(),
			PollInterval: time.Minute, TablesVersion: 1, ReloadError: "rate 7: overlapping validity"}); err != nil {
			t.Fatal(err)
		}
		out = radbill("--wait", "3s", "user", "number", "add", "Ann", "1110002")
		if !strings.Contains(out, "1 of 2 running radiusd have not loaded it") || !strings.Contains(out, "other/1/1") ||
			!strings.Contains(out, "overlapping validity") {
			t.Errorf("number add with a server behind said:\n%s", out)
		}
	})
}
