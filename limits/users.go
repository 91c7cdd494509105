package limits

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/rating"
)

// LimitType says how an enterprise user's limit treats calls.
type LimitType string

const (
	// LimitNormal gives each call the credit time that what is left of the
	// period's limit buys; e-mails at the warning threshold and the limit.
	LimitNormal LimitType = "normal"
	// LimitNotification lets every call through and only e-mails.
	LimitNotification LimitType = "notification"
	// LimitUnrestricted lets every call through, without e-mails.
	LimitUnrestricted LimitType = "unrestricted"
	// LimitBlocked refuses every call (CodeUserDenied).
	LimitBlocked LimitType = "blocked"
)

// maxLimit keeps limit × percent far inside int64: a billion currency units.
const maxLimit = 1_000_000_000 * rating.MicrosPerUnit

// Limit is an enterprise user's spending limit.
type Limit struct {
	Type LimitType // default LimitNormal
	// Amount is what the user may spend per period.
	Amount rating.Money
	// WarningPercent of Amount triggers the warning e-mail (default 80).
	WarningPercent int
	// ResetDay is the day of the month a period starts, at local midnight
	// of the plan's time zone (default 1). Days past a month's end mean its
	// last day: 31 resets on 30 April and 28/29 February.
	ResetDay int
}

// withDefaults fills zero fields and checks the result.
func (l Limit) withDefaults() (Limit, error) {
	l.Type = cmp.Or(l.Type, LimitNormal)
	l.WarningPercent = cmp.Or(l.WarningPercent, 80)
	l.ResetDay = cmp.Or(l.ResetDay, 1)
	switch {
	case l.Type != LimitNormal && l.Type != LimitNotification && l.Type != LimitUnrestricted && l.Type != LimitBlocked:
		return l, fmt.Errorf("limit type %q: want %s, %s, %s or %s", l.Type, LimitNormal, LimitNotification, LimitUnrestricted, LimitBlocked)
	case l.Amount < 0 || l.Amount > maxLimit:
		return l, fmt.Errorf("limit %s: want 0 to %s", l.Amount, rating.Money(maxLimit))
	case l.WarningPercent < 1 || l.WarningPercent > 100:
		return l, fmt.Errorf("warning threshold %d%%: want 1 to 100", l.WarningPercent)
	case l.ResetDay < 1 || l.ResetDay > 31:
		return l, fmt.Errorf("reset day %d: want 1 to 31", l.ResetDay)
	}
	return l, nil
}

// NewUser describes an enterprise user to create.
type NewUser struct {
	Name, Email string
	// Language is the limit e-mails' language (package locale); "": the
	// mailer's default.
	Language string
	// DepartmentID is the user's department (package org); 0: none.
	DepartmentID int64
	PlanID       int64
	Limit        Limit
	// Numbers are the calling numbers and extensions that identify the
	// user, as the gateway reports them after translation.
	Numbers []string
}

// User is an enterprise user as stored.
type User struct {
	ID           int64
	Name, Email  string
	Language     string // "": the mailer's default
	DepartmentID int64  // 0: none
	PlanID       int64
	Limit        Limit
	Numbers      []string
	CreatedAt    time.Time
}

type userRow struct {
	ID             int64         `db:"id"`
	Name           string        `db:"name"`
	Email          string        `db:"email"`
	Language       string        `db:"language"`
	DepartmentID   sql.NullInt64 `db:"department_id"`
	PlanID         int64         `db:"plan_id"`
	LimitType      string        `db:"limit_type"`
	LimitMicros    int64         `db:"limit_micros"`
	WarningPercent int           `db:"warning_percent"`
	ResetDay       int           `db:"reset_day"`
	CreatedAt      string        `db:"created_at"`
	// DeletedAt: a deleted user keeps its row for its calls, ledger and
	// e-mails, without numbers; only history can bring it back.
	DeletedAt sql.NullString `db:"deleted_at"`
}

const userColumns = "id, name, email, language, department_id, plan_id, limit_type, limit_micros, warning_percent, reset_day, created_at, deleted_at"

func (r userRow) limit() Limit {
	return Limit{Type: LimitType(r.LimitType), Amount: rating.Money(r.LimitMicros), WarningPercent: r.WarningPercent, ResetDay: r.ResetDay}
}

