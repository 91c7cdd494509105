// Package settlement settles money between the clearinghouse and its
// partners every period (a UTC month): per partner and currency, the legs
// charged under its rate types (leg_charge) added up by rate type, zone
// and band — what we charge it (incoming), what it charges us (outgoing)
// — and the net due with its direction.
//
// A statement is a draft until closed: radbill settlement run replaces
// the period's drafts. Closing stamps the statement's legs with its id and
// stores a SHA-256 of its content, which Verify checks; a closed statement
// never changes. A leg that arrives after its period was closed (a late
// CDR) goes into the next statement run for a period still open as an
// adjustment line that names the original leg; so does a re-rate of a
// settled leg (leg_charge_adjustment: the difference, 0 calls). A line's
// amount is the sum of its legs' own, each rounded by its plan, rounded
// again half away from zero to the decimals the partner's rate type
// declares (partner_rate.statement_decimals; none: not rounded); the
// totals add up the lines, so every statement's lines add up exactly to
// its totals.
package settlement

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrClosed   = errors.New("closed")
	// ErrChanged: a statement whose legs changed since its run (a late
	// leg arrived): run the period again before closing.
	ErrChanged = errors.New("changed since it was run")
	// ErrTampered: a closed statement whose stored content no longer
	// matches its hash.
	ErrTampered = errors.New("content does not match its hash")
)

// Line kinds.
const (
	Usage      = "usage"
	Adjustment = "adjustment"
)

// Line is one line of a statement: a rate type's legs to a zone in a
// band, or one late leg of a closed period.
type Line struct {
	Kind          string `db:"kind"`
	RateType      string `db:"rate_type"`
	Zone          string `db:"zone"`
	Band          string `db:"band"`
	Calls         int64  `db:"calls"`
	BilledSeconds int64  `db:"billed_seconds"`
	Amount        rating.Money
	AmountMicros  int64  `db:"amount_micros"`
	RefersTo      string `db:"refers_to"` // an adjustment's leg (dedup key)
}

// Receivable tells whether the line is owed to us (incoming, base) rather
// than by us (outgoing, egress).
func (l Line) Receivable() bool { return partner.RateType(l.RateType).Revenue() }

// Statement is a partner's statement for a period in one currency.
type Statement struct {
	ID          int64
	PartnerID   int64
	Partner     string
	Period      time.Time // the month's first day, UTC
	Currency    string
	Closed      bool
	Receivable  rating.Money // what the partner owes us
	Payable     rating.Money // what we owe the partner
	ContentHash string
	CreatedAt   time.Time
	ClosedAt    time.Time
	Lines       []Line
}

// Net is Receivable - Payable: positive, the partner pays us; negative,
// we pay the partner.
func (s Statement) Net() rating.Money { return s.Receivable - s.Payable }

// Direction says who pays whom the net.
func (s Statement) Direction() string {
	switch n := s.Net(); {
	case n > 0:
		return s.Partner + " pays us"
	case n < 0:
		return "we pay " + s.Partner
	}
	return "nothing due"
}

// Service runs, closes and reads statements.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service on db.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// group is a statement line as the database adds it up: a rate type's
// legs to a zone in a band, or (RefersTo set) one late leg.
type group struct {
	PartnerID     int64  `db:"partner_id"`
	Currency      string `db:"currency"`
	RateType      string `db:"rate_type"`
	Zone          string `db:"zone"`
	Band          string `db:"band"`
	Calls         int64  `db:"calls"`
	BilledSeconds int64  `db:"billed_seconds"`
	Amount        int64  `db:"amount_micros"`
	RefersTo      string `db:"refers_to"`
	Decimals      *int   `db:"statement_decimals"`
}

// settled is the condition on leg_charge c of the priced legs a statement
// of period settles: the period's legs not in a closed statement (usage)
// and, late, the earlier legs of a period whose statement was closed
// before they came (adjustments). Its arguments are the period's bounds.
func (s *Service) settled(late bool) string {
	base := "c.statement_id IS NULL AND c.amount_micros IS NOT NULL AND "
	if !late {
		return base + "c.call_time >= ? AND c.call_time < ?"
	}
	return base + "c.call_time < ? AND EXISTS (SELECT 1 FROM settlement_statement s WHERE s.partner_id = c.partner_id AND s.currency = c.currency " +
		"AND s.state = 'closed' AND s.period = " + s.monthOf("c.call_time") + ")"
}

