package report_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

// site is an enterprise with two branches, three departments, users in
// two currencies, a department's own number, and random calls stored
// through the real writer (rating, owner settlement, summaries).
type site struct {
	db       *store.DB
	money    *limits.Service
	org      *org.Service
	users    []limits.User
	branches map[string]int64
	depts    map[string]int64
	cards    []string
}

func tariff() rating.TariffData {
	allWeek := []rating.BandRule{{ID: 1, BandID: 1, Days: rating.AllWeekdays}, {ID: 2, BandID: 2, Days: rating.AllWeekdays}}
	data := rating.TariffData{
		Plans: []rating.Plan{{ID: 1, Name: "retail", Currency: "EUR", TimeZone: "Europe/Sofia", Rounding: rating.RoundHalfUp, RoundingDecimals: 4},
			{ID: 2, Name: "dollar", Currency: "USD", TimeZone: "UTC", Rounding: rating.RoundUp, RoundingDecimals: 2}},
		Zones:     []rating.Zone{{ID: 1, Name: "Bulgaria mobile"}, {ID: 2, Name: "Bulgaria fixed"}, {ID: 3, Name: "Germany"}},
		Prefixes:  []rating.Prefix{{ID: 1, Digits: "35988", ZoneID: 1}, {ID: 2, Digits: "3592", ZoneID: 2}, {ID: 3, Digits: "49", ZoneID: 3}},
		Bands:     []rating.Band{{ID: 1, PlanID: 1, Name: "all"}, {ID: 2, PlanID: 2, Name: "all"}},
		BandRules: allWeek,
	}
	id := int64(0)
	for plan := int64(1); plan <= 2; plan++ {
		for zone := int64(1); zone <= 3; zone++ {
			for _, dir := range []rating.Direction{rating.Outgoing, rating.Incoming} {
				id++
				price := rating.Money(30_000*zone + 7_000*plan)
				if dir == rating.Incoming {
					price = 1_000 * rating.Money(zone)
				}
				data.Rates = append(data.Rates, rating.Rate{ID: id, PlanID: plan, ZoneID: zone, BandID: plan, Direction: dir, ConnectFee: rating.Money(5_000 * zone),
					FirstIncrement: 30, NextIncrement: 6, Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: price}}})
			}
		}
	}
	return data
}

