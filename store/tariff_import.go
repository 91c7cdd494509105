package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/rating"
)

// ImportTariffs makes data the tariff in force, in one transaction:
// prefixes, bands, band rules, holidays, rates and tiers are replaced
// entirely; plans and zones are matched by name and updated in place (they
// are never deleted, because CDRs and gateways refer to them). The IDs in
// data only link its rows to each other. The result is validated with
// rating.Build before commit, so an import that would leave an invalid
// tariff changes nothing. tariff_version is bumped so running servers reload.
// The translation rules stay as they are.
func (db *DB) ImportTariffs(ctx context.Context, data rating.TariffData) error {
	return db.ImportTariffsAndRules(ctx, data, nil)
}

// ImportTariffsAndRules is ImportTariffs that also replaces every
// translation rule with rules (validated with normalize.Compile), unless
// rules is nil.
func (db *DB) ImportTariffsAndRules(ctx context.Context, data rating.TariffData, rules []normalize.Rule) error {
	if rules != nil {
		if _, err := normalize.Compile(rules); err != nil {
			return err
		}
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	im := importer{ctx: ctx, tx: tx, driver: db.Driver, plan: map[int64]int64{}, zone: map[int64]int64{}, band: map[int64]int64{}}
	for _, table := range []string{"rate_tier", "rate", "holiday", "time_band_rule", "time_band", "zone_prefix"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}
	steps := []func(rating.TariffData) error{im.plans, im.zones, im.prefixes, im.bands, im.bandRules, im.holidays, im.rates}
	for _, step := range steps {
		if err := step(data); err != nil {
			return err
		}
	}
	stored, err := loadTariffs(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := rating.Build(stored); err != nil {
		return fmt.Errorf("the imported tariff is not valid: %w", err)
	}
	if rules != nil {
		if _, err := tx.ExecContext(ctx, "DELETE FROM translation_rule"); err != nil {
			return err
		}
		for _, r := range rules {
			if _, err := insertRule(ctx, tx, r); err != nil {
				return err
			}
		}
		if err := history.RecordKey(ctx, tx, "translation_rules", "", history.Update); err != nil {
			return err
		}
	}
	if err := history.RecordKey(ctx, tx, "tariff", "", history.Update); err != nil {
		return err
	}
	if err := bumpTariffVersion(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

type importer struct {
	ctx    context.Context
	tx     *sqlx.Tx
	driver string
	// IDs in the imported data → IDs in the database.
	plan, zone, band map[int64]int64
}

// upsertByName updates the row called name or inserts it, returning its id.
func (im *importer) upsertByName(table, name string, cols []string, values []any) (int64, error) {
	var id int64
	err := im.tx.GetContext(im.ctx, &id, "SELECT id FROM "+table+" WHERE name = ?", name)
	switch {
	case err == nil:
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = ?"
		}
		_, err = im.tx.ExecContext(im.ctx, "UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE id = ?", append(values, id)...)
		return id, err
	case isNoRows(err):
		return im.insert(table, append([]string{"name"}, cols...), append([]any{name}, values...))
	}
	return 0, err
}

func (im *importer) insert(table string, cols []string, values []any) (int64, error) {
	res, err := im.tx.ExecContext(im.ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES "+placeholders(1, len(cols)), values...)
	if err != nil {
		return 0, fmt.Errorf("insert into %s: %w", table, err)
	}
	return res.LastInsertId()
}

// insertMany writes rows in multi-row statements (a million prefixes is a
// normal tariff).
func (im *importer) insertMany(table string, cols []string, rows [][]any) error {
	const perStatement = 500
	for start := 0; start < len(rows); start += perStatement {
		chunk := rows[start:min(start+perStatement, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := im.tx.ExecContext(im.ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES "+placeholders(len(chunk), len(cols)), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (im *importer) plans(data rating.TariffData) error {
	for _, p := range data.Plans {
		id, err := im.upsertByName("tariff_plan", p.Name,
			[]string{"currency", "time_zone", "rounding", "rounding_decimals", "band_policy", "connect_fee_on_unanswered"},
			[]any{p.Currency, p.TimeZone, p.Rounding.String(), p.RoundingDecimals, p.BandPolicy.String(), p.ConnectFeeOnUnanswered})
		if err != nil {
			return fmt.Errorf("plan %q: %w", p.Name, err)
		}
		im.plan[p.ID] = id
	}
	return nil
}

func (im *importer) zones(data rating.TariffData) error {
	for _, z := range data.Zones {
		id, err := im.upsertByName("zone", z.Name, []string{"description"}, []any{z.Description})
		if err != nil {
			return fmt.Errorf("zone %q: %w", z.Name, err)
		}
		im.zone[z.ID] = id
	}
	return nil
}

func (im *importer) prefixes(data rating.TariffData) error {
	rows := make([][]any, len(data.Prefixes))
	for i, p := range data.Prefixes {
		rows[i] = []any{p.Digits, im.zone[p.ZoneID]}
	}
	return im.insertMany("zone_prefix", []string{"digits", "zone_id"}, rows)
}

func (im *importer) bands(data rating.TariffData) error {
	for _, b := range data.Bands {
		id, err := im.insert("time_band", []string{"plan_id", "name"}, []any{im.plan[b.PlanID], b.Name})
		if err != nil {
			return fmt.Errorf("band %q: %w", b.Name, err)
		}
		im.band[b.ID] = id
	}
	return nil
}

func (im *importer) bandRules(data rating.TariffData) error {
	rows := make([][]any, len(data.BandRules))
	for i, r := range data.BandRules {
		rows[i] = []any{im.band[r.BandID], r.Days.String(), r.From.String(), r.To.String()}
	}
	return im.insertMany("time_band_rule", []string{"band_id", "days", "time_from", "time_to"}, rows)
}

func (im *importer) holidays(data rating.TariffData) error {
	rows := make([][]any, len(data.Holidays))
	for i, h := range data.Holidays {
		rows[i] = []any{im.plan[h.PlanID], h.Date.String(), im.band[h.BandID]}
	}
	return im.insertMany("holiday", []string{"plan_id", "day", "band_id"}, rows)
}

func (im *importer) rates(data rating.TariffData) error {
	for _, r := range data.Rates {
		id, err := im.insert("rate", []string{"plan_id", "zone_id", "band_id", "direction", "valid_from", "valid_to",
			"connect_fee_micros", "min_duration_s", "first_increment_s", "next_increment_s", "max_cost_micros"},
			[]any{im.plan[r.PlanID], im.zone[r.ZoneID], im.band[r.BandID], r.Direction.String(), nullableTime(r.ValidFrom), nullableTime(r.ValidTo),
				int64(r.ConnectFee), r.MinDuration, r.FirstIncrement, r.NextIncrement, int64(r.MaxCost)})
		if err != nil {
			return err
		}
		tiers := make([][]any, len(r.Tiers))
		for i, t := range r.Tiers {
			tiers[i] = []any{id, t.FromSecond, int64(t.PricePerMinute)}
		}
		if err := im.insertMany("rate_tier", []string{"rate_id", "from_second", "price_per_minute_micros"}, tiers); err != nil {
			return err
		}
	}
	return nil
}