// CreateUser creates an enterprise user with its numbers.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	limit, err := n.Limit.withDefaults()
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", n.Name, err)
	}
	if n.Name == "" {
		return User{}, fmt.Errorf("user: empty name")
	}
	if err := checkContact(n.Email, n.Language); err != nil {
		return User{}, fmt.Errorf("user %q: %w", n.Name, err)
	}
	_, createdAt := s.nowStamp()
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := planOf(ctx, tx, n.PlanID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO enterprise_user (name, email, language, department_id, plan_id, limit_type, "+
			"limit_micros, warning_percent, reset_day, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			n.Name, n.Email, n.Language, sql.NullInt64{Int64: n.DepartmentID, Valid: n.DepartmentID != 0}, n.PlanID, limit.Type, int64(limit.Amount), limit.WarningPercent, limit.ResetDay, createdAt)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, number := range n.Numbers {
			if err := addNumber(ctx, tx, id, number); err != nil {
				return err
			}
		}
		return history.Record(ctx, tx, "user", id, history.Create)
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

// checkContact checks where and in which language the limit e-mails go.
func checkContact(email, language string) error {
	if email != "" {
		if _, err := mail.ParseAddress(email); err != nil {
			return fmt.Errorf("e-mail %q: %w", email, err)
		}
	}
	if language != "" {
		return locale.Check(language)
	}
	return nil
}

func addNumber(ctx context.Context, tx sqlx.ExecerContext, userID int64, number string) error {
	if number == "" || len(number) > 64 {
		return fmt.Errorf("calling number %q: want 1 to 64 characters", number)
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO enterprise_user_number (number, user_id) VALUES (?, ?)", number, userID)
	if isDuplicateKey(err) {
		return fmt.Errorf("calling number %s: %w", number, ErrExists)
	}
	return err
}

// User returns the user with that id.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	var row userRow
	err := s.db.GetContext(ctx, &row, "SELECT "+userColumns+" FROM enterprise_user WHERE id = ? AND deleted_at IS NULL", id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, err
	}
	users, err := s.withNumbers(ctx, []userRow{row})
	if err != nil {
		return User{}, err
	}
	return users[0], nil
}

// UserByNumber returns the user a calling number or extension identifies.
func (s *Service) UserByNumber(ctx context.Context, number string) (User, error) {
	id, err := userIDByNumber(ctx, s.db, number)
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

func userIDByNumber(ctx context.Context, q sqlx.QueryerContext, number string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, "SELECT user_id FROM enterprise_user_number WHERE number = ? AND user_id IS NOT NULL", number)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("calling number %s: %w", number, ErrNotFound)
	}
	return id, err
}

// UserFilter selects users for ListUsers; zero fields match all.
type UserFilter struct {
	BranchID, DepartmentID int64
}

// ListUsers returns users ordered by name.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	query, args := "SELECT "+userColumns+" FROM enterprise_user WHERE deleted_at IS NULL", []any{}
	if f.BranchID != 0 {
		query += " AND department_id IN (SELECT id FROM department WHERE branch_id = ?)"
		args = append(args, f.BranchID)
	}
	if f.DepartmentID != 0 {
		query += " AND department_id = ?"
		args = append(args, f.DepartmentID)
	}
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, query+" ORDER BY name, id", args...); err != nil {
		return nil, err
	}
	return s.withNumbers(ctx, rows)
}

func (s *Service) withNumbers(ctx context.Context, rows []userRow) ([]User, error) {
	users := make([]User, len(rows))
	index := make(map[int64]int, len(rows))
	for i, r := range rows {
		created, err := dbtime.Parse(r.CreatedAt)
		if err != nil {
			return nil, err
		}
		users[i] = User{ID: r.ID, Name: r.Name, Email: r.Email, Language: r.Language, DepartmentID: r.DepartmentID.Int64,
			PlanID: r.PlanID, Limit: r.limit(), CreatedAt: created}
		index[r.ID] = i
	}
	if len(rows) == 0 {
		return users, nil
	}
	query, args, err := sqlx.In("SELECT user_id, number FROM enterprise_user_number WHERE user_id IN (?) ORDER BY number", keys(index))
	if err != nil {
		return nil, err
	}
	var numbers []struct {
		UserID int64  `db:"user_id"`
		Number string `db:"number"`
	}
	if err := s.db.SelectContext(ctx, &numbers, query, args...); err != nil {
		return nil, err
	}
	for _, n := range numbers {
		u := &users[index[n.UserID]]
		u.Numbers = append(u.Numbers, n.Number)
	}
	return users, nil
}

func keys(m map[int64]int) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	return ids
}

// SetUserLimit replaces a user's limit; blocking a user is setting the
// type LimitBlocked, which also queues a Disconnect-Request for each of
// its calls in progress. It applies from the next authorization and Stop.
func (s *Service) SetUserLimit(ctx context.Context, id int64, l Limit) error {
	limit, err := l.withDefaults()
	if err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	return s.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE enterprise_user SET limit_type = ?, limit_micros = ?, warning_percent = ?, reset_day = ? WHERE id = ?",
			limit.Type, int64(limit.Amount), limit.WarningPercent, limit.ResetDay, id)
		if err != nil || limit.Type != LimitBlocked {
			return err
		}
		return s.queueDisconnects(ctx, tx, userOwner(id), DisconnectUserBlocked)
	})
}