func newSite(t *testing.T, b testdb.Backend) *site {
	t.Helper()
	ctx := context.Background()
	db := testdb.Open(t, b)
	if err := db.ImportTariffs(ctx, tariff()); err != nil {
		t.Fatal(err)
	}
	// Calls are settled "now": on 20 November 2026, so that the limits
	// report of November sees their spend.
	now := func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }
	s := &site{db: db, money: limits.New(db, limits.Options{Now: now}), org: org.New(db), branches: map[string]int64{}, depts: map[string]int64{}}
	for _, name := range []string{"Sofia", "Varna"} {
		br, err := s.org.CreateBranch(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		s.branches[name] = br.ID
	}
	for _, path := range [][2]string{{"Sofia", "Sales"}, {"Sofia", "Support"}, {"Varna", "Sales"}} {
		d, err := s.org.CreateDepartment(ctx, s.branches[path[0]], path[1])
		if err != nil {
			t.Fatal(err)
		}
		s.depts[path[0]+"/"+path[1]] = d.ID
	}
	retail, _ := db.PlanID(ctx, "retail")
	dollar, _ := db.PlanID(ctx, "dollar")
	for i, u := range []struct {
		dept string
		plan int64
	}{{"Sofia/Sales", retail}, {"Sofia/Sales", retail}, {"Sofia/Support", retail}, {"Varna/Sales", dollar}, {"", retail}, {"Varna/Sales", retail}} {
		user, err := s.money.CreateUser(ctx, limits.NewUser{Name: fmt.Sprintf("Потребител %d", i+1), DepartmentID: s.depts[u.dept], PlanID: u.plan,
			Limit: limits.Limit{Type: limits.LimitNotification, Amount: 3 * rating.MicrosPerUnit}, Numbers: []string{strconv.Itoa(2001 + i)}})
		if err != nil {
			t.Fatal(err)
		}
		s.users = append(s.users, user)
	}
	if err := s.org.AddNumber(ctx, s.depts["Varna/Sales"], "2999"); err != nil {
		t.Fatal(err)
	}
	for _, gw := range []struct{ name, branch, plan string }{{"gw-sofia", "Sofia", "retail"}, {"gw-varna", "Varna", "retail"}, {"gw-other", "", "dollar"}} {
		if err := db.SetGateway(ctx, gw.name, gw.plan, false); err != nil {
			t.Fatal(err)
		}
		if err := s.org.SetGatewayBranch(ctx, gw.name, s.branches[gw.branch]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		number := strconv.Itoa(5550001 + i)
		if _, err := s.money.CreateAccount(ctx, limits.NewAccount{Number: number, PIN: "1234", PlanID: retail, InitialBalance: 50 * rating.MicrosPerUnit}); err != nil {
			t.Fatal(err)
		}
		s.cards = append(s.cards, number)
	}
	return s
}

// store rates and stores n random legs with call times in [from, to).
func (s *site) store(t *testing.T, rng *rand.Rand, n int, from, to time.Time, seq *int) {
	t.Helper()
	tables, err := billing.Load(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	stage := billing.NewStage(tables, prometheus.NewRegistry())
	w := store.NewWriter(s.db, store.WriterConfig{BatchSize: 50, Writers: 1, QueueSize: 2 * n, CommitTimeout: 30 * time.Second,
		Settler: billing.Settler{Limits: s.money, Log: zap.NewNop()}}, prometheus.NewRegistry(), zap.NewNop())
	var wg sync.WaitGroup
	gateways := []string{"gw-sofia", "gw-varna", "gw-other"}
	far := []string{"359888123456", "35921234567", "4930123456", "1800555"}
	span := to.Sub(from)
	for range n {
		*seq++
		connect := from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)
		setup := connect.Add(-5 * time.Second)
		duration := rng.Int64N(900)
		rec := &cdr.Record{ReceivedAt: connect.Add(time.Duration(duration) * time.Second), ClientName: gateways[rng.IntN(3)], Status: cdr.StatusStop,
			NASIP: "10.0.0.1", SessionID: fmt.Sprintf("S%06d", *seq), ConfID: fmt.Sprintf("%08X 00000000 00000000 00000000", *seq),
			CallOrigin: "originate", CallType: "Telephony", SetupTime: &setup, SessionTime: &duration}
		if duration > 0 && rng.IntN(5) > 0 {
			rec.ConnectTime = &connect
		} else {
			zero := int64(0)
			rec.SessionTime = &zero
			setup = connect
		}
		near := []string{"2001", "2002", "2003", "2004", "2005", "2006", "2999", "2777"}[rng.IntN(8)]
		rec.CallingNumber, rec.CalledNumber = near, far[rng.IntN(len(far))]
		switch rng.IntN(10) {
		case 0:
			rec.CallType = "VoIP" // stored, not billed
		case 1, 2:
			rec.CallOrigin = "answer"
			rec.CallingNumber, rec.CalledNumber = rec.CalledNumber, near
		case 3:
			rec.UserName = s.cards[rng.IntN(len(s.cards))]
		}
		stage.Process(rec)
		wg.Add(1)
		w.Submit(rec, func(o store.Outcome, err error) {
			defer wg.Done()
			if o != store.Stored {
				t.Errorf("leg %s: %v %v", rec.SessionID, o, err)
			}
		})
	}
	wg.Wait()
	w.Close()
}

// leg is a stored billed CDR as the brute-force sums read it.
type leg struct {
	CallTime   string  `db:"call_time"`
	UserID     *int64  `db:"user_id"`
	Department *int64  `db:"department_id"`
	Branch     *int64  `db:"branch_id"`
	Zone       *string `db:"zone"`
	Gateway    string  `db:"client_name"`
	Direction  string  `db:"direction"`
	Currency   *string `db:"currency"`
	Duration   *int64  `db:"duration_s"`
	Billed     *int64  `db:"billed_seconds"`
	Cost       *int64  `db:"cost_micros"`
}

func (s *site) legs(t *testing.T) []leg {
	t.Helper()
	var legs []leg
	if err := s.db.Select(&legs, "SELECT call_time, user_id, department_id, branch_id, zone, client_name, direction, currency, duration_s, billed_seconds, cost_micros FROM cdr WHERE billed = 1"); err != nil {
		t.Fatal(err)
	}
	if len(legs) == 0 {
		t.Fatal("no billed legs")
	}
	return legs
}

func id(p *int64) string {
	if p == nil {
		return "0"
	}
	return strconv.FormatInt(*p, 10)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// bruteCost adds the legs up the way a cost report should.
func bruteCost(legs []leg, q report.CostQuery) map[[2]string]report.CostLine {
	from, to := q.From.Format(time.DateOnly), q.To.Format(time.DateOnly)
	out := map[[2]string]report.CostLine{}
	for _, l := range legs {
		day := l.CallTime[:10]
		if day < from || day >= to {
			continue
		}
		if q.BranchID != 0 && id(l.Branch) != strconv.FormatInt(q.BranchID, 10) ||
			q.DepartmentID != 0 && id(l.Department) != strconv.FormatInt(q.DepartmentID, 10) ||
			q.UserID != 0 && id(l.UserID) != strconv.FormatInt(q.UserID, 10) {
			continue
		}
		key := map[report.Dimension]string{report.ByUser: id(l.UserID), report.ByDepartment: id(l.Department), report.ByBranch: id(l.Branch),
			report.ByZone: str(l.Zone), report.ByGateway: l.Gateway, report.ByDirection: l.Direction, report.ByDay: day, report.ByMonth: day[:7]}[q.By]
		k := [2]string{key, str(l.Currency)}
		line := out[k]
		line.Key, line.Currency = k[0], k[1]
		f := &line.Out
		if l.Direction == "incoming" {
			f = &line.In
		}
		f.Calls++
		if l.Duration != nil && *l.Duration > 0 {
			f.Answered++
		}
		if l.Cost == nil {
			f.Unrated++
		} else {
			f.Cost += rating.Money(*l.Cost)
		}
		if l.Billed != nil {
			f.BilledSeconds += *l.Billed
		}
		out[k] = line
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// checkCost compares every report shape with the brute-force sums.
func (s *site) checkCost(t *testing.T) {
	t.Helper()
	legs := s.legs(t)
	ranges := [][2]string{{"2026-11-01", "2026-12-01"}, {"2026-10-20", "2026-12-10"}, {"2026-10-01", "2027-01-01"}, {"2026-11-03", "2026-11-04"}}
	var queries []report.CostQuery
	for _, r := range ranges {
		for _, by := range report.Dimensions {
			queries = append(queries, report.CostQuery{By: by, From: day(r[0]), To: day(r[1])})
		}
		queries = append(queries,
			report.CostQuery{By: report.ByUser, From: day(r[0]), To: day(r[1]), BranchID: s.branches["Sofia"]},
			report.CostQuery{By: report.ByZone, From: day(r[0]), To: day(r[1]), DepartmentID: s.depts["Varna/Sales"]},
			report.CostQuery{By: report.ByDay, From: day(r[0]), To: day(r[1]), UserID: s.users[0].ID},
			report.CostQuery{By: report.ByGateway, From: day(r[0]), To: day(r[1]), BranchID: s.branches["Varna"], UserID: s.users[5].ID})
	}
	for _, q := range queries {
		rep, err := report.Cost(context.Background(), s.db, q)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteCost(legs, q)
		name := fmt.Sprintf("by %s %s..%s b%d d%d u%d", q.By, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), q.BranchID, q.DepartmentID, q.UserID)
		if len(rep.Lines) != len(want) {
			t.Errorf("%s: %d lines, brute force %d", name, len(rep.Lines), len(want))
		}
		totals := map[string]report.CostLine{}
		for _, l := range rep.Lines {
			w := want[[2]string{l.Key, l.Currency}]
			if l.Out != w.Out || l.In != w.In {
				t.Errorf("%s: line %s %s = %+v %+v, brute force %+v %+v", name, l.Key, l.Currency, l.Out, l.In, w.Out, w.In)
			}
			tot := totals[l.Currency]
			tot.Out.Cost, tot.In.Cost, tot.Out.Calls = tot.Out.Cost+l.Out.Cost, tot.In.Cost+l.In.Cost, tot.Out.Calls+l.Out.Calls
			totals[l.Currency] = tot
		}
		for _, tot := range rep.Totals {
			if sum := totals[tot.Currency]; sum.Out.Cost != tot.Out.Cost || sum.In.Cost != tot.In.Cost || sum.Out.Calls != tot.Out.Calls {
				t.Errorf("%s: %s total %+v, lines add up to %+v", name, tot.Currency, tot, sum)
			}
		}
	}
	// Top keeps the dearest keys and the totals.
	all, _ := report.Cost(context.Background(), s.db, report.CostQuery{By: report.ByUser, From: day("2026-10-01"), To: day("2027-01-01")})
	top, err := report.Cost(context.Background(), s.db, report.CostQuery{By: report.ByUser, From: day("2026-10-01"), To: day("2027-01-01"), Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all.Totals, top.Totals) || len(top.Lines) >= len(all.Lines) || top.Lines[len(top.Lines)-1].Label != "(others)" {
		t.Errorf("top 2: %+v\nall: %+v", top, all)
	}
}

// summaries returns every summary table's groups with their figures
// summed over shards, without the groups whose figures are all zero.
func (s *site) summaries(t *testing.T) map[string]map[string][5]int64 {
	t.Helper()
	out := map[string]map[string][5]int64{}
	for _, table := range store.SummaryTables {
		rows, err := s.db.Queryx("SELECT * FROM " + table.Name)
		if err != nil {
			t.Fatal(err)
		}
		groups := map[string][5]int64{}
		for rows.Next() {
			cells, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			n := len(cells) // the key, five figures, the shard
			key := fmt.Sprintf("%s", cells[:n-6])
			sum := groups[key]
			for i := range 5 {
				v, err := strconv.ParseInt(fmt.Sprintf("%s", cells[n-6+i]), 10, 64)
				if err != nil {
					v = cells[n-6+i].(int64)
				}
				sum[i] += v
			}
			groups[key] = sum
		}
		rows.Close()
		for k, v := range groups {
			if v == [5]int64{} {
				delete(groups, k)
			}
		}
		out[table.Name] = groups
	}
	return out
}

func TestReportsMatchTheCDRs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		s := newSite(t, b)
		rng := rand.New(rand.NewPCG(1, 2))
		seq := 0
		s.store(t, rng, 700, day("2026-10-15"), day("2026-11-20"), &seq)
		// Users move: the calls they made before stay where they were.
		if err := s.money.SetUserDepartment(ctx, s.users[0].ID, s.depts["Varna/Sales"]); err != nil {
			t.Fatal(err)
		}
		if err := s.money.SetUserDepartment(ctx, s.users[4].ID, s.depts["Sofia/Support"]); err != nil {
			t.Fatal(err)
		}
		s.store(t, rng, 700, day("2026-11-20"), day("2026-12-20"), &seq)
		var moved int
		if err := s.db.Get(&moved, "SELECT COUNT(DISTINCT department_id) FROM cdr WHERE user_id = ? AND billed = 1", s.users[0].ID); err != nil || moved != 2 {
			t.Fatalf("user 1's calls are in %d departments (%v), want 2: before and after the move", moved, err)
		}
		s.checkCost(t)

		incremental := s.summaries(t)
		if _, _, err := s.db.RebuildSummaries(ctx, day("2026-10-01"), day("2027-01-01")); err != nil {
			t.Fatal(err)
		}
		if rebuilt := s.summaries(t); !maps.EqualFunc(rebuilt, incremental, maps.Equal) {
			t.Fatalf("rebuild differs from the incremental summaries:\nrebuilt     %v\nincremental %v", rebuilt, incremental)
		}

		// Rolling the days before yesterday up into the monthly and branch
		// tables, which reports read up to the watermark and cdr_daily
		// after it, changes no report.
		mark, days, err := s.db.RollUpSummaries(ctx, time.Now())
		if err != nil || days == 0 || mark != time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly) {
			t.Fatalf("roll-up to %s: %d days, %v", mark, days, err)
		}
		if _, again, err := s.db.RollUpSummaries(ctx, time.Now()); err != nil || again != 0 {
			t.Fatalf("rolling up again: %d days, %v", again, err)
		}
		s.checkCost(t)
		// A leg for a day already rolled up is added to the rolled-up
		// tables by its own batch.
		counts := func() (late, billed int64) {
			t.Helper()
			if err := s.db.QueryRow("SELECT late_legs, (SELECT COUNT(*) FROM cdr WHERE billed = 1) FROM summary_rollup").Scan(&late, &billed); err != nil {
				t.Fatal(err)
			}
			return late, billed
		}
		lateBefore, billedBefore := counts()
		s.store(t, rng, 60, day("2026-10-20"), day("2026-11-10"), &seq)
		if lateAfter, billedAfter := counts(); billedAfter == billedBefore || lateAfter-lateBefore != billedAfter-billedBefore {
			t.Fatalf("%d late legs counted for %d billed legs", lateAfter-lateBefore, billedAfter-billedBefore)
		}
		s.checkCost(t)

		// Re-rating at new prices moves each leg's figures; the summaries
		// still equal a rebuild and the brute-force sums.
		if _, err := s.db.Exec("UPDATE rate_tier SET price_per_minute_micros = price_per_minute_micros * 3 + 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.Exec("UPDATE rate SET connect_fee_micros = 0 WHERE zone_id = 2"); err != nil {
			t.Fatal(err)
		}
		tables, err := billing.Load(ctx, s.db)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := billing.Rerate(ctx, s.db, s.money, tables, day("2026-11-01"), day("2026-12-01"), nil, 97)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Changed == 0 {
			t.Fatal("rerate changed nothing")
		}
		s.checkCost(t)
		incremental = s.summaries(t)
		if _, _, err := s.db.RebuildSummaries(ctx, day("2026-11-01"), day("2026-12-01")); err != nil {
			t.Fatal(err)
		}
		if rebuilt := s.summaries(t); !maps.EqualFunc(rebuilt, incremental, maps.Equal) {
			t.Fatalf("after rerate, rebuild differs from the incremental summaries:\nrebuilt     %v\nincremental %v", rebuilt, incremental)
		}

		s.checkSplit(t)
		s.checkCards(t)
		s.checkLimits(t)
	})
}

