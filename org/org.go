// Package org holds the enterprise's organisation: branches (sites) and
// departments (cost centres), each department in a branch. Enterprise
// users (package limits) belong to a department, numbers to a user or
// directly to a department (shared phones, fax, reception), gateways to a
// branch. Rating stamps each CDR with its department and branch at call
// time, so reports keep last month's calls where they were made when a
// user moves.
package org

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/store"
)

// Errors callers tell apart with errors.Is; messages name the row.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrInUse: a branch or department that something still belongs to.
	ErrInUse = errors.New("in use")
)

// Branch is a site of the enterprise.
type Branch struct {
	ID        int64  `db:"id" json:"id"`
	Name      string `db:"name" json:"name"`
	CreatedAt string `db:"created_at" json:"created_at"`
}

// Department is a cost centre in a branch.
type Department struct {
	ID         int64  `db:"id" json:"id"`
	BranchID   int64  `db:"branch_id" json:"branch_id"`
	BranchName string `db:"branch_name" json:"branch"`
	Name       string `db:"name" json:"name"`
	CreatedAt  string `db:"created_at" json:"created_at"`
}

// Path is "Branch/Department", the name that finds a department whatever
// other branches call theirs.
func (d Department) Path() string { return d.BranchName + "/" + d.Name }

// Service reads and changes the organisation.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service on db.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

func (s *Service) stamp() string { return store.FormatTime(s.now()) }

func checkName(what, name string) error {
	if strings.TrimSpace(name) == "" || len(name) > 255 || strings.Contains(name, "/") {
		return fmt.Errorf("%s name %q: want 1 to 255 characters, no '/'", what, name)
	}
	return nil
}

// CreateBranch creates a branch.
func (s *Service) CreateBranch(ctx context.Context, name string) (Branch, error) {
	if err := checkName("branch", name); err != nil {
		return Branch{}, err
	}
	id, err := s.insert(ctx, "branch", "INSERT INTO branch (name, created_at) VALUES (?, ?)", name, s.stamp())
	if store.IsDuplicateKey(err) {
		return Branch{}, fmt.Errorf("branch %q: %w", name, ErrExists)
	}
	if err != nil {
		return Branch{}, err
	}
	return s.branchByID(ctx, id)
}

// Branches lists every branch by name.
func (s *Service) Branches(ctx context.Context) ([]Branch, error) {
	var bs []Branch
	return bs, s.db.SelectContext(ctx, &bs, "SELECT id, name, created_at FROM branch ORDER BY name")
}

func (s *Service) branchByID(ctx context.Context, id int64) (Branch, error) {
	var b Branch
	err := s.db.GetContext(ctx, &b, "SELECT id, name, created_at FROM branch WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("branch %d: %w", id, ErrNotFound)
	}
	return b, err
}

// FindBranch finds a branch by name, or by id when no branch has that name.
func (s *Service) FindBranch(ctx context.Context, nameOrID string) (Branch, error) {
	var b Branch
	err := s.db.GetContext(ctx, &b, "SELECT id, name, created_at FROM branch WHERE name = ?", nameOrID)
	if errors.Is(err, sql.ErrNoRows) {
		if id, perr := strconv.ParseInt(nameOrID, 10, 64); perr == nil {
			return s.branchByID(ctx, id)
		}
		return b, fmt.Errorf("branch %q: %w", nameOrID, ErrNotFound)
	}
	return b, err
}

// RenameBranch renames a branch; reports show the new name for its past
// calls too (they hold the branch's id).
func (s *Service) RenameBranch(ctx context.Context, id int64, name string) error {
	if err := checkName("branch", name); err != nil {
		return err
	}
	return s.rename(ctx, "branch", id, name)
}

// DeleteBranch deletes a branch with no departments and no gateways. Its
// past calls keep its id, which reports then show as a number.
func (s *Service) DeleteBranch(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, ref := range []struct{ table, what string }{{"department", "departments"}, {"gateway", "gateways"}} {
			var n int
			if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM "+ref.table+" WHERE branch_id = ?", id); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("branch %d has %d %s: move or delete them first: %w", id, n, ref.what, ErrInUse)
			}
		}
		return deleteRow(ctx, tx, "branch", id)
	})
}

const departmentColumns = "d.id, d.branch_id, b.name AS branch_name, d.name, d.created_at"
const departmentFrom = " FROM department d JOIN branch b ON b.id = d.branch_id"

// CreateDepartment creates a department in a branch.
func (s *Service) CreateDepartment(ctx context.Context, branchID int64, name string) (Department, error) {
	if err := checkName("department", name); err != nil {
		return Department{}, err
	}
	if _, err := s.branchByID(ctx, branchID); err != nil {
		return Department{}, err
	}
	id, err := s.insert(ctx, "department", "INSERT INTO department (branch_id, name, created_at) VALUES (?, ?, ?)", branchID, name, s.stamp())
	if store.IsDuplicateKey(err) {
		return Department{}, fmt.Errorf("department %q in branch %d: %w", name, branchID, ErrExists)
	}
	if err != nil {
		return Department{}, err
	}
	return s.Department(ctx, id)
}

// Department returns the department with that id.
func (s *Service) Department(ctx context.Context, id int64) (Department, error) {
	var d Department
	err := s.db.GetContext(ctx, &d, "SELECT "+departmentColumns+departmentFrom+" WHERE d.id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("department %d: %w", id, ErrNotFound)
	}
	return d, err
}