// SetUserDepartment moves a user to a department (0: none). Calls already
// stored stay under the department they were made in.
func (s *Service) SetUserDepartment(ctx context.Context, id, departmentID int64) error {
	return s.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE enterprise_user SET department_id = ? WHERE id = ?",
			sql.NullInt64{Int64: departmentID, Valid: departmentID != 0}, id)
		return err
	})
}

// SetUserContact sets where ("": nowhere) and in which language ("": the
// mailer's default) the user's limit e-mails go.
func (s *Service) SetUserContact(ctx context.Context, id int64, email, language string) error {
	if err := checkContact(email, language); err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	return s.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE enterprise_user SET email = ?, language = ? WHERE id = ?", email, language, id)
		return err
	})
}

// AddUserNumber makes number identify the user.
func (s *Service) AddUserNumber(ctx context.Context, id int64, number string) error {
	return s.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		return addNumber(ctx, tx, id, number)
	})
}

// RemoveUserNumber makes number identify nobody.
func (s *Service) RemoveUserNumber(ctx context.Context, number string) error {
	id, err := userIDByNumber(ctx, s.db, number)
	if err != nil {
		return err
	}
	return s.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM enterprise_user_number WHERE number = ? AND user_id = ?", number, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, fmt.Errorf("calling number %s: %w", number, ErrNotFound))
		}
		return nil
	})
}

// DeleteUser deletes a user: its numbers identify nobody from now on, so
// its calls are no longer its own, and it leaves the lists. Its row stays
// for the calls, ledger and e-mails it already has; history restores it.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.lockLiveUser(ctx, tx, id); err != nil {
			return err
		}
		if err := history.Record(ctx, tx, "user", id, history.Delete); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM enterprise_user_number WHERE user_id = ?", id); err != nil {
			return err
		}
		_, createdAt := s.nowStamp()
		_, err := tx.ExecContext(ctx, "UPDATE enterprise_user SET deleted_at = ? WHERE id = ?", createdAt, id)
		return err
	})
}

// changeUser runs an administrator's change of a live user in a
// transaction that holds the user's row and records the new version.
func (s *Service) changeUser(ctx context.Context, id int64, change func(*sqlx.Tx) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.lockLiveUser(ctx, tx, id); err != nil {
			return err
		}
		if err := change(tx); err != nil {
			return err
		}
		return history.Record(ctx, tx, "user", id, history.Update)
	})
}

// lockLiveUser is lockUser for a change: a deleted user is not found.
func (s *Service) lockLiveUser(ctx context.Context, tx *sqlx.Tx, id int64) (userRow, error) {
	row, err := s.lockUser(ctx, tx, id)
	if err == nil && row.DeletedAt.Valid {
		return row, fmt.Errorf("user %d is deleted: %w", id, ErrNotFound)
	}
	return row, err
}

// lockUser reads the user's row and locks it until tx ends: authorizing
// and settling a user's calls start here, so the period's spend and the
// reservations a decision reads cannot change under it.
func (s *Service) lockUser(ctx context.Context, tx *sqlx.Tx, id int64) (userRow, error) {
	var row userRow
	err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM enterprise_user WHERE id = ?"+s.forUpdate(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return row, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return row, err
}

// lockUserByNumber finds the user of a calling number and locks its row.
func (s *Service) lockUserByNumber(ctx context.Context, tx *sqlx.Tx, number string) (userRow, error) {
	id, err := userIDByNumber(ctx, tx, number)
	if err != nil {
		return userRow{}, err
	}
	return s.lockUser(ctx, tx, id)
}

// Period is a limit period: from Start (the reset day's local midnight) to
// End, the next one, exclusive.
type Period struct {
	Start, End time.Time
}

// dateLayout writes a period's bounds as local dates.
const dateLayout = "2006-01-02"

// periodAt returns the period containing t for a reset day in loc.
func periodAt(t time.Time, resetDay int, loc *time.Location) Period {
	local := t.In(loc)
	start := resetMidnight(local.Year(), local.Month(), resetDay, loc)
	if local.Before(start) {
		return Period{Start: resetMidnight(local.Year(), local.Month()-1, resetDay, loc), End: start}
	}
	return Period{Start: start, End: resetMidnight(local.Year(), local.Month()+1, resetDay, loc)}
}

// resetMidnight is the start of the reset day in a month, the day clamped
// to the month's last; month may be out of 1..12 (time.Date normalises).
func resetMidnight(year int, month time.Month, day int, loc *time.Location) time.Time {
	first := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, loc)
}