func (s *site) checkSplit(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	legs := s.legs(t)
	for _, by := range []report.Dimension{report.ByBranch, report.ByDepartment} {
		for _, gw := range []string{"", "gw-sofia"} {
			q := report.SplitQuery{Month: day("2026-11-01"), Total: 12_345_670_000, Decimals: 2, Currency: "EUR", Gateway: gw, By: by}
			rep, err := report.InvoiceSplit(ctx, s.db, q)
			if err != nil {
				t.Fatal(err)
			}
			rated := map[string]rating.Money{}
			var ratedTotal rating.Money
			for _, l := range legs {
				if l.CallTime[:7] != "2026-11" || str(l.Currency) != "EUR" || l.Cost == nil || gw != "" && l.Gateway != gw {
					continue
				}
				key := id(l.Branch)
				if by == report.ByDepartment {
					key = id(l.Department)
				}
				rated[key] += rating.Money(*l.Cost)
				ratedTotal += rating.Money(*l.Cost)
			}
			var shares rating.Money
			for _, l := range rep.Lines {
				shares += l.Share
				if l.Rated != rated[l.Key] {
					t.Errorf("split by %s %q: %s rated %s, brute force %s", by, gw, l.Label, l.Rated, rated[l.Key])
				}
				if l.Share%10_000 != 0 {
					t.Errorf("share %s is not whole cents", l.Share)
				}
				// Each share is its exact proportion rounded down or up by under a cent.
				exact := float64(q.Total) * float64(l.Rated) / float64(ratedTotal)
				if d := float64(l.Share) - exact; d <= -10_000 || d >= 10_000 {
					t.Errorf("split by %s %q: %s share %s, proportion %.0f micros", by, gw, l.Label, l.Share, exact)
				}
			}
			if shares != q.Total || rep.Rated != ratedTotal || rep.Difference != q.Total-ratedTotal || len(rep.Lines) != len(rated) {
				t.Errorf("split by %s %q: shares add up to %s of %s, rated %s (brute force %s), difference %s", by, gw, shares, q.Total, rep.Rated, ratedTotal, rep.Difference)
			}
		}
	}
}

