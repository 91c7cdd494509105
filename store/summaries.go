package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/cdr"
)

// Summaries are what reports read instead of cdr, whose two indexes are
// kept for insert speed: the billed legs added up per UTC day and every
// report dimension (cdr_daily), per day and branch (cdr_daily_branch, for
// the dashboard's days), and per month with fewer dimensions
// (cdr_monthly_owner for users, departments and branches,
// cdr_monthly_route for zones and gateways), so that a month's report
// reads a few thousand rows. The writer adds each batch's legs to
// cdr_daily in the batch's transaction, one row per group; the other
// tables are rolled up from it for the days before a watermark
// (RollUpSummaries, summary_rollup), which a report reads cdr_daily from:
// one upsert per batch instead of four. A leg for a day already rolled up
// is added to them by its own batch. Rerate moves a leg's figures from its
// old group to its new one; RebuildSummaries recomputes them.

// A SummaryTable is one summary: its time grain and dimensions.
type SummaryTable struct {
	Name    string
	Monthly bool     // grain: a month (its first day) rather than a day
	Dims    []string // besides the time and the currency
	// RolledUp: the table holds the days before summary_rollup's
	// watermark only; cdr_daily the rest.
	RolledUp bool
}

// SummaryTables are the summaries, the daily one (every dimension, the
// others rolled up from it) first.
var SummaryTables = []SummaryTable{
	{Name: "cdr_daily", Dims: []string{"branch_id", "department_id", "user_id", "zone", "gateway", "direction"}},
	{Name: "cdr_monthly_owner", Monthly: true, RolledUp: true, Dims: []string{"branch_id", "department_id", "user_id", "direction"}},
	{Name: "cdr_monthly_route", Monthly: true, RolledUp: true, Dims: []string{"branch_id", "department_id", "zone", "gateway", "direction"}},
	{Name: "cdr_daily_branch", RolledUp: true, Dims: []string{"branch_id", "direction"}},
}

// RolledUpToSQL is the SQL of the watermark: the rolled-up tables hold every
// billed leg of the days before it. A report compares with it inside its
// statement, which reads the watermark and the tables in one snapshot.
const RolledUpToSQL = "(SELECT rolled_up_to FROM summary_rollup WHERE id = 1)"

// RolledUpTo reads the watermark (YYYY-MM-DD).
func (db *DB) RolledUpTo(ctx context.Context) (string, error) {
	var mark string
	return mark, db.GetContext(ctx, &mark, watermarkQuery(db.Driver, ""))
}

// watermarkQuery selects the watermark as text (MariaDB's DATE would scan
// as a time), with a locking clause for MariaDB.
func watermarkQuery(driver, mysqlLock string) string {
	if driver == MySQL {
		return "SELECT CAST(rolled_up_to AS CHAR) FROM summary_rollup WHERE id = 1" + mysqlLock
	}
	return "SELECT rolled_up_to FROM summary_rollup WHERE id = 1"
}

// rollUpBefore is the day before which RollUpSummaries rolls up at now: the
// day before yesterday, UTC. lateBefore is the day before which a batch
// treats a leg as late (it may be rolled up already): yesterday. The day
// between them allows for servers' clocks a day apart.
func rollUpBefore(now time.Time) string { return now.UTC().AddDate(0, 0, -2).Format(time.DateOnly) }
func lateBefore(now time.Time) string   { return now.UTC().AddDate(0, 0, -1).Format(time.DateOnly) }

// keyColumns are the columns of a group: time, dimensions, currency.
func (t SummaryTable) keyColumns() []string {
	return append(append([]string{t.TimeColumn()}, t.Dims...), "currency")
}

// addMeasures is the SET list of an upsert that adds the new row's
// figures to the stored row's.
func addMeasures(driver string) string {
	set := make([]string, len(SummaryMeasures))
	for i, m := range SummaryMeasures {
		if driver == MySQL {
			set[i] = m + " = " + m + " + VALUES(" + m + ")"
		} else {
			set[i] = m + " = " + m + " + excluded." + m
		}
	}
	return strings.Join(set, ", ")
}

// TimeColumn is the table's time column: day or month.
func (t SummaryTable) TimeColumn() string {
	if t.Monthly {
		return "month"
	}
	return "day"
}

// Has tells whether the table keeps dimension dim.
func (t SummaryTable) Has(dim string) bool { return slices.Contains(t.Dims, dim) }

// SummaryMeasures are the figures each summary row adds up.
var SummaryMeasures = []string{"calls", "answered", "unrated", "billed_seconds", "cost_micros"}

