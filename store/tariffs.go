package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/rating"
)

// queryer is what loading needs: the database or a transaction.
type queryer interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// LoadTariffs reads every tariff table into the rating model.
func (db *DB) LoadTariffs(ctx context.Context) (rating.TariffData, error) {
	return loadTariffs(ctx, db)
}

func loadTariffs(ctx context.Context, q queryer) (rating.TariffData, error) {
	var data rating.TariffData
	var plans []struct {
		ID                     int64  `db:"id"`
		Name                   string `db:"name"`
		Currency               string `db:"currency"`
		TimeZone               string `db:"time_zone"`
		Rounding               string `db:"rounding"`
		RoundingDecimals       int    `db:"rounding_decimals"`
		BandPolicy             string `db:"band_policy"`
		ConnectFeeOnUnanswered bool   `db:"connect_fee_on_unanswered"`
	}
	if err := q.SelectContext(ctx, &plans, "SELECT id, name, currency, time_zone, rounding, rounding_decimals, band_policy, connect_fee_on_unanswered FROM tariff_plan ORDER BY id"); err != nil {
		return data, err
	}
	for _, p := range plans {
		rounding, err := rating.ParseRoundingMode(p.Rounding)
		if err != nil {
			return data, fmt.Errorf("tariff_plan id %d: %w", p.ID, err)
		}
		policy, err := rating.ParseBandPolicy(p.BandPolicy)
		if err != nil {
			return data, fmt.Errorf("tariff_plan id %d: %w", p.ID, err)
		}
		data.Plans = append(data.Plans, rating.Plan{ID: p.ID, Name: p.Name, Currency: p.Currency, TimeZone: p.TimeZone,
			Rounding: rounding, RoundingDecimals: p.RoundingDecimals, BandPolicy: policy, ConnectFeeOnUnanswered: p.ConnectFeeOnUnanswered})
	}
	if err := q.SelectContext(ctx, &data.Zones, "SELECT id AS id, name AS name, description AS description FROM zone ORDER BY id"); err != nil {
		return data, err
	}
	if err := q.SelectContext(ctx, &data.Prefixes, "SELECT id, digits, zone_id AS zoneid FROM zone_prefix ORDER BY id"); err != nil {
		return data, err
	}
	if err := q.SelectContext(ctx, &data.Bands, "SELECT id, plan_id AS planid, name FROM time_band ORDER BY id"); err != nil {
		return data, err
	}
	var rules []struct {
		ID     int64  `db:"id"`
		BandID int64  `db:"band_id"`
		Days   string `db:"days"`
		From   string `db:"time_from"`
		To     string `db:"time_to"`
	}
	if err := q.SelectContext(ctx, &rules, "SELECT id, band_id, days, time_from, time_to FROM time_band_rule ORDER BY id"); err != nil {
		return data, err
	}
	for _, r := range rules {
		days, err := rating.ParseWeekdays(r.Days)
		if err != nil {
			return data, fmt.Errorf("time_band_rule id %d: %w", r.ID, err)
		}
		from, err := rating.ParseTimeOfDay(r.From)
		if err != nil {
			return data, fmt.Errorf("time_band_rule id %d: %w", r.ID, err)
		}
		to, err := rating.ParseTimeOfDay(r.To)
		if err != nil {
			return data, fmt.Errorf("time_band_rule id %d: %w", r.ID, err)
		}
		data.BandRules = append(data.BandRules, rating.BandRule{ID: r.ID, BandID: r.BandID, Days: days, From: from, To: to})
	}
	var holidays []struct {
		ID     int64  `db:"id"`
		PlanID int64  `db:"plan_id"`
		Day    string `db:"day"`
		BandID int64  `db:"band_id"`
	}
	if err := q.SelectContext(ctx, &holidays, "SELECT id, plan_id, day, band_id FROM holiday ORDER BY id"); err != nil {
		return data, err
	}
	for _, h := range holidays {
		day, err := rating.ParseDate(h.Day)
		if err != nil {
			return data, fmt.Errorf("holiday id %d: %w", h.ID, err)
		}
		data.Holidays = append(data.Holidays, rating.Holiday{ID: h.ID, PlanID: h.PlanID, Date: day, BandID: h.BandID})
	}
	var rates []struct {
		ID             int64          `db:"id"`
		PlanID         int64          `db:"plan_id"`
		ZoneID         int64          `db:"zone_id"`
		BandID         int64          `db:"band_id"`
		Direction      string         `db:"direction"`
		ValidFrom      sql.NullString `db:"valid_from"`
		ValidTo        sql.NullString `db:"valid_to"`
		ConnectFee     int64          `db:"connect_fee_micros"`
		MinDuration    int            `db:"min_duration_s"`
		FirstIncrement int            `db:"first_increment_s"`
		NextIncrement  int            `db:"next_increment_s"`
		MaxCost        int64          `db:"max_cost_micros"`
	}
	if err := q.SelectContext(ctx, &rates, `SELECT id, plan_id, zone_id, band_id, direction, valid_from, valid_to, connect_fee_micros,
		min_duration_s, first_increment_s, next_increment_s, max_cost_micros FROM rate ORDER BY id`); err != nil {
		return data, err
	}
	var tiers []struct {
		RateID int64 `db:"rate_id"`
		From   int   `db:"from_second"`
		Price  int64 `db:"price_per_minute_micros"`
	}
	if err := q.SelectContext(ctx, &tiers, "SELECT rate_id, from_second, price_per_minute_micros FROM rate_tier ORDER BY rate_id, from_second"); err != nil {
		return data, err
	}
	tiersOf := map[int64][]rating.Tier{}
	for _, t := range tiers {
		tiersOf[t.RateID] = append(tiersOf[t.RateID], rating.Tier{FromSecond: t.From, PricePerMinute: rating.Money(t.Price)})
	}
	for _, r := range rates {
		direction, err := rating.ParseDirection(r.Direction)
		if err != nil {
			return data, fmt.Errorf("rate id %d: %w", r.ID, err)
		}
		from, err := parseStoredTime(r.ValidFrom)
		if err != nil {
			return data, fmt.Errorf("rate id %d: valid_from: %w", r.ID, err)
		}
		to, err := parseStoredTime(r.ValidTo)
		if err != nil {
			return data, fmt.Errorf("rate id %d: valid_to: %w", r.ID, err)
		}
		data.Rates = append(data.Rates, rating.Rate{ID: r.ID, PlanID: r.PlanID, ZoneID: r.ZoneID, BandID: r.BandID, Direction: direction,
			ValidFrom: from, ValidTo: to, ConnectFee: rating.Money(r.ConnectFee), MinDuration: r.MinDuration,
			FirstIncrement: r.FirstIncrement, NextIncrement: r.NextIncrement, Tiers: tiersOf[r.ID], MaxCost: rating.Money(r.MaxCost)})
	}
	return data, nil
}

func parseStoredTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{timeLayout, time.DateTime, time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s.String, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD[ HH:MM:SS[.mmm]]", s.String)
}

func nullableTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

// Gateway is the billing policy of one NAS client (table gateway).
type Gateway struct {
	ClientName        string        `db:"client_name"`
	DefaultPlanID     sql.NullInt64 `db:"default_plan_id"`
	BillVoIPOriginate bool          `db:"bill_voip_originate"`
	BranchID          sql.NullInt64 `db:"branch_id"`
}

// LoadGateways reads the per-gateway billing policy.
func (db *DB) LoadGateways(ctx context.Context) ([]Gateway, error) {
	var gws []Gateway
	return gws, db.SelectContext(ctx, &gws, "SELECT client_name, default_plan_id, bill_voip_originate, branch_id FROM gateway ORDER BY client_name")
}

// LoadTranslationRules reads the number translation rules.
func (db *DB) LoadTranslationRules(ctx context.Context) ([]normalize.Rule, error) {
	var rows []struct {
		ID          int64  `db:"id"`
		Position    int    `db:"position"`
		Gateway     string `db:"gateway"`
		Direction   string `db:"direction"`
		Kind        string `db:"kind"`
		Match       string `db:"match_text"`
		Replace     string `db:"replace_text"`
		MinLength   int    `db:"min_length"`
		MaxLength   int    `db:"max_length"`
		Final       bool   `db:"final"`
		Description string `db:"description"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT id, position, gateway, direction, kind, match_text, replace_text,
		min_length, max_length, final, description FROM translation_rule ORDER BY position, id`); err != nil {
		return nil, err
	}
	rules := make([]normalize.Rule, len(rows))
	for i, r := range rows {
		rules[i] = normalize.Rule{ID: r.ID, Position: r.Position, Gateway: r.Gateway, Direction: normalize.Direction(r.Direction),
			Kind: normalize.Kind(r.Kind), Match: r.Match, Replace: r.Replace, MinLength: r.MinLength, MaxLength: r.MaxLength,
			Final: r.Final, Description: r.Description}
	}
	return rules, nil
}

// TariffVersion returns the counter that every tariff change bumps.
func (db *DB) TariffVersion(ctx context.Context) (int64, error) {
	var v int64
	return v, db.QueryRowContext(ctx, "SELECT version FROM tariff_version WHERE id = 1").Scan(&v)
}

// BumpTariffVersion tells every server sharing the database to reload.
func (db *DB) BumpTariffVersion(ctx context.Context) error {
	return bumpTariffVersion(ctx, db.DB)
}

func bumpTariffVersion(ctx context.Context, ex sqlx.ExecerContext) error {
	_, err := ex.ExecContext(ctx, "UPDATE tariff_version SET version = version + 1, changed_at = ? WHERE id = 1", formatTime(time.Now()))
	return err
}

