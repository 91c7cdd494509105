// Package history keeps a version of every entity an administrator
// changes, as Kill Bill's history tables do: a full snapshot of its rows
// after each change (before, for a delete), who made it and why, written in
// the change's own transaction by whichever package makes the change
// (org, limits, store, the web console's users), so a change from the web,
// the API or the CLI is recorded alike. Revert and Restore write a
// snapshot back and are versions themselves.
//
// Snapshots are taken generically from the entity's table and its child
// tables (a user's numbers), so a new column is in every snapshot without
// code here; the entities and their tables are listed in specs.
package history

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/internal/dbtime"
)

// Operation is what a version records.
type Operation string

const (
	Create Operation = "create"
	Update Operation = "update"
	Delete Operation = "delete"
)

// Errors callers tell apart with errors.Is.
var (
	ErrUnknownEntity = errors.New("unknown entity")
	ErrNoVersion     = errors.New("no such version")
	// ErrConflict: a revert or restore that would take something another
	// entity holds now (a number given to someone else since).
	ErrConflict = errors.New("conflict")
	// ErrState: a revert of a deleted entity, a restore of a live one.
	ErrState = errors.New("wrong state")
)

// Actor is who makes a change: "web:alice", "token:nightly-export",
// "cli:root", "radiusd". Reason is optional; Address is the client's
// address for changes over HTTP.
type Actor struct {
	Name, Reason, Address string
}

type actorKey struct{}

// WithActor returns ctx carrying who makes the changes made with it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor ctx carries, or "system" when none does.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Name != "" {
		return a
	}
	return Actor{Name: "system"}
}

// CLIActor is "cli:<os user>", the actor of the radbill command.
func CLIActor(reason string) Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Actor{Name: "cli:" + name, Reason: reason}
}

// spec says where an entity's rows are.
type spec struct {
	table string
	// key is the column that names a row: "id" unless said (a gateway is
	// its client name).
	key      string
	children []child
	// omit: secrets never copied into a snapshot (a password's hash).
	omit []string
	// keep: columns a revert leaves as they are: money the ledger keeps,
	// counters that are not an administrator's choice.
	keep []string
	// tables: a whole-table entity (the tariff, the translation rules),
	// parents first; its id is 0.
	tables []string
	// parents: the tables of a whole entity whose rows other tables refer
	// to (CDRs, gateways, cards): a revert updates and adds them but never
	// deletes one.
	parents []string
	// reloads: a revert or restore changes what radiusd rates and owns
	// calls with (tariffs, rules, gateways, users' and departments'
	// numbers, cards), so tariff_version moves and every server reloads.
	reloads bool
}

// child is a table of rows that belong to the entity through column; key
// names the row to someone reading a conflict.
type child struct {
	table, column, key string
	// unique: key is unique in table (a number has one owner), so a
	// restore is refused when someone else holds it now.
	unique bool
}

var specs = map[string]spec{
	"branch":     {table: "branch"},
	"department": {table: "department", children: []child{{"enterprise_user_number", "department_id", "number", true}}, reloads: true},
	"user":       {table: "enterprise_user", children: []child{{"enterprise_user_number", "user_id", "number", true}}, reloads: true},
	"card": {table: "prepaid_account", omit: []string{"pin_hash", "pin_sealed"},
		keep: []string{"balance_micros"}, reloads: true},
	"gateway": {table: "gateway", key: "client_name", reloads: true},
	"console_user": {table: "console_user", children: []child{{"console_user_branch", "user_id", "branch_id", false}},
		omit: []string{"password_hash"}, keep: []string{"failed_logins", "locked_until"}},
	"api_token": {table: "api_token", omit: []string{"token_hash"}, keep: []string{"last_used_at"}},
	"tariff": {tables: []string{"tariff_plan", "zone", "time_band", "zone_prefix", "time_band_rule", "holiday", "rate", "rate_tier"},
		parents: []string{"tariff_plan", "zone"}, reloads: true},
	"translation_rules": {tables: []string{"translation_rule"}, reloads: true},
	"partner": {table: "partner", children: []child{{"partner_gateway", "partner_id", "selector", true}, {"partner_rate", "partner_id", "rate_type", false},
		{"partner_route", "origin_id", "destination_id", false}}, reloads: true},
}

