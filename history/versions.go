package history

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/internal/dbtime"
)

// Version is one recorded change of an entity.
type Version struct {
	Entity    string    `json:"entity"`
	Key       string    `json:"key"`
	Version   int       `json:"version"`
	Operation Operation `json:"operation"`
	Snapshot  Snapshot  `json:"snapshot"`
	Actor     string    `json:"actor"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

type versionRow struct {
	Entity    string `db:"entity"`
	Key       string `db:"entity_key"`
	Version   int    `db:"version"`
	Operation string `db:"operation"`
	Snapshot  string `db:"snapshot"`
	Actor     string `db:"actor"`
	Reason    string `db:"reason"`
	CreatedAt string `db:"created_at"`
}

func (r versionRow) version() (Version, error) {
	v := Version{Entity: r.Entity, Key: r.Key, Version: r.Version, Operation: Operation(r.Operation), Actor: r.Actor, Reason: r.Reason}
	dec := json.NewDecoder(strings.NewReader(r.Snapshot))
	dec.UseNumber() // ids and micro-units stay exact int64
	if err := dec.Decode(&v.Snapshot); err != nil {
		return v, fmt.Errorf("%s %s version %d: %w", r.Entity, r.Key, r.Version, err)
	}
	at, err := dbtime.Parse(r.CreatedAt)
	v.At = at
	return v, err
}

const versionColumns = "entity, entity_key, version, operation, snapshot, actor, reason, created_at"

// Versions lists the versions of the entity with that key, oldest first.
func Versions(ctx context.Context, q sqlx.QueryerContext, entity, key string) ([]Version, error) {
	if _, err := specOf(entity); err != nil {
		return nil, err
	}
	return selectVersions(ctx, q, "SELECT "+versionColumns+" FROM entity_version WHERE entity = ? AND entity_key = ? ORDER BY version", entity, key)
}

func selectVersions(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]Version, error) {
	var rows []versionRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(rows))
	for _, r := range rows {
		v, err := r.version()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Recent lists the latest changes of every entity, newest first; entity ""
// is every kind.
func Recent(ctx context.Context, q sqlx.QueryerContext, entity string, limit int) ([]Version, error) {
	query, args := "SELECT "+versionColumns+" FROM entity_version", []any{}
	if entity != "" {
		query += " WHERE entity = ?"
		args = append(args, entity)
	}
	return selectVersions(ctx, q, query+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
}

// FieldChange is one field that differs between two versions.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Diff lists what changed from a to b, field by field: the entity's
// columns, its children by key ("numbers"), a whole entity's rows by id.
func Diff(a, b Snapshot) []FieldChange {
	var out []FieldChange
	out = append(out, diffRow("", a.Row, b.Row)...)
	for _, table := range unionKeys(a.Children, b.Children) {
		old, new := childKeys(a.Children[table]), childKeys(b.Children[table])
		if old != new {
			out = append(out, FieldChange{Field: table, Old: old, New: new})
		}
	}
	for _, table := range unionKeys(a.Tables, b.Tables) {
		old, new := byID(a.Tables[table]), byID(b.Tables[table])
		for _, id := range unionKeys(old, new) {
			out = append(out, diffRow(table+" "+id+".", old[id], new[id])...)
		}
	}
	return out
}

func diffRow(prefix string, a, b Row) []FieldChange {
	var out []FieldChange
	for _, col := range unionKeys(a, b) {
		old, new := text(a, col), text(b, col)
		if old != new {
			out = append(out, FieldChange{Field: prefix + col, Old: old, New: new})
		}
	}
	return out
}

func text(r Row, col string) string {
	v, ok := r[col]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// childKeys names a child table's rows: by their number or branch (a
// user's numbers, a console user's branches), else by their values (a
// partner's gateways, rates and routes).
func childKeys(rows []Row) string {
	var keys []string
	for _, r := range rows {
		key := ""
		for _, col := range []string{"number", "branch_id"} {
			if v, ok := r[col]; ok {
				key = fmt.Sprint(v)
				break
			}
		}
		if key == "" {
			var fields []string
			for _, col := range slices.Sorted(maps.Keys(r)) {
				if col != "id" {
					fields = append(fields, col+"="+text(r, col))
				}
			}
			key = strings.Join(fields, " ")
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

func byID(rows []Row) map[string]Row {
	m := map[string]Row{}
	for _, r := range rows {
		if id, ok := r["id"]; ok {
			m[fmt.Sprint(id)] = r
			continue
		}
		body, _ := json.Marshal(r) // a table without an id: a row is its values
		m[string(body)] = r
	}
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Revert writes entity id back as it was at version and records that as a
// new version. A deleted entity is restored, not reverted.
func Revert(ctx context.Context, db *sqlx.DB, entity, key string, version int) error {
	return change(ctx, db, entity, key, func(versions []Version) (Snapshot, Operation, string, error) {
		last := versions[len(versions)-1]
		if last.Operation == Delete {
			return Snapshot{}, "", "", fmt.Errorf("%s %s is deleted: restore it rather than revert: %w", entity, key, ErrState)
		}
		i := slices.IndexFunc(versions, func(v Version) bool { return v.Version == version })
		if i < 0 {
			return Snapshot{}, "", "", fmt.Errorf("%s %s version %d: %w", entity, key, version, ErrNoVersion)
		}
		if versions[i].Operation == Delete {
			return Snapshot{}, "", "", fmt.Errorf("%s %s version %d is its deletion: pick another version: %w", entity, key, version, ErrState)
		}
		return versions[i].Snapshot, Update, fmt.Sprintf("revert to version %d", version), nil
	})
}

// Restore brings a deleted entity back as it was when deleted, with its
// numbers; refused when one of them belongs to someone else now.
func Restore(ctx context.Context, db *sqlx.DB, entity, key string) error {
	return change(ctx, db, entity, key, func(versions []Version) (Snapshot, Operation, string, error) {
		last := versions[len(versions)-1]
		if last.Operation != Delete {
			return Snapshot{}, "", "", fmt.Errorf("%s %s is not deleted: %w", entity, key, ErrState)
		}
		return last.Snapshot, Create, fmt.Sprintf("restore of version %d", last.Version), nil
	})
}

type decision func(versions []Version) (Snapshot, Operation, string, error)

func change(ctx context.Context, db *sqlx.DB, entity, key string, decide decision) error {
	s, err := specOf(entity)
	if err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	versions, err := Versions(ctx, tx, entity, key)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		return fmt.Errorf("%s %s has no history: %w", entity, key, ErrNoVersion)
	}
	snap, op, what, err := decide(versions)
	if err != nil {
		return err
	}
	if len(s.tables) > 0 {
		err = applyTables(ctx, tx, s, snap)
	} else {
		err = applyEntity(ctx, tx, s, entity, key, snap)
	}
	if err != nil {
		return err
	}
	if s.reloads {
		if _, err := tx.ExecContext(ctx, "UPDATE tariff_version SET version = version + 1, changed_at = ? WHERE id = 1", dbtime.Format(time.Now())); err != nil {
			return err
		}
	}
	a := ActorOf(ctx)
	if a.Reason != "" {
		what += ": " + a.Reason
	}
	a.Reason = what
	now, err := take(ctx, tx, s, key)
	if err != nil {
		return err
	}
	if err := write(ctx, tx, entity, key, op, now, a); err != nil {
		return err
	}
	return tx.Commit()
}

func applyEntity(ctx context.Context, tx *sqlx.Tx, s spec, entity, key string, snap Snapshot) error {
	var exists int
	if err := tx.GetContext(ctx, &exists, "SELECT COUNT(*) FROM "+s.table+" WHERE "+s.key+" = ?", s.arg(key)); err != nil {
		return err
	}
	if exists > 0 {
		if err := update(ctx, tx, s.table, s.key, snap.Row, s.keep); err != nil {
			return fmt.Errorf("%s %s: %w", entity, key, err)
		}
	} else if err := insert(ctx, tx, s.table, snap.Row); err != nil {
		return fmt.Errorf("%s %s cannot come back (%v): %w", entity, key, err, ErrConflict)
	}
	for _, c := range s.children {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+c.table+" WHERE "+c.column+" = ?", s.arg(key)); err != nil {
			return err
		}
		for _, row := range snap.Children[c.table] {
			if c.unique {
				var taken int
				if err := tx.GetContext(ctx, &taken, "SELECT COUNT(*) FROM "+c.table+" WHERE "+c.key+" = ?", value(row[c.key])); err != nil {
					return err
				}
				if taken > 0 {
					return fmt.Errorf("%s %v of %s %s belongs to someone else since: take it back first: %w", c.key, row[c.key], entity, key, ErrConflict)
				}
			}
			if err := insert(ctx, tx, c.table, row); err != nil {
				return fmt.Errorf("%s %v of %s %s: %v: %w", c.key, row[c.key], entity, key, err, ErrConflict)
			}
		}
	}
	return nil
}

// applyTables replaces a whole entity's rows with snap's, children first
// out and parents first in; parent rows (plans and zones, which CDRs and
// gateways name) are updated and added, never deleted.
func applyTables(ctx context.Context, tx *sqlx.Tx, s spec, snap Snapshot) error {
	for _, table := range slices.Backward(s.tables) {
		if !slices.Contains(s.parents, table) {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return fmt.Errorf("clear %s: %w", table, err)
			}
		}
	}
	for _, table := range s.tables {
		for _, row := range snap.Tables[table] {
			var exists int
			if slices.Contains(s.parents, table) {
				if err := tx.GetContext(ctx, &exists, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", value(row["id"])); err != nil {
					return err
				}
			}
			var err error
			if exists > 0 {
				err = update(ctx, tx, table, "id", row, nil)
			} else {
				err = insert(ctx, tx, table, row)
			}
			if err != nil {
				return fmt.Errorf("%s %v: %w", table, row["id"], err)
			}
		}
	}
	return nil
}

func update(ctx context.Context, tx *sqlx.Tx, table, key string, row Row, keep []string) error {
	var sets []string
	var args []any
	for _, col := range slices.Sorted(maps.Keys(row)) {
		if col == key || slices.Contains(keep, col) {
			continue
		}
		sets = append(sets, col+" = ?")
		args = append(args, value(row[col]))
	}
	if len(sets) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+" WHERE "+key+" = ?", append(args, value(row[key]))...)
	return err
}

func insert(ctx context.Context, tx *sqlx.Tx, table string, row Row) error {
	cols := slices.Sorted(maps.Keys(row))
	args := make([]any, len(cols))
	for i, col := range cols {
		args[i] = value(row[col])
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES (?"+strings.Repeat(", ?", len(cols)-1)+")", args...)
	return err
}

// value turns a snapshot's value back into a statement argument.
func value(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	return n.String()
}
