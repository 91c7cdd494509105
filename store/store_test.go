package store_test

import (
	"context"
	"testing"

	"github.com/radbill/radbill/internal/testdb"
)

// TestMySQLTransactionsReadCommitted: transactions begun without options
// (the writer's, the authorizer's) see what other transactions committed
// after they started, statement by statement.
func TestMySQLTransactionsReadCommitted(t *testing.T) {
	db := testdb.Open(t, testdb.MySQL(t))
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "UPDATE tariff_version SET version = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.GetContext(ctx, &v, "SELECT version FROM tariff_version WHERE id = 1"); err != nil || v != 1 {
		t.Fatalf("version %d, %v", v, err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE tariff_version SET version = 2 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.GetContext(ctx, &v, "SELECT version FROM tariff_version WHERE id = 1"); err != nil || v != 2 {
		t.Fatalf("the transaction read version %d after another committed 2 (%v): not READ COMMITTED", v, err)
	}
}