func (s *site) checkCards(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, r := range [][2]string{{"2026-11-01", "2026-12-01"}, {"2026-01-01", "2030-01-01"}} {
		rep, err := report.Cards(ctx, s.db, day(r[0]), day(r[1]))
		if err != nil {
			t.Fatal(err)
		}
		var total report.CardLine
		for _, l := range rep.Lines {
			var ledger, before int64
			if err := s.db.Get(&ledger, "SELECT COALESCE(SUM(amount_micros), 0) FROM ledger_entry WHERE account_id = ? AND created_at < ?", l.AccountID, store.FormatTime(day(r[1]))); err != nil {
				t.Fatal(err)
			}
			if err := s.db.Get(&before, "SELECT COALESCE(SUM(amount_micros), 0) FROM ledger_entry WHERE account_id = ? AND created_at < ?", l.AccountID, store.FormatTime(day(r[0]))); err != nil {
				t.Fatal(err)
			}
			if l.Closing != rating.Money(ledger) || l.Opening != rating.Money(before) || l.Opening+l.TopUps+l.Refunds+l.Adjustments+l.Debits != l.Closing {
				t.Errorf("%s..%s card %s: %+v, ledger before %d and at the end %d", r[0], r[1], l.Account, l, before, ledger)
			}
			total.Closing += l.Closing
			total.Debits += l.Debits
		}
		if r[1] == "2030-01-01" {
			var balances int64
			if err := s.db.Get(&balances, "SELECT SUM(balance_micros) FROM prepaid_account"); err != nil {
				t.Fatal(err)
			}
			if total.Closing != rating.Money(balances) || total.Debits >= 0 {
				t.Errorf("cards close at %s (debits %s), balances are %d", total.Closing, total.Debits, balances)
			}
		}
		if len(rep.Totals) != 1 || rep.Totals[0].Closing != total.Closing {
			t.Errorf("cards total %+v, lines close at %s", rep.Totals, total.Closing)
		}
	}
}

