package store

import (
	"context"
	"errors"
	"fmt"
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
	// Charges are the leg's stored clearinghouse charges priced again
	// (LegCharges), one per stored rate type.
	Charges []cdr.PartnerCharge
}

// LegCharges returns the stored clearinghouse charges of the legs with
// these dedup keys, by key.
func (db *DB) LegCharges(ctx context.Context, dedupKeys []string) (map[string][]cdr.PartnerCharge, error) {
	out := map[string][]cdr.PartnerCharge{}
	for len(dedupKeys) > 0 {
		part := dedupKeys[:min(len(dedupKeys), 500)]
		dedupKeys = dedupKeys[len(part):]
		query, args, err := sqlx.In(`SELECT dedup_key, partner_id, rate_type, hop, plan_id, zone, band, duration_s, billed_seconds, amount_micros,
			currency, rating_status FROM leg_charge WHERE dedup_key IN (?) ORDER BY dedup_key, rate_type`, part)
		if err != nil {
			return nil, err
		}
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key string
			var c cdr.PartnerCharge
			if err := rows.Scan(&key, &c.PartnerID, &c.RateType, &c.Hop, &c.PlanID, &c.Zone, &c.Band, &c.DurationSeconds, &c.BilledSeconds,
				&c.AmountMicros, &c.Currency, &c.Status); err != nil {
				rows.Close()
				return nil, err
			}
			out[key] = append(out[key], c)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ErrSettledCurrency refuses re-pricing a settled charge in another
// currency: its difference could not be stated in the one it was settled in.
var ErrSettledCurrency = errors.New("the charge was settled in another currency")

// rechargeTx stores a re-rated leg's charges: a charge no closed statement
// has settled takes its new price; a settled one stays as it was, and the
// difference between its new price and what was settled (with earlier
// settled adjustments) becomes its one open adjustment, for the next
// statement run.
func rechargeTx(ctx context.Context, tx *sqlx.Tx, dedupKey string, charges []cdr.PartnerCharge, now time.Time) error {
	for _, c := range charges {
		var stored struct {
			ID          int64  `db:"id"`
			Amount      *int64 `db:"amount_micros"`
			Seconds     int64  `db:"billed_seconds"`
			Currency    string `db:"currency"`
			StatementID *int64 `db:"statement_id"`
		}
		if err := tx.GetContext(ctx, &stored, "SELECT id, amount_micros, billed_seconds, currency, statement_id FROM leg_charge WHERE dedup_key = ? AND rate_type = ?",
			dedupKey, c.RateType); err != nil {
			return fmt.Errorf("charge %s of %s: %w", c.RateType, dedupKey, err)
		}
		if stored.StatementID == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE leg_charge SET plan_id = ?, zone = ?, band = ?, billed_seconds = ?, amount_micros = ?, currency = ?,
				rating_status = ? WHERE id = ?`, c.PlanID, c.Zone, c.Band, c.BilledSeconds, nullInt(c.AmountMicros), c.Currency, c.Status, stored.ID); err != nil {
				return err
			}
			continue
		}
		if c.AmountMicros != nil && c.Currency != stored.Currency {
			return fmt.Errorf("re-pricing charge %s of %s in %s: %w (%s)", c.RateType, dedupKey, c.Currency, ErrSettledCurrency, stored.Currency)
		}
		var settled struct {
			Amount  int64 `db:"amount"`
			Seconds int64 `db:"seconds"`
		}
		if err := tx.GetContext(ctx, &settled, `SELECT COALESCE(SUM(amount_micros), 0) AS amount, COALESCE(SUM(billed_seconds), 0) AS seconds
			FROM leg_charge_adjustment WHERE charge_id = ? AND statement_id IS NOT NULL`, stored.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM leg_charge_adjustment WHERE charge_id = ? AND statement_id IS NULL", stored.ID); err != nil {
			return err
		}
		amount, seconds := -settled.Amount-deref(stored.Amount), c.BilledSeconds-stored.Seconds-settled.Seconds
		if c.AmountMicros != nil {
			amount += *c.AmountMicros
		}
		if amount == 0 && seconds == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO leg_charge_adjustment (charge_id, created_at, plan_id, zone, band, billed_seconds, amount_micros,
			rating_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, stored.ID, formatTime(now), c.PlanID, c.Zone, c.Band, seconds, amount, c.Status); err != nil {
			return err
		}
	}
	return nil
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
		if err := rechargeTx(ctx, tx, u.Leg.DedupKey, u.Charges, time.Now()); err != nil {
			return err
		}
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
