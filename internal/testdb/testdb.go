// Package testdb gives tests a fresh, migrated radbill database on every
// backend: the embedded SQLite always, and MariaDB/MySQL when
// RADBILL_TEST_MYSQL_DSN names a server (each test gets its own database,
// dropped afterwards). Under CI (CI=true) a missing MySQL DSN fails the test
// instead of skipping it, so the MariaDB path cannot silently stop running.
package testdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
	"github.com/radbill/radbill/store"
)

// Backend is a database a test can open.
type Backend struct {
	Driver string
	DSN    string
}

// Each runs fn as a subtest per backend, with a fresh empty database.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
}

// SQLite returns a database file in the test's temporary directory.
func SQLite(t testing.TB) Backend {
	return Backend{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "radbill.db")}
}

// MySQL creates a uniquely named database on the server of
// RADBILL_TEST_MYSQL_DSN, or skips (fails under CI) without one.
func MySQL(t testing.TB) Backend {
	t.Helper()
	base := os.Getenv("RADBILL_TEST_MYSQL_DSN")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("RADBILL_TEST_MYSQL_DSN is not set under CI: the MariaDB tests must run")
		}
		SkipLoudly(t, "MariaDB tests: RADBILL_TEST_MYSQL_DSN is not set (e.g. RADBILL_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' make test)")
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("RADBILL_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "radbill_test_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create test database on %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			_, _ = admin.Exec("DROP DATABASE " + name)
			admin.Close()
		}
	})
	cfg.DBName = name
	return Backend{Driver: store.MySQL, DSN: cfg.FormatDSN()}
}

// SkipLoudly skips the test for a missing part of the machine and, when
// RADBILL_SKIP_LOG names a file (make test sets it), appends the reason
// there, so that the run ends with a count of what did not run and why;
// without -v Go prints no skips at all.
func SkipLoudly(t testing.TB, reason string) {
	t.Helper()
	if path := os.Getenv("RADBILL_SKIP_LOG"); path != "" {
		// One short append per line: concurrent test processes do not
		// interleave within it.
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			_, _ = f.WriteString(reason + "\n")
			_ = f.Close()
		}
	}
	t.Skip("SKIPPING " + t.Name() + ": " + reason)
}

// Open opens and migrates the backend's database, closed at cleanup.
func Open(t testing.TB, b Backend) *store.DB {
	t.Helper()
	db, err := store.Open(b.Driver, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// DemoTariff imports the demo tariff (scripts/demo/tariff, without the
// rules) into db; root is the path from the test's package to the
// repository's root.
func DemoTariff(t testing.TB, db *store.DB, root string) {
	t.Helper()
	Tariff(t, db, filepath.Join(root, "scripts/demo/tariff"))
}

// Tariff imports the tariff CSV files of dir (but rules.csv) into db.
func Tariff(t testing.TB, db *store.DB, dir string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	var files []tariffcsv.File
	for _, p := range paths {
		if filepath.Base(p) == "rules.csv" {
			continue
		}
		content, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, tariffcsv.File{Name: filepath.Base(p), Reader: bytes.NewReader(content)})
	}
	var data rating.TariffData
	if err := tariffcsv.ReadAll(&data, files...); err != nil {
		t.Fatal(err)
	}
	if err := db.ImportTariffs(context.Background(), data); err != nil {
		t.Fatal(err)
	}
}
