package store

import (
	"context"
	"strings"
	"time"
)

// CDR is one stored call leg as the admin CLI shows it. Times are UTC text.
type CDR struct {
	ID              int64   `db:"id" json:"id"`
	CallTime        string  `db:"call_time" json:"call_time"`
	ClientName      string  `db:"client_name" json:"client"`
	NASIP           string  `db:"nas_ip" json:"nas_ip"`
	AcctSessionID   string  `db:"acct_session_id" json:"acct_session_id"`
	ConfID          string  `db:"conf_id" json:"conf_id"`
	CallOrigin      string  `db:"call_origin" json:"call_origin"`
	CallType        string  `db:"call_type" json:"call_type"`
	CallingNumber   string  `db:"calling_number" json:"calling_number"`
	CalledNumber    string  `db:"called_number" json:"called_number"`
	CalledNorm      string  `db:"called_number_norm" json:"called_number_norm"`
	SetupTime       *string `db:"setup_time" json:"setup_time"`
	ConnectTime     *string `db:"connect_time" json:"connect_time"`
	DisconnectTime  *string `db:"disconnect_time" json:"disconnect_time"`
	DurationS       *int64  `db:"duration_s" json:"duration_s"`
	DisconnectCause *int64  `db:"disconnect_cause" json:"disconnect_cause"`
	GatewayID       string  `db:"gw_id" json:"gw_id"`
	ClockUnsynced   bool    `db:"clock_unsynced" json:"clock_unsynced"`
	ParseErrors     string  `db:"parse_errors" json:"parse_errors"`
	Direction       string  `db:"direction" json:"direction"`
	Billed          bool    `db:"billed" json:"billed"`
	Zone            *string `db:"zone" json:"zone"`
	CostMicros      *int64  `db:"cost_micros" json:"cost_micros"`
	Currency        *string `db:"currency" json:"currency"`
	RatingStatus    string  `db:"rating_status" json:"rating_status"`
}

// CDRFilter selects CDRs. Zero fields do not filter.
type CDRFilter struct {
	From, To time.Time // call_time in [From, To)
	// Number matches calling or called numbers that start with it.
	Number string
	Limit  int
}

// ListCDRs returns matching CDRs, oldest call first.
func (db *DB) ListCDRs(ctx context.Context, f CDRFilter) ([]CDR, error) {
	var where []string
	var args []any
	if !f.From.IsZero() {
		where = append(where, "call_time >= ?")
		args = append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "call_time < ?")
		args = append(args, formatTime(f.To))
	}
	if f.Number != "" {
		like := escapeLike(f.Number) + "%"
		where = append(where, `(calling_number LIKE ? ESCAPE '!' OR called_number LIKE ? ESCAPE '!')`)
		args = append(args, like, like)
	}
	q := `SELECT id, call_time, client_name, nas_ip, acct_session_id, conf_id, call_origin, call_type,
		calling_number, called_number, called_number_norm, setup_time, connect_time, disconnect_time, duration_s, disconnect_cause,
		gw_id, clock_unsynced, parse_errors, direction, billed, zone, cost_micros, currency, rating_status FROM cdr`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY call_time, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var out []CDR
	return out, db.SelectContext(ctx, &out, q, args...)
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