// Entities are the names history knows, sorted.
func Entities() []string {
	names := make([]string, 0, len(specs))
	for name := range specs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Whole tells an entity that is whole tables (id 0): the tariff, the rules.
func Whole(entity string) bool { return len(specs[entity].tables) > 0 }

func specOf(entity string) (spec, error) {
	s, ok := specs[entity]
	if !ok {
		return s, fmt.Errorf("%q (want one of %s): %w", entity, strings.Join(Entities(), ", "), ErrUnknownEntity)
	}
	s.key = cmp.Or(s.key, "id")
	return s, nil
}

// arg is key as a statement argument: an id is a number.
func (s spec) arg(key string) any {
	if s.key == "id" {
		if id, err := strconv.ParseInt(key, 10, 64); err == nil {
			return id
		}
	}
	return key
}

// ID is the key of an entity named by its id.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Row is one table row, column → value (a string, a json.Number or nil).
type Row map[string]any

// Snapshot is an entity's rows at one version.
type Snapshot struct {
	// Row and Children: an entity with an id.
	Row      Row              `json:"row,omitempty"`
	Children map[string][]Row `json:"children,omitempty"`
	// Tables: a whole-table entity.
	Tables map[string][]Row `json:"tables,omitempty"`
}

// Record writes a version of entity id as it is in tx now, by ctx's actor.
// A delete is recorded before the row goes, so its snapshot is what a
// restore brings back.
func Record(ctx context.Context, tx *sqlx.Tx, entity string, id int64, op Operation) error {
	return RecordKey(ctx, tx, entity, ID(id), op)
}

// RecordKey is Record for an entity named by another key (a gateway's
// client name; "" for a whole-table entity).
func RecordKey(ctx context.Context, tx *sqlx.Tx, entity, key string, op Operation) error {
	s, err := specOf(entity)
	if err != nil {
		return err
	}
	snap, err := take(ctx, tx, s, key)
	if err != nil {
		return fmt.Errorf("history of %s %s: %w", entity, key, err)
	}
	return write(ctx, tx, entity, key, op, snap, ActorOf(ctx))
}

func write(ctx context.Context, tx *sqlx.Tx, entity, key string, op Operation, snap Snapshot, a Actor) error {
	body, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	var version int
	if err := tx.GetContext(ctx, &version, "SELECT COALESCE(MAX(version), 0) + 1 FROM entity_version WHERE entity = ? AND entity_key = ?", entity, key); err != nil {
		return err
	}
	now := dbtime.Format(time.Now())
	if _, err := tx.ExecContext(ctx, "INSERT INTO entity_version (entity, entity_key, version, operation, snapshot, actor, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		entity, key, version, op, string(body), a.Name, a.Reason, now); err != nil {
		return err
	}
	detail := strings.TrimSpace(fmt.Sprintf("%s %s %s", op, entity, key)) + fmt.Sprintf(" version %d", version)
	if a.Reason != "" {
		detail += ": " + a.Reason
	}
	return Audit(ctx, tx, a, "change", detail)
}

// Audit appends to the audit log: logins, failed logins, denials, changes.
func Audit(ctx context.Context, ex sqlx.ExecerContext, a Actor, action, detail string) error {
	_, err := ex.ExecContext(ctx, "INSERT INTO audit_log (created_at, actor, address, action, detail) VALUES (?, ?, ?, ?, ?)",
		dbtime.Format(time.Now()), a.Name, a.Address, action, truncate(detail, 2000))
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func take(ctx context.Context, tx *sqlx.Tx, s spec, key string) (Snapshot, error) {
	var snap Snapshot
	if len(s.tables) > 0 {
		snap.Tables = map[string][]Row{}
		for _, table := range s.tables {
			rows, err := selectRows(ctx, tx, s, "SELECT * FROM "+table+" ORDER BY 1")
			if err != nil {
				return snap, err
			}
			snap.Tables[table] = rows
		}
		return snap, nil
	}
	rows, err := selectRows(ctx, tx, s, "SELECT * FROM "+s.table+" WHERE "+s.key+" = ?", s.arg(key))
	if err != nil {
		return snap, err
	}
	if len(rows) != 1 {
		return snap, fmt.Errorf("%s %s: no such row", s.table, key)
	}
	snap.Row = rows[0]
	for _, c := range s.children {
		rows, err := selectRows(ctx, tx, s, "SELECT * FROM "+c.table+" WHERE "+c.column+" = ? ORDER BY "+c.key, s.arg(key))
		if err != nil {
			return snap, err
		}
		if len(rows) > 0 {
			if snap.Children == nil {
				snap.Children = map[string][]Row{}
			}
			snap.Children[c.table] = rows
		}
	}
	return snap, nil
}

func selectRows(ctx context.Context, q sqlx.QueryerContext, s spec, query string, args ...any) ([]Row, error) {
	rows, err := q.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			return nil, err
		}
		row := Row{}
		for col, v := range m {
			if slices.Contains(s.omit, col) {
				continue
			}
			row[col] = plain(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// plain makes a scanned value what a snapshot holds: MySQL returns text
// and DATETIME as bytes, SQLite may return a time.
func plain(v any) any {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case time.Time:
		return dbtime.Format(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return v
}
