package settlement_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/settlement"
	"github.com/radbill/radbill/store"
)

type env struct {
	db    *store.DB
	svc   *settlement.Service
	ids   []int64 // partners: member, carrier
	own   int64
	n     int
	rng   *rand.Rand
	total map[[2]int64]rating.Money // partner, revenue(1)/cost(0) → brute-force sum
}

func newEnv(t *testing.T, b testdb.Backend) *env {
	t.Helper()
	db := testdb.Open(t, b)
	ctx := history.WithActor(context.Background(), history.Actor{Name: "test"})
	e := &env{db: db, svc: settlement.New(db), rng: rand.New(rand.NewPCG(9, 9)), total: map[[2]int64]rating.Money{}}
	ps := partner.New(db)
	for _, n := range []partner.NewPartner{{Name: "Us", Currency: "EUR", Own: true}, {Name: "MemberA", Currency: "EUR"}, {Name: "CarrierX", Currency: "EUR"}} {
		p, err := ps.Create(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if p.Own {
			e.own = p.ID
		} else {
			e.ids = append(e.ids, p.ID)
		}
	}
	return e
}

// leg stores a leg's charge as the writer does.
func (e *env) leg(t *testing.T, partnerID int64, rateType, zone string, at time.Time, amount rating.Money) {
	t.Helper()
	e.n++
	if _, err := e.db.Exec("INSERT INTO leg_charge (dedup_key, conf_id, call_time, partner_id, rate_type, plan_id, zone, band, duration_s, billed_seconds, amount_micros, currency, rating_status) "+
		"VALUES (?, '', ?, ?, ?, 1, ?, 'all', 60, 60, ?, 'EUR', 'ok')", fmt.Sprintf("leg-%06d", e.n), at.Format("2006-01-02 15:04:05.000"), partnerID, rateType, zone, int64(amount)); err != nil {
		t.Fatal(err)
	}
}

// random stores n legs in November 2026 for the partners (and our own
// network, which is never settled) and keeps their brute-force sums.
func (e *env) random(t *testing.T, n int) {
	for range n {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(e.rng.Int64N(int64(30 * 24 * time.Hour))))
		zone := []string{"Mexico", "Mexico City", "Bulgaria"}[e.rng.IntN(3)]
		amount := rating.Money(e.rng.Int64N(5_000_000))
		switch e.rng.IntN(3) {
		case 0:
			e.leg(t, e.ids[0], "incoming", zone, at, amount)
			e.total[[2]int64{e.ids[0], 1}] += amount
		case 1:
			e.leg(t, e.ids[1], "outgoing", zone, at, amount)
			e.total[[2]int64{e.ids[1], 0}] += amount
		default:
			e.leg(t, e.own, "egress", zone, at, amount)
		}
	}
}

var november, december = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestSettlement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		e.random(t, 400)
		e.leg(t, e.ids[0], "incoming", "Mexico", december.Add(time.Hour), 1_000_000) // December's: not in November
		statements, err := e.svc.Run(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(statements) != 2 {
			t.Fatalf("%d statements, want one per partner but our own", len(statements))
		}
		for _, st := range statements {
			var receivable, payable rating.Money
			for _, l := range st.Lines {
				if l.Receivable() {
					receivable += l.Amount
				} else {
					payable += l.Amount
				}
			}
			if receivable != st.Receivable || payable != st.Payable {
				t.Errorf("%s: lines %s/%s, totals %s/%s", st.Partner, receivable, payable, st.Receivable, st.Payable)
			}
			if st.Receivable != e.total[[2]int64{st.PartnerID, 1}] || st.Payable != e.total[[2]int64{st.PartnerID, 0}] {
				t.Errorf("%s: %s/%s, brute force %s/%s", st.Partner, st.Receivable, st.Payable, e.total[[2]int64{st.PartnerID, 1}], e.total[[2]int64{st.PartnerID, 0}])
			}
		}
		member := statements[0]
		if member.PartnerID != e.ids[0] || member.Net() != member.Receivable || member.Direction() != "MemberA pays us" {
			t.Fatalf("MemberA's statement: %+v %s", member, member.Direction())
		}

		// A late leg between run and close: the close is refused until
		// the period is run again.
		e.leg(t, e.ids[0], "incoming", "Bulgaria", november.Add(10*24*time.Hour), 250_000)
		if _, err := e.svc.Close(ctx, member.ID); !errors.Is(err, settlement.ErrChanged) {
			t.Fatalf("close after a late leg: %v", err)
		}
		statements, err = e.svc.Run(ctx, november, e.ids[0])
		if err != nil {
			t.Fatal(err)
		}
		closed, err := e.svc.Close(ctx, statements[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !closed.Closed || closed.Receivable != e.total[[2]int64{e.ids[0], 1}]+250_000 || closed.ContentHash == "" {
			t.Fatalf("closed: %+v", closed)
		}
		if err := e.svc.Verify(ctx, closed.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Close(ctx, closed.ID); !errors.Is(err, settlement.ErrClosed) {
			t.Fatalf("closed twice: %v", err)
		}

		// Running November again leaves the closed statement alone; a leg
		// arriving for it now goes to December as an adjustment.
		e.leg(t, e.ids[0], "incoming", "Mexico", november.Add(20*24*time.Hour), 333_000)
		if _, err := e.svc.Run(ctx, november, 0); err != nil {
			t.Fatal(err)
		}
		if again, _ := e.svc.Statement(ctx, closed.ID); again.Receivable != closed.Receivable || !again.Closed {
			t.Fatalf("the closed statement changed: %+v", again)
		}
		dec, err := e.svc.Run(ctx, december, e.ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(dec) != 1 || dec[0].Receivable != 1_333_000 {
			t.Fatalf("December: %+v", dec)
		}
		var adjustments int
		for _, l := range dec[0].Lines {
			if l.Kind == settlement.Adjustment {
				adjustments++
				if l.Amount != 333_000 || l.RefersTo != fmt.Sprintf("leg-%06d", e.n) {
					t.Errorf("adjustment %+v", l)
				}
			}
		}
		if adjustments != 1 {
			t.Fatalf("%d adjustments in December", adjustments)
		}

		if _, err := e.db.Exec("UPDATE settlement_line SET amount_micros = amount_micros + 1 WHERE statement_id = ? AND line = 1", closed.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Verify(ctx, closed.ID); !errors.Is(err, settlement.ErrTampered) {
			t.Fatalf("a changed closed statement verified: %v", err)
		}
	})
}
