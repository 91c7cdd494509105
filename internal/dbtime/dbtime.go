// Package dbtime converts times to and from the form radbill stores them
// in: UTC text 'YYYY-MM-DD HH:MM:SS.mmm', which SQLite compares as text and
// MySQL reads into DATETIME(3) (see sql/SCHEMA.md).
package dbtime

import (
	"database/sql"
	"fmt"
	"time"
)

const layout = "2006-01-02 15:04:05.000"

// Format writes t as stored: UTC, to the millisecond.
func Format(t time.Time) string { return t.UTC().Format(layout) }

// Parse reads a stored time. MySQL returns DATETIME(3) in the same layout.
func Parse(s string) (time.Time, error) {
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// ParseNull reads a nullable stored time; NULL is the zero time.
func ParseNull(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return Parse(s.String)
}

// Null stores the zero time as NULL.
func Null(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: Format(t), Valid: true}
}
