package store

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"
)

// CDR is one stored call leg as cdr list shows it. Times are UTC text.
type CDR struct {
	ID              int64   `db:"id"`
	CallTime        string  `db:"call_time"`
	ClientName      string  `db:"client_name"`
	NASIP           string  `db:"nas_ip"`
	AcctSessionID   string  `db:"acct_session_id"`
	ConfID          string  `db:"conf_id"`
	CallOrigin      string  `db:"call_origin"`
	CallType        string  `db:"call_type"`
	CallingNumber   string  `db:"calling_number"`
	CalledNumber    string  `db:"called_number"`
	CalledNorm      string  `db:"called_number_norm"`
	SetupTime       *string `db:"setup_time"`
	ConnectTime     *string `db:"connect_time"`
	DisconnectTime  *string `db:"disconnect_time"`
	DurationS       *int64  `db:"duration_s"`
	DisconnectCause *int64  `db:"disconnect_cause"`
	GatewayID       string  `db:"gw_id"`
	ClockUnsynced   bool    `db:"clock_unsynced"`
	ParseErrors     string  `db:"parse_errors"`
	Direction       string  `db:"direction"`
	Billed          bool    `db:"billed"`
	Zone            *string `db:"zone"`
	CostMicros      *int64  `db:"cost_micros"`
	Currency        *string `db:"currency"`
	RatingStatus    string  `db:"rating_status"`
	Plan            *string `db:"plan"`
	// Account is the prepaid card's number, UserID and UserName the
	// enterprise user the leg was billed to; empty when it has no owner.
	Account  *string `db:"account"`
	UserID   *int64  `db:"user_id"`
	UserName *string `db:"user_name"`
	// Department and Branch name where the leg is reported.
	Department *string `db:"department"`
	Branch     *string `db:"branch"`
}

// CDRFilter selects CDRs. Zero fields do not filter.
type CDRFilter struct {
	From, To time.Time // call_time in [From, To)
	// Number matches calling or called numbers that start with it.
	Number string
	Limit  int
	// Branches, when not nil, keeps only legs reported in these branches
	// (a branch manager's scope); empty keeps none.
	Branches []int64
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
	if f.Branches != nil {
		ids := make([]string, len(f.Branches))
		for i, id := range f.Branches {
			ids[i] = strconv.FormatInt(id, 10)
		}
		where = append(where, "c.branch_id IN ("+cmp.Or(strings.Join(ids, ", "), "NULL")+")")
	}
	q := `SELECT c.id, c.call_time, c.client_name, c.nas_ip, c.acct_session_id, c.conf_id, c.call_origin, c.call_type,
		c.calling_number, c.called_number, c.called_number_norm, c.setup_time, c.connect_time, c.disconnect_time, c.duration_s,
		c.disconnect_cause, c.gw_id, c.clock_unsynced, c.parse_errors, c.direction, c.billed, c.zone, c.cost_micros, c.currency,
		c.rating_status, c.plan_id, a.account_number AS account, c.user_id, c.department_id, c.branch_id
		FROM cdr c LEFT JOIN prepaid_account a ON a.id = c.account_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.call_time, c.id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	// Plans, users, departments and branches are named from maps read
	// first: joining them cost a third of an export's time. Cards, which
	// may be millions, stay joined.
	names := map[string]map[int64]*string{}
	for _, table := range []string{"tariff_plan", "enterprise_user", "department", "branch"} {
		byID, err := db.namesOf(ctx, table)
		if err != nil {
			return err
		}
		names[table] = byID
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var c CDR
	var plan, department, branch *int64
	// Scanned by hand, in the SELECT's order: reflection (StructScan) was
	// a fifth of an export's time.
	fields := []any{&c.ID, &c.CallTime, &c.ClientName, &c.NASIP, &c.AcctSessionID, &c.ConfID, &c.CallOrigin, &c.CallType,
		&c.CallingNumber, &c.CalledNumber, &c.CalledNorm, &c.SetupTime, &c.ConnectTime, &c.DisconnectTime, &c.DurationS,
		&c.DisconnectCause, &c.GatewayID, &c.ClockUnsynced, &c.ParseErrors, &c.Direction, &c.Billed, &c.Zone, &c.CostMicros, &c.Currency,
		&c.RatingStatus, &plan, &c.Account, &c.UserID, &department, &branch}
	name := func(table string, id *int64) *string {
		if id == nil {
			return nil
		}
		return names[table][*id]
	}
	for rows.Next() {
		c, plan, department, branch = CDR{}, nil, nil, nil
		if err := rows.Scan(fields...); err != nil {
			return err
		}
		c.Plan, c.UserName = name("tariff_plan", plan), name("enterprise_user", c.UserID)
		c.Department, c.Branch = name("department", department), name("branch", branch)
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// namesOf maps the ids of a table's rows to their names.
func (db *DB) namesOf(ctx context.Context, table string) (map[int64]*string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, name FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[int64]*string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = &name
	}
	return names, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
