package rater

import (
	"context"
	"fmt"
	"time"

	"github.com/radbill/radbill/radiusd/acct"
	"github.com/radbill/radbill/store"
)

// RerateSummary compares the stored costs of a range of CDRs before and
// after re-rating. Totals are in micro-units per currency.
type RerateSummary struct {
	Legs     int              // CDRs looked at
	Changed  int              // CDRs whose cost or status changed
	OldTotal map[string]int64 // by currency, legs rated ok before
	NewTotal map[string]int64 // by currency, legs rated ok after
	Statuses map[string]int   // rating status after, by name
}

// Rerate re-rates the CDRs with call_time in [from, to) with tables t, in
// batches of batchSize, each batch committed on its own. It is idempotent:
// running it again with the same tables changes nothing but rated_at. With
// planID set only legs stored or now rated under that plan are touched.
// It corrects CDR costs only: debits already made to prepaid cards and
// users' spend stay as they were (fix those with ledger adjustments).
func Rerate(ctx context.Context, db *store.DB, t *Tables, from, to time.Time, planID *int64, batchSize int) (RerateSummary, error) {
	sum := RerateSummary{OldTotal: map[string]int64{}, NewTotal: map[string]int64{}, Statuses: map[string]int{}}
	var after int64
	for {
		legs, err := db.LegsToRerate(ctx, from, to, after, batchSize)
		if err != nil {
			return sum, err
		}
		if len(legs) == 0 {
			return sum, nil
		}
		updates := map[int64]acct.Rating{}
		now := time.Now()
		for _, l := range legs {
			after = l.ID
			leg, err := legOf(l)
			if err != nil {
				return sum, fmt.Errorf("cdr id %d: %w", l.ID, err)
			}
			r := t.Rate(leg, now)
			if planID != nil && !sameValue(l.PlanID, planID) && !sameValue(r.PlanID, planID) {
				continue
			}
			sum.Legs++
			sum.Statuses[r.Status]++
			if l.CostMicros != nil && l.Currency != nil {
				sum.OldTotal[*l.Currency] += *l.CostMicros
			}
			if r.CostMicros != nil {
				sum.NewTotal[r.Currency] += *r.CostMicros
			}
			if r.Status != l.RatingStatus || !sameValue(r.CostMicros, l.CostMicros) {
				sum.Changed++
			}
			updates[l.ID] = r
		}
		if err := db.UpdateRatings(ctx, updates); err != nil {
			return sum, err
		}
	}
}

func sameValue(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func legOf(l store.RatedLeg) (Leg, error) {
	callTime, err := store.ParseTime(l.CallTime)
	if err != nil {
		return Leg{}, err
	}
	leg := Leg{UserName: l.UserName, ClientName: l.ClientName, NASIP: l.NASIP, GatewayID: l.GatewayID, CallOrigin: l.CallOrigin, CallType: l.CallType,
		Calling: l.CallingNumber, Called: l.CalledNumber, CallTime: callTime}
	if l.ConnectTime != nil {
		connect, err := store.ParseTime(*l.ConnectTime)
		if err != nil {
			return Leg{}, err
		}
		leg.ConnectTime = &connect
	}
	if l.DurationS != nil {
		leg.Duration = *l.DurationS
	}
	return leg, nil
}
