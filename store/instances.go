package store

import (
	"context"
	"time"
)

// Instance is a running radiusd as it reports itself in radiusd_instance:
// which tables it has in force, so that a command changing them can wait
// until every server has loaded the change.
type Instance struct {
	ID           string
	Hostname     string
	PID          int
	StartedAt    time.Time
	SeenAt       time.Time
	PollInterval time.Duration
	// TablesVersion is the tariff_version of its tables in force;
	// ReloadError why its latest reload was refused ("" when it was not).
	TablesVersion int64
	ReloadError   string
}

// Live reports whether the instance has polled recently enough at now to
// count as running: within three of its poll intervals.
func (in Instance) Live(now time.Time) bool {
	return now.Sub(in.SeenAt) <= 3*in.PollInterval+time.Second
}

// ReportInstance writes the instance's row, seen now.
func (db *DB) ReportInstance(ctx context.Context, in Instance) error {
	upsert := " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, poll_interval_ms = excluded.poll_interval_ms, " +
		"tables_version = excluded.tables_version, reload_error = excluded.reload_error"
	if db.Driver == MySQL {
		upsert = " ON DUPLICATE KEY UPDATE seen_at = VALUES(seen_at), poll_interval_ms = VALUES(poll_interval_ms), " +
			"tables_version = VALUES(tables_version), reload_error = VALUES(reload_error)"
	}
	_, err := db.ExecContext(ctx, "INSERT INTO radiusd_instance (id, hostname, pid, started_at, seen_at, poll_interval_ms, tables_version, reload_error) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?)"+upsert, in.ID, in.Hostname, in.PID, formatTime(in.StartedAt), formatTime(in.SeenAt),
		in.PollInterval.Milliseconds(), in.TablesVersion, in.ReloadError)
	return err
}

// RemoveInstance deletes the instance's row: it has stopped.
func (db *DB) RemoveInstance(ctx context.Context, id string) error {
	_, err := db.ExecContext(ctx, "DELETE FROM radiusd_instance WHERE id = ?", id)
	return err
}

// Instances returns every reported instance, live or not, by id.
func (db *DB) Instances(ctx context.Context) ([]Instance, error) {
	var rows []struct {
		ID            string `db:"id"`
		Hostname      string `db:"hostname"`
		PID           int    `db:"pid"`
		StartedAt     string `db:"started_at"`
		SeenAt        string `db:"seen_at"`
		PollMillis    int64  `db:"poll_interval_ms"`
		TablesVersion int64  `db:"tables_version"`
		ReloadError   string `db:"reload_error"`
	}
	if err := db.SelectContext(ctx, &rows, "SELECT id, hostname, pid, started_at, seen_at, poll_interval_ms, tables_version, reload_error "+
		"FROM radiusd_instance ORDER BY id"); err != nil {
		return nil, err
	}
	out := make([]Instance, len(rows))
	for i, r := range rows {
		started, err := ParseTime(r.StartedAt)
		if err != nil {
			return nil, err
		}
		seen, err := ParseTime(r.SeenAt)
		if err != nil {
			return nil, err
		}
		out[i] = Instance{ID: r.ID, Hostname: r.Hostname, PID: r.PID, StartedAt: started, SeenAt: seen,
			PollInterval: time.Duration(r.PollMillis) * time.Millisecond, TablesVersion: r.TablesVersion, ReloadError: r.ReloadError}
	}
	return out, nil
}