// Departments lists the departments of a branch (0: of every branch) by
// branch and name.
func (s *Service) Departments(ctx context.Context, branchID int64) ([]Department, error) {
	query, args := "SELECT "+departmentColumns+departmentFrom, []any{}
	if branchID != 0 {
		query += " WHERE d.branch_id = ?"
		args = append(args, branchID)
	}
	var ds []Department
	return ds, s.db.SelectContext(ctx, &ds, query+" ORDER BY b.name, d.name", args...)
}

// FindDepartment finds a department by "Branch/Department", by a name only
// one branch uses, or by id.
func (s *Service) FindDepartment(ctx context.Context, ref string) (Department, error) {
	var ds []Department
	var err error
	if branch, name, ok := strings.Cut(ref, "/"); ok {
		err = s.db.SelectContext(ctx, &ds, "SELECT "+departmentColumns+departmentFrom+" WHERE b.name = ? AND d.name = ?", branch, name)
	} else {
		err = s.db.SelectContext(ctx, &ds, "SELECT "+departmentColumns+departmentFrom+" WHERE d.name = ? ORDER BY b.name", ref)
	}
	if err != nil {
		return Department{}, err
	}
	switch len(ds) {
	case 1:
		return ds[0], nil
	case 0:
		if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
			return s.Department(ctx, id)
		}
		return Department{}, fmt.Errorf("department %q: %w", ref, ErrNotFound)
	}
	paths := make([]string, len(ds))
	for i, d := range ds {
		paths[i] = d.Path()
	}
	return Department{}, fmt.Errorf("%d branches have a department %q (%s): write Branch/Department", len(ds), ref, strings.Join(paths, ", "))
}

// RenameDepartment renames a department.
func (s *Service) RenameDepartment(ctx context.Context, id int64, name string) error {
	if err := checkName("department", name); err != nil {
		return err
	}
	return s.rename(ctx, "department", id, name)
}

// DeleteDepartment deletes a department no user and no number belongs to.
func (s *Service) DeleteDepartment(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, ref := range []struct{ table, what string }{{"enterprise_user", "users"}, {"enterprise_user_number", "numbers"}} {
			var n int
			if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM "+ref.table+" WHERE department_id = ?", id); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("department %d has %d %s: move or remove them first: %w", id, n, ref.what, ErrInUse)
			}
		}
		return deleteRow(ctx, tx, "department", id)
	})
}

// Numbers returns the numbers a department owns directly.
func (s *Service) Numbers(ctx context.Context, departmentID int64) ([]string, error) {
	var ns []string
	return ns, s.db.SelectContext(ctx, &ns, "SELECT number FROM enterprise_user_number WHERE department_id = ? ORDER BY number", departmentID)
}

// AddNumber makes number the department's own (not any user's): its calls
// are reported under the department and priced by the gateway's plan.
func (s *Service) AddNumber(ctx context.Context, departmentID int64, number string) error {
	if number == "" || len(number) > 64 {
		return fmt.Errorf("number %q: want 1 to 64 characters", number)
	}
	if _, err := s.Department(ctx, departmentID); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO enterprise_user_number (number, department_id) VALUES (?, ?)", number, departmentID)
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("number %s belongs to a user or department already: %w", number, ErrExists)
		}
		if err != nil {
			return err
		}
		return history.Record(ctx, tx, "department", departmentID, history.Update)
	})
}

// RemoveNumber takes a number from the department.
func (s *Service) RemoveNumber(ctx context.Context, departmentID int64, number string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM enterprise_user_number WHERE number = ? AND department_id = ?", number, departmentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("number %s is not department %d's: %w", number, departmentID, ErrNotFound)
		}
		return history.Record(ctx, tx, "department", departmentID, history.Update)
	})
}

// SetGatewayBranch puts a gateway (a NAS client or trunk, by its client
// name) in a branch (0: none); its ownerless legs are reported there.
func (s *Service) SetGatewayBranch(ctx context.Context, clientName string, branchID int64) error {
	branch := sql.NullInt64{Int64: branchID, Valid: branchID != 0}
	if branch.Valid {
		if _, err := s.branchByID(ctx, branchID); err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		op, err := store.EnsureGatewayTx(ctx, tx, clientName)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE gateway SET branch_id = ? WHERE client_name = ?", branch, clientName); err != nil {
			return err
		}
		return history.RecordKey(ctx, tx, "gateway", clientName, op)
	})
}

// rename renames a branch or department; the table is the entity's name.
func (s *Service) rename(ctx context.Context, table string, id int64, name string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var exists int
		if err := tx.GetContext(ctx, &exists, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", id); err != nil || exists == 0 {
			return cmp.Or(err, fmt.Errorf("%s %d: %w", table, id, ErrNotFound))
		}
		_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET name = ? WHERE id = ?", name, id)
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("%s %q: %w", table, name, ErrExists)
		}
		if err != nil {
			return err
		}
		return history.Record(ctx, tx, table, id, history.Update)
	})
}

// insert creates a branch or department and records its first version.
func (s *Service) insert(ctx context.Context, table, query string, args ...any) (int64, error) {
	var id int64
	return id, s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return history.Record(ctx, tx, table, id, history.Create)
	})
}

// deleteRow deletes a branch or department, its last version recorded
// first so that history can restore it.
func deleteRow(ctx context.Context, tx *sqlx.Tx, table string, id int64) error {
	var exists int
	if err := tx.GetContext(ctx, &exists, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", id); err != nil || exists == 0 {
		return cmp.Or(err, fmt.Errorf("%s %d: %w", table, id, ErrNotFound))
	}
	if err := history.Record(ctx, tx, table, id, history.Delete); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE id = ?", id)
	return err
}
