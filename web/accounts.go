package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/store"
)

// Errors of logins and sessions, told apart with errors.Is.
var (
	ErrBadLogin  = errors.New("wrong user name or password")
	ErrLocked    = errors.New("locked after too many failed logins")
	ErrNoSession = errors.New("no session, or it expired")
	ErrNotFound  = errors.New("not found")
)

// minPassword is the shortest password a console user may have.
const minPassword = 10

// ConsoleUser is a user of the web console and the admin API.
type ConsoleUser struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	Role        Role      `json:"role"`
	CanEdit     bool      `json:"can_edit"`
	Language    string    `json:"language"`
	Branches    []int64   `json:"branches"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewConsoleUser describes a console user to create.
type NewConsoleUser struct {
	Username, Password string
	Role               Role
	CanEdit            bool
	Language           string
	Branches           []int64
}

// Accounts keeps console users, their sessions and API tokens.
type Accounts struct {
	db   *store.DB
	cfg  Config
	cost int
	now  func() time.Time
	// dummy is a hash compared against for unknown names, so that they
	// take as long as a wrong password; made at the first such login, not
	// by every command that opens the accounts.
	dummy func() []byte
}

// NewAccounts returns the console's accounts on db; bcryptCost 0 is
// bcrypt's default.
func NewAccounts(db *store.DB, cfg Config, bcryptCost int) *Accounts {
	cost := cmp.Or(bcryptCost, bcrypt.DefaultCost)
	dummy := sync.OnceValue(func() []byte {
		hash, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), cost)
		return hash
	})
	return &Accounts{db: db, cfg: cfg, cost: cost, now: time.Now, dummy: dummy}
}

func (a *Accounts) stamp() string { return dbtime.Format(a.now()) }

func checkPassword(p string) error {
	if len([]rune(p)) < minPassword {
		return fmt.Errorf("password: want at least %d characters", minPassword)
	}
	return nil
}

func (a *Accounts) checkUser(n NewConsoleUser) error {
	if strings.TrimSpace(n.Username) == "" || len(n.Username) > 255 || strings.ContainsAny(n.Username, " :\t\n") {
		return fmt.Errorf("user name %q: want 1 to 255 characters without spaces or ':'", n.Username)
	}
	return checkGrant(n)
}

// checkGrant checks what a console user may do and see, and its language.
func checkGrant(n NewConsoleUser) error {
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	if err := locale.Check(n.Language); err != nil {
		return err
	}
	if n.Role == BranchManager && len(n.Branches) == 0 {
		return fmt.Errorf("a branch manager needs at least one branch")
	}
	return nil
}

// CreateUser creates a console user.
func (a *Accounts) CreateUser(ctx context.Context, n NewConsoleUser) (ConsoleUser, error) {
	n.Language = cmp.Or(n.Language, "en")
	if err := a.checkUser(n); err != nil {
		return ConsoleUser{}, err
	}
	if err := checkPassword(n.Password); err != nil {
		return ConsoleUser{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), a.cost)
	if err != nil {
		return ConsoleUser{}, err
	}
	var id int64
	err = a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO console_user (username, password_hash, role, can_edit, language, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			n.Username, string(hash), n.Role, n.CanEdit, n.Language, a.stamp())
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("console user %q exists already", n.Username)
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := setBranches(ctx, tx, id, n.Branches); err != nil {
			return err
		}
		return history.Record(ctx, tx, "console_user", id, history.Create)
	})
	if err != nil {
		return ConsoleUser{}, err
	}
	return a.User(ctx, id)
}

func setBranches(ctx context.Context, tx *sqlx.Tx, userID int64, branches []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM console_user_branch WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, b := range branches {
		if _, err := tx.ExecContext(ctx, "INSERT INTO console_user_branch (user_id, branch_id) VALUES (?, ?)", userID, b); err != nil {
			return fmt.Errorf("branch %d: %w", b, err)
		}
	}
	return nil
}

// UpdateUser changes a console user's role, grant, language and branches.
func (a *Accounts) UpdateUser(ctx context.Context, id int64, n NewConsoleUser) error {
	if err := checkGrant(n); err != nil {
		return err
	}
	return a.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE console_user SET role = ?, can_edit = ?, language = ? WHERE id = ?", n.Role, n.CanEdit, n.Language, id); err != nil {
			return err
		}
		return setBranches(ctx, tx, id, n.Branches)
	})
}

// SetLanguage is the language the console speaks to the user.
func (a *Accounts) SetLanguage(ctx context.Context, id int64, language string) error {
	if err := locale.Check(language); err != nil {
		return err
	}
	return a.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE console_user SET language = ? WHERE id = ?", language, id)
		return err
	})
}

// SetPassword replaces a user's password, ends its sessions and lifts a
// lockout.
func (a *Accounts) SetPassword(ctx context.Context, id int64, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return err
	}
	return a.changeUser(ctx, id, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE console_user SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?", string(hash), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM console_session WHERE user_id = ?", id)
		return err
	})
}

// DeleteUser deletes a console user, its sessions and tokens.
func (a *Accounts) DeleteUser(ctx context.Context, id int64) error {
	return a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := a.exists(ctx, tx, id); err != nil {
			return err
		}
		if err := history.Record(ctx, tx, "console_user", id, history.Delete); err != nil {
			return err
		}
		for _, table := range []string{"console_session", "api_token", "console_user_branch"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE user_id = ?", id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM console_user WHERE id = ?", id)
		return err
	})
}

func (a *Accounts) exists(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var n int
	if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM console_user WHERE id = ?", id); err != nil || n == 0 {
		return cmp.Or(err, fmt.Errorf("console user %d: %w", id, ErrNotFound))
	}
	return nil
}

func (a *Accounts) changeUser(ctx context.Context, id int64, change func(*sqlx.Tx) error) error {
	return a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := a.exists(ctx, tx, id); err != nil {
			return err
		}
		if err := change(tx); err != nil {
			return err
		}
		return history.Record(ctx, tx, "console_user", id, history.Update)
	})
}

type consoleUserRow struct {
	ID           int64          `db:"id"`
	Username     string         `db:"username"`
	PasswordHash string         `db:"password_hash"`
	Role         string         `db:"role"`
	CanEdit      bool           `db:"can_edit"`
	Language     string         `db:"language"`
	FailedLogins int            `db:"failed_logins"`
	LockedUntil  sql.NullString `db:"locked_until"`
	CreatedAt    string         `db:"created_at"`
}

const consoleUserColumns = "id, username, password_hash, role, can_edit, language, failed_logins, locked_until, created_at"

func (a *Accounts) user(ctx context.Context, q sqlx.QueryerContext, r consoleUserRow) (ConsoleUser, error) {
	u := ConsoleUser{ID: r.ID, Username: r.Username, Role: Role(r.Role), CanEdit: r.CanEdit, Language: r.Language}
	var err error
	if u.CreatedAt, err = dbtime.Parse(r.CreatedAt); err != nil {
		return u, err
	}
	if u.LockedUntil, err = dbtime.ParseNull(r.LockedUntil); err != nil {
		return u, err
	}
	err = sqlx.SelectContext(ctx, q, &u.Branches, "SELECT branch_id FROM console_user_branch WHERE user_id = ? ORDER BY branch_id", r.ID)
	return u, err
}

// User returns the console user with that id.
func (a *Accounts) User(ctx context.Context, id int64) (ConsoleUser, error) {
	var r consoleUserRow
	err := a.db.GetContext(ctx, &r, "SELECT "+consoleUserColumns+" FROM console_user WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return ConsoleUser{}, fmt.Errorf("console user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ConsoleUser{}, err
	}
	return a.user(ctx, a.db, r)
}

// FindUser returns the console user with that name.
func (a *Accounts) FindUser(ctx context.Context, username string) (ConsoleUser, error) {
	var r consoleUserRow
	err := a.db.GetContext(ctx, &r, "SELECT "+consoleUserColumns+" FROM console_user WHERE username = ?", username)
	if errors.Is(err, sql.ErrNoRows) {
		return ConsoleUser{}, fmt.Errorf("console user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return ConsoleUser{}, err
	}
	return a.user(ctx, a.db, r)
}

// Users lists the console users by name.
func (a *Accounts) Users(ctx context.Context) ([]ConsoleUser, error) {
	var rows []consoleUserRow
	if err := a.db.SelectContext(ctx, &rows, "SELECT "+consoleUserColumns+" FROM console_user ORDER BY username"); err != nil {
		return nil, err
	}
	users := make([]ConsoleUser, 0, len(rows))
	for _, r := range rows {
		u, err := a.user(ctx, a.db, r)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// Login checks a user's password and opens a session, returning the
// cookie's secret. MaxFailedLogins failures in a row lock the user out for
// Lockout, whatever password comes next. Each outcome is audited.
func (a *Accounts) Login(ctx context.Context, username, password, address string) (string, Principal, error) {
	actor := history.Actor{Name: "web:" + username, Address: address}
	var r consoleUserRow
	err := a.db.GetContext(ctx, &r, "SELECT "+consoleUserColumns+" FROM console_user WHERE username = ?", username)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(a.dummy(), []byte(password))
		return "", Principal{}, a.audited(ctx, actor, "login_failed", "unknown user", ErrBadLogin)
	}
	if err != nil {
		return "", Principal{}, err
	}
	now := a.now()
	locked, err := dbtime.ParseNull(r.LockedUntil)
	if err != nil {
		return "", Principal{}, err
	}
	if now.Before(locked) {
		return "", Principal{}, a.audited(ctx, actor, "login_failed", "locked until "+dbtime.Format(locked),
			fmt.Errorf("%w until %s UTC", ErrLocked, locked.Format("15:04")))
	}
	if r.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		failed := r.FailedLogins + 1
		var until any
		detail := fmt.Sprintf("wrong password (%d in a row)", failed)
		if failed >= a.cfg.MaxFailedLogins {
			until, failed = dbtime.Format(now.Add(a.cfg.Lockout)), 0
			detail += ", locked for " + a.cfg.Lockout.String()
		}
		if _, err := a.db.ExecContext(ctx, "UPDATE console_user SET failed_logins = ?, locked_until = ? WHERE id = ?", failed, until, r.ID); err != nil {
			return "", Principal{}, err
		}
		return "", Principal{}, a.audited(ctx, actor, "login_failed", detail, ErrBadLogin)
	}
	secret, hash := newSecret()
	csrf, _ := newSecret()
	err = a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE console_user SET failed_logins = 0, locked_until = NULL WHERE id = ?", r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO console_session (token_hash, user_id, csrf_token, address, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
			hash, r.ID, csrf, address, dbtime.Format(now), dbtime.Format(now)); err != nil {
			return err
		}
		return history.Audit(ctx, tx, actor, "login", "")
	})
	if err != nil {
		return "", Principal{}, err
	}
	p, err := a.Session(ctx, secret)
	return secret, p, err
}

func (a *Accounts) audited(ctx context.Context, actor history.Actor, action, detail string, err error) error {
	if aerr := history.Audit(ctx, a.db, actor, action, detail); aerr != nil {
		return aerr
	}
	return err
}

// Session returns the principal of a session cookie's secret, or
// ErrNoSession when there is none or it passed its idle or absolute
// timeout (then it is deleted).
func (a *Accounts) Session(ctx context.Context, secret string) (Principal, error) {
	var s struct {
		UserID    int64  `db:"user_id"`
		CSRF      string `db:"csrf_token"`
		CreatedAt string `db:"created_at"`
		LastSeen  string `db:"last_seen_at"`
	}
	hash := hashSecret(secret)
	err := a.db.GetContext(ctx, &s, "SELECT user_id, csrf_token, created_at, last_seen_at FROM console_session WHERE token_hash = ?", hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	created, err := dbtime.Parse(s.CreatedAt)
	if err != nil {
		return Principal{}, err
	}
	seen, err := dbtime.Parse(s.LastSeen)
	if err != nil {
		return Principal{}, err
	}
	now := a.now()
	if now.Sub(seen) > a.cfg.SessionIdle || now.Sub(created) > a.cfg.SessionMax {
		_, err := a.db.ExecContext(ctx, "DELETE FROM console_session WHERE token_hash = ?", hash)
		return Principal{}, cmp.Or(err, ErrNoSession)
	}
	if now.Sub(seen) > time.Minute { // a write a minute, not one per request
		if _, err := a.db.ExecContext(ctx, "UPDATE console_session SET last_seen_at = ? WHERE token_hash = ?", dbtime.Format(now), hash); err != nil {
			return Principal{}, err
		}
	}
	u, err := a.User(ctx, s.UserID)
	if err != nil {
		return Principal{}, err
	}
	return principal(u, s.CSRF), nil
}

func principal(u ConsoleUser, csrf string) Principal {
	p := Principal{UserID: u.ID, Username: u.Username, Role: u.Role, CanEdit: u.CanEdit, Language: u.Language, CSRF: csrf}
	if u.Role == BranchManager {
		p.Branches = append([]int64{}, u.Branches...)
	}
	return p
}

// Logout ends a session.
func (a *Accounts) Logout(ctx context.Context, secret string, p Principal, address string) error {
	if _, err := a.db.ExecContext(ctx, "DELETE FROM console_session WHERE token_hash = ?", hashSecret(secret)); err != nil {
		return err
	}
	return history.Audit(ctx, a.db, history.Actor{Name: p.Actor(), Address: address}, "logout", "")
}

// Token is an API token as listed; its secret is shown once, at creation.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	LastUsed  time.Time `json:"last_used_at,omitzero"`
}

// tokenPrefix marks radbill's API tokens, so a leaked one is recognised.
const tokenPrefix = "rbt_"

// CreateToken makes an API token for a console user's scripts, with a
// role of its own (a branch manager's token sees that user's branches).
// The secret is returned once; only its hash is kept.
func (a *Accounts) CreateToken(ctx context.Context, userID int64, name string, role Role) (string, Token, error) {
	if strings.TrimSpace(name) == "" || len(name) > 255 {
		return "", Token{}, fmt.Errorf("token name %q: want 1 to 255 characters", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	random, _ := newSecret()
	secret := tokenPrefix + random
	hash := hashSecret(secret)
	var id int64
	err := a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := a.exists(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO api_token (name, token_hash, role, user_id, created_at) VALUES (?, ?, ?, ?, ?)", name, hash, role, userID, a.stamp())
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return history.Record(ctx, tx, "api_token", id, history.Create)
	})
	if err != nil {
		return "", Token{}, err
	}
	t, err := a.token(ctx, id)
	return secret, t, err
}

// RevokeToken makes a token refused from now on.
func (a *Accounts) RevokeToken(ctx context.Context, id int64) error {
	return a.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", a.stamp(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d, not revoked: %w", id, ErrNotFound)
		}
		return history.Record(ctx, tx, "api_token", id, history.Update)
	})
}

const tokenQuery = `SELECT t.id, t.name, t.role, t.user_id, u.username, t.created_at, t.revoked_at, t.last_used_at
	FROM api_token t JOIN console_user u ON u.id = t.user_id`

type tokenRow struct {
	ID        int64          `db:"id"`
	Name      string         `db:"name"`
	Role      string         `db:"role"`
	UserID    int64          `db:"user_id"`
	Username  string         `db:"username"`
	CreatedAt string         `db:"created_at"`
	RevokedAt sql.NullString `db:"revoked_at"`
	LastUsed  sql.NullString `db:"last_used_at"`
}

func (r tokenRow) token() (Token, error) {
	t := Token{ID: r.ID, Name: r.Name, Role: Role(r.Role), UserID: r.UserID, Username: r.Username}
	var err error
	if t.CreatedAt, err = dbtime.Parse(r.CreatedAt); err != nil {
		return t, err
	}
	if t.RevokedAt, err = dbtime.ParseNull(r.RevokedAt); err != nil {
		return t, err
	}
	t.LastUsed, err = dbtime.ParseNull(r.LastUsed)
	return t, err
}

func (a *Accounts) token(ctx context.Context, id int64) (Token, error) {
	var r tokenRow
	if err := a.db.GetContext(ctx, &r, tokenQuery+" WHERE t.id = ?", id); err != nil {
		return Token{}, err
	}
	return r.token()
}

// Tokens lists every API token, newest first.
func (a *Accounts) Tokens(ctx context.Context) ([]Token, error) {
	var rows []tokenRow
	if err := a.db.SelectContext(ctx, &rows, tokenQuery+" ORDER BY t.id DESC"); err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// TokenPrincipal returns who a bearer token speaks for; a revoked or
// unknown token is ErrNoSession.
func (a *Accounts) TokenPrincipal(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Principal{}, ErrNoSession
	}
	var r tokenRow
	err := a.db.GetContext(ctx, &r, tokenQuery+" WHERE t.token_hash = ?", hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.RevokedAt.Valid) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	if _, err := a.db.ExecContext(ctx, "UPDATE api_token SET last_used_at = ? WHERE id = ?", a.stamp(), r.ID); err != nil {
		return Principal{}, err
	}
	u, err := a.User(ctx, r.UserID)
	if err != nil {
		return Principal{}, err
	}
	u.Role = Role(r.Role)
	p := principal(u, "")
	p.TokenID, p.TokenName = r.ID, r.Name
	return p, nil
}

// newSecret returns 32 random bytes as URL-safe text, and their hash.
func newSecret() (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret)
}

// hashSecret is what the database keeps of a session's or token's secret:
// they are random and long, so a fast hash is enough.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// sameToken compares two CSRF tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