// groups adds up what a run of period would settle, per partner (but our
// own network) and currency; partnerID 0: every partner's.
func (s *Service) groups(ctx context.Context, q sqlx.QueryerContext, period time.Time, partnerID int64) ([]group, error) {
	from, to := dbtime.Format(period), dbtime.Format(period.AddDate(0, 1, 0))
	only, args := "", []any{}
	if partnerID != 0 {
		only, args = " AND c.partner_id = ?", []any{partnerID}
	}
	var usage, late, rerated []group
	// The line's rounding, declared on the partner's rate type.
	decimals := "(SELECT pr.statement_decimals FROM partner_rate pr WHERE pr.partner_id = c.partner_id AND pr.rate_type = c.rate_type)"
	err := sqlx.SelectContext(ctx, q, &usage, "SELECT c.partner_id, c.currency, c.rate_type, c.zone, c.band, COUNT(*) AS calls, "+
		"SUM(c.billed_seconds) AS billed_seconds, SUM(c.amount_micros) AS amount_micros, '' AS refers_to, MAX("+decimals+") AS statement_decimals "+
		"FROM leg_charge c JOIN partner p ON p.id = c.partner_id "+
		"WHERE p.own = 0 AND "+s.settled(false)+only+" GROUP BY c.partner_id, c.currency, c.rate_type, c.zone, c.band", append([]any{from, to}, args...)...)
	if err != nil {
		return nil, err
	}
	err = sqlx.SelectContext(ctx, q, &late, "SELECT c.partner_id, c.currency, c.rate_type, c.zone, c.band, 1 AS calls, c.billed_seconds, c.amount_micros, "+
		"c.dedup_key AS refers_to, "+decimals+" AS statement_decimals FROM leg_charge c JOIN partner p ON p.id = c.partner_id WHERE p.own = 0 AND "+
		s.settled(true)+only, append([]any{from}, args...)...)
	if err != nil {
		return nil, err
	}
	err = sqlx.SelectContext(ctx, q, &rerated, "SELECT c.partner_id, c.currency, c.rate_type, a.zone, a.band, 0 AS calls, a.billed_seconds, a.amount_micros, "+
		"c.dedup_key AS refers_to, "+decimals+" AS statement_decimals FROM leg_charge_adjustment a JOIN leg_charge c ON c.id = a.charge_id "+
		"JOIN partner p ON p.id = c.partner_id WHERE p.own = 0 AND "+reratedSettled+only, append([]any{from}, args...)...)
	return append(append(usage, late...), rerated...), err
}

// reratedSettled is the condition on leg_charge_adjustment a of charge c
// of the re-rates of settled legs a statement of a later period settles;
// its argument is the period's first day.
const reratedSettled = "a.statement_id IS NULL AND c.statement_id IS NOT NULL AND c.call_time < ?"

// roundLine rounds a line's amount half away from zero to decimals (0..6)
// of the currency; nil keeps it.
func roundLine(micros int64, decimals *int) int64 {
	if decimals == nil || *decimals >= 6 {
		return micros
	}
	unit := int64(1)
	for range 6 - *decimals {
		unit *= 10
	}
	half, rest := unit/2, micros%unit
	switch {
	case rest >= half:
		return micros - rest + unit
	case rest <= -half:
		return micros - rest - unit
	}
	return micros - rest
}

// monthOf is the SQL for the first day of the month of a time column.
func (s *Service) monthOf(col string) string {
	if s.db.Driver == store.MySQL {
		return "DATE_FORMAT(" + col + ", '%Y-%m-01')"
	}
	return "substr(" + col + ", 1, 7) || '-01'"
}

// statementKey is a partner's statement in a currency.
type statementKey struct {
	partnerID int64
	currency  string
}

// compose makes statements of the groups, their lines in a fixed order.
func compose(groups []group) map[statementKey]*Statement {
	out := map[statementKey]*Statement{}
	for _, g := range groups {
		k := statementKey{g.PartnerID, g.Currency}
		st := out[k]
		if st == nil {
			st = &Statement{PartnerID: g.PartnerID, Currency: g.Currency}
			out[k] = st
		}
		line := Line{Kind: Usage, RateType: g.RateType, Zone: g.Zone, Band: g.Band, Calls: g.Calls, BilledSeconds: g.BilledSeconds,
			Amount: rating.Money(roundLine(g.Amount, g.Decimals)), RefersTo: g.RefersTo}
		if g.RefersTo != "" {
			line.Kind = Adjustment
		}
		if line.Receivable() {
			st.Receivable += line.Amount
		} else {
			st.Payable += line.Amount
		}
		st.Lines = append(st.Lines, line)
	}
	for _, st := range out {
		slices.SortFunc(st.Lines, func(a, b Line) int {
			return cmp.Or(strings.Compare(b.Kind, a.Kind), strings.Compare(a.RateType, b.RateType), strings.Compare(a.Zone, b.Zone),
				strings.Compare(a.Band, b.Band), strings.Compare(a.RefersTo, b.RefersTo))
		})
	}
	return out
}

