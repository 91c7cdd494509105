package store

import "github.com/pressly/goose/v3"

// Migrations is the goose provider Migrate applies, for tests that migrate
// down as well.
func Migrations(db *DB) (*goose.Provider, error) { return db.migrations() }