func (s *site) checkLimits(t *testing.T) {
	t.Helper()
	rep, err := report.Limits(context.Background(), s.money, day("2026-11-01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Lines) != len(s.users) {
		t.Fatalf("%d lines for %d users", len(rep.Lines), len(s.users))
	}
	var mailed int
	for _, l := range rep.Lines {
		var spend int64
		if err := s.db.Get(&spend, "SELECT COALESCE(-SUM(amount_micros), 0) FROM ledger_entry WHERE user_id = ? AND accrued_at >= ? AND accrued_at < ?",
			l.User.ID, store.FormatTime(l.Period.Start), store.FormatTime(l.Period.End)); err != nil {
			t.Fatal(err)
		}
		if l.Spend != rating.Money(spend) || l.Period.Start.Day() != 1 || l.Period.Start.Month() != time.November {
			t.Errorf("user %d: %+v, ledger spend %d", l.User.ID, l, spend)
		}
		if l.Spend >= l.User.Limit.Amount && l.Mails["limit"] == "" {
			t.Errorf("user %d spent %s of %s and has no limit e-mail: %v", l.User.ID, l.Spend, l.User.Limit.Amount, l.Mails)
		}
		mailed += len(l.Mails)
	}
	if mailed == 0 {
		t.Error("no user has a limit e-mail: the data does not exercise them")
	}
}
