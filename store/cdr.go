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
	Plan            *string `db:"plan" json:"plan"`
	// Account is the prepaid card's number, UserID and UserName the
	// enterprise user the leg was billed to; empty when it has no owner.
	Account  *string `db:"account" json:"account"`
	UserID   *int64  `db:"user_id" json:"user_id"`
	UserName *string `db:"user_name" json:"user_name"`
	// Department ("Branch/Department") and Branch the leg is reported under.
	Department *string `db:"department" json:"department"`
	Branch     *string `db:"branch" json:"branch"`
}

// CDRFilter selects CDRs. Zero fields do not filter.
type CDRFilter struct {
	From, To time.Time // call_time in [From, To)
	// Number matches calling or called numbers that start with it.
	Number string
	Limit  int
}

// EachCDR calls fn with each matching CDR, oldest call first, reading
// them one at a time: a listing of millions holds one in memory.
func (db *DB) EachCDR(ctx context.Context, f CDRFilter, fn func(*CDR) error) error {
	var where []string
	var args []any
	if !f.From.IsZero() {
		where = append(where, "c.call_time >= ?")
		args = append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.call_time < ?")
		args = append(args, formatTime(f.To))
	}
	if f.Number != "" {
		like := escapeLike(f.Number) + "%"
		where = append(where, `(c.calling_number LIKE ? ESCAPE '!' OR c.called_number LIKE ? ESCAPE '!')`)
		args = append(args, like, like)
	}
	q := `SELECT c.id, c.call_time, c.client_name, c.nas_ip, c.acct_session_id, c.conf_id, c.call_origin, c.call_type,
		c.calling_number, c.called_number, c.called_number_norm, c.setup_time, c.connect_time, c.disconnect_time, c.duration_s,
		c.disconnect_cause, c.gw_id, c.clock_unsynced, c.parse_errors, c.direction, c.billed, c.zone, c.cost_micros, c.currency,
		c.rating_status, p.name AS plan, a.account_number AS account, c.user_id, u.name AS user_name,
		d.name AS department, b.name AS branch
		FROM cdr c LEFT JOIN tariff_plan p ON p.id = c.plan_id LEFT JOIN prepaid_account a ON a.id = c.account_id
		LEFT JOIN enterprise_user u ON u.id = c.user_id LEFT JOIN department d ON d.id = c.department_id
		LEFT JOIN branch b ON b.id = c.branch_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.call_time, c.id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := db.QueryxContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var c CDR
	for rows.Next() {
		c = CDR{}
		if err := rows.StructScan(&c); err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