// summaryShards is how many rows a group may have, its figures their sum.
// Consecutive batches — the one committing and the next being written,
// or two writers' — add to different shards, so that the next need not
// wait for the other's commit to update a group they share (and under a
// steady stream most batches share a few groups: today's calls of a
// trunk to its commonest zones). Rerate and rebuild write shard 0.
const summaryShards = 4

// nextShard deals shards to batches in turn, across every writer of the
// process.
var nextShard atomic.Uint32

// legFacts is one billed leg's contribution to the summaries; sign -1
// takes it out again (rerate).
type legFacts struct {
	day                              string // YYYY-MM-DD, UTC
	branchID, departmentID, userID   int64
	zone, gateway, direction, curr   string
	answered, unrated, billedSeconds int64
	costMicros                       int64
	sign                             int64
}

func factsOf(callTime time.Time, clientName string, duration *int64, r *cdr.Rating) legFacts {
	f := legFacts{day: callTime.UTC().Format(time.DateOnly), branchID: r.BranchID, departmentID: r.DepartmentID, userID: r.UserID,
		zone: r.Zone, gateway: clientName, direction: r.Direction, curr: r.Currency, sign: 1}
	if duration != nil && *duration > 0 {
		f.answered = 1
	}
	if r.CostMicros == nil {
		f.unrated = 1
	} else {
		f.costMicros = *r.CostMicros
	}
	if r.BilledSeconds != nil {
		f.billedSeconds = *r.BilledSeconds
	}
	return f
}

// summaryRow is one group of one summary table and its figures.
type summaryRow struct {
	key      groupKey
	measures [5]int64
}

// groupKey is a group of any summary table: the dimensions a table does
// not keep stay zero.
type groupKey struct {
	period                         string
	branchID, departmentID, userID int64
	zone, gateway, direction, curr string
}

// args appends the key's columns in table t's order.
func (k groupKey) args(t SummaryTable, to []any) []any {
	to = append(to, k.period)
	for _, d := range t.Dims {
		switch d {
		case "branch_id":
			to = append(to, k.branchID)
		case "department_id":
			to = append(to, k.departmentID)
		case "user_id":
			to = append(to, k.userID)
		case "zone":
			to = append(to, k.zone)
		case "gateway":
			to = append(to, k.gateway)
		case "direction":
			to = append(to, k.direction)
		}
	}
	return append(to, k.curr)
}

func (k groupKey) compare(o groupKey) int {
	return cmp.Or(strings.Compare(k.period, o.period), cmp.Compare(k.branchID, o.branchID), cmp.Compare(k.departmentID, o.departmentID),
		cmp.Compare(k.userID, o.userID), strings.Compare(k.zone, o.zone), strings.Compare(k.gateway, o.gateway),
		strings.Compare(k.direction, o.direction), strings.Compare(k.curr, o.curr))
}

// groupFacts adds the legs up per group of table t, in key order so that
// concurrent transactions lock summary rows in the same order (the order
// of the table's primary key, whose columns come in groupKey's order).
func groupFacts(t SummaryTable, facts []legFacts) []summaryRow {
	byKey := make(map[groupKey]int, len(facts))
	var rows []summaryRow
	for _, f := range facts {
		k := groupKey{period: f.day, curr: f.curr, branchID: f.branchID, direction: f.direction}
		if t.Monthly {
			k.period = f.day[:8] + "01"
		}
		if t.Has("department_id") {
			k.departmentID = f.departmentID
		}
		if t.Has("user_id") {
			k.userID = f.userID
		}
		if t.Has("zone") {
			k.zone = f.zone
		}
		if t.Has("gateway") {
			k.gateway = f.gateway
		}
		i, ok := byKey[k]
		if !ok {
			i = len(rows)
			byKey[k] = i
			rows = append(rows, summaryRow{key: k})
		}
		m := &rows[i].measures
		m[0] += f.sign
		m[1] += f.sign * f.answered
		m[2] += f.sign * f.unrated
		m[3] += f.sign * f.billedSeconds
		m[4] += f.sign * f.costMicros
	}
	slices.SortFunc(rows, func(a, b summaryRow) int { return a.key.compare(b.key) })
	return rows
}

// summaryUpsert is the statement that adds rows rows to table t.
func summaryUpsert(t SummaryTable, driver string, rows int) string {
	keys := t.keyColumns()
	all := append(append(slices.Clone(keys), SummaryMeasures...), "shard")
	q := "INSERT INTO " + t.Name + " (" + strings.Join(all, ", ") + ") VALUES " + placeholders(rows, len(all))
	if driver == MySQL {
		return q + " ON DUPLICATE KEY UPDATE " + addMeasures(driver)
	}
	return q + " ON CONFLICT (" + strings.Join(keys, ", ") + ", shard) DO UPDATE SET " + addMeasures(driver)
}

