package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

func (e *limitsEnv) userByNumber(t *testing.T, number string) limits.User {
	t.Helper()
	u, err := e.svc.UserByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *limitsEnv) authorizeUser(t *testing.T, number, confID string) limits.Authorization {
	t.Helper()
	a, err := e.svc.AuthorizeUser(context.Background(), number, limits.CallRequest{ConfID: confID, Called: mobileNumber, Direction: rating.Outgoing}, e.tariff)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// settleUser debits a finished call in a transaction of its own, as the
// CDR writer would.
func (e *limitsEnv) settleUser(t *testing.T, number string, c limits.CallCharge) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	u, err := e.svc.UserByNumber(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SettleUserTx(ctx, tx, u.ID, c); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestUserCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		const name = "Maria Ivanova"
		e.run(t, "branch", "create", "Sofia")
		e.run(t, "department", "create", "Sales", "--branch", "Sofia")
		e.run(t, "department", "create", "Support", "--branch", "Sofia")
		e.run(t, "user", "create", name, "--email", "maria@example.com", "--plan", "retail", "--limit", "100.00", "--warning", "75",
			"--reset-day", "5", "--department", "Sofia/Sales", "--number", "2001", "--number", "35929001")
		u := e.userByNumber(t, "2001")
		wantLimit := limits.Limit{Type: limits.LimitNormal, Amount: 100 * rating.MicrosPerUnit, WarningPercent: 75, ResetDay: 5}
		sales, err := org.New(e.db).FindDepartment(context.Background(), "Sofia/Sales")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != name || u.Email != "maria@example.com" || u.DepartmentID != sales.ID || u.PlanID != e.plan ||
			u.Limit != wantLimit || !slices.Equal(u.Numbers, []string{"2001", "35929001"}) {
			t.Fatalf("created %+v", u)
		}
		id := strconv.FormatInt(u.ID, 10)

		e.settleUser(t, "2001", limits.CallCharge{Reference: "cdr-1", Cost: 12_345_678})
		if a := e.authorizeUser(t, "35929001", "conf-1"); a.ReturnCode != limits.CodeSuccess || a.Reserved != 600_000 {
			t.Fatalf("authorize: %+v", a)
		}
		byName := e.run(t, "user", "show", name)
		shown := showFields(byName)
		for key, want := range map[string]string{"user": id, "name": name, "plan": "retail", "numbers": "2001, 35929001",
			"limit type": "normal", "limit": "100.000000 EUR", "warning at": "75%", "reset day": "5",
			"spend": "12.345678 EUR", "reserved": "0.600000 EUR", "remaining": "87.054322 EUR", "branch": "Sofia", "department": "Sales"} {
			if shown[key] != want {
				t.Errorf("show %s = %q, want %q", key, shown[key], want)
			}
		}
		if byID := e.run(t, "user", "show", id); byID != byName {
			t.Errorf("show by id:\n%s\nby name:\n%s", byID, byName)
		}

		e.run(t, "user", "limit", name, "--limit", "150.00", "--warning", "90")
		wantLimit.Amount, wantLimit.WarningPercent = 150*rating.MicrosPerUnit, 90
		if got := e.userByNumber(t, "2001").Limit; got != wantLimit {
			t.Fatalf("after limit: %+v, want %+v (type and reset day kept)", got, wantLimit)
		}

		e.run(t, "user", "number", "add", name, "2002")
		e.run(t, "user", "number", "remove", id, "35929001")
		if got := e.userByNumber(t, "2002"); got.ID != u.ID {
			t.Fatalf("2002 identifies user %d", got.ID)
		}
		if _, err := e.svc.UserByNumber(context.Background(), "35929001"); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("removed number: %v", err)
		}

		e.run(t, "user", "block", name)
		if a := e.authorizeUser(t, "2001", "conf-2"); a.ReturnCode != limits.CodeUserDenied {
			t.Fatalf("blocked user authorized: %+v", a)
		}
		wantLimit.Type = limits.LimitBlocked
		if got := e.userByNumber(t, "2001").Limit; got != wantLimit {
			t.Fatalf("after block: %+v, want %+v", got, wantLimit)
		}
		e.run(t, "user", "limit", id, "--type", "normal")
		if a := e.authorizeUser(t, "2001", "conf-3"); a.ReturnCode != limits.CodeSuccess {
			t.Fatalf("unblocked user refused: %+v", a)
		}

		e.run(t, "user", "create", "Ivan Petrov", "--plan", "retail", "--type", "unrestricted", "--department", "Support")
		var users []userRecord
		if err := json.Unmarshal([]byte(e.run(t, "user", "list", "--format", "json")), &users); err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].Name != "Ivan Petrov" || users[0].LimitType != "unrestricted" || len(users[0].Numbers) != 0 ||
			users[1].Name != name || users[1].Limit != "150.000000" || users[1].Currency != "EUR" || users[1].Plan != "retail" ||
			!slices.Equal(users[1].Numbers, []string{"2001", "2002"}) {
			t.Fatalf("json list: %+v", users)
		}
		rows, err := csv.NewReader(strings.NewReader(e.run(t, "user", "list", "--department", "Sales", "--format", "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != id || rows[1][1] != name || rows[1][11] != "2001 2002" {
			t.Fatalf("csv list of Sales: %q", rows)
		}
	})
}

func TestUserBadInputChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		ctx := context.Background()
		const name = "Maria Ivanova"
		e.run(t, "user", "create", name, "--plan", "retail", "--limit", "100", "--number", "2001")
		e.run(t, "user", "create", name, "--plan", "retail", "--limit", "50", "--number", "3001")
		before, err := e.svc.ListUsers(ctx, limits.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		first := strconv.FormatInt(e.userByNumber(t, "2001").ID, 10)
		unknown := strconv.FormatInt(e.userByNumber(t, "3001").ID+1000, 10)

		for _, c := range []struct {
			want string
			args []string
		}{
			{"2 users are named", []string{"user", "show", name}},
			{"2 users are named", []string{"user", "block", name}},
			{`no tariff plan "nope"`, []string{"user", "create", "X", "--plan", "nope", "--limit", "1"}},
			{`invalid amount "1.2.3"`, []string{"user", "create", "X", "--plan", "retail", "--limit", "1.2.3"}},
			{"more than 6 decimals", []string{"user", "create", "X", "--plan", "retail", "--limit", "0.0000001"}},
			{"--limit is required", []string{"user", "create", "X", "--plan", "retail"}},
			{`limit type "weird"`, []string{"user", "create", "X", "--plan", "retail", "--limit", "1", "--type", "weird"}},
			{"warning threshold 101%", []string{"user", "create", "X", "--plan", "retail", "--limit", "1", "--warning", "101"}},
			{"e-mail", []string{"user", "create", "X", "--plan", "retail", "--limit", "1", "--email", "not an address"}},
			{"calling number 2001: already exists", []string{"user", "create", "X", "--plan", "retail", "--limit", "1", "--number", "4001", "--number", "2001"}},
			{"nothing to change", []string{"user", "limit", first}},
			{"limit -5.000000", []string{"user", "limit", first, "--limit=-5"}},
			{"reset day 32", []string{"user", "limit", first, "--reset-day", "32"}},
			{"user " + unknown + ": not found", []string{"user", "limit", unknown, "--limit", "5"}},
			{`user "Nobody": not found`, []string{"user", "show", "Nobody"}},
			{"user " + unknown + ": not found", []string{"user", "block", unknown}},
			{"calling number 3001: already exists", []string{"user", "number", "add", first, "3001"}},
			{"not one of user " + first + "'s numbers", []string{"user", "number", "remove", first, "3001"}},
			{"user " + unknown + ": not found", []string{"user", "number", "remove", unknown, "2001"}},
			{`--format "xml"`, []string{"user", "list", "--format", "xml"}},
		} {
			e.fail(t, c.want, c.args...)
		}

		after, err := e.svc.ListUsers(ctx, limits.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("users changed:\n%+v\nwere\n%+v", after, before)
		}
		if _, err := e.svc.UserByNumber(ctx, "4001"); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("number of a user that failed to be created: %v", err)
		}
	})
}

