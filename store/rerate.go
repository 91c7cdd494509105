package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/cdr"
)

// RatedLeg is a stored CDR with what rating needs and what it produced.
type RatedLeg struct {
	ID            int64   `db:"id"`
	DedupKey      string  `db:"dedup_key"`
	ReceivedAt    string  `db:"received_at"`
	UserName      string  `db:"user_name"`
	ClientName    string  `db:"client_name"`
	NASIP         string  `db:"nas_ip"`
	GatewayID     string  `db:"gw_id"`
	CallOrigin    string  `db:"call_origin"`
	CallType      string  `db:"call_type"`
	CallingNumber string  `db:"calling_number"`
	CalledNumber  string  `db:"called_number"`
	ConnectTime   *string `db:"connect_time"`
	CallTime      string  `db:"call_time"`
	DurationS     *int64  `db:"duration_s"`
	PlanID        *int64  `db:"plan_id"`
	CostMicros    *int64  `db:"cost_micros"`
	Currency      *string `db:"currency"`
	RatingStatus  string  `db:"rating_status"`
	Billed        bool    `db:"billed"`
	// AccountID, UserID: the owner the leg was billed to when stored.
	AccountID *int64 `db:"account_id"`
	UserID    *int64 `db:"user_id"`
	// DepartmentID, BranchID: where the leg is reported, kept by re-rating.
	DepartmentID *int64 `db:"department_id"`
	BranchID     *int64 `db:"branch_id"`
	// What re-rating may change, for the summaries to follow.
	Direction     string  `db:"direction"`
	Zone          *string `db:"zone"`
	BilledSeconds *int64  `db:"billed_seconds"`
}

// rating is the part of the stored leg's rating the summaries count.
func (l RatedLeg) rating() cdr.Rating {
	r := cdr.Rating{Direction: l.Direction, Billed: l.Billed, CostMicros: l.CostMicros, BilledSeconds: l.BilledSeconds}
	r.Zone, r.Currency = deref(l.Zone), deref(l.Currency)
	r.UserID, r.DepartmentID, r.BranchID = deref(l.UserID), deref(l.DepartmentID), deref(l.BranchID)
	return r
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Rerating is a stored leg and its new rating.
type Rerating struct {
	Leg    RatedLeg
	Rating cdr.Rating
}

// ParseTime reads a time column as stored.
func ParseTime(s string) (time.Time, error) {
	return time.ParseInLocation(timeLayout, s, time.UTC)
}

// LegsToRerate returns up to limit CDRs with call_time in [from, to) and an
// id above afterID, in id order, so callers can page through a range.
func (db *DB) LegsToRerate(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]RatedLeg, error) {
	var legs []RatedLeg
	return legs, db.SelectContext(ctx, &legs, `SELECT id, dedup_key, received_at, user_name, client_name, nas_ip, gw_id, call_origin, call_type, calling_number,
		called_number, connect_time, call_time, duration_s, plan_id, cost_micros, currency, rating_status, billed, account_id, user_id,
		department_id, branch_id, direction, zone, billed_seconds FROM cdr
		WHERE call_time >= ? AND call_time < ? AND id > ? ORDER BY id LIMIT ?`, formatTime(from), formatTime(to), afterID, limit)
}

// UpdateRatingsTx stores new ratings of CDRs in tx and moves their figures
// in the summaries from the old rating's group to the new one's. The owner
// a CDR was billed to, and its department and branch, stay.
func UpdateRatingsTx(ctx context.Context, tx *sqlx.Tx, ratings []Rerating) error {
	var facts []legFacts
	lo, hi := "9999-12-31", "0000-01-01"
	for _, u := range ratings {
		callTime, err := ParseTime(u.Leg.CallTime)
		if err != nil {
			return err
		}
		old, r := u.Leg.rating(), u.Rating
		r.UserID, r.DepartmentID, r.BranchID = old.UserID, old.DepartmentID, old.BranchID
		if old.Billed {
			f := factsOf(callTime, u.Leg.ClientName, u.Leg.DurationS, &old)
			f.sign = -1
			facts = append(facts, f)
		}
		if r.Billed {
			facts = append(facts, factsOf(callTime, u.Leg.ClientName, u.Leg.DurationS, &r))
		}
		day := callTime.UTC().Format(time.DateOnly)
		lo, hi = min(lo, day), max(hi, day)
	}
	rolledUpTo := func(late int64) (string, error) { return lockRollup(ctx, tx, late) }
	err := addToSummaries(tx.DriverName(), 0, facts, time.Now(), rolledUpTo, func(query string, args []any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return err
	}
	if len(facts) > 0 {
		if err := dropEmptySummaries(ctx, tx, lo, hi); err != nil {
			return err
		}
	}
	for _, u := range ratings {
		id, r := u.Leg.ID, u.Rating
		if _, err := tx.ExecContext(ctx, `UPDATE cdr SET rating_status = ?, calling_number_norm = ?, called_number_norm = ?,
			direction = ?, billed = ?, plan_id = ?, zone = ?, prefix = ?, billed_seconds = ?, cost_micros = ?, currency = ?,
			rating_detail = ?, rated_at = ? WHERE id = ?`,
			r.Status, r.CallingNorm, r.CalledNorm, r.Direction, r.Billed, nullInt(r.PlanID), nullString(r.Zone), nullString(r.Prefix),
			nullInt(r.BilledSeconds), nullInt(r.CostMicros), nullString(r.Currency), nullString(r.Detail), nullTime(r.RatedAt), id); err != nil {
			return err
		}
	}
	return nil
}
