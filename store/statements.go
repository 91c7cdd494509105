package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// statements keeps the batch writer's statements prepared on the server.
// A multi-row INSERT sent as text makes the server lex and unescape every
// value — on MariaDB that was the largest part of the cost of a Stop; a
// prepared statement takes the values in binary, unparsed. database/sql
// prepares each statement once per connection and reuses it.
//
// A batch of n rows is written in chunks whose sizes are powers of two, so
// each table needs few distinct statements (9 for 256 rows) and a batch
// few round trips (one per set bit of n).
type statements struct {
	db *sql.DB
	mu sync.Mutex
	by map[string]*sql.Stmt
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, by: map[string]*sql.Stmt{}}
}

// exec runs query, prepared once, inside tx.
func (s *statements) exec(ctx context.Context, tx *sqlx.Tx, query string, args []any) (sql.Result, error) {
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
}

func (s *statements) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stmt, ok := s.by[query]; ok {
		return stmt, nil
	}
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.by[query] = stmt
	return stmt, nil
}

// close releases the statements on every connection.
func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, stmt := range s.by {
		stmt.Close()
		delete(s.by, q)
	}
}

// chunkSizes splits n rows into powers of two, largest first.
func chunkSizes(n int) []int {
	var sizes []int
	for size := 1 << 30; size > 0; size >>= 1 {
		if n&size != 0 {
			sizes = append(sizes, size)
		}
	}
	return sizes
}
