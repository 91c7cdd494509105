package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ImportedFile is the outcome of importing one CDR file.
type ImportedFile struct {
	Source, Name string
	Size         int64
	SHA256       string
	Counts       ImportCounts
	ImportedAt   time.Time
}

// ImportCounts are an import's figures: rows read; legs stored (and
// charged) new; legs stored before; rows skipped by design (CUCM's CMR
// records); rows refused and quarantined.
type ImportCounts struct {
	Read, Stored, Duplicate, Skipped, Rejected int64
}

// RecordImportedFile keeps a file's outcome, so that a watcher that sees the
// file again (after a restart) does not import it twice.
func (db *DB) RecordImportedFile(ctx context.Context, f ImportedFile) error {
	_, err := db.ExecContext(ctx, "INSERT INTO import_file (source, name, size, sha256, rows_read, stored, duplicate, skipped, rejected, imported_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", f.Source, f.Name, f.Size, f.SHA256, f.Counts.Read, f.Counts.Stored, f.Counts.Duplicate,
		f.Counts.Skipped, f.Counts.Rejected, formatTime(f.ImportedAt))
	return err
}

// FileImported reports whether a file with this content was imported from
// source before.
func (db *DB) FileImported(ctx context.Context, source, sha256 string) (bool, error) {
	var n int
	err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM import_file WHERE sha256 = ? AND source = ?", sha256, source)
	return n > 0, err
}

// Reject is an imported row that was refused.
type Reject struct {
	Source, File string
	Line         int64
	Raw, Reason  string
}

// Quarantine keeps refused rows with where they came from and why.
func (db *DB) Quarantine(ctx context.Context, rejects []Reject) error {
	if len(rejects) == 0 {
		return nil
	}
	now := formatTime(time.Now())
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, r := range rejects {
		if _, err := tx.ExecContext(ctx, "INSERT INTO import_reject (source, file, line, raw, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			r.Source, r.File, r.Line, r.Raw, r.Reason, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Watermark returns how far an incremental source has been read; "" when
// it has not been read yet.
func (db *DB) Watermark(ctx context.Context, source string) (string, error) {
	var position string
	err := db.GetContext(ctx, &position, "SELECT position FROM import_watermark WHERE source = ?", source)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return position, err
}

// SetWatermark records how far source has been read.
func (db *DB) SetWatermark(ctx context.Context, source, position string) error {
	upsert := " ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at"
	if db.Driver == MySQL {
		upsert = " ON DUPLICATE KEY UPDATE position = VALUES(position), updated_at = VALUES(updated_at)"
	}
	_, err := db.ExecContext(ctx, "INSERT INTO import_watermark (source, position, updated_at) VALUES (?, ?, ?)"+upsert,
		source, position, formatTime(time.Now()))
	return err
}
