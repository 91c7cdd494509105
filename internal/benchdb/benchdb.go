// Package benchdb opens the databases benchmarks keep between runs, so
// that data at real size is generated once: a SQLite file in $TMPDIR and a
// MariaDB database on RADBILL_BENCH_MYSQL_DSN (default
// root@tcp(127.0.0.1:3306)/), both migrated.
package benchdb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/store"
)

// Open opens the benchmark database name on driver: the SQLite file
// $TMPDIR/name.db (sqliteFile, when not "", instead), or the MariaDB
// database name with dashes as underscores. It skips the benchmark when
// MariaDB is not there.
func Open(b testing.TB, driver, name, sqliteFile string) *store.DB {
	b.Helper()
	dsn := sqliteFile
	if dsn == "" {
		dsn = filepath.Join(os.TempDir(), name+".db")
	}
	if driver == store.MySQL {
		base := os.Getenv("RADBILL_BENCH_MYSQL_DSN")
		if base == "" {
			base = "root@tcp(127.0.0.1:3306)/"
		}
		cfg, err := mysql.ParseDSN(base)
		if err != nil {
			b.Fatal(err)
		}
		database := strings.ReplaceAll(name, "-", "_")
		cfg.DBName = ""
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec("CREATE DATABASE IF NOT EXISTS " + database + " CHARACTER SET utf8mb4"); err != nil {
			b.Skipf("MariaDB at %s: %v", cfg.Addr, err)
		}
		admin.Close()
		cfg.DBName = database
		dsn = cfg.FormatDSN()
	}
	db, err := store.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db
}
