package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// limitsEnv is a migrated database with a one-plan tariff, a config file
// the CLI reads, and a Service on the same database to check what the
// commands did and to play radiusd's part.
type limitsEnv struct {
	config string
	db     *store.DB
	svc    *limits.Service
	tariff *rating.Snapshot
	plan   int64 // "retail"
}

// mobileNumber is rated by the tariff: connect fee 0.40, then 0.20/min
// for the first minute.
const mobileNumber = "359888123456"

func newLimitsEnv(t *testing.T, b testdb.Backend) *limitsEnv {
	t.Helper()
	ctx := context.Background()
	db := testdb.Open(t, b)
	data := rating.TariffData{
		Plans:     []rating.Plan{{ID: 1, Name: "retail", Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 6}},
		Zones:     []rating.Zone{{ID: 1, Name: "Bulgaria mobile"}},
		Prefixes:  []rating.Prefix{{ID: 1, Digits: "35988", ZoneID: 1}},
		Bands:     []rating.Band{{ID: 1, PlanID: 1, Name: "all"}},
		BandRules: []rating.BandRule{{ID: 1, BandID: 1, Days: rating.AllWeekdays}},
		Rates: []rating.Rate{{ID: 1, PlanID: 1, ZoneID: 1, BandID: 1, Direction: rating.Outgoing, ConnectFee: 400_000,
			FirstIncrement: 60, NextIncrement: 1, Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 200_000}, {FromSecond: 60, PricePerMinute: 100_000}}}},
	}
	if err := db.ImportTariffs(ctx, data); err != nil {
		t.Fatal(err)
	}
	stored, err := db.LoadTariffs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &limitsEnv{db: db, config: filepath.Join(t.TempDir(), "radbill.yaml")}
	if e.tariff, err = rating.Build(stored); err != nil {
		t.Fatal(err)
	}
	if e.plan, err = db.PlanID(ctx, "retail"); err != nil {
		t.Fatal(err)
	}
	// One minute of credit per call makes a call's reservation the cost
	// of 60 s: 0.40 + 0.20 = 0.60.
	e.svc = limits.New(db, limits.Options{PINCost: bcrypt.MinCost, MaxCreditTime: time.Minute})
	if err := os.WriteFile(e.config, []byte("database:\n  driver: "+b.Driver+"\n  dsn: \""+b.DSN+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// run runs a command that must succeed and returns its output.
func (e *limitsEnv) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := radbill(t, e.config, args...)
	if err != nil {
		t.Fatalf("radbill %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fail runs a command that must fail with an error containing want.
func (e *limitsEnv) fail(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := radbill(t, e.config, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("radbill %s: error %v, want one containing %q\n%s", strings.Join(args, " "), err, want, out)
	}
}

func (e *limitsEnv) account(t *testing.T, number string) limits.Account {
	t.Helper()
	a, err := e.svc.Account(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *limitsEnv) ledger(t *testing.T, number string) []limits.LedgerEntry {
	t.Helper()
	entries, err := e.svc.AccountLedger(context.Background(), number, 0)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// checkBalanceIsLedgerSum fails unless the card's balance is the sum of
// its ledger and equals want.
func (e *limitsEnv) checkBalanceIsLedgerSum(t *testing.T, number string, want rating.Money) {
	t.Helper()
	var sum rating.Money
	for _, entry := range e.ledger(t, number) {
		sum += entry.Amount
	}
	if balance := e.account(t, number).Balance; balance != want || sum != want {
		t.Fatalf("account %s: balance %s, ledger sum %s, want %s", number, balance, sum, want)
	}
}

func (e *limitsEnv) authenticate(t *testing.T, number, pin string) limits.ReturnCode {
	t.Helper()
	auth, err := e.svc.Authenticate(context.Background(), number, limits.PAP(pin))
	if err != nil {
		t.Fatal(err)
	}
	return auth.ReturnCode
}

// showFields reads the "key   value" lines show commands print; keys may
// hold single spaces, columns are two or more apart.
func showFields(out string) map[string]string {
	line := regexp.MustCompile(`(?m)^(\S+(?: \S+)*)  +(.*?)\s*$`)
	fields := map[string]string{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		if _, seen := fields[m[1]]; !seen { // the first: ledger rows come later
			fields[m[1]] = m[2]
		}
	}
	return fields
}

func TestAccountCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		ctx := context.Background()
		const number, pin = "5550001", "73910468"
		t.Setenv(pinEnv, pin)

		out := e.run(t, "account", "create", number, "--plan", "retail", "--balance", "10.00", "--expires", "2099-12-31",
			"--max-calls", "2", "--language", "bg")
		if strings.Contains(out, pin) {
			t.Fatalf("create printed the PIN:\n%s", out)
		}
		a := e.account(t, number)
		if a.Balance != 10*rating.MicrosPerUnit || a.Currency != "EUR" || a.PlanID != e.plan || a.Status != limits.AccountActive ||
			!a.ExpiresAt.Equal(time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)) || a.MaxConcurrentCalls != 2 || a.Language != "bg" {
			t.Fatalf("created %+v", a)
		}
		if code := e.authenticate(t, number, pin); code != limits.CodeSuccess {
			t.Fatalf("the PIN from %s does not authenticate: %v", pinEnv, code)
		}

		first := e.run(t, "account", "topup", number, "5.5", "--reason", "cash", "--reference", "PAY-1")
		second := e.run(t, "account", "topup", number, "5.5", "--reason", "cash", "--reference", "PAY-1")
		if !strings.Contains(first, "balance 15.500000 EUR") || !strings.Contains(second, "already posted") || !strings.Contains(second, "balance 15.500000 EUR") {
			t.Fatalf("top-up twice with one reference:\n%s%s", first, second)
		}
		e.checkBalanceIsLedgerSum(t, number, 15_500_000)
		e.run(t, "account", "adjust", number, "--reason", "duplicate call", "--", "-0.25")
		e.checkBalanceIsLedgerSum(t, number, 15_250_000)
		e.run(t, "account", "refund", number, "1.000001", "--reason", "dropped call")
		e.checkBalanceIsLedgerSum(t, number, 16_250_001)

		// A call in progress holds 0.60 of the balance.
		call, err := e.svc.AuthorizeCard(ctx, number, limits.CallRequest{ConfID: "conf-1", Called: mobileNumber, Direction: rating.Outgoing}, e.tariff)
		if err != nil || call.ReturnCode != limits.CodeSuccess || call.Reserved != 600_000 {
			t.Fatalf("authorize: %+v, %v", call, err)
		}
		out = e.run(t, "account", "show", number)
		shown := showFields(out)
		for key, want := range map[string]string{"account": number, "status": "active", "plan": "retail", "currency": "EUR",
			"balance": "16.250001", "reserved": "0.600000", "calls in progress": "1", "available": "15.650001",
			"expires": "2099-12-31 00:00:00 UTC", "max calls": "2", "language": "bg"} {
			if shown[key] != want {
				t.Errorf("show %s = %q, want %q", key, shown[key], want)
			}
		}
		if !strings.Contains(out, "PAY-1") || !strings.Contains(out, "dropped call") || strings.Contains(out, pin) {
			t.Errorf("show:\n%s", out)
		}

		out = e.run(t, "account", "ledger", number, "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{ // kind, amount, reason, reference, balance_after
			{"topup", "10.000000", "initial balance", "", "10.000000"},
			{"topup", "5.500000", "cash", "PAY-1", "15.500000"},
			{"adjustment", "-0.250000", "duplicate call", "", "15.250000"},
			{"refund", "1.000001", "dropped call", "", "16.250001"},
		}
		if len(rows) != len(want)+1 || strings.Join(rows[0], ",") != strings.Join(ledgerHeader, ",") {
			t.Fatalf("ledger csv:\n%s", out)
		}
		for i, w := range want {
			if got := rows[i+1][2:]; strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("ledger row %d: %q, want %q", i+1, got, w)
			}
		}

		e.run(t, "account", "block", number)
		if code := e.authenticate(t, number, pin); code != limits.CodeUserDenied {
			t.Fatalf("blocked card authenticates with %v", code)
		}
		var blocked, active []accountRecord
		if err := json.Unmarshal([]byte(e.run(t, "account", "list", "--status", "blocked", "--format", "json")), &blocked); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(e.run(t, "account", "list", "--status", "active", "--format", "json")), &active); err != nil {
			t.Fatal(err)
		}
		if len(blocked) != 1 || blocked[0].Number != number || blocked[0].Balance != "16.250001" || blocked[0].Available != "15.650001" || len(active) != 0 {
			t.Fatalf("blocked %+v, active %+v", blocked, active)
		}

		e.run(t, "account", "unblock", number)
		if code := e.authenticate(t, number, pin); code != limits.CodeSuccess {
			t.Fatalf("unblocked card authenticates with %v", code)
		}
		out = e.run(t, "account", "list")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "number") ||
			!regexp.MustCompile(`^5550001 +active +retail +EUR +16\.250001 +0\.600000 +15\.650001 +1 `).MatchString(lines[1]) {
			t.Fatalf("table:\n%s", out)
		}
	})
}

func TestAccountBadInputChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		t.Setenv(pinEnv, "")
		const number = "5550001"
		e.run(t, "account", "create", number, "--pin", "1234", "--plan", "retail", "--balance", "10")
		entries := len(e.ledger(t, number))

		const fresh = "5550002"
		for _, c := range []struct {
			want string
			args []string
		}{
			{`no tariff plan "nope"`, []string{"account", "create", fresh, "--pin", "1234", "--plan", "nope"}},
			{pinEnv, []string{"account", "create", fresh, "--plan", "retail"}},
			{"the PIN must be 4 to 64 digits", []string{"account", "create", fresh, "--pin", "987", "--plan", "retail"}},
			{`invalid amount "1.2.3"`, []string{"account", "create", fresh, "--pin", "1234", "--plan", "retail", "--balance", "1.2.3"}},
			{"differs from the plan's EUR", []string{"account", "create", fresh, "--pin", "1234", "--plan", "retail", "--currency", "USD"}},
			{"not in the future", []string{"account", "create", fresh, "--pin", "1234", "--plan", "retail", "--expires", "2001-01-01"}},
			{"--max-calls 0", []string{"account", "create", fresh, "--pin", "1234", "--plan", "retail", "--max-calls", "0"}},
			{"already exists", []string{"account", "create", number, "--pin", "1234", "--plan", "retail"}},
			{`invalid amount "1.2.3"`, []string{"account", "topup", number, "1.2.3"}},
			{"more than 6 decimals", []string{"account", "topup", number, "0.0000001"}},
			{"must be positive", []string{"account", "topup", number, "--", "-5"}},
			{"a topup is positive", []string{"account", "topup", number, "-5"}},
			{"must be positive", []string{"account", "topup", number, "0"}},
			{"account 5559999: not found", []string{"account", "topup", "5559999", "5"}},
			{`required flag(s) "reason" not set`, []string{"account", "adjust", number, "--", "-1"}},
			{"write a negative amount after --", []string{"account", "adjust", number, "-1", "--reason", "fix"}},
			{"insufficient credit", []string{"account", "adjust", number, "--reason", "fix", "--", "-10.000001"}},
			{`required flag(s) "reason" not set`, []string{"account", "refund", number, "1"}},
			{"account 5559999: not found", []string{"account", "block", "5559999"}},
			{"account 5559999: not found", []string{"account", "show", "5559999"}},
			{"account 5559999: not found", []string{"account", "ledger", "5559999"}},
			{`--status "gone"`, []string{"account", "list", "--status", "gone"}},
			{`--format "xml"`, []string{"account", "list", "--format", "xml"}},
		} {
			e.fail(t, c.want, c.args...)
		}

		e.checkBalanceIsLedgerSum(t, number, 10*rating.MicrosPerUnit)
		if n := len(e.ledger(t, number)); n != entries {
			t.Errorf("ledger has %d entries, had %d", n, entries)
		}
		if _, err := e.svc.Account(context.Background(), fresh); !errors.Is(err, limits.ErrNotFound) {
			t.Errorf("account %s after failed creates: %v", fresh, err)
		}
		if a := e.account(t, number); a.Status != limits.AccountActive {
			t.Errorf("status %s", a.Status)
		}
	})
}

