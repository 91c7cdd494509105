package billing

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
	"github.com/radbill/radbill/store"
)

func TestDetailJSON(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	c := rating.Charge{RateID: 7, ConnectFee: 100_000, Capped: true, Parts: []rating.Part{
		{Band: rating.BandRef{Name: "peak \"x\"\x01"}, Start: time.Date(2026, 11, 25, 12, 0, 0, 0, sofia), Seconds: 95, BilledSeconds: 96, Amount: 384_000 * 60},
		{Band: rating.BandRef{Name: "offpeak"}, Start: time.Date(2026, 11, 25, 20, 0, 0, 0, sofia), Seconds: 1, BilledSeconds: 6, Amount: 18_000 * 60},
	}}
	var got struct {
		RateID     int64  `json:"rate_id"`
		ConnectFee string `json:"connect_fee"`
		Capped     bool   `json:"capped"`
		Parts      []struct {
			Band, Start, Amount string
			Seconds             int64
			BilledSeconds       int64 `json:"billed_seconds"`
		} `json:"parts"`
	}
	if err := json.Unmarshal([]byte(detailJSON(c)), &got); err != nil {
		t.Fatalf("%v: %s", err, detailJSON(c))
	}
	if got.RateID != 7 || got.ConnectFee != "0.100000" || !got.Capped || len(got.Parts) != 2 ||
		got.Parts[0].Band != "peak \"x\"\x01" || got.Parts[0].Start != "2026-11-25T12:00:00+02:00" || got.Parts[0].Amount != "0.384000" ||
		got.Parts[0].BilledSeconds != 96 || got.Parts[1].Amount != "0.018000" {
		t.Fatalf("decoded %+v from %s", got, detailJSON(c))
	}
}

