// Package store is radbill's database layer: it opens the embedded SQLite
// database or a MySQL/MariaDB server, applies the migrations in sql/, and
// writes accounting records with group commit (see Writer).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	schema "github.com/radbill/radbill/sql"
)

// Database drivers accepted in the configuration.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// DB is an open radbill database.
type DB struct {
	*sqlx.DB
	Driver string
	// MultiStatement is, on MySQL, a second pool whose connections take
	// several statements in one round trip, so that a transaction can send
	// BEGIN with its first statements, COMMIT with its last, and groups of
	// statements between (the card batches and the CDR writer use it).
	// Only parameterised statements may be sent through it: it is what
	// makes a stacked injection possible. Nil on SQLite.
	MultiStatement *sqlx.DB
}

// BeginTogether begins a transaction in which groups of statements may
// travel in one round trip (Tx.Together): on MySQL on the MultiStatement
// pool, on SQLite on the one pool, a statement at a time.
func (db *DB) BeginTogether(ctx context.Context) (Tx, error) {
	pool := db.togetherPool()
	tx, err := pool.BeginTxx(ctx, nil) // READ COMMITTED on MySQL (see Open)
	return Tx{Tx: tx, Together: pool == db.MultiStatement}, err
}

// InTx runs fn in a transaction and commits it unless fn fails.
func (db *DB) InTx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	return RetryDeadlocks("admin", func() error {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // no-op after Commit
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	})
}

func (db *DB) togetherPool() *sqlx.DB {
	if db.MultiStatement != nil {
		return db.MultiStatement
	}
	return db.DB
}

// Close closes the database's pools.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.MultiStatement != nil {
		err = errors.Join(err, db.MultiStatement.Close())
	}
	return err
}

// Open connects to the database. For SQLite the DSN is a file path (its
// directory is created); radbill adds the pragmas it relies on: WAL,
// synchronous=FULL so a committed batch survives power loss, a busy timeout,
// and _txlock=immediate so writers queue instead of failing. For MySQL the DSN
// is a go-sql-driver DSN; radbill turns on client-side parameter
// interpolation (one round trip per statement), keeps times as text, and
// makes READ COMMITTED every transaction's isolation level.
func Open(driver, dsn string) (*DB, error) {
	switch driver {
	case SQLite:
		full, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		db, err := sqlx.Open("sqlite", full)
		if err != nil {
			return nil, err
		}
		// One connection writes at a time anyway; a few more let readers
		// (health checks, the CLI) work beside the writer under WAL.
		db.SetMaxOpenConns(4)
		return &DB{DB: db, Driver: SQLite}, nil
	case MySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("database.dsn: %w", err)
		}
		cfg.InterpolateParams = true
		cfg.ParseTime = false
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["time_zone"] = "'+00:00'"
		pool, err := mysqlPool(cfg, false, 32)
		if err != nil {
			return nil, err
		}
		if onGalera(pool) {
			// Galera aborts a transaction that conflicts with another
			// node's commit while it runs, and a multi-statement query
			// then goes on with its remaining statements outside the
			// transaction: a balance moved with its ledger entry rolled
			// back. One statement per round trip there.
			return &DB{DB: sqlx.NewDb(pool, "mysql"), Driver: MySQL}, nil
		}
		multi, err := mysqlPool(cfg, true, 8)
		if err != nil {
			pool.Close()
			return nil, err
		}
		return &DB{DB: sqlx.NewDb(pool, "mysql"), Driver: MySQL, MultiStatement: sqlx.NewDb(multi, "mysql")}, nil
	}
	return nil, fmt.Errorf("database.driver %q: want %q or %q", driver, SQLite, MySQL)
}

// onGalera tells whether the server is a node of a Galera cluster. A
// server that does not answer is taken for one that is not: the next
// Open finds out.
func onGalera(pool *sql.DB) bool {
	var on sql.NullString
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pool.QueryRowContext(ctx, "SELECT @@wsrep_on").Scan(&on) == nil && (on.String == "1" || strings.EqualFold(on.String, "ON"))
}

// mysqlPool opens a pool of up to conns connections to cfg's server, with
// or without multi-statements.
func mysqlPool(cfg *mysql.Config, multiStatements bool, conns int) (*sql.DB, error) {
	cfg = cfg.Clone()
	cfg.MultiStatements = multiStatements
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("database.dsn: %w", err)
	}
	pool := sql.OpenDB(readCommitted{connector})
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	pool.SetConnMaxLifetime(30 * time.Minute)
	return pool, nil
}

// readCommitted makes READ COMMITTED the isolation level of every new MySQL
// connection, so that the writer's and the authorizer's transactions (many
// per second) need not set it each time, a round trip each; on MariaDB the
// variable's name differs between versions, the statement does not.
type readCommitted struct{ driver.Connector }

func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.(driver.ExecerContext).ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func sqliteDSN(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("database.dsn: empty SQLite path")
	}
	file := strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file = file[:i]
	}
	if file != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			return "", fmt.Errorf("database.dsn: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	return path + sep + q.Encode(), nil
}

// Migrate applies every pending migration and returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int64, error) {
	p, err := db.migrations()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// migrations is goose's view of the database and its dialect's migrations.
func (db *DB) migrations() (*goose.Provider, error) {
	fsys, err := schema.Migrations(db.Driver)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.Driver == MySQL {
		dialect = goose.DialectMySQL
	}
	return goose.NewProvider(dialect, db.DB.DB, fsys)
}

// Ping reports whether the database answers within ctx.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// timeLayout is how times are stored: UTC, millisecond precision, a text form
// both SQLite (TEXT) and MySQL (DATETIME(3)) accept and sort correctly.
const timeLayout = "2006-01-02 15:04:05.000"

// formatTime writes t in timeLayout. Time.Format reads its layout anew on
// every call; a CDR row has six times, and they took a twentieth of
// radiusd's CPU per Stop.
func formatTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(timeLayout)
	}
	hour, minute, second := t.Clock()
	b := []byte(timeLayout)
	putDigits(b[0:4], year)
	putDigits(b[5:7], int(month))
	putDigits(b[8:10], day)
	putDigits(b[11:13], hour)
	putDigits(b[14:16], minute)
	putDigits(b[17:19], second)
	putDigits(b[20:23], t.Nanosecond()/int(time.Millisecond))
	return string(b)
}

// putDigits writes the len(b) lowest decimal digits of v into b.
func putDigits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// nullTime, nullInt and nullString give a statement argument: the value,
// or nil for NULL. Plain values rather than sql.Null* types, which the
// driver would convert one by one: a CDR has 41 columns.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullInt(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

// nullID is a row id, or NULL for 0 (none).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// OnConflictDoNothing is the clause that makes an INSERT into table skip
// a row that would duplicate the unique key on columns, and only that:
// unlike INSERT IGNORE / OR IGNORE it still fails on CHECK and NOT NULL
// violations. On MySQL the no-op update, of the key's first column named
// with its table (an INSERT ... SELECT may read a table with the same
// column), reports 0 affected rows.
func OnConflictDoNothing(driver, table, columns string) string {
	if driver == MySQL {
		first, _, _ := strings.Cut(columns, ",")
		column := table + "." + strings.TrimSpace(first)
		return " ON DUPLICATE KEY UPDATE " + column + " = " + column
	}
	return " ON CONFLICT (" + columns + ") DO NOTHING"
}

// IsDuplicateKey tells an insert refused because its unique key exists.
func IsDuplicateKey(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1062
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// FormatTime writes t as time columns store it, for queries outside store.
func FormatTime(t time.Time) string { return formatTime(t) }
