package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/store"
)

// indexes returns "table.index" for the secondary indexes of the database
// that the migrations create by name — in SQLite, UNIQUE constraints inside
// CREATE TABLE have none; MySQL's implicit foreign-key indexes are left out
// — and, of those, the ones that are not unique.
func indexes(t *testing.T, db *store.DB) (named, nonUnique []string) {
	t.Helper()
	q := `SELECT tbl_name || '.' || name, sql NOT LIKE 'CREATE UNIQUE%' FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL`
	if db.Driver == store.MySQL {
		q = `SELECT DISTINCT CONCAT(table_name, '.', index_name), non_unique FROM information_schema.statistics
			WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'
			AND index_name NOT IN (SELECT constraint_name FROM information_schema.table_constraints
				WHERE table_schema = DATABASE() AND constraint_type = 'FOREIGN KEY')`
	}
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var notUnique bool
		if err := rows.Scan(&name, &notUnique); err != nil {
			t.Fatal(err)
		}
		named = append(named, name)
		if notUnique {
			nonUnique = append(nonUnique, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(named)
	slices.Sort(nonUnique)
	return named, nonUnique
}

// TestMigrationsDownAndUp: every migration's Down undoes its Up on both
// dialects, and both end with the same non-unique indexes. The cdr table
// keeps only the indexes its writers and the documented queries need
// (SCHEMA.md, "Indexes").
func TestMigrationsDownAndUp(t *testing.T) {
	var byDriver [][]string
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		before, nonUnique := indexes(t, db)
		p, err := store.Migrations(db)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("down: %v", err)
		}
		if left, _ := indexes(t, db); len(left) != 0 {
			t.Fatalf("indexes left after migrating down: %v", left)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		after, _ := indexes(t, db)
		if !slices.Equal(before, after) {
			t.Fatalf("indexes after down and up %v, first up %v", after, before)
		}
		var cdr []string
		for _, name := range after {
			if strings.HasPrefix(name, "cdr.") {
				cdr = append(cdr, name)
			}
		}
		if want := []string{"cdr.cdr_call_time", "cdr.cdr_dedup_key"}; !slices.Equal(cdr, want) {
			t.Errorf("cdr indexes %v, want %v: each one costs every CDR insert", cdr, want)
		}
		byDriver = append(byDriver, nonUnique)
	})
	if len(byDriver) == 2 && !slices.Equal(byDriver[0], byDriver[1]) {
		t.Errorf("non-unique indexes: SQLite %v, MySQL %v", byDriver[0], byDriver[1])
	}
}
