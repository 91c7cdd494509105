package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"layeh.com/radius"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// testTariff is a plan "retail" in UTC: peak Mon-Fri 08:00-20:00, off-peak
// the rest of the week. Bulgaria mobile (35988) at peak: connect 0.40, the
// first minute 0.20/min, then 0.10/min per second (60/1); off-peak 0.05/min
// 60/60. Bulgaria (359) has no rate at all.
func testTariff(connectFee rating.Money) rating.TariffData {
	return rating.TariffData{
		Plans:    []rating.Plan{{ID: 1, Name: "retail", Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 2}},
		Zones:    []rating.Zone{{ID: 1, Name: "Bulgaria"}, {ID: 2, Name: "Bulgaria mobile"}},
		Prefixes: []rating.Prefix{{ID: 1, Digits: "359", ZoneID: 1}, {ID: 2, Digits: "35988", ZoneID: 2}},
		Bands:    []rating.Band{{ID: 1, PlanID: 1, Name: "peak"}, {ID: 2, PlanID: 1, Name: "off-peak"}},
		BandRules: []rating.BandRule{
			{ID: 1, BandID: 1, Days: mustDays("mon-fri"), From: 8 * 60, To: 20 * 60},
			{ID: 2, BandID: 2, Days: mustDays("mon-fri"), From: 0, To: 8 * 60},
			{ID: 3, BandID: 2, Days: mustDays("mon-fri"), From: 20 * 60, To: 24 * 60},
			{ID: 4, BandID: 2, Days: mustDays("sat,sun"), From: 0, To: 0},
		},
		Rates: []rating.Rate{
			{ID: 1, PlanID: 1, ZoneID: 2, BandID: 1, Direction: rating.Outgoing, ConnectFee: connectFee, FirstIncrement: 60, NextIncrement: 1,
				Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 200_000}, {FromSecond: 60, PricePerMinute: 100_000}}},
			{ID: 2, PlanID: 1, ZoneID: 2, BandID: 2, Direction: rating.Outgoing, FirstIncrement: 60, NextIncrement: 60,
				Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 50_000}}},
		},
	}
}

func mustDays(s string) rating.Weekdays {
	d, err := rating.ParseWeekdays(s)
	if err != nil {
		panic(err)
	}
	return d
}

type ratedRow struct {
	Status    string  `db:"rating_status"`
	Cost      *int64  `db:"cost_micros"`
	Zone      *string `db:"zone"`
	Billed    bool    `db:"billed"`
	Direction string  `db:"direction"`
	Norm      string  `db:"called_number_norm"`
	Currency  *string `db:"currency"`
}

func (h *harness) rated(session string) ratedRow {
	h.t.Helper()
	var r ratedRow
	if err := h.db.Get(&r, "SELECT rating_status, cost_micros, zone, billed, direction, called_number_norm, currency FROM cdr WHERE acct_session_id = ?", session); err != nil {
		h.t.Fatalf("cdr %s: %v", session, err)
	}
	return r
}

// publishTables bumps tariff_version, as the radbill commands do, and
// waits until the server has the tables in force.
func (h *harness) publishTables() {
	h.t.Helper()
	if err := h.db.BumpTariffVersion(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	v, _ := h.db.TariffVersion(context.Background())
	h.waitForTariffVersion(v)
}

// waitForTariffVersion waits until the server has reloaded version v.
func (h *harness) waitForTariffVersion(v int64) {
	h.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if h.in.rating.Tables().Version == v {
			return
		}
	}
	h.t.Fatalf("server did not reload tariff version %d", v)
}

func telephonyStop(t *testing.T, session, called, connect string, seconds uint32, extra ...func(*radius.Packet)) []byte {
	return encode(t, ciscoStop(t, session, append([]func(*radius.Packet){
		setCisco(cisco.AttrCallType, "Telephony"),
		setCisco(cisco.AttrConnectTime, connect),
		func(p *radius.Packet) {
			p.Set(30, radius.Attribute(called))
			p.Set(46, radius.NewInteger(seconds))
		}}, extra...)...))
}

func TestStopsAreRatedInRealTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		ctx := context.Background()
		if err := h.db.ImportTariffs(ctx, testTariff(400_000)); err != nil {
			t.Fatal(err)
		}
		if err := h.db.SetGateway(ctx, "gw-test", "retail", false); err != nil {
			t.Fatal(err)
		}
		if _, err := h.db.Exec("INSERT INTO translation_rule (position, gateway, direction, kind, match_text, replace_text, description) VALUES (1, 'gw-test', 'called', 'prefix', '0', '359', 'national to E.164')"); err != nil {
			t.Fatal(err)
		}
		h.publishTables()

		// Wed 2026-11-25 10:00 UTC is peak: 0.40 + 60 s × 0.20/min + 60 s × 0.10/min = 0.70.
		mustAck(t, h, telephonyStop(t, "R1", "0888123456", "10:00:00.000 UTC Wed Nov 25 2026", 120))
		if r := h.rated("R1"); r.Status != "ok" || r.Cost == nil || *r.Cost != 700_000 || *r.Zone != "Bulgaria mobile" || !r.Billed ||
			r.Direction != "outgoing" || r.Norm != "359888123456" || *r.Currency != "EUR" {
			t.Errorf("R1 = %+v (cost %v)", r, deref(r.Cost))
		}
		// Saturday is off-peak: 61 s at 60/60 → 120 s × 0.05/min = 0.10.
		mustAck(t, h, telephonyStop(t, "R2", "35988000001", "23:00:00.000 UTC Sat Nov 28 2026", 61))
		if r := h.rated("R2"); r.Status != "ok" || *r.Cost != 100_000 {
			t.Errorf("R2 = %+v (cost %v)", r, deref(r.Cost))
		}
		// The VoIP leg of the same call is stored, not billed.
		mustAck(t, h, encode(t, ciscoStop(t, "R3")))
		if r := h.rated("R3"); r.Status != billing.StatusNotBilled || r.Cost != nil || r.Billed {
			t.Errorf("R3 = %+v", r)
		}
		// Bulgaria fixed has no rate; Germany no zone: no cost, never a silent 0.
		mustAck(t, h, telephonyStop(t, "R4", "3592123456", "10:00:00.000 UTC Wed Nov 25 2026", 30))
		mustAck(t, h, telephonyStop(t, "R5", "4930123456", "10:00:00.000 UTC Wed Nov 25 2026", 30))
		if r := h.rated("R4"); r.Status != "no_rate" || r.Cost != nil || *r.Zone != "Bulgaria" {
			t.Errorf("R4 = %+v", r)
		}
		if r := h.rated("R5"); r.Status != "unknown_destination" || r.Cost != nil {
			t.Errorf("R5 = %+v", r)
		}
		if v := h.metric(`radbill_rating_total{status="unknown_destination"}`); v != 1 {
			t.Errorf("unknown destinations counted %v", v)
		}

		// A tariff fix: the connect fee becomes 0.50. New Stops use it once the
		// server has reloaded; re-rating fixes the stored ones, idempotently.
		if err := h.db.ImportTariffs(ctx, testTariff(500_000)); err != nil {
			t.Fatal(err)
		}
		v, _ := h.db.TariffVersion(ctx)
		h.waitForTariffVersion(v)
		mustAck(t, h, telephonyStop(t, "R6", "0888123456", "10:00:00.000 UTC Wed Nov 25 2026", 120))
		if r := h.rated("R6"); *r.Cost != 800_000 {
			t.Errorf("after reload R6 costs %d, want 800000", *r.Cost)
		}
		tables, err := billing.Load(ctx, h.db)
		if err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		sum, err := billing.Rerate(ctx, h.db, limits.New(h.db, limits.Options{}), tables, from, to, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Legs != 5 || sum.Changed != 1 || sum.OldTotal["EUR"] != 1_600_000 || sum.NewTotal["EUR"] != 1_700_000 {
			t.Errorf("rerate summary %+v", sum)
		}
		if r := h.rated("R1"); *r.Cost != 800_000 {
			t.Errorf("R1 after rerate costs %d", *r.Cost)
		}
		again, err := billing.Rerate(ctx, h.db, limits.New(h.db, limits.Options{}), tables, from, to, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		if again.Changed != 0 || again.NewTotal["EUR"] != 1_700_000 {
			t.Errorf("second rerate changed %d, total %d", again.Changed, again.NewTotal["EUR"])
		}
	})
}

func TestInvalidTariffImportChangesNothing(t *testing.T) {
	h := startServer(t, testdb.SQLite(t))
	ctx := context.Background()
	if err := h.db.ImportTariffs(ctx, testTariff(400_000)); err != nil {
		t.Fatal(err)
	}
	before, _ := h.db.TariffVersion(ctx)
	bad := testTariff(400_000)
	bad.Rates[0].NextIncrement = 0
	if err := h.db.ImportTariffs(ctx, bad); err == nil {
		t.Fatal("an invalid tariff was imported")
	}
	after, _ := h.db.TariffVersion(ctx)
	data, err := h.db.LoadTariffs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before || len(data.Rates) != 2 || data.Rates[0].NextIncrement != 1 {
		t.Fatalf("failed import changed the database: version %d→%d, rates %+v", before, after, data.Rates)
	}
}

// A tariff edited by hand in SQL into an invalid state is refused on reload,
// logged once with the row it is refused for, not at every poll; the server
// keeps rating with the tables in force.
func TestInvalidReloadKeepsTablesInForce(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := startServerLogging(t, testdb.SQLite(t), zap.New(core))
	ctx := context.Background()
	if err := h.db.ImportTariffs(ctx, testTariff(400_000)); err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetGateway(ctx, "gw-test", "retail", false); err != nil {
		t.Fatal(err)
	}
	v, _ := h.db.TariffVersion(ctx)
	h.waitForTariffVersion(v)
	if _, err := h.db.Exec("UPDATE rate SET next_increment_s = 0"); err != nil {
		t.Fatal(err)
	}
	if err := h.db.BumpTariffVersion(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // several polls
	if h.in.rating.Tables().Version != v {
		t.Fatal("an invalid tariff was put in force")
	}
	refused := logs.FilterMessage("tariff reload refused, the tariffs in force stay").All()
	if len(refused) != 1 {
		t.Fatalf("the refusal was logged %d times in several polls, want once", len(refused))
	}
	if reason := refused[0].ContextMap()["reason"]; !strings.Contains(fmt.Sprint(reason), `rate id 1 (plan "retail", zone "Bulgaria mobile", band "peak")`) {
		t.Errorf("refusal reason %q does not name the row", reason)
	}
	mustAck(t, h, telephonyStop(t, "K1", "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120))
	if r := h.rated("K1"); r.Status != "ok" || *r.Cost != 700_000 {
		t.Errorf("K1 = %+v", r)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

var _ = store.SQLite
