package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
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
	// Owners is what the re-rate changed for each card and user whose
	// CDRs it touched, cards first.
	Owners []limits.Correction
}

// Rerate re-rates the CDRs with call_time in [from, to) with tables t, in
// batches of batchSize, each committed on its own with the corrections of
// its owners' money (limits.Service.ApplyRerate): afterwards every card's
// balance and every user's spend agree with the CDRs' new costs. A CDR
// keeps the owner it was billed to and is priced under that owner's plan.
// It is idempotent: running it again with the same tables changes nothing
// but rated_at. With planID set only legs stored or now rated under that
// plan, or with a clearinghouse charge under it, are touched. Every
// touched leg's clearinghouse charges are priced again too
// (store.Rerating.Charges).
func Rerate(ctx context.Context, db *store.DB, money *limits.Service, t *Tables, from, to time.Time, planID *int64, batchSize int) (RerateSummary, error) {
	sum := RerateSummary{OldTotal: map[string]int64{}, NewTotal: map[string]int64{}, Statuses: map[string]int{}}
	owners := map[[2]int64]*limits.Correction{}
	var after int64
	for {
		legs, err := db.LegsToRerate(ctx, from, to, after, batchSize)
		if err != nil {
			return sum, err
		}
		if len(legs) == 0 {
			break
		}
		var updates []store.Rerating
		var owed []limits.Rerated
		now := time.Now()
		keys := make([]string, len(legs))
		for i, l := range legs {
			keys[i] = l.DedupKey
		}
		charges, err := db.LegCharges(ctx, keys)
		if err != nil {
			return sum, err
		}
		for _, l := range legs {
			after = l.ID
			leg, err := legOf(l)
			if err != nil {
				return sum, fmt.Errorf("cdr id %d: %w", l.ID, err)
			}
			r := t.Rate(leg, now)
			if planID != nil && !sameValue(l.PlanID, planID) && !sameValue(r.PlanID, planID) && !chargedUnder(charges[l.DedupKey], *planID) {
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
			u := store.Rerating{Leg: l, Rating: r}
			if stored := charges[l.DedupKey]; len(stored) > 0 && r.CalledNorm != "" {
				connect := leg.CallTime
				if leg.ConnectTime != nil {
					connect = *leg.ConnectTime
				}
				u.Charges = t.repriceCharges(stored, r.CalledNorm, connect, leg.Duration)
			}
			updates = append(updates, u)
			if r.AccountID != 0 || r.UserID != 0 {
				o, err := rerated(l, r)
				if err != nil {
					return sum, fmt.Errorf("cdr id %d: %w", l.ID, err)
				}
				owed = append(owed, o)
			}
		}
		corrections, err := money.ApplyRerate(ctx, owed, func(ctx context.Context, tx *sqlx.Tx) error {
			return store.UpdateRatingsTx(ctx, tx, updates)
		})
		if err != nil {
			return sum, err
		}
		for _, c := range corrections {
			key := [2]int64{c.AccountID, c.UserID}
			if o := owners[key]; o != nil {
				o.Charged, o.Cost, o.Adjusted, o.Entries = o.Charged+c.Charged, o.Cost+c.Cost, o.Adjusted+c.Adjusted, o.Entries+c.Entries
			} else {
				owners[key] = &c
			}
		}
	}
	for _, o := range owners {
		sum.Owners = append(sum.Owners, *o)
	}
	slices.SortFunc(sum.Owners, func(a, b limits.Correction) int {
		return cmp.Or(cmp.Compare(b.AccountID, a.AccountID), cmp.Compare(a.UserID, b.UserID))
	})
	return sum, nil
}

// rerated is a re-rated leg's owner and new cost, for its money to follow.
func rerated(l store.RatedLeg, r cdr.Rating) (limits.Rerated, error) {
	var cost rating.Money
	if r.Billed && r.CostMicros != nil {
		cost = rating.Money(*r.CostMicros)
	}
	received, err := store.ParseTime(l.ReceivedAt)
	return limits.Rerated{Reference: l.DedupKey, AccountID: r.AccountID, UserID: r.UserID, Cost: cost, ReceivedAt: received,
		Reason: fmt.Sprintf("re-rated call to %s, %s", r.CalledNorm, r.Zone)}, err
}

// chargedUnder tells whether a stored charge was priced under plan.
func chargedUnder(charges []cdr.PartnerCharge, plan int64) bool {
	return slices.ContainsFunc(charges, func(c cdr.PartnerCharge) bool { return c.PlanID == plan })
}

func sameValue(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func legOf(l store.RatedLeg) (Leg, error) {
	callTime, err := store.ParseTime(l.CallTime)
	if err != nil {
		return Leg{}, err
	}
	leg := Leg{UserName: l.UserName, ClientName: l.ClientName, NASIP: l.NASIP, GatewayID: l.GatewayID, CallOrigin: l.CallOrigin, CallType: l.CallType,
		Calling: l.CallingNumber, Called: l.CalledNumber, CallTime: callTime, Billed: &Owner{}}
	if l.AccountID != nil {
		leg.Billed.AccountID = *l.AccountID
	}
	if l.UserID != nil {
		leg.Billed.UserID = *l.UserID
	}
	if l.DepartmentID != nil {
		leg.Billed.DepartmentID = *l.DepartmentID
	}
	if l.BranchID != nil {
		leg.Billed.BranchID = *l.BranchID
	}
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