// addToSummaries adds the legs' facts to shard of cdr_daily and, for
// the legs of days already rolled up, to shard 0 of the rolled-up tables;
// rolledUpTo (called only when some leg is late at now) takes the
// watermark in the transaction, saying how many legs are late. exec runs
// each statement (prepared by the writer, plain otherwise).
func addToSummaries(driver string, shard uint32, facts []legFacts, now time.Time, rolledUpTo func(late int64) (string, error),
	exec func(query string, args []any) error) error {
	if len(facts) == 0 {
		return nil
	}
	var late int64
	before := lateBefore(now)
	for _, f := range facts {
		if f.day < before {
			late++
		}
	}
	var rolled []legFacts
	if late > 0 {
		mark, err := rolledUpTo(late)
		if err != nil {
			return fmt.Errorf("summary_rollup: %w", err)
		}
		for _, f := range facts {
			if f.day < mark {
				rolled = append(rolled, f)
			}
		}
	}
	for _, t := range SummaryTables {
		legs, into := facts, shard
		if t.RolledUp {
			legs, into = rolled, 0
		}
		if err := upsertSummary(driver, t, into, groupFacts(t, legs), exec); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return nil
}

func upsertSummary(driver string, t SummaryTable, shard uint32, rows []summaryRow, exec func(query string, args []any) error) error {
	for len(rows) > 0 {
		size := chunkSizes(min(len(rows), 256))[0]
		var args []any
		for _, r := range rows[:size] {
			args = r.key.args(t, args)
			for _, m := range r.measures {
				args = append(args, m)
			}
			args = append(args, shard)
		}
		if err := exec(summaryUpsert(t, driver, size), args); err != nil {
			return err
		}
		rows = rows[size:]
	}
	return nil
}

// lockRollup returns the watermark in tx, locked against a roll-up until
// tx ends. late legs are counted in the row, which writing also orders
// this transaction and a roll-up on another Galera node (a lock alone is
// not certified there).
func lockRollup(ctx context.Context, tx *sqlx.Tx, late int64) (string, error) {
	if late > 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE summary_rollup SET late_legs = late_legs + ? WHERE id = 1", late); err != nil {
			return "", err
		}
	}
	var mark string
	return mark, tx.GetContext(ctx, &mark, watermarkQuery(tx.DriverName(), " FOR UPDATE"))
}

// RollUpSummaries adds the days from the watermark to the day before
// yesterday (UTC, at now) of cdr_daily to the rolled-up tables and moves
// the watermark there, in one transaction; it returns the new watermark
// and the number of days rolled up. radiusd runs it hourly.
func (db *DB) RollUpSummaries(ctx context.Context, now time.Time) (mark string, days int, err error) {
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		from, err := lockRollup(ctx, tx, 0)
		if err != nil {
			return err
		}
		mark, days = from, 0
		to := rollUpBefore(now)
		if from >= to {
			return nil
		}
		if err := rollUp(ctx, tx, from, to); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE summary_rollup SET rolled_up_to = ? WHERE id = 1", to); err != nil {
			return err
		}
		first, _ := time.Parse(time.DateOnly, from)
		last, _ := time.Parse(time.DateOnly, to)
		mark, days = to, int(last.Sub(first).Hours()/24)
		return nil
	})
	return mark, days, err
}

