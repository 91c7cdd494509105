package store

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/radbill/radbill/cdr"
)

// batchTx writes one batch inside one transaction and records each record's
// outcome. Statements cover many rows; when one fails because of a row's
// data, the rows are retried one by one so a bad row fails alone.
type batchTx struct {
	tx       Tx
	ctx      context.Context
	driver   string
	log      *zap.Logger
	outcomes []Outcome
	// oneByOne inserts the Stops' CDRs one statement each, so that each
	// record's affected-row count tells stored from duplicate.
	oneByOne bool
	settler  Settler // nil: nothing to charge
	stmts    *statements
	facts    []legFacts // the stored billed legs, for the summaries
}

// Settler charges a newly stored Stop to its owner in the transaction that
// stores its CDR, so that the CDR and the debit commit together or not at
// all, and a duplicate Stop — which stores nothing — charges nothing.
type Settler interface {
	SettleTx(ctx context.Context, tx Tx, owed []Owed) error
}

// Tx is a writer transaction as a Settler gets it. Together reports that
// its connection takes several statements per query (DB.MultiStatement),
// so that a group of statements can travel in one round trip.
type Tx struct {
	*sqlx.Tx
	Together bool
}

// Owed is a stored Stop to charge: its record and its CDR's dedup key.
type Owed struct {
	Record   *cdr.Record
	DedupKey string
}

var cdrColumns = []string{
	"dedup_key", "leg_key", "received_at", "call_time", "client_name", "nas_ip", "nas_identifier",
	"acct_session_id", "conf_id", "incoming_conf_id", "call_origin", "call_type", "user_name",
	"calling_number", "called_number", "setup_time", "connect_time", "disconnect_time", "duration_s",
	"disconnect_cause", "terminate_cause", "voice_quality", "remote_address", "gw_id", "acct_delay_s",
	"clock_unsynced", "parse_errors", "raw", "zone", "cost_micros", "currency", "rated_at", "rating_status",
	"calling_number_norm", "called_number_norm", "direction", "billed", "plan_id", "prefix", "billed_seconds", "rating_detail",
	"account_id", "user_id", "source", "department_id", "branch_id",
}

func cdrValues(p *pending) []any {
	r := p.rec
	return []any{
		p.dedupKey, p.legKey, formatTime(r.ReceivedAt), formatTime(r.CallTime()), r.ClientName, r.NASIP, r.NASIdentifier,
		r.SessionID, r.ConfID, r.IncomingConfID, r.CallOrigin, r.CallType, r.UserName,
		r.CallingNumber, r.CalledNumber, nullTime(r.SetupTime), nullTime(r.ConnectTime), nullTime(r.DisconnectTime), nullInt(r.SessionTime),
		nullInt(r.DisconnectCause), nullInt(r.TerminateCause), nullInt(r.VoiceQuality), r.RemoteAddress, r.GatewayID, nullInt(r.DelayTime),
		r.ClockUnsynced, strings.Join(r.ParseErrors, ","), rawJSON(r.Raw), nullString(r.Rating.Zone), nullInt(r.Rating.CostMicros), nullString(r.Rating.Currency), nullTime(r.Rating.RatedAt), r.Rating.Status,
		r.Rating.CallingNorm, r.Rating.CalledNorm, r.Rating.Direction, r.Rating.Billed, nullInt(r.Rating.PlanID), nullString(r.Rating.Prefix), nullInt(r.Rating.BilledSeconds), nullString(r.Rating.Detail),
		nullID(r.Rating.AccountID), nullID(r.Rating.UserID), cmp.Or(r.Source, "radius"), nullID(r.Rating.DepartmentID), nullID(r.Rating.BranchID),
	}
}

var activeCallColumns = []string{
	"leg_key", "client_name", "nas_ip", "acct_session_id", "conf_id", "incoming_conf_id", "call_origin",
	"call_type", "user_name", "calling_number", "called_number", "setup_time", "connect_time",
	"session_time_s", "status", "started_at", "updated_at",
}

func activeCallValues(p *pending) []any {
	r := p.rec
	status := "start"
	if r.Status == cdr.StatusInterimUpdate {
		status = "interim"
	}
	received := formatTime(r.ReceivedAt)
	return []any{
		p.legKey, r.ClientName, r.NASIP, r.SessionID, r.ConfID, r.IncomingConfID, r.CallOrigin,
		r.CallType, r.UserName, r.CallingNumber, r.CalledNumber, nullTime(r.SetupTime), nullTime(r.ConnectTime),
		nullInt(r.SessionTime), status, received, received,
	}
}