// Run computes the period's statements (every partner's, or one's) and
// stores them as drafts, replacing the period's earlier drafts. A closed
// statement is left as it is; legs that reach a closed period late go to
// the run's period as adjustments.
func (s *Service) Run(ctx context.Context, period time.Time, partnerID int64) ([]Statement, error) {
	var ids []int64
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		groups, err := s.groups(ctx, tx, period, partnerID)
		if err != nil {
			return err
		}
		drafts := "period = ? AND state = 'draft'"
		args := []any{period.Format(time.DateOnly)}
		if partnerID != 0 {
			drafts += " AND partner_id = ?"
			args = append(args, partnerID)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM settlement_line WHERE statement_id IN (SELECT id FROM settlement_statement WHERE "+drafts+")", args...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM settlement_statement WHERE "+drafts, args...); err != nil {
			return err
		}
		statements := compose(groups)
		keys := make([]statementKey, 0, len(statements))
		for k := range statements {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b statementKey) int {
			return cmp.Or(cmp.Compare(a.partnerID, b.partnerID), strings.Compare(a.currency, b.currency))
		})
		for _, k := range keys {
			st := statements[k]
			var closed int
			if err := tx.GetContext(ctx, &closed, "SELECT COUNT(*) FROM settlement_statement WHERE partner_id = ? AND period = ? AND currency = ?",
				k.partnerID, period.Format(time.DateOnly), k.currency); err != nil {
				return err
			}
			if closed > 0 {
				continue // closed already: its late legs wait for the next period
			}
			res, err := tx.ExecContext(ctx, "INSERT INTO settlement_statement (partner_id, period, currency, receivable_micros, payable_micros, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				k.partnerID, period.Format(time.DateOnly), k.currency, int64(st.Receivable), int64(st.Payable), dbtime.Format(s.now()))
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if err := insertLines(ctx, tx, id, st.Lines); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.statements(ctx, ids)
}

// statements reads the statements ids, in that order.
func (s *Service) statements(ctx context.Context, ids []int64) ([]Statement, error) {
	out := make([]Statement, 0, len(ids))
	for _, id := range ids {
		st, err := s.Statement(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// insertLines stores a statement's lines, many rows a statement.
func insertLines(ctx context.Context, tx *sqlx.Tx, id int64, lines []Line) error {
	const perStatement = 500
	for first := 0; first < len(lines); first += perStatement {
		chunk := lines[first:min(first+perStatement, len(lines))]
		args := make([]any, 0, len(chunk)*10)
		for i, l := range chunk {
			args = append(args, id, first+i+1, l.Kind, l.RateType, l.Zone, l.Band, l.Calls, l.BilledSeconds, int64(l.Amount), l.RefersTo)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO settlement_line (statement_id, line, kind, rate_type, zone, band, calls, billed_seconds, amount_micros, refers_to) VALUES "+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", "), args...); err != nil {
			return err
		}
	}
	return nil
}

// Statement reads a statement with its lines.
func (s *Service) Statement(ctx context.Context, id int64) (Statement, error) {
	return statement(ctx, s.db, id)
}

func statement(ctx context.Context, q sqlx.QueryerContext, id int64) (Statement, error) {
	var row struct {
		ID         int64          `db:"id"`
		PartnerID  int64          `db:"partner_id"`
		Partner    string         `db:"name"`
		Period     string         `db:"period"`
		Currency   string         `db:"currency"`
		State      string         `db:"state"`
		Receivable int64          `db:"receivable_micros"`
		Payable    int64          `db:"payable_micros"`
		Hash       string         `db:"content_hash"`
		CreatedAt  string         `db:"created_at"`
		ClosedAt   sql.NullString `db:"closed_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, "SELECT s.id, s.partner_id, p.name, s.period, s.currency, s.state, s.receivable_micros, s.payable_micros, "+
		"s.content_hash, s.created_at, s.closed_at FROM settlement_statement s JOIN partner p ON p.id = s.partner_id WHERE s.id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return Statement{}, fmt.Errorf("statement %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Statement{}, err
	}
	period, err := time.Parse(time.DateOnly, row.Period[:10])
	if err != nil {
		return Statement{}, err
	}
	created, err := dbtime.Parse(row.CreatedAt)
	if err != nil {
		return Statement{}, err
	}
	closed, err := dbtime.ParseNull(row.ClosedAt)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{ID: row.ID, PartnerID: row.PartnerID, Partner: row.Partner, Period: period, Currency: row.Currency, Closed: row.State == "closed",
		Receivable: rating.Money(row.Receivable), Payable: rating.Money(row.Payable), ContentHash: row.Hash, CreatedAt: created, ClosedAt: closed}
	if err := sqlx.SelectContext(ctx, q, &st.Lines, "SELECT kind, rate_type, zone, band, calls, billed_seconds, amount_micros, refers_to FROM settlement_line WHERE statement_id = ? ORDER BY line", id); err != nil {
		return Statement{}, err
	}
	for i := range st.Lines {
		st.Lines[i].Amount = rating.Money(st.Lines[i].AmountMicros)
	}
	return st, nil
}

// List returns the statements of a period (zero: all), newest first.
func (s *Service) List(ctx context.Context, period time.Time) ([]Statement, error) {
	query, args := "SELECT id FROM settlement_statement", []any{}
	if !period.IsZero() {
		query += " WHERE period = ?"
		args = append(args, period.Format(time.DateOnly))
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, query+" ORDER BY period DESC, partner_id, currency", args...); err != nil {
		return nil, err
	}
	return s.statements(ctx, ids)
}

// Hash is the SHA-256 of a statement's content: partner, period,
// currency, totals and every line.
func Hash(st Statement) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%s|%s|%d|%d\n", st.PartnerID, st.Period.Format("2006-01"), st.Currency, st.Receivable, st.Payable)
	for _, l := range st.Lines {
		fmt.Fprintf(h, "%s|%s|%s|%s|%d|%d|%d|%s\n", l.Kind, l.RateType, l.Zone, l.Band, l.Calls, l.BilledSeconds, l.Amount, l.RefersTo)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Close closes a draft: refused when its legs changed since its run. Its
// legs are stamped with it, so no later run counts them again.
func (s *Service) Close(ctx context.Context, id int64) (Statement, error) {
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		st, err := statement(ctx, tx, id)
		if err != nil {
			return err
		}
		if st.Closed {
			return fmt.Errorf("statement %d: %w", id, ErrClosed)
		}
		groups, err := s.groups(ctx, tx, st.Period, st.PartnerID)
		if err != nil {
			return err
		}
		now := compose(groups)[statementKey{st.PartnerID, st.Currency}]
		if now == nil {
			now = &Statement{}
		}
		now.PartnerID, now.Period, now.Currency = st.PartnerID, st.Period, st.Currency
		if Hash(*now) != Hash(st) {
			return fmt.Errorf("statement %d of %s for %s: %w", id, st.Partner, st.Period.Format("2006-01"), ErrChanged)
		}
		var legs, reratedLines int64
		for _, l := range st.Lines {
			legs += l.Calls
			if l.Kind == Adjustment && l.Calls == 0 {
				reratedLines++
			}
		}
		from, to := dbtime.Format(st.Period), dbtime.Format(st.Period.AddDate(0, 1, 0))
		stamped := int64(0)
		for _, late := range []bool{false, true} {
			args := []any{id, st.PartnerID, st.Currency, from}
			if !late {
				args = append(args, to)
			}
			res, err := tx.ExecContext(ctx, "UPDATE leg_charge SET statement_id = ? WHERE partner_id = ? AND currency = ? AND "+
				strings.ReplaceAll(s.settled(late), "c.", "leg_charge."), args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			stamped += n
		}
		res, err := tx.ExecContext(ctx, "UPDATE leg_charge_adjustment SET statement_id = ? WHERE statement_id IS NULL AND charge_id IN "+
			"(SELECT id FROM leg_charge WHERE partner_id = ? AND currency = ? AND statement_id IS NOT NULL AND call_time < ?)", id, st.PartnerID, st.Currency, from)
		if err != nil {
			return err
		}
		adjusted, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if stamped != legs || adjusted != reratedLines { // a leg or a re-rate came between the check and the stamp
			return fmt.Errorf("statement %d of %s for %s: %w", id, st.Partner, st.Period.Format("2006-01"), ErrChanged)
		}
		_, err = tx.ExecContext(ctx, "UPDATE settlement_statement SET state = 'closed', content_hash = ?, closed_at = ? WHERE id = ?",
			Hash(st), dbtime.Format(s.now()), id)
		return err
	})
	if err != nil {
		return Statement{}, err
	}
	return s.Statement(ctx, id)
}

// Verify checks a closed statement against its hash.
func (s *Service) Verify(ctx context.Context, id int64) error {
	st, err := s.Statement(ctx, id)
	if err != nil {
		return err
	}
	if !st.Closed {
		return fmt.Errorf("statement %d is a draft: nothing to verify", id)
	}
	if got := Hash(st); got != st.ContentHash {
		return fmt.Errorf("statement %d: %w (stored %s, now %s)", id, ErrTampered, st.ContentHash, got)
	}
	return nil
}