// TestRerateCommandPrintsOwners: `radbill rerate` lists each owner's old
// and new totals and the adjustment it posted.
func TestRerateCommandPrintsOwners(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		e.run(t, "user", "create", "Maria Ivanova", "--plan", "retail", "--type", "unrestricted", "--number", "2001")
		u := e.userByNumber(t, "2001")
		// Stored at 0.50; the tariff prices 120 s at 0.40 + 0.20 + 0.10 = 0.70.
		connect := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		seconds, cost, plan := int64(120), int64(500_000), e.plan
		rec := &cdr.Record{ReceivedAt: connect.Add(2 * time.Minute), ClientName: "gw", Status: cdr.StatusStop, NASIP: "192.0.2.1", SessionID: "M1",
			CallingNumber: "2001", CalledNumber: "35988123456", ConnectTime: &connect, SessionTime: &seconds, CallOrigin: "originate", CallType: "Telephony",
			Rating: cdr.Rating{Status: "ok", CostMicros: &cost, Currency: "EUR", Billed: true, Direction: "outgoing", PlanID: &plan, UserID: u.ID}}
		w := store.NewWriter(e.db, store.WriterConfig{BatchSize: 1, Writers: 1, QueueSize: 1}, prometheus.NewRegistry(), zaptest.NewLogger(t))
		done := make(chan store.Outcome, 1)
		w.Submit(rec, func(o store.Outcome, _ error) { done <- o })
		if o := <-done; o != store.Stored {
			t.Fatalf("outcome %v", o)
		}
		w.Close()
		e.settleUser(t, "2001", limits.CallCharge{Reference: rec.DedupKey(), Cost: 500_000})

		out := e.run(t, "rerate", "--from", "2026-11-01", "--to", "2026-12-01")
		line := regexp.MustCompile(`user \d+ Maria Ivanova +0\.500000 +0\.700000 +\+0\.200000 +EUR +1`)
		if !strings.Contains(out, "owner") || !line.MatchString(out) {
			t.Errorf("rerate said:\n%s", out)
		}
		if usage, err := e.svc.UserUsage(context.Background(), u.ID); err != nil || usage.Spend != 700_000 {
			t.Errorf("spend after rerate %s, %v; want 0.70", usage.Spend, err)
		}
	})
}

// TestCDRListShowsOwnerPlanAndCause: cdr list names the card or user a
// leg was billed to, its plan, and its Q.850 cause in decimal with a name.
func TestCDRListShowsOwnerPlanAndCause(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		ctx := context.Background()
		e.run(t, "user", "create", "Maria Ivanova", "--plan", "retail", "--type", "unrestricted", "--number", "2001")
		u := e.userByNumber(t, "2001")
		card, err := e.svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "1234", PlanID: e.plan})
		if err != nil {
			t.Fatal(err)
		}
		w := store.NewWriter(e.db, store.WriterConfig{BatchSize: 4, Writers: 1, QueueSize: 4}, prometheus.NewRegistry(), zaptest.NewLogger(t))
		done := make(chan store.Outcome, 3)
		connect := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		for i, owner := range []cdr.Rating{{UserID: u.ID}, {AccountID: card.ID, Account: "5550001"}, {}} {
			cause, cost, plan, at := []int64{16, 17, 127}[i], int64(700_000), e.plan, connect.Add(time.Duration(i)*time.Minute)
			owner.Status, owner.CostMicros, owner.Currency, owner.PlanID = "ok", &cost, "EUR", &plan
			w.Submit(&cdr.Record{ReceivedAt: at, ClientName: "gw", Status: cdr.StatusStop, NASIP: "192.0.2.1", SessionID: strconv.Itoa(i),
				CallingNumber: "2001", CalledNumber: "35988123456", ConnectTime: &at, DisconnectCause: &cause, CallOrigin: "originate",
				CallType: "Telephony", Rating: owner}, func(o store.Outcome, _ error) { done <- o })
		}
		for range 3 {
			if o := <-done; o != store.Stored {
				t.Fatalf("outcome %v", o)
			}
		}
		w.Close()
		records, err := csv.NewReader(strings.NewReader(e.run(t, "cdr", "list", "--format", "csv"))).ReadAll()
		if err != nil || len(records) != 4 {
			t.Fatalf("csv: %v, %d records", err, len(records))
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		for i, want := range [][4]string{
			{"16", "normal call clearing", "user " + strconv.FormatInt(u.ID, 10) + " Maria Ivanova", "retail"},
			{"17", "user busy", "card 5550001", "retail"},
			{"127", "interworking, unspecified", "", "retail"},
		} {
			r := records[i+1]
			if got := [4]string{r[col["cause"]], r[col["cause_name"]], r[col["owner"]], r[col["plan"]]}; got != want {
				t.Errorf("row %d: cause, name, owner, plan = %q, want %q", i+1, got, want)
			}
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(e.run(t, "cdr", "list", "--format", "json")), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[1]["cause_name"] != "user busy" || rows[1]["owner"] != "card 5550001" || rows[0]["owner"] != "user "+strconv.FormatInt(u.ID, 10)+" Maria Ivanova" ||
			rows[1]["cause"] != 17.0 || rows[1]["cost"] == nil {
			t.Errorf("json rows %+v", rows)
		}
	})
}
