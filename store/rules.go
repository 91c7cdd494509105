package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/normalize"
)

// AddTranslationRule stores a rule, checked as normalize.Compile checks
// it, and returns its id. tariff_version is bumped.
func (db *DB) AddTranslationRule(ctx context.Context, r normalize.Rule) (int64, error) {
	if err := normalize.Check(r); err != nil {
		return 0, fmt.Errorf("rule: %w", err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	id, err := insertRule(ctx, tx, r)
	if err != nil {
		return 0, err
	}
	if err := history.RecordKey(ctx, tx, "translation_rules", "", history.Update); err != nil {
		return 0, err
	}
	if err := bumpTariffVersion(ctx, tx); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// RemoveTranslationRule deletes the rule with that id; tariff_version is
// bumped.
func (db *DB) RemoveTranslationRule(ctx context.Context, id int64) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, "DELETE FROM translation_rule WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = fmt.Errorf("no translation rule %d", id)
		}
		return err
	}
	if err := history.RecordKey(ctx, tx, "translation_rules", "", history.Update); err != nil {
		return err
	}
	if err := bumpTariffVersion(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func insertRule(ctx context.Context, tx *sqlx.Tx, r normalize.Rule) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO translation_rule (position, gateway, direction, kind, match_text, replace_text,
		min_length, max_length, final, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Position, r.Gateway, r.Direction, r.Kind, r.Match, r.Replace, r.MinLength, r.MaxLength, r.Final, r.Description)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
