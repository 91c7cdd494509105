package rater

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/radbill/radbill/rating"
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