// writeSegment writes batch[from:to], which holds no Accounting-On/Off.
func (b *batchTx) writeSegment(batch []pending, from, to int) error {
	var stops, live []int
	for i := from; i < to; i++ {
		switch batch[i].rec.Status {
		case cdr.StatusStop:
			stops = append(stops, i)
		case cdr.StatusStart, cdr.StatusInterimUpdate:
			live = append(live, i)
		}
	}
	if len(live) > 0 {
		if err := b.upsertActiveCalls(batch, live); err != nil {
			return err
		}
	}
	if len(stops) > 0 {
		if err := b.insertStops(batch, stops); err != nil {
			return err
		}
		if err := b.deleteActiveCalls(legKeys(batch, stops, b.outcomes)); err != nil {
			return err
		}
	}
	if len(live) > 0 {
		// A Start or Interim-Update that arrives after its Stop (a late
		// retransmission of one that was shed) must not bring the finished
		// leg back into active_call.
		ended, err := b.endedLegs(batch, live)
		if err != nil {
			return err
		}
		return b.deleteActiveCalls(ended)
	}
	return nil
}

// legKeys returns the leg keys of the records idx that did not fail.
func legKeys(batch []pending, idx []int, outcomes []Outcome) []any {
	keys := make([]any, 0, len(idx))
	for _, i := range idx {
		if outcomes[i] != Failed {
			keys = append(keys, batch[i].legKey)
		}
	}
	return keys
}

// endedLegs returns the leg keys of those of the records idx whose leg has
// a CDR, found by the leg's Stop key (the CDR's unique dedup_key). On MySQL
// the read locks them: a CDR the previous batch inserted and has not
// committed yet (see Writer.commit) is waited for and seen, where a plain
// read would miss it.
func (b *batchTx) endedLegs(batch []pending, idx []int) ([]any, error) {
	legOfStop := map[string]string{}
	var stopKeys []any
	for _, i := range idx {
		if b.outcomes[i] != Failed {
			key := batch[i].rec.StopKey()
			legOfStop[key] = batch[i].legKey
			stopKeys = append(stopKeys, key)
		}
	}
	if len(stopKeys) == 0 {
		return nil, nil
	}
	query := "SELECT dedup_key FROM cdr WHERE dedup_key IN " + placeholders(1, len(stopKeys))
	if b.driver == MySQL {
		query += " LOCK IN SHARE MODE"
	}
	var stored []string
	if err := b.tx.SelectContext(b.ctx, &stored, query, stopKeys...); err != nil {
		return nil, err
	}
	ended := make([]any, len(stored))
	for i, k := range stored {
		ended[i] = legOfStop[k]
	}
	return ended, nil
}

// insertStops stores the Stops' CDRs. Normally it inserts them in one
// statement and trusts the affected-row count: when it equals the number of
// rows, none was a duplicate. Otherwise it reports errDuplicatesPresent and
// the writer redoes the batch with oneByOne, where each row's count gives
// its exact outcome even while another server sharing the database inserts
// the same Stops (broadcast accounting). Duplicates are rare otherwise, so
// the common batch costs one statement. Rows go in key order so that two
// servers inserting the same keys lock them in the same order.
func (b *batchTx) insertStops(batch []pending, idx []int) error {
	seen := map[string]bool{}
	var fresh []int
	for _, i := range idx {
		if seen[batch[i].dedupKey] {
			b.outcomes[i] = Duplicate // a repeat within this batch
			continue
		}
		seen[batch[i].dedupKey] = true
		fresh = append(fresh, i)
	}
	slices.SortFunc(fresh, func(x, y int) int { return strings.Compare(batch[x].dedupKey, batch[y].dedupKey) })
	if b.oneByOne {
		if _, err := b.insertEach(batch, fresh, "cdr", cdrColumns, b.ignoreDuplicate("cdr", "dedup_key"), true); err != nil {
			return err
		}
		return b.charge(batch, fresh)
	}
	inserted, err := b.insertRows(batch, fresh, "cdr", cdrColumns, b.ignoreDuplicate("cdr", "dedup_key"))
	if err != nil {
		return err
	}
	if inserted != b.expected(fresh) {
		return errDuplicatesPresent
	}
	return b.charge(batch, fresh)
}

// charge settles the stored Stops of idx with their owners and keeps the
// billed ones for the summaries (addToSummaries).
func (b *batchTx) charge(batch []pending, idx []int) error {
	if err := b.settle(batch, idx); err != nil {
		return err
	}
	if err := b.insertPartnerCharges(batch, idx); err != nil {
		return err
	}
	for _, i := range idx {
		rec := batch[i].rec
		if b.outcomes[i] == Stored && rec.Rating.Billed {
			b.facts = append(b.facts, factsOf(rec.CallTime(), rec.ClientName, rec.SessionTime, &rec.Rating))
		}
	}
	return nil
}

