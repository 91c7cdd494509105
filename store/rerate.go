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
		called_number, connect_time, call_time, duration_s, plan_id, cost_micros, currency, rating_status, billed, account_id, user_id FROM cdr
		WHERE call_time >= ? AND call_time < ? AND id > ? ORDER BY id LIMIT ?`, formatTime(from), formatTime(to), afterID, limit)
}

// UpdateRatingsTx stores new ratings of CDRs (id → rating) in tx. The
// owner a CDR was billed to stays.
func UpdateRatingsTx(ctx context.Context, tx *sqlx.Tx, ratings map[int64]cdr.Rating) error {
	for id, r := range ratings {
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