// demoTables are the demo tariff (scripts/demo/tariff), a called-number
// rule 0 → 359, gateway "gw" with plan retail, and owners.
func demoTables(tb testing.TB, owners store.Owners) (*Tables, map[string]int64) {
	tb.Helper()
	files, _ := filepath.Glob("../scripts/demo/tariff/*.csv")
	if len(files) == 0 {
		tb.Fatal("no demo tariff files")
	}
	var inputs []tariffcsv.File
	for _, name := range files {
		if filepath.Base(name) == "rules.csv" {
			continue // the rules below also translate calling numbers
		}
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, tariffcsv.File{Name: filepath.Base(name), Reader: f})
	}
	var data rating.TariffData
	if err := tariffcsv.ReadAll(&data, inputs...); err != nil {
		tb.Fatal(err)
	}
	snapshot, err := rating.Build(data)
	if err != nil {
		tb.Fatal(err)
	}
	translator, err := normalize.Compile([]normalize.Rule{
		{ID: 1, Direction: normalize.Called, Kind: normalize.Prefix, Match: "0", Replace: "359"},
		{ID: 2, Direction: normalize.Calling, Kind: normalize.Prefix, Match: "0", Replace: "359"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	plans := map[string]int64{}
	for _, p := range data.Plans {
		plans[p.Name] = p.ID
	}
	return &Tables{Tariffs: snapshot, Translator: translator, Owners: owners,
		Gateways: map[string]store.Gateway{"gw": {ClientName: "gw", DefaultPlanID: sql.NullInt64{Int64: plans["retail"], Valid: true}}}}, plans
}

// BenchmarkStage is the rating stage's cost per Stop on the hot path:
// translation, policy, rating and the detail JSON, with the demo tariff.
func BenchmarkStage(b *testing.B) {
	tables, _ := demoTables(b, store.Owners{})
	stage := NewStage(tables, prometheus.NewRegistry())
	connect := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	seconds := int64(95)
	rec := &cdr.Record{Status: cdr.StatusStop, ClientName: "gw", CallOrigin: "originate", CallType: "Telephony",
		CallingNumber: "1110001", CalledNumber: "0888123456", ConnectTime: &connect, SessionTime: &seconds}
	b.ReportAllocs()
	for b.Loop() {
		stage.Process(rec)
	}
	if rec.Rating.Status != "ok" || *rec.Rating.CostMicros != 480_000 {
		b.Fatalf("rated %+v", rec.Rating)
	}
}

func TestBillableLegPolicy(t *testing.T) {
	for _, c := range []struct {
		origin, callType string
		billVoIP         bool
		direction        rating.Direction
		billed           bool
	}{
		{"originate", "Telephony", false, rating.Outgoing, true}, // the call out to the PSTN
		{"answer", "Telephony", false, rating.Incoming, true},    // the call in from the PSTN, at incoming rates
		{"originate", "VoIP", false, rating.Outgoing, false},     // the IP leg of the same call
		{"answer", "VoIP", false, rating.Incoming, false},
		{"originate", "VoIP", true, rating.Outgoing, true}, // IP-to-IP gateway trunk to a provider
		{"answer", "VoIP", true, rating.Incoming, false},
		{"ORIGINATE", "telephony", false, rating.Outgoing, true},
		{"callback", "Telephony", false, 0, false},
		{"", "", false, 0, false}, // a NAS that sends no h323 attributes
		{"originate", "VoFR", false, rating.Outgoing, false},
	} {
		direction, billed := billable(Leg{CallOrigin: c.origin, CallType: c.callType}, c.billVoIP)
		if direction != c.direction || billed != c.billed {
			t.Errorf("%s/%s (bill VoIP %v): %v billed %v, want %v %v", c.origin, c.callType, c.billVoIP, direction, billed, c.direction, c.billed)
		}
	}
}

// TestOwnerByDirection: an outgoing leg belongs to the user of its calling
// number, an incoming leg (telephony answer) to the user of its called
// number and is priced by where it came from, at the plan's incoming
// rates; an incoming leg the plan has no price for still names its user.
// A re-rated leg keeps the owner it was billed to.
func TestOwnerByDirection(t *testing.T) {
	owners := store.Owners{UserNumbers: map[string]int64{"2001": 7, "2002": 8}, UserPlans: map[int64]int64{},
		Cards: map[string]store.Card{}, CardsByID: map[int64]store.Card{}}
	tables, plans := demoTables(t, owners)
	owners.UserPlans[7], owners.UserPlans[8], owners.UserPlans[9] = plans["retail"], plans["business"], plans["business"]
	connect := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // Wednesday noon in Sofia: peak
	leg := func(origin, calling, called string) Leg {
		return Leg{ClientName: "gw", CallOrigin: origin, CallType: "Telephony", Calling: calling, Called: called,
			ConnectTime: &connect, CallTime: connect, Duration: 100}
	}
	for _, c := range []struct {
		name   string
		leg    Leg
		user   int64
		plan   string
		status string
		cost   int64 // -1: none
	}{
		// 0.10 + 0.24/min billed 30/6 → 102 s = 0.508 → 0.51
		{"outgoing from a user", leg("originate", "2001", "0888123456"), 7, "retail", "ok", 510_000},
		// 0.02/min per second: 100 s = 0.0333 → 0.03, in the user's plan
		{"incoming to a user", leg("answer", "0888123456", "2001"), 7, "retail", "ok", 30_000},
		{"incoming to a user whose plan has no incoming price", leg("answer", "0888123456", "2002"), 8, "business", "no_rate", -1},
		{"incoming from a user's number is not theirs", leg("answer", "2001", "0888123456"), 0, "retail", "unknown_destination", -1},
		{"incoming from a withheld number", leg("answer", "anonymous", "2001"), 7, "", "invalid_number", -1},
	} {
		r := tables.Rate(c.leg, connect)
		if r.UserID != c.user || r.Status != c.status || (c.plan != "" && (r.PlanID == nil || *r.PlanID != plans[c.plan])) {
			t.Errorf("%s: user %d, status %s, plan %v; want user %d, %s, plan %s", c.name, r.UserID, r.Status, r.PlanID, c.user, c.status, c.plan)
		}
		if got := deref(r.CostMicros); got != c.cost {
			t.Errorf("%s: cost %d, want %d", c.name, got, c.cost)
		}
	}

	// 2001 is user 9's now; a leg billed to user 7 stays user 7's, in 7's
	// plan, and a leg billed to nobody is priced on the gateway's plan.
	owners.UserNumbers["2001"] = 9
	reRated := leg("originate", "2001", "0888123456")
	reRated.Billed = &Owner{UserID: 7}
	if r := tables.Rate(reRated, connect); r.UserID != 7 || *r.PlanID != plans["retail"] || deref(r.CostMicros) != 510_000 {
		t.Errorf("re-rated leg billed to user 7: %+v", r)
	}
	reRated.Billed = &Owner{}
	if r := tables.Rate(reRated, connect); r.UserID != 0 || *r.PlanID != plans["retail"] {
		t.Errorf("re-rated leg billed to nobody: user %d, plan %d", r.UserID, *r.PlanID)
	}
	if r := tables.Rate(leg("originate", "2001", "0888123456"), connect); r.UserID != 9 || *r.PlanID != plans["business"] {
		t.Errorf("a new leg from 2001: user %d, plan %d; want user 9 on business", r.UserID, *r.PlanID)
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