var partnerChargeColumns = []string{"dedup_key", "conf_id", "call_time", "partner_id", "rate_type", "hop", "plan_id", "zone", "band",
	"duration_s", "billed_seconds", "amount_micros", "currency", "rating_status"}

// insertPartnerCharges stores the clearinghouse charges of the stored
// Stops of idx; a duplicate Stop stored none and so adds none.
func (b *batchTx) insertPartnerCharges(batch []pending, idx []int) error {
	var args []any
	rows := 0
	for _, i := range idx {
		rec := batch[i].rec
		if b.outcomes[i] != Stored {
			continue
		}
		for _, c := range rec.Rating.PartnerCharges {
			args = append(args, batch[i].dedupKey, rec.ConfID, formatTime(rec.CallTime()), c.PartnerID, c.RateType, c.Hop, c.PlanID, c.Zone, c.Band,
				c.DurationSeconds, c.BilledSeconds, nullInt(c.AmountMicros), c.Currency, c.Status)
			rows++
		}
	}
	for rows > 0 {
		size := min(rows, 256)
		n := size * len(partnerChargeColumns)
		if _, err := b.tx.ExecContext(b.ctx, "INSERT INTO leg_charge ("+strings.Join(partnerChargeColumns, ", ")+") VALUES "+
			placeholders(size, len(partnerChargeColumns)), args[:n]...); err != nil {
			return fmt.Errorf("leg_charge: %w", err)
		}
		args, rows = args[n:], rows-size
	}
	return nil
}

// shard is the summary shard of the batch: SQLite writes one batch at a
// time, so its summaries need no more than one.
func (b *batchTx) shard() uint32 {
	if b.driver == SQLite || len(b.facts) == 0 {
		return 0
	}
	return nextShard.Add(1) % summaryShards
}

// addToSummaries adds the batch's billed legs to the summaries: most
// batches make one prepared upsert, of cdr_daily (see summaries.go).
func (b *batchTx) addToSummaries() error {
	rolledUpTo := func(late int64) (string, error) { return lockRollup(b.ctx, b.tx.Tx, late) }
	return addToSummaries(b.driver, b.shard(), b.facts, time.Now(), rolledUpTo, func(query string, args []any) error {
		_, err := b.stmts.exec(b.ctx, b.tx.Tx, query, args)
		return err
	})
}

// settle charges the stored, rated, billed Stops of idx that have an
// owner, all at once, in owner order so that concurrent batches lock
// owners in the same order.
func (b *batchTx) settle(batch []pending, idx []int) error {
	if b.settler == nil {
		return nil
	}
	var owed []Owed
	for _, i := range idx {
		r := batch[i].rec.Rating
		if b.outcomes[i] == Stored && (r.Account != "" || r.UserID != 0) && r.Billed && r.CostMicros != nil {
			owed = append(owed, Owed{Record: batch[i].rec, DedupKey: batch[i].dedupKey})
		}
	}
	if len(owed) == 0 {
		return nil
	}
	slices.SortStableFunc(owed, func(x, y Owed) int {
		return cmp.Or(strings.Compare(x.Record.Rating.Account, y.Record.Rating.Account), cmp.Compare(x.Record.Rating.UserID, y.Record.Rating.UserID))
	})
	return b.settler.SettleTx(b.ctx, b.tx, owed)
}

// expected is how many of the rows idx should have been inserted: those
// that did not fail.
func (b *batchTx) expected(idx []int) int64 {
	var n int64
	for _, i := range idx {
		if b.outcomes[i] != Failed {
			n++
		}
	}
	return n
}

// errDuplicatesPresent: some rows of the batch already existed; redo it
// one row at a time.
var errDuplicatesPresent = errors.New("batch holds records stored before")

func (b *batchTx) upsertActiveCalls(batch []pending, idx []int) error {
	var onConflict string
	if b.driver == MySQL {
		onConflict = " ON DUPLICATE KEY UPDATE connect_time = COALESCE(VALUES(connect_time), connect_time), session_time_s = COALESCE(VALUES(session_time_s), session_time_s), status = VALUES(status), updated_at = VALUES(updated_at)"
	} else {
		onConflict = " ON CONFLICT (leg_key) DO UPDATE SET connect_time = COALESCE(excluded.connect_time, connect_time), session_time_s = COALESCE(excluded.session_time_s, session_time_s), status = excluded.status, updated_at = excluded.updated_at"
	}
	_, err := b.insertRows(batch, idx, "active_call", activeCallColumns, onConflict)
	return err
}

