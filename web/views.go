package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/spool"
	"github.com/radbill/radbill/store"
)

// Dashboard is the first page: today's and this month's calls and cost,
// the cost of each day of the month, and the health of the parts.
type Dashboard struct {
	Today, Month []report.CostLine // totals per currency
	Days         []report.CostLine // the month by day
	// ActiveCalls, Spool, Database and Servers are shown to principals
	// who see every branch: they are the whole system's.
	ActiveCalls *int64        `json:",omitempty"`
	SpoolBytes  *int64        `json:",omitempty"`
	Database    *DatabaseInfo `json:",omitempty"`
	Servers     []ServerInfo  `json:",omitempty"`
	MonthStart  time.Time
}

// DatabaseInfo is the database's health as the console sees it.
type DatabaseInfo struct {
	Driver    string
	OK        bool
	Error     string `json:",omitempty"`
	LatencyMS float64
}

// ServerInfo is a running radiusd.
type ServerInfo struct {
	ID, Hostname  string
	SeenAt        time.Time
	TablesVersion int64
	ReloadError   string `json:",omitempty"`
}

func (s *Server) dashboard(r *http.Request, p Principal, _ input) (any, error) {
	ctx := r.Context()
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	d := Dashboard{MonthStart: month}
	totals := func(by report.Dimension, from, to time.Time) (report.CostReport, error) {
		return report.Cost(ctx, s.db, report.CostQuery{By: by, From: from, To: to, Branches: p.branchScope()})
	}
	rep, err := totals(report.ByDirection, today, today.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	d.Today = rep.Totals
	days, err := totals(report.ByDay, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	d.Days, d.Month = days.Lines, days.Totals
	if p.Scoped() {
		return d, nil
	}
	started := time.Now()
	info := DatabaseInfo{Driver: s.db.Driver, OK: true}
	if err := s.db.Ping(ctx); err != nil {
		info.OK, info.Error = false, err.Error()
	}
	info.LatencyMS = float64(time.Since(started).Microseconds()) / 1000
	d.Database = &info
	var active int64
	if err := s.db.GetContext(ctx, &active, "SELECT COUNT(*) FROM active_call"); err != nil {
		return nil, err
	}
	d.ActiveCalls = &active
	switch {
	case s.opts.Spool != nil:
		_, bytes := s.opts.Spool.Depth()
		d.SpoolBytes = &bytes
	case s.opts.SpoolDir != "":
		bytes, err := spool.DirBytes(s.opts.SpoolDir)
		if err != nil {
			return nil, err
		}
		d.SpoolBytes = &bytes
	}
	instances, err := s.db.Instances(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range instances {
		if in.Live(time.Now()) {
			d.Servers = append(d.Servers, ServerInfo{ID: in.ID, Hostname: in.Hostname, SeenAt: in.SeenAt, TablesVersion: in.TablesVersion, ReloadError: in.ReloadError})
		}
	}
	return d, nil
}

func (s *Server) setLanguage(r *http.Request, p Principal, in input) (any, string, error) {
	lang, err := in.required("language")
	if err != nil {
		return nil, "", err
	}
	if p.TokenID != 0 {
		return nil, "", badRequest(errors.New("an API token has no language"))
	}
	if err := s.accounts.SetLanguage(r.Context(), p.UserID, lang); err != nil {
		return nil, "", invalid(err)
	}
	return nil, cmp.Or(in.str("back"), "/"), nil
}

// CDRs is a page of the CDR search.
type CDRs struct {
	From, To time.Time
	Number   string
	Limit    int
	Columns  []string
	Rows     [][]any
}

const cdrPageRows = 200

func (s *Server) cdrFilter(p Principal, in input) (store.CDRFilter, error) {
	now := s.now().UTC()
	f := store.CDRFilter{From: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), Number: in.str("number"), Branches: p.branchScope()}
	f.To = f.From.AddDate(0, 0, 1)
	var err error
	if v := in.str("from"); v != "" {
		if f.From, err = report.ParseDay("from", v); err != nil {
			return f, badRequest(err)
		}
	}
	if v := in.str("to"); v != "" {
		if f.To, err = report.ParseDay("to", v); err != nil {
			return f, badRequest(err)
		}
	}
	return f, nil
}

func (s *Server) cdrs(r *http.Request, p Principal, in input) (any, error) {
	f, err := s.cdrFilter(p, in)
	if err != nil {
		return nil, err
	}
	if f.Limit, err = in.integer("limit", cdrPageRows); err != nil {
		return nil, err
	}
	f.Limit = min(max(f.Limit, 1), 10_000)
	page := CDRs{From: f.From, To: f.To, Number: f.Number, Limit: f.Limit}
	for _, c := range report.CDRColumns {
		page.Columns = append(page.Columns, c.Name)
	}
	err = s.db.EachCDR(r.Context(), f, func(c *store.CDR) error {
		page.Rows = append(page.Rows, report.CDRCells(c))
		return nil
	})
	return page, err
}

// costQuery reads a cost report's parameters, narrowed to p's branches.
func (s *Server) costQuery(p Principal, in input) (report.CostQuery, error) {
	q := report.CostQuery{By: report.Dimension(cmp.Or(in.str("by"), string(report.ByBranch))), Branches: p.branchScope()}
	if !slices.Contains(report.Dimensions, q.By) {
		return q, badRequest(fmt.Errorf("by %q: want one of user, department, branch, zone, gateway, direction, day, month", q.By))
	}
	var err error
	if q.From, q.To, err = in.days(s.now()); err != nil {
		return q, err
	}
	if q.BranchID, err = in.id("branch"); err != nil {
		return q, err
	}
	if q.DepartmentID, err = in.id("department"); err != nil {
		return q, err
	}
	if q.UserID, err = in.id("user"); err != nil {
		return q, err
	}
	if q.Top, err = in.integer("top", 0); err != nil {
		return q, err
	}
	return q, nil
}

// CostPage is a cost report with what its page needs around it.
type CostPage struct {
	Report     report.CostReport
	Table      report.Table
	Branches   []org.Branch       `json:"-"`
	Dimensions []report.Dimension `json:"-"`
}

// cost is the cost report the request asks for, narrowed to p's branches.
func (s *Server) cost(ctx context.Context, p Principal, in input) (report.CostReport, error) {
	q, err := s.costQuery(p, in)
	if err != nil {
		return report.CostReport{}, err
	}
	rep, err := report.Cost(ctx, s.db, q)
	return rep, invalid(err)
}

func (s *Server) costReport(r *http.Request, p Principal, in input) (any, error) {
	rep, err := s.cost(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	branches, err := s.visibleBranches(r.Context(), p)
	return CostPage{Report: rep, Table: report.CostTable(rep), Branches: branches, Dimensions: report.Dimensions}, err
}

// LimitsPage is the limits report of a month.
type LimitsPage struct {
	Month time.Time
	Table report.Table
}

func (s *Server) limitsTable(ctx context.Context, p Principal, in input) (time.Time, report.Table, error) {
	month, _, err := in.days(s.now())
	if err != nil {
		return month, report.Table{}, err
	}
	rep, err := report.Limits(ctx, s.limits, month)
	if err != nil {
		return month, report.Table{}, err
	}
	departments, err := s.org.Departments(ctx, 0)
	if err != nil {
		return month, report.Table{}, err
	}
	paths := map[int64]string{}
	branchOf := map[int64]int64{}
	for _, d := range departments {
		paths[d.ID], branchOf[d.ID] = d.Path(), d.BranchID
	}
	if p.Scoped() {
		rep.Lines = slices.DeleteFunc(rep.Lines, func(l limits.UserPeriod) bool {
			return l.User.DepartmentID == 0 || !p.SeesBranch(branchOf[l.User.DepartmentID])
		})
	}
	t := report.LimitsTable(rep, paths)
	t.Sheet = "Limits " + month.Format("2006-01")
	return month, t, nil
}

func (s *Server) limitsReport(r *http.Request, p Principal, in input) (any, error) {
	month, t, err := s.limitsTable(r.Context(), p, in)
	return LimitsPage{Month: month, Table: t}, err
}

// TablePage is a report shown as its table.
type TablePage struct {
	From, To time.Time
	Table    report.Table
}

func (s *Server) cardsReport(r *http.Request, p Principal, in input) (any, error) {
	from, to, err := in.days(s.now())
	if err != nil {
		return nil, err
	}
	rep, err := report.Cards(r.Context(), s.db, from, to)
	return TablePage{From: from, To: to, Table: report.CardsTable(rep)}, err
}

func (s *Server) splitQuery(p Principal, in input) (report.SplitQuery, error) {
	if p.Scoped() {
		return report.SplitQuery{}, forbidden("the invoice split covers every branch")
	}
	month, _, err := in.days(s.now())
	if err != nil {
		return report.SplitQuery{}, err
	}
	q := report.SplitQuery{Month: month, Currency: in.str("currency"), Gateway: in.str("gateway"), By: report.Dimension(cmp.Or(in.str("by"), "branch"))}
	total := in.str("total")
	if total == "" {
		return q, nil
	}
	if q.Total, err = in.money("total"); err != nil {
		return q, err
	}
	if _, decimals, ok := cutDecimals(total); ok {
		q.Decimals = len(decimals)
	}
	return q, nil
}

func cutDecimals(total string) (string, string, bool) {
	for i := len(total) - 1; i >= 0; i-- {
		if total[i] == '.' || total[i] == ',' {
			return total[:i], total[i+1:], true
		}
	}
	return total, "", false
}

// SplitPage is an invoice split, or its empty form.
type SplitPage struct {
	Query report.SplitQuery
	Table *report.Table `json:",omitempty"`
}

func (s *Server) splitReport(r *http.Request, p Principal, in input) (any, error) {
	q, err := s.splitQuery(p, in)
	if err != nil || in.str("total") == "" {
		return SplitPage{Query: q}, err
	}
	rep, err := report.InvoiceSplit(r.Context(), s.db, q)
	if err != nil {
		return nil, invalid(err)
	}
	t := report.SplitTable(rep)
	return SplitPage{Query: q, Table: &t}, nil
}

// Organisation is the branches and departments p sees.
type Organisation struct {
	Branches    []org.Branch
	Departments []DepartmentInfo
}

// DepartmentInfo is a department with the numbers it owns itself.
type DepartmentInfo struct {
	org.Department
	Numbers []string `json:"numbers"`
}

func (s *Server) visibleBranches(ctx context.Context, p Principal) ([]org.Branch, error) {
	branches, err := s.org.Branches(ctx)
	return slices.DeleteFunc(branches, func(b org.Branch) bool { return !p.SeesBranch(b.ID) }), err
}

func (s *Server) organisation(r *http.Request, p Principal, _ input) (any, error) {
	ctx := r.Context()
	branches, err := s.visibleBranches(ctx, p)
	if err != nil {
		return nil, err
	}
	ds, err := s.org.Departments(ctx, 0)
	if err != nil {
		return nil, err
	}
	o := Organisation{Branches: branches}
	for _, d := range ds {
		if !p.SeesBranch(d.BranchID) {
			continue
		}
		numbers, err := s.org.Numbers(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		o.Departments = append(o.Departments, DepartmentInfo{Department: d, Numbers: numbers})
	}
	return o, nil
}

func (s *Server) createBranch(r *http.Request, _ Principal, in input) (any, string, error) {
	b, err := s.org.CreateBranch(r.Context(), in.str("name"))
	return b, "/org", invalid(err)
}

func (s *Server) renameBranch(r *http.Request, _ Principal, in input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", invalid(s.org.RenameBranch(r.Context(), id, in.str("name")))
}

func (s *Server) deleteBranch(r *http.Request, _ Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", s.org.DeleteBranch(r.Context(), id)
}

func (s *Server) createDepartment(r *http.Request, _ Principal, in input) (any, string, error) {
	branch, err := in.id("branch")
	if err != nil {
		return nil, "", err
	}
	d, err := s.org.CreateDepartment(r.Context(), branch, in.str("name"))
	return d, "/org", invalid(err)
}

func (s *Server) renameDepartment(r *http.Request, _ Principal, in input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", invalid(s.org.RenameDepartment(r.Context(), id, in.str("name")))
}

func (s *Server) deleteDepartment(r *http.Request, _ Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", s.org.DeleteDepartment(r.Context(), id)
}

func (s *Server) addDepartmentNumber(r *http.Request, _ Principal, in input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", invalid(s.publish(r.Context(), s.org.AddNumber(r.Context(), id, in.str("number"))))
}

func (s *Server) removeDepartmentNumber(r *http.Request, _ Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/org", s.publish(r.Context(), s.org.RemoveNumber(r.Context(), id, r.PathValue("number")))
}

// publish tells running servers that owners changed (numbers, users), as
// the CLI does, unless the change failed.
func (s *Server) publish(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return s.db.BumpTariffVersion(ctx)
}

// UserInfo is a user as the console shows it.
type UserInfo struct {
	limits.User
	Department string `json:"department"`
	BranchID   int64  `json:"branch_id"`
}

// UserPage is a user with its period's usage.
type UserPage struct {
	User        UserInfo
	Usage       limits.Usage
	Departments []org.Department `json:"-"`
	LimitTypes  []string         `json:"-"`
}

// Users is the user list and what its form needs.
type Users struct {
	Users       []UserInfo
	Departments []org.Department `json:"-"`
	Plans       []string         `json:"-"`
}

func (s *Server) departments(ctx context.Context, p Principal) ([]org.Department, map[int64]org.Department, error) {
	ds, err := s.org.Departments(ctx, 0)
	byID := map[int64]org.Department{}
	for _, d := range ds {
		byID[d.ID] = d
	}
	return slices.DeleteFunc(ds, func(d org.Department) bool { return !p.SeesBranch(d.BranchID) }), byID, err
}

func userInfo(u limits.User, byID map[int64]org.Department) UserInfo {
	d := byID[u.DepartmentID]
	info := UserInfo{User: u, BranchID: d.BranchID}
	if d.ID != 0 {
		info.Department = d.Path()
	}
	return info
}

func (s *Server) users(r *http.Request, p Principal, in input) (any, error) {
	ctx := r.Context()
	var f limits.UserFilter
	var err error
	if f.BranchID, err = in.id("branch"); err != nil {
		return nil, err
	}
	if f.DepartmentID, err = in.id("department"); err != nil {
		return nil, err
	}
	all, err := s.limits.ListUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	visible, byID, err := s.departments(ctx, p)
	if err != nil {
		return nil, err
	}
	page := Users{Departments: visible}
	for _, u := range all {
		info := userInfo(u, byID)
		if p.Scoped() && (u.DepartmentID == 0 || !p.SeesBranch(info.BranchID)) {
			continue
		}
		page.Users = append(page.Users, info)
	}
	page.Plans, err = s.planNames(ctx)
	return page, err
}

// planNames are the tariff plans' names, for a form's choice.
func (s *Server) planNames(ctx context.Context) ([]string, error) {
	plans, err := s.db.PlanNames(ctx)
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Name
	}
	return names, err
}

// scopedUser is the user id names, or not found when p may not see it: a
// branch manager who edits an id in a URL learns nothing of other branches.
func (s *Server) scopedUser(ctx context.Context, p Principal, id int64) (UserInfo, []org.Department, error) {
	u, err := s.limits.User(ctx, id)
	if err != nil {
		return UserInfo{}, nil, err
	}
	visible, byID, err := s.departments(ctx, p)
	if err != nil {
		return UserInfo{}, nil, err
	}
	info := userInfo(u, byID)
	if p.Scoped() && (u.DepartmentID == 0 || !p.SeesBranch(info.BranchID)) {
		return UserInfo{}, nil, notFound(fmt.Sprintf("user %d", id))
	}
	return info, visible, nil
}

func (s *Server) user(r *http.Request, p Principal, _ input) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	u, visible, err := s.scopedUser(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	usage, err := s.limits.UserUsage(r.Context(), id)
	types := []string{string(limits.LimitNormal), string(limits.LimitNotification), string(limits.LimitUnrestricted), string(limits.LimitBlocked)}
	return UserPage{User: u, Usage: usage, Departments: visible, LimitTypes: types}, err
}

// scopedDepartment checks that p may put a user in department (0: none,
// which a branch manager may not).
func (s *Server) scopedDepartment(ctx context.Context, p Principal, department int64) error {
	if department == 0 {
		if p.Scoped() {
			return forbidden("a branch manager's users belong to a department of its branches")
		}
		return nil
	}
	d, err := s.org.Department(ctx, department)
	if err != nil {
		return err
	}
	if !p.SeesBranch(d.BranchID) {
		return notFound(fmt.Sprintf("department %d", department))
	}
	return nil
}

func (in input) limit() (limits.Limit, error) {
	amount, err := in.money("limit")
	if err != nil {
		return limits.Limit{}, err
	}
	warning, err := in.integer("warning", 0)
	if err != nil {
		return limits.Limit{}, err
	}
	reset, err := in.integer("reset_day", 0)
	if err != nil {
		return limits.Limit{}, err
	}
	return limits.Limit{Type: limits.LimitType(in.str("type")), Amount: amount, WarningPercent: warning, ResetDay: reset}, nil
}

func (s *Server) createUser(r *http.Request, p Principal, in input) (any, string, error) {
	ctx := r.Context()
	n := limits.NewUser{Name: in.str("name"), Email: in.str("email"), Language: in.str("language"), Numbers: slices.DeleteFunc(slices.Clone(in.Values["number"]), func(n string) bool { return n == "" })}
	var err error
	if n.DepartmentID, err = in.id("department"); err != nil {
		return nil, "", err
	}
	if err := s.scopedDepartment(ctx, p, n.DepartmentID); err != nil {
		return nil, "", err
	}
	plan, err := in.required("plan")
	if err != nil {
		return nil, "", err
	}
	if n.PlanID, err = s.db.PlanID(ctx, plan); err != nil {
		return nil, "", invalid(err)
	}
	if n.Limit, err = in.limit(); err != nil {
		return nil, "", err
	}
	u, err := s.limits.CreateUser(ctx, n)
	if err != nil {
		return nil, "", invalid(err)
	}
	return u, "/users/" + strconv.FormatInt(u.ID, 10), s.publish(ctx, nil)
}

// changeUser runs change on a user p may see and edit.
func (s *Server) changeUser(r *http.Request, p Principal, change func(ctx context.Context, id int64) error) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	if _, _, err := s.scopedUser(r.Context(), p, id); err != nil {
		return nil, "", err
	}
	back := "/users/" + strconv.FormatInt(id, 10)
	return nil, back, s.publish(r.Context(), change(r.Context(), id))
}

func (s *Server) setUserLimit(r *http.Request, p Principal, in input) (any, string, error) {
	l, err := in.limit()
	if err != nil {
		return nil, "", err
	}
	return s.changeUser(r, p, func(ctx context.Context, id int64) error { return invalid(s.limits.SetUserLimit(ctx, id, l)) })
}

func (s *Server) setUserContact(r *http.Request, p Principal, in input) (any, string, error) {
	return s.changeUser(r, p, func(ctx context.Context, id int64) error {
		return invalid(s.limits.SetUserContact(ctx, id, in.str("email"), in.str("language")))
	})
}

func (s *Server) moveUser(r *http.Request, p Principal, in input) (any, string, error) {
	department, err := in.id("department")
	if err != nil {
		return nil, "", err
	}
	if err := s.scopedDepartment(r.Context(), p, department); err != nil {
		return nil, "", err
	}
	return s.changeUser(r, p, func(ctx context.Context, id int64) error { return s.limits.SetUserDepartment(ctx, id, department) })
}

func (s *Server) addUserNumber(r *http.Request, p Principal, in input) (any, string, error) {
	return s.changeUser(r, p, func(ctx context.Context, id int64) error {
		return invalid(s.limits.AddUserNumber(ctx, id, in.str("number")))
	})
}

func (s *Server) removeUserNumber(r *http.Request, p Principal, _ input) (any, string, error) {
	return s.changeUser(r, p, func(ctx context.Context, id int64) error {
		u, err := s.limits.User(ctx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(u.Numbers, r.PathValue("number")) {
			return notFound("number " + r.PathValue("number") + " of user " + strconv.FormatInt(id, 10))
		}
		return s.limits.RemoveUserNumber(ctx, r.PathValue("number"))
	})
}

func (s *Server) deleteUser(r *http.Request, p Principal, _ input) (any, string, error) {
	_, _, err := s.changeUser(r, p, s.limits.DeleteUser)
	return nil, "/users", err
}

// Cards is the card list.
type Cards struct {
	Cards []limits.Account
	Plans []string `json:"-"`
}

func (s *Server) cards(r *http.Request, _ Principal, in input) (any, error) {
	cards, err := s.limits.ListAccounts(r.Context(), limits.AccountFilter{Status: limits.AccountStatus(in.str("status")), Limit: 1000})
	if err != nil {
		return nil, err
	}
	page := Cards{Cards: cards}
	page.Plans, err = s.planNames(r.Context())
	return page, err
}

// CardPage is a card and its latest ledger entries.
type CardPage struct {
	Card   limits.Account
	Ledger []limits.LedgerEntry
}

func (s *Server) card(r *http.Request, _ Principal, _ input) (any, error) {
	number := r.PathValue("number")
	card, err := s.limits.Account(r.Context(), number)
	if err != nil {
		return nil, err
	}
	ledger, err := s.limits.AccountLedger(r.Context(), number, 200)
	return CardPage{Card: card, Ledger: ledger}, err
}

func (s *Server) createCard(r *http.Request, _ Principal, in input) (any, string, error) {
	ctx := r.Context()
	n := limits.NewAccount{Number: in.str("number"), PIN: in.str("pin"), Language: in.str("language")}
	plan, err := in.required("plan")
	if err != nil {
		return nil, "", err
	}
	if n.PlanID, err = s.db.PlanID(ctx, plan); err != nil {
		return nil, "", invalid(err)
	}
	if in.str("balance") != "" {
		if n.InitialBalance, err = in.money("balance"); err != nil {
			return nil, "", err
		}
	}
	card, err := s.limits.CreateAccount(ctx, n)
	if err != nil {
		return nil, "", invalid(err)
	}
	return card, "/cards/" + card.Number, s.publish(ctx, nil)
}

func (s *Server) postToCard(r *http.Request, _ Principal, in input) (any, string, error) {
	amount, err := in.money("amount")
	if err != nil {
		return nil, "", err
	}
	number := r.PathValue("number")
	posted, err := s.limits.Post(r.Context(), number, limits.Posting{Kind: limits.EntryKind(cmp.Or(in.str("kind"), "topup")),
		Amount: amount, Reason: in.str("reason"), Reference: in.str("reference")})
	return posted, "/cards/" + number, invalid(err)
}

func (s *Server) setCardStatus(r *http.Request, _ Principal, in input) (any, string, error) {
	number := r.PathValue("number")
	err := s.limits.SetAccountStatus(r.Context(), number, limits.AccountStatus(in.str("status")))
	return nil, "/cards/" + number, s.publish(r.Context(), invalid(err))
}

// revert and restore are history's, which moves tariff_version itself when
// radiusd has something to reload.
func (s *Server) revert(r *http.Request, _ Principal, in input) (any, string, error) {
	entity, key := entityPath(r)
	version, err := in.integer("version", 0)
	if err != nil {
		return nil, "", err
	}
	return nil, versionsPath(entity, key), history.Revert(r.Context(), s.db.DB, entity, key, version)
}

func (s *Server) restore(r *http.Request, _ Principal, _ input) (any, string, error) {
	entity, key := entityPath(r)
	return nil, versionsPath(entity, key), history.Restore(r.Context(), s.db.DB, entity, key)
}

// entityPath is the entity and key of a history path ("-": a whole-table
// entity's empty key).
func entityPath(r *http.Request) (entity, key string) {
	key = r.PathValue("key")
	if key == "-" {
		key = ""
	}
	return r.PathValue("entity"), key
}

// versionsPath is the page of an entity's history; a whole-table entity
// (key "") is /history/tariff/-.
func versionsPath(entity, key string) string {
	return "/history/" + entity + "/" + cmp.Or(key, "-")
}

// VersionsPage is an entity's history with each version's changes.
type VersionsPage struct {
	Entity   string
	Key      string
	Versions []VersionInfo
	Deleted  bool
}

// VersionInfo is a version and what changed from the one before it.
type VersionInfo struct {
	history.Version
	Changes []history.FieldChange
}

func (s *Server) versions(r *http.Request, _ Principal, _ input) (any, error) {
	entity, key := entityPath(r)
	vs, err := history.Versions(r.Context(), s.db, entity, key)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, notFound(fmt.Sprintf("history of %s %s", entity, key))
	}
	page := VersionsPage{Entity: entity, Key: key, Deleted: vs[len(vs)-1].Operation == history.Delete}
	var before history.Snapshot
	for i := len(vs) - 1; i >= 0; i-- { // newest first
		before = history.Snapshot{}
		if i > 0 {
			before = vs[i-1].Snapshot
		}
		page.Versions = append(page.Versions, VersionInfo{Version: vs[i], Changes: history.Diff(before, vs[i].Snapshot)})
	}
	return page, nil
}

// Recent is the latest changes.
type Recent struct {
	Entity   string
	Entities []string
	Versions []history.Version
}

func (s *Server) recentHistory(r *http.Request, _ Principal, in input) (any, error) {
	vs, err := history.Recent(r.Context(), s.db, in.str("entity"), 200)
	for i := range vs {
		vs[i].Snapshot = history.Snapshot{} // the list shows who and when; a version's page shows what
	}
	return Recent{Entity: in.str("entity"), Entities: history.Entities(), Versions: vs}, err
}

// AuditPage is the latest of the audit log.
type AuditPage struct {
	Entries []AuditEntry
	Actions []string `json:"-"`
}

// auditActions are what the audit log records.
var auditActions = []string{"login", "login_failed", "login_throttled", "logout", "denied", "csrf_refused", "change"}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At      time.Time
	Actor   string
	Address string
	Action  string
	Detail  string
}

func (s *Server) audit(r *http.Request, _ Principal, in input) (any, error) {
	query, args := "SELECT created_at, actor, address, action, detail FROM audit_log", []any{}
	if action := in.str("action"); action != "" {
		query += " WHERE action = ?"
		args = append(args, action)
	}
	var rows []struct {
		CreatedAt string `db:"created_at"`
		Actor     string `db:"actor"`
		Address   string `db:"address"`
		Action    string `db:"action"`
		Detail    string `db:"detail"`
	}
	if err := s.db.SelectContext(r.Context(), &rows, query+" ORDER BY id DESC LIMIT 500", args...); err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(rows))
	for _, row := range rows {
		at, err := dbtime.Parse(row.CreatedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, AuditEntry{At: at, Actor: row.Actor, Address: row.Address, Action: row.Action, Detail: row.Detail})
	}
	return AuditPage{Entries: out, Actions: auditActions}, nil
}