func TestPINErrorsDoNotShowThePIN(t *testing.T) {
	e := newLimitsEnv(t, testdb.SQLite(t))
	const badPIN = "98a76" // not digits: refused
	out, err := radbill(t, e.config, "account", "create", "5550003", "--pin", badPIN, "--plan", "retail")
	if err == nil || strings.Contains(err.Error(), badPIN) || strings.Contains(out, badPIN) {
		t.Fatalf("err %v, output %q", err, out)
	}
}

// TestAccountSetLimits: set-limits changes one limit and keeps the other;
// a max credit time of 0 returns the card to the server's.
func TestAccountSetLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		e.run(t, "account", "create", "5550001", "--pin", "1234", "--plan", "retail", "--max-credit-time", "15m")
		card := func() limits.Account {
			a, err := e.svc.Account(context.Background(), "5550001")
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if a := card(); a.MaxCreditTime != 15*time.Minute || a.MaxConcurrentCalls != 1 {
			t.Fatalf("created with %s, %d calls", a.MaxCreditTime, a.MaxConcurrentCalls)
		}
		out := e.run(t, "account", "set-limits", "5550001", "--max-calls", "10")
		if a := card(); a.MaxCreditTime != 15*time.Minute || a.MaxConcurrentCalls != 10 || !strings.Contains(out, "15m0s") {
			t.Fatalf("after --max-calls 10: %s, %d calls; printed\n%s", a.MaxCreditTime, a.MaxConcurrentCalls, out)
		}
		e.run(t, "account", "set-limits", "5550001", "--max-credit-time", "0")
		if a := card(); a.MaxCreditTime != 0 || a.MaxConcurrentCalls != 10 {
			t.Fatalf("after --max-credit-time 0: %s, %d calls", a.MaxCreditTime, a.MaxConcurrentCalls)
		}
		if _, err := radbill(t, e.config, "account", "set-limits", "5550001"); err == nil {
			t.Error("set-limits without a flag succeeded")
		}
	})
}
