package cdrimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/asterisk"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/store"
)

// AsteriskTable is an Asterisk `cdr` table in MySQL/MariaDB.
type AsteriskTable struct {
	DSN   string // go-sql-driver DSN of the Asterisk database
	Table string // default "cdr"
	// Location reads calldate (the Asterisk server's zone; UTC with
	// usegmtime).
	Location *time.Location
	// Page is how many rows one query reads (default 5,000).
	Page int
}

// watermarkSource names the table in import_watermark: host/database/table.
func (t AsteriskTable) watermarkSource() (string, error) {
	cfg, err := mysql.ParseDSN(t.DSN)
	if err != nil {
		return "", fmt.Errorf("--dsn: %w", err)
	}
	return cdr.SourceAsteriskDB + ":" + cfg.Addr + "/" + cfg.DBName + "/" + t.table(), nil
}

func (t AsteriskTable) table() string {
	if t.Table == "" {
		return "cdr"
	}
	return t.Table
}

// asteriskColumns are read when the table has them; calldate, src, dst,
// duration, billsec and disposition it must have.
var asteriskColumns = []string{"calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
	"duration", "billsec", "disposition", "accountcode", "uniqueid", "userfield", "sequence"}

// ImportAsteriskTable reads the rows of the table from the stored
// watermark on (the latest calldate read; rows of that second are read
// again and are duplicates), a page at a time, and moves the watermark
// after each page has committed.
func (im *Importer) ImportAsteriskTable(ctx context.Context, t AsteriskTable) (store.ImportCounts, error) {
	source, err := t.watermarkSource()
	if err != nil {
		return store.ImportCounts{}, err
	}
	if strings.ContainsAny(t.table(), "`; ") {
		return store.ImportCounts{}, fmt.Errorf("table name %q", t.table())
	}
	src, err := sql.Open("mysql", t.DSN)
	if err != nil {
		return store.ImportCounts{}, err
	}
	defer src.Close()
	columns, err := tableColumns(ctx, src, t.table())
	if err != nil {
		return store.ImportCounts{}, err
	}
	for _, need := range []string{"calldate", "src", "dst", "duration", "billsec", "disposition"} {
		if !slices.Contains(columns, need) {
			return store.ImportCounts{}, fmt.Errorf("table %s has no column %s: not an Asterisk cdr table", t.table(), need)
		}
	}
	loc := t.Location
	if loc == nil {
		loc = time.Local
	}
	decoder := asterisk.Decoder{IsTrunk: im.isTrunk, Location: loc, Now: im.now}
	page := t.Page
	if page <= 0 {
		page = 5000
	}
	var total store.ImportCounts
	for {
		mark, err := im.DB.Watermark(ctx, source)
		if err != nil {
			return total, err
		}
		query := "SELECT " + strings.Join(columns, ", ") + " FROM `" + t.table() + "`"
		args := []any{}
		if mark != "" {
			query += " WHERE calldate >= ?"
			args = append(args, mark)
		}
		rows, err := src.QueryContext(ctx, query+" ORDER BY calldate LIMIT ?", append(args, page)...)
		if err != nil {
			return total, err
		}
		r := im.start(ctx, source, t.table())
		n, last, err := im.readRows(r, rows, columns, decoder, mark)
		counts, qerr := r.finish()
		total = add(total, counts)
		if err := errors.Join(err, qerr); err != nil {
			return total, err
		}
		switch {
		case n < page && last != "":
			return total, im.DB.SetWatermark(ctx, source, last)
		case n < page:
			return total, nil
		case last == mark:
			page *= 2 // a whole page in one second: read more at once
		default:
			if err := im.DB.SetWatermark(ctx, source, last); err != nil {
				return total, err
			}
		}
	}
}

func (im *Importer) readRows(r *run, rows *sql.Rows, columns []string, decoder asterisk.Decoder, mark string) (n int, last string, err error) {
	defer rows.Close()
	last = mark
	values := make([]sql.NullString, len(columns))
	dest := make([]any, len(columns))
	for i := range values {
		dest[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, last, err
		}
		n++
		r.read()
		row := map[string]string{}
		fields := make([]string, len(columns))
		for i, c := range columns {
			row[c], fields[i] = values[i].String, values[i].String
		}
		raw := csvLine(fields)
		last = row["calldate"]
		calldate, err := time.ParseInLocation(time.DateTime, row["calldate"], decoder.Location)
		if err != nil {
			r.reject(int64(n), raw, fmt.Sprintf("calldate %q is not a time", row["calldate"]))
			continue
		}
		var duration, billsec int64
		if _, err := fmt.Sscan(row["duration"], &duration); err != nil {
			r.reject(int64(n), raw, fmt.Sprintf("duration %q is not a number", row["duration"]))
			continue
		}
		if _, err := fmt.Sscan(row["billsec"], &billsec); err != nil {
			r.reject(int64(n), raw, fmt.Sprintf("billsec %q is not a number", row["billsec"]))
			continue
		}
		rec, err := decoder.DecodeRow(asterisk.Row{CallDate: calldate, Clid: row["clid"], Src: row["src"], Dst: row["dst"], DContext: row["dcontext"],
			Channel: row["channel"], DstChannel: row["dstchannel"], LastApp: row["lastapp"], LastData: row["lastdata"],
			Disposition: row["disposition"], AccountCode: row["accountcode"], UniqueID: row["uniqueid"], UserField: row["userfield"],
			Sequence: row["sequence"], Duration: duration, BillSec: billsec})
		if err != nil {
			r.reject(int64(n), raw, err.Error())
			continue
		}
		r.leg(int64(n), func() string { return raw }, rec)
	}
	return n, last, rows.Err()
}

// tableColumns lists the Asterisk columns the table has, in
// asteriskColumns' order.
func tableColumns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM `"+table+"` LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range asteriskColumns {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, c) }) {
			out = append(out, c)
		}
	}
	return out, nil
}

func add(a, b store.ImportCounts) store.ImportCounts {
	return store.ImportCounts{Read: a.Read + b.Read, Stored: a.Stored + b.Stored, Duplicate: a.Duplicate + b.Duplicate,
		Skipped: a.Skipped + b.Skipped, Rejected: a.Rejected + b.Rejected}
}
