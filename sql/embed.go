// Package schema embeds radbill's SQL migrations, one directory per dialect.
// The same migration numbers exist in both directories so that SQLite and
// MySQL/MariaDB databases always have the same tables and columns; the
// documentation of every table and column is SCHEMA.md beside this file.
package schema

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the migration files of one dialect ("sqlite" or "mysql").
func Migrations(dialect string) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+dialect)
}
