package rater

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/radiusd/acct"
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

// BenchmarkStage is the rating stage's cost per Stop on the hot path:
// translation, policy, rating and the detail JSON, with the demo tariff.
func BenchmarkStage(b *testing.B) {
	files, _ := filepath.Glob("../../scripts/demo/tariff/*.csv")
	var inputs []tariffcsv.File
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, tariffcsv.File{Name: filepath.Base(name), Reader: f})
	}
	var data rating.TariffData
	if err := tariffcsv.ReadAll(&data, inputs...); err != nil {
		b.Fatal(err)
	}
	snapshot, err := rating.Build(data)
	if err != nil {
		b.Fatal(err)
	}
	translator, err := normalize.Compile([]normalize.Rule{{ID: 1, Direction: normalize.Called, Kind: normalize.Prefix, Match: "0", Replace: "359"}})
	if err != nil {
		b.Fatal(err)
	}
	var retail int64
	for _, p := range data.Plans {
		if p.Name == "retail" {
			retail = p.ID
		}
	}
	stage := NewStage(&Tables{Tariffs: snapshot, Translator: translator,
		Gateways: map[string]store.Gateway{"gw": {ClientName: "gw", DefaultPlanID: sql.NullInt64{Int64: retail, Valid: true}}}}, prometheus.NewRegistry())
	connect := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	seconds := int64(95)
	rec := &acct.Record{Status: acct.StatusStop, ClientName: "gw", CallOrigin: "originate", CallType: "Telephony",
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