// ignoreDuplicate is the clause that makes an insert skip a row whose unique
// key exists: a concurrent server sharing the database may have stored it
// between our duplicate check and this insert.
func (b *batchTx) ignoreDuplicate(table, key string) string {
	return OnConflictDoNothing(b.driver, table, key)
}

// insertRows inserts the rows of the records idx (pending.row) and returns
// how many the database wrote (an ignored duplicate counts 0).
// maxChunkRows is the most rows one INSERT of a batch writes.
const maxChunkRows = 256

func (b *batchTx) insertRows(batch []pending, idx []int, table string, cols []string, suffix string) (int64, error) {
	if len(idx) == 0 {
		return 0, nil
	}
	prefix := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	args := make([]any, 0, min(len(idx), maxChunkRows)*len(cols))
	var written int64
	rest := idx
	for len(rest) > 0 {
		// A journal's load batches are larger: their chunks stay at the
		// sizes a direct batch uses, few statements and within the
		// databases' placeholder limits.
		size := chunkSizes(min(len(rest), maxChunkRows))[0]
		args = args[:0]
		for _, i := range rest[:size] {
			args = append(args, batch[i].row...)
		}
		res, err := b.stmts.exec(b.ctx, b.tx.Tx, prefix+placeholders(size, len(cols))+suffix, args)
		if err != nil {
			if !isRowError(err) {
				return 0, err
			}
			// Some row's data was refused: find it by writing the rows one by one.
			n, err := b.insertEach(batch, rest, table, cols, suffix, false)
			return written + n, err
		}
		n, _ := res.RowsAffected()
		written += n
		rest = rest[size:]
	}
	return written, nil
}

// insertEach inserts the rows idx one statement each; a row the database
// refuses fails alone. With markDuplicates a row that wrote nothing (its
// unique key existed) is a Duplicate.
func (b *batchTx) insertEach(batch []pending, idx []int, table string, cols []string, suffix string, markDuplicates bool) (int64, error) {
	query := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + placeholders(1, len(cols)) + suffix
	var written int64
	for _, i := range idx {
		res, err := b.stmts.exec(b.ctx, b.tx.Tx, query, batch[i].row)
		if err == nil {
			n, _ := res.RowsAffected()
			written += n
			if n == 0 && markDuplicates {
				b.outcomes[i] = Duplicate
			}
			continue
		}
		if !isRowError(err) {
			return 0, err
		}
		b.outcomes[i] = Failed
		b.log.Error("record refused by the database", zap.String("table", table),
			zap.String("acct_session_id", batch[i].rec.SessionID), zap.String("client", batch[i].rec.ClientName), zap.Error(err))
	}
	return written, nil
}

// deleteActiveCalls deletes the legs' rows in one statement: its IN list
// is padded to a power of two with repeats of the last key, so that a few
// prepared statements serve every batch (a round trip per chunk cost more).
func (b *batchTx) deleteActiveCalls(keys []any) error {
	if len(keys) == 0 {
		return nil
	}
	size := 1 << bits.Len(uint(len(keys)-1))
	args := keys[:len(keys):len(keys)]
	for len(args) < size {
		args = append(args, keys[len(keys)-1])
	}
	_, err := b.stmts.exec(b.ctx, b.tx.Tx, "DELETE FROM active_call WHERE leg_key IN "+placeholders(1, size), args)
	return err
}

// closeNAS ends every open leg of the NAS that sent Accounting-On/Off: the
// gateway restarted, so none of them will get a Stop.
func (b *batchTx) closeNAS(i int, r *cdr.Record) error {
	res, err := b.tx.ExecContext(b.ctx, "DELETE FROM active_call WHERE nas_ip = ?", r.NASIP)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		b.log.Info("NAS accounting on/off closed open calls", zap.String("nas_ip", r.NASIP), zap.String("status", r.Status.String()), zap.Int64("closed", n))
	}
	b.outcomes[i] = Stored
	return nil
}

// isTransient tells a transaction that lost a deadlock or a race with
// another server (try it again now) from a database that is down or slow.
func isTransient(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1205 || my.Number == 1213
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return errors.Is(err, errDuplicatesPresent)
}

// isRowError tells a statement refused because of the data in it (retry the
// rows one by one) from a failure of the transaction or connection (retry the
// whole batch).
func isRowError(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		// 1205 lock wait timeout and 1213 deadlock abort the transaction.
		return my.Number != 1205 && my.Number != 1213
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
			return true
		}
	}
	return false
}