// userPeriod places now in the user's period, in the plan's time zone.
func (s *Service) userPeriod(plan planFacts, resetDay int, now time.Time) (Period, error) {
	loc, err := s.location(plan.TimeZone)
	if err != nil {
		return Period{}, err
	}
	return periodAt(now, resetDay, loc), nil
}

// spendIn sums the user's call debits, and their re-rate corrections,
// accrued in the period.
func spendIn(ctx context.Context, q sqlx.QueryerContext, userID int64, p Period) (rating.Money, error) {
	var debits int64
	err := sqlx.GetContext(ctx, q, &debits, "SELECT COALESCE(SUM(amount_micros), 0) FROM ledger_entry "+
		"WHERE user_id = ? AND kind IN (?, ?) AND accrued_at >= ? AND accrued_at < ?",
		userID, KindCallDebit, KindRerate, dbtime.Format(p.Start), dbtime.Format(p.End))
	return rating.Money(-debits), err
}

// Usage is where a user stands in the current period.
type Usage struct {
	Period   Period
	Limit    Limit
	Currency string
	// Spend is the sum of the period's call debits; Reserved is held by
	// calls in progress (LimitNormal only).
	Spend, Reserved rating.Money
}

// Remaining is what is left of the limit for new calls.
func (u Usage) Remaining() rating.Money { return u.Limit.Amount - u.Spend - u.Reserved }

// UserUsage returns the user's spend in the current period.
func (s *Service) UserUsage(ctx context.Context, id int64) (Usage, error) {
	user, err := s.User(ctx, id)
	if err != nil {
		return Usage{}, err
	}
	plan, err := planOf(ctx, s.db, user.PlanID)
	if err != nil {
		return Usage{}, err
	}
	now, nowText := s.nowStamp()
	period, err := s.userPeriod(plan, user.Limit.ResetDay, now)
	if err != nil {
		return Usage{}, err
	}
	spend, err := spendIn(ctx, s.db, id, period)
	if err != nil {
		return Usage{}, err
	}
	live, err := liveReservations(ctx, s.db, userOwner(id), nowText)
	if err != nil {
		return Usage{}, err
	}
	return Usage{Period: period, Limit: user.Limit, Currency: plan.Currency, Spend: spend, Reserved: live.amount}, nil
}

// UserPeriod is where a user stood in one limit period.
type UserPeriod struct {
	User     User
	Period   Period
	Currency string
	Spend    rating.Money
	// Mails are the limit e-mails of the period by threshold (warning,
	// limit) and their delivery status (pending, sent, failed).
	Mails map[string]string
}

// PeriodReport returns every user's period that starts in the given month
// (at its reset day, in its plan's time zone) with the spend accrued in
// it and the e-mails it caused, ordered by user name.
func (s *Service) PeriodReport(ctx context.Context, year int, month time.Month) ([]UserPeriod, error) {
	users, err := s.ListUsers(ctx, UserFilter{})
	if err != nil {
		return nil, err
	}
	var mails []struct {
		UserID    int64  `db:"user_id"`
		Start     string `db:"period_start"`
		Threshold string `db:"threshold"`
		Status    string `db:"status"`
	}
	// A period starts on its reset day of the month, so its mails have a
	// period_start in the month.
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	if err := s.db.SelectContext(ctx, &mails, "SELECT user_id, period_start, threshold, status FROM limit_notification WHERE period_start >= ? AND period_start < ?",
		first.Format(dateLayout), first.AddDate(0, 1, 0).Format(dateLayout)); err != nil {
		return nil, err
	}
	type periodKey struct {
		user  int64
		start string
	}
	sent := map[periodKey]map[string]string{}
	for _, m := range mails {
		k := periodKey{m.UserID, m.Start}
		if sent[k] == nil {
			sent[k] = map[string]string{}
		}
		sent[k][m.Threshold] = m.Status
	}
	out := make([]UserPeriod, 0, len(users))
	plans := map[int64]planFacts{} // users share a few plans
	for _, u := range users {
		plan, ok := plans[u.PlanID]
		if !ok {
			if plan, err = planOf(ctx, s.db, u.PlanID); err != nil {
				return nil, err
			}
			plans[u.PlanID] = plan
		}
		loc, err := s.location(plan.TimeZone)
		if err != nil {
			return nil, err
		}
		start := resetMidnight(year, month, u.Limit.ResetDay, loc)
		p := Period{Start: start, End: resetMidnight(year, month+1, u.Limit.ResetDay, loc)}
		spend, err := spendIn(ctx, s.db, u.ID, p)
		if err != nil {
			return nil, err
		}
		out = append(out, UserPeriod{User: u, Period: p, Currency: plan.Currency, Spend: spend,
			Mails: sent[periodKey{u.ID, start.Format(dateLayout)}]})
	}
	return out, nil
}
