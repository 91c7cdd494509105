package limits

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"strings"
)

// statement is SQL with its arguments; the zero statement is none.
type statement struct {
	query string
	args  []any
}

func stmt(query string, args []any) statement { return statement{query, args} }

// querier runs statements: a transaction, or a connection of the
// MultiStatement pool that sends its own BEGIN and COMMIT.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// queryGroup runs reads in order through q and calls scans[i] for each row
// of reads[i]. together (q takes several statements per query): they
// travel in one round trip.
func queryGroup(ctx context.Context, q querier, together bool, reads []statement, scans ...func(*sql.Rows) error) error {
	scanAll := func(rows *sql.Rows, scan func(*sql.Rows) error) error {
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if !together {
		for i, r := range reads {
			rows, err := q.QueryContext(ctx, r.query, r.args...)
			if err != nil {
				return err
			}
			err = scanAll(rows, scans[i])
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	queries := make([]string, len(reads))
	var args []any
	for i, r := range reads {
		queries[i] = r.query
		args = append(args, r.args...)
	}
	rows, err := q.QueryContext(ctx, strings.Join(queries, "; "), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for i, scan := range scans {
		if i > 0 && !rows.NextResultSet() {
			return cmp.Or(rows.Err(), errors.New("a result of the statement group is missing"))
		}
		if err := scanAll(rows, scan); err != nil {
			return err
		}
	}
	return rows.Close()
}

// execGroup runs the writes that are not zero, in order, through q; when
// together in one round trip (MySQL stops at the first that fails).
func execGroup(ctx context.Context, q querier, together bool, writes []statement) error {
	var queries []string
	var args []any
	for _, w := range writes {
		if w.query == "" {
			continue
		}
		if !together {
			if _, err := q.ExecContext(ctx, w.query, w.args...); err != nil {
				return err
			}
			continue
		}
		queries = append(queries, w.query)
		args = append(args, w.args...)
	}
	if len(queries) == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, strings.Join(queries, "; "), args...)
	return err
}