// rollUp adds the days [from, to) of cdr_daily to the rolled-up tables.
func rollUp(ctx context.Context, tx *sqlx.Tx, from, to string) error {
	month := "substr(day, 1, 7) || '-01'"
	if tx.DriverName() == MySQL {
		month = "DATE_FORMAT(day, '%Y-%m-01')"
	}
	for _, t := range SummaryTables {
		if !t.RolledUp {
			continue
		}
		groups := make([]string, len(t.Dims)+2)
		for i := range groups {
			groups[i] = fmt.Sprint(i + 1)
		}
		period := month
		if !t.Monthly {
			period = "day"
		}
		keys := t.keyColumns()
		upsert := " ON DUPLICATE KEY UPDATE " + addMeasures(MySQL)
		if tx.DriverName() != MySQL {
			upsert = " ON CONFLICT (" + strings.Join(keys, ", ") + ", shard) DO UPDATE SET " + addMeasures(SQLite)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+t.Name+" ("+strings.Join(keys, ", ")+", "+strings.Join(SummaryMeasures, ", ")+", shard) SELECT "+
			period+", "+strings.Join(t.Dims, ", ")+", currency, SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0 FROM "+
			SummaryTables[0].Name+" WHERE day >= ? AND day < ? GROUP BY "+strings.Join(groups, ", ")+upsert, from, to); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return nil
}

// RebuildSummaries recomputes the summaries of the whole UTC months that
// hold [from, to) from the CDRs, in one transaction, and returns the
// months rebuilt: cdr_daily from cdr, the rolled-up tables from it up to
// the watermark. Running it changes nothing when the summaries are right.
func (db *DB) RebuildSummaries(ctx context.Context, from, to time.Time) (first, end time.Time, err error) {
	first = time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	end = time.Date(to.UTC().Year(), to.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	if end.Before(to) {
		end = end.AddDate(0, 1, 0)
	}
	return first, end, db.InTx(ctx, func(tx *sqlx.Tx) error {
		mark, err := lockRollup(ctx, tx, 0)
		if err != nil {
			return err
		}
		lo, hi := first.Format(time.DateOnly), end.Format(time.DateOnly)
		for _, t := range SummaryTables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.Name+" WHERE "+t.TimeColumn()+" >= ? AND "+t.TimeColumn()+" < ?", lo, hi); err != nil {
				return err
			}
		}
		day := "substr(call_time, 1, 10)"
		if db.Driver == MySQL {
			day = "DATE(call_time)"
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+SummaryTables[0].Name+` SELECT `+day+`, COALESCE(branch_id, 0), COALESCE(department_id, 0),
			COALESCE(user_id, 0), COALESCE(zone, ''), client_name, direction, COALESCE(currency, ''),
			COUNT(*), SUM(CASE WHEN duration_s > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END),
			SUM(COALESCE(billed_seconds, 0)), SUM(COALESCE(cost_micros, 0)), 0
			FROM cdr WHERE billed = 1 AND call_time >= ? AND call_time < ? GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
			formatTime(first), formatTime(end)); err != nil {
			return err
		}
		return rollUp(ctx, tx, lo, min(hi, mark))
	})
}

// dropEmptySummaries deletes the rows a rerate emptied (every leg moved to
// another group) between the days lo and hi, inclusive. A row of one
// shard may hold negative figures then (the leg was added to another
// shard); the group's sum is right, and rebuild folds it into shard 0.
func dropEmptySummaries(ctx context.Context, tx *sqlx.Tx, lo, hi string) error {
	for _, t := range SummaryTables {
		from := lo
		if t.Monthly {
			from = lo[:8] + "01"
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.Name+" WHERE calls = 0 AND answered = 0 AND unrated = 0 AND billed_seconds = 0 AND cost_micros = 0 AND "+t.TimeColumn()+" >= ? AND "+t.TimeColumn()+" <= ?", from, hi); err != nil {
			return err
		}
	}
	return nil
}

// FoldSummaries adds the shards of the summary rows of the last few closed
// periods (the week before today for cdr_daily, the two months before this
// one for the monthly tables; UTC) into shard 0, so that reports of past
// months read one row per group. Nothing writes there any more but rerate
// and rebuild, which write shard 0. Returns the rows folded away. radiusd
// runs it every hour; rebuild folds every period it recomputes. SQLite
// writes shard 0 only.
func (db *DB) FoldSummaries(ctx context.Context, now time.Time) (int64, error) {
	if db.Driver != MySQL {
		return 0, nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	var folded int64
	for _, t := range SummaryTables {
		from, to := today.AddDate(0, 0, -7), today
		if t.Monthly {
			from, to = month.AddDate(0, -2, 0), month
		}
		n, err := db.foldTable(ctx, t, from.Format(time.DateOnly), to.Format(time.DateOnly))
		if err != nil {
			return folded, fmt.Errorf("%s: %w", t.Name, err)
		}
		folded += n
	}
	return folded, nil
}

func (db *DB) foldTable(ctx context.Context, t SummaryTable, from, to string) (int64, error) {
	keys := strings.Join(t.keyColumns(), ", ")
	where := " WHERE " + t.TimeColumn() + " >= ? AND " + t.TimeColumn() + " < ? AND shard > 0"
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// Locks the rows to fold first, so that two servers folding at once
	// take turns, and the second finds nothing left.
	var n int64
	if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM (SELECT 1 FROM "+t.Name+where+" FOR UPDATE) AS folding", from, to); err != nil || n == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+t.Name+" ("+keys+", "+strings.Join(SummaryMeasures, ", ")+", shard) SELECT "+keys+
		", SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0 FROM "+t.Name+where+" GROUP BY "+keys+
		" ON DUPLICATE KEY UPDATE "+addMeasures(MySQL), from, to); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.Name+where, from, to); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