// SetGateway creates or updates the billing policy of a NAS client.
// planName "" leaves the gateway without a default plan.
func (db *DB) SetGateway(ctx context.Context, clientName, planName string, billVoIPOriginate bool) error {
	var planID sql.NullInt64
	if planName != "" {
		if err := db.GetContext(ctx, &planID, "SELECT id FROM tariff_plan WHERE name = ?", planName); err != nil {
			if isNoRows(err) {
				return fmt.Errorf("no tariff plan %q", planName)
			}
			return err
		}
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	op, err := EnsureGatewayTx(ctx, tx, clientName)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE gateway SET default_plan_id = ?, bill_voip_originate = ? WHERE client_name = ?", planID, billVoIPOriginate, clientName); err != nil {
		return err
	}
	if err := history.RecordKey(ctx, tx, "gateway", clientName, op); err != nil {
		return err
	}
	if err := bumpTariffVersion(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// EnsureGatewayTx creates clientName's gateway row, with no plan, unless
// it exists, and returns what the caller's change of it is for history: an
// update, or the gateway's creation. (An UPDATE's affected-row count
// cannot tell: MySQL counts a row set to the values it had as unchanged.)
func EnsureGatewayTx(ctx context.Context, tx *sqlx.Tx, clientName string) (history.Operation, error) {
	var n int
	if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM gateway WHERE client_name = ?", clientName); err != nil || n > 0 {
		return history.Update, err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO gateway (client_name) VALUES (?)", clientName)
	return history.Create, err
}

// PlanName is a tariff plan's id and name.
type PlanName struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// PlanNames lists the tariff plans in the order they were made, for
// choosing one: without the rest of the tariff, which LoadTariffs reads
// whole.
func (db *DB) PlanNames(ctx context.Context) ([]PlanName, error) {
	var plans []PlanName
	return plans, db.SelectContext(ctx, &plans, "SELECT id, name FROM tariff_plan ORDER BY id")
}

// PlanID returns the id of the plan called name.
func (db *DB) PlanID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := db.GetContext(ctx, &id, "SELECT id FROM tariff_plan WHERE name = ?", name)
	if isNoRows(err) {
		return 0, fmt.Errorf("no tariff plan %q", name)
	}
	return id, err
}

// Owners is who legs are charged to, as rating needs it: every prepaid
// card (by account number and by id) and every enterprise user (by id, and
// by each number that identifies one), and the departments and branches
// legs are reported under.
type Owners struct {
	Cards       map[string]Card // by account number
	CardsByID   map[int64]Card
	UserPlans   map[int64]int64  // user id → plan id
	UserNumbers map[string]int64 // number → user id
	// UserDepartments: user id → department id, for users in one.
	UserDepartments map[int64]int64
	// DepartmentNumbers: number → department id, for numbers a department
	// owns directly (shared phones, fax, reception).
	DepartmentNumbers map[string]int64
	// DepartmentBranches: department id → branch id.
	DepartmentBranches map[int64]int64
}

// Card is a prepaid card as rating sees it.
type Card struct {
	ID     int64  `db:"id"`
	Number string `db:"account_number"`
	PlanID int64  `db:"plan_id"`
}

// LoadOwners reads every card and user with their plans. A user keeps its
// plan here when its numbers have gone: re-rating prices its old calls.
func (db *DB) LoadOwners(ctx context.Context) (Owners, error) {
	var cards []Card
	if err := db.SelectContext(ctx, &cards, "SELECT id, account_number, plan_id FROM prepaid_account"); err != nil {
		return Owners{}, err
	}
	var users []struct {
		ID           int64         `db:"id"`
		PlanID       int64         `db:"plan_id"`
		DepartmentID sql.NullInt64 `db:"department_id"`
	}
	if err := db.SelectContext(ctx, &users, "SELECT id, plan_id, department_id FROM enterprise_user"); err != nil {
		return Owners{}, err
	}
	var numbers []struct {
		Number       string        `db:"number"`
		UserID       sql.NullInt64 `db:"user_id"`
		DepartmentID sql.NullInt64 `db:"department_id"`
	}
	if err := db.SelectContext(ctx, &numbers, "SELECT number, user_id, department_id FROM enterprise_user_number"); err != nil {
		return Owners{}, err
	}
	var departments []struct {
		ID       int64 `db:"id"`
		BranchID int64 `db:"branch_id"`
	}
	if err := db.SelectContext(ctx, &departments, "SELECT id, branch_id FROM department"); err != nil {
		return Owners{}, err
	}
	o := Owners{Cards: make(map[string]Card, len(cards)), CardsByID: make(map[int64]Card, len(cards)),
		UserPlans: make(map[int64]int64, len(users)), UserNumbers: make(map[string]int64, len(numbers)),
		UserDepartments: map[int64]int64{}, DepartmentNumbers: map[string]int64{}, DepartmentBranches: make(map[int64]int64, len(departments))}
	for _, c := range cards {
		o.Cards[c.Number], o.CardsByID[c.ID] = c, c
	}
	for _, u := range users {
		o.UserPlans[u.ID] = u.PlanID
		if u.DepartmentID.Valid {
			o.UserDepartments[u.ID] = u.DepartmentID.Int64
		}
	}
	for _, n := range numbers {
		if n.UserID.Valid {
			o.UserNumbers[n.Number] = n.UserID.Int64
		} else {
			o.DepartmentNumbers[n.Number] = n.DepartmentID.Int64
		}
	}
	for _, d := range departments {
		o.DepartmentBranches[d.ID] = d.BranchID
	}
	return o, nil
}
