package web

import (
	"fmt"
	"slices"
)

// Role is what a console user or API token may do.
type Role string

const (
	// Admin may do everything.
	Admin Role = "admin"
	// Billing keeps tariffs, cards and users and reads reports.
	Billing Role = "billing"
	// BranchManager reads the reports, users and numbers of its own
	// branches, and changes those users and numbers when granted (CanEdit).
	BranchManager Role = "branch_manager"
	// Auditor reads everything, history and the audit log included.
	Auditor Role = "auditor"
)

// Roles lists them, for forms and errors.
var Roles = []Role{Admin, Billing, BranchManager, Auditor}

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("role %q: want admin, billing, branch_manager or auditor", s)
	}
	return r, nil
}

// Permission is one thing an endpoint or page needs.
type Permission string

const (
	ViewDashboard Permission = "dashboard.view"
	ViewReports   Permission = "reports.view"
	ViewCDRs      Permission = "cdrs.view"
	ViewOrg       Permission = "org.view"
	EditOrg       Permission = "org.edit"
	ViewUsers     Permission = "users.view"
	EditUsers     Permission = "users.edit"
	ViewCards     Permission = "cards.view"
	EditCards     Permission = "cards.edit"
	ViewTariffs   Permission = "tariffs.view"
	EditTariffs   Permission = "tariffs.edit"
	ViewGateways  Permission = "gateways.view"
	EditGateways  Permission = "gateways.edit"
	ViewConsole   Permission = "console.view"
	EditConsole   Permission = "console.edit"
	ViewHistory   Permission = "history.view"
	Revert        Permission = "history.revert"
	ViewAudit     Permission = "audit.view"
)

// policy is the whole access policy: what each role may do. A branch
// manager's EditUsers also needs the user's CanEdit grant, and every
// branch manager's reads are narrowed to its branches in the queries.
var policy = map[Role][]Permission{
	Admin: {ViewDashboard, ViewReports, ViewCDRs, ViewOrg, EditOrg, ViewUsers, EditUsers, ViewCards, EditCards,
		ViewTariffs, EditTariffs, ViewGateways, EditGateways, ViewConsole, EditConsole, ViewHistory, Revert, ViewAudit},
	Billing: {ViewDashboard, ViewReports, ViewCDRs, ViewOrg, ViewUsers, EditUsers, ViewCards, EditCards,
		ViewTariffs, EditTariffs, ViewGateways},
	BranchManager: {ViewDashboard, ViewReports, ViewCDRs, ViewOrg, ViewUsers, EditUsers},
	Auditor: {ViewDashboard, ViewReports, ViewCDRs, ViewOrg, ViewUsers, ViewCards, ViewTariffs, ViewGateways,
		ViewConsole, ViewHistory, ViewAudit},
}

// Principal is who a request is from: a console user through its session,
// or an API token with the token's role.
type Principal struct {
	UserID   int64
	Username string
	Role     Role
	// CanEdit grants a branch manager EditUsers in its branches.
	CanEdit bool
	// Branches a branch manager sees; nil for every other role.
	Branches []int64
	Language string
	// TokenID is the API token's id, 0 for a session.
	TokenID   int64
	TokenName string
	// CSRF is the session's token, which every change must carry.
	CSRF string
}

// Can tells whether p has permission perm.
func (p Principal) Can(perm Permission) bool {
	if !slices.Contains(policy[p.Role], perm) {
		return false
	}
	return perm != EditUsers || p.Role != BranchManager || p.CanEdit
}

// Scoped tells whether p sees only some branches.
func (p Principal) Scoped() bool { return p.Role == BranchManager }

// SeesBranch tells whether p may see what belongs to branch (0: none, which
// only unscoped principals see).
func (p Principal) SeesBranch(branch int64) bool {
	return !p.Scoped() || slices.Contains(p.Branches, branch)
}

// branchScope is the Branches filter of a report or CDR query: nil (all)
// unless p is scoped, then p's branches (never nil).
func (p Principal) branchScope() []int64 {
	if !p.Scoped() {
		return nil
	}
	return append([]int64{}, p.Branches...)
}

// Actor names p in history and the audit log.
func (p Principal) Actor() string {
	if p.TokenID != 0 {
		return "token:" + p.TokenName
	}
	return "web:" + p.Username
}
