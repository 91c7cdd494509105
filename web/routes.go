package web

import (
	"net/http"
	"strings"
)

// view reads what a page shows; the API answers the same value as JSON.
type view func(r *http.Request, p Principal, in input) (any, error)

// action changes something; the API answers its result as JSON, a page's
// form is sent back to the page at back (a path) with a note it is done.
type action func(r *http.Request, p Principal, in input) (result any, back string, err error)

// apiPrefix is where the admin API lives; docs/API.md lists its routes.
const apiPrefix = "/api/v1"

// routes is every page and API endpoint with the permission it needs.
// A page at /x is GET /x (template name) and GET /api/v1/x (JSON); an
// action is METHOD /api/v1/x for scripts and POST /x for the page's form
// (POST /x/delete for a DELETE).
func (s *Server) routes() []route {
	var rs []route
	page := func(pattern string, perm Permission, tmpl string, v view) {
		api := apiPrefix + pattern
		if pattern == "/{$}" {
			api = apiPrefix + "/dashboard"
		}
		rs = append(rs,
			route{method: "GET", pattern: pattern, perm: perm, serve: s.pageHandler(tmpl, v)},
			route{method: "GET", pattern: api, perm: perm, api: true, serve: apiView(v)})
	}
	act := func(method, pattern string, perm Permission, a action) {
		formPattern := pattern
		if method == http.MethodDelete {
			formPattern += "/delete"
		}
		rs = append(rs,
			route{method: method, pattern: apiPrefix + pattern, perm: perm, api: true, serve: apiAction(a)},
			route{method: "POST", pattern: formPattern, perm: perm, serve: s.formAction(a)})
	}
	// export serves a report or listing as CSV, XLSX or JSON for download.
	export := func(pattern string, perm Permission, e exporter) {
		rs = append(rs,
			route{method: "GET", pattern: pattern, perm: perm, serve: s.exportHandler(e)},
			route{method: "GET", pattern: apiPrefix + pattern, perm: perm, api: true, serve: s.exportHandler(e)})
	}

	page("/{$}", ViewDashboard, "dashboard", s.dashboard)
	rs = append(rs, route{method: "GET", pattern: apiPrefix + "/me", perm: ViewDashboard, api: true,
		serve: func(w http.ResponseWriter, r *http.Request, p Principal) error {
			writeJSON(w, http.StatusOK, map[string]any{"username": p.Username, "role": p.Role, "branches": p.Branches, "language": p.Language})
			return nil
		}})
	act("PUT", "/language", ViewDashboard, s.setLanguage)

	page("/cdrs", ViewCDRs, "cdrs", s.cdrs)
	export("/cdrs/export", ViewCDRs, s.exportCDRs)

	page("/reports/cost", ViewReports, "report_cost", s.costReport)
	export("/reports/cost/export", ViewReports, s.exportCost)
	page("/reports/limits", ViewReports, "report_limits", s.limitsReport)
	export("/reports/limits/export", ViewReports, s.exportLimits)
	page("/reports/cards", ViewCards, "report_cards", s.cardsReport)
	export("/reports/cards/export", ViewCards, s.exportCards)
	page("/reports/invoice-split", ViewReports, "report_split", s.splitReport)
	export("/reports/invoice-split/export", ViewReports, s.exportSplit)

	page("/org", ViewOrg, "org", s.organisation)
	act("POST", "/branches", EditOrg, s.createBranch)
	act("PATCH", "/branches/{id}", EditOrg, s.renameBranch)
	act("DELETE", "/branches/{id}", EditOrg, s.deleteBranch)
	act("POST", "/departments", EditOrg, s.createDepartment)
	act("PATCH", "/departments/{id}", EditOrg, s.renameDepartment)
	act("DELETE", "/departments/{id}", EditOrg, s.deleteDepartment)
	act("POST", "/departments/{id}/numbers", EditOrg, s.addDepartmentNumber)
	act("DELETE", "/departments/{id}/numbers/{number}", EditOrg, s.removeDepartmentNumber)

	page("/users", ViewUsers, "users", s.users)
	page("/users/{id}", ViewUsers, "user", s.user)
	act("POST", "/users", EditUsers, s.createUser)
	act("PUT", "/users/{id}/limit", EditUsers, s.setUserLimit)
	act("PUT", "/users/{id}/department", EditUsers, s.moveUser)
	act("PUT", "/users/{id}/contact", EditUsers, s.setUserContact)
	act("POST", "/users/{id}/numbers", EditUsers, s.addUserNumber)
	act("DELETE", "/users/{id}/numbers/{number}", EditUsers, s.removeUserNumber)
	act("DELETE", "/users/{id}", EditUsers, s.deleteUser)

	page("/cards", ViewCards, "cards", s.cards)
	page("/cards/{number}", ViewCards, "card", s.card)
	act("POST", "/cards", EditCards, s.createCard)
	act("POST", "/cards/{number}/postings", EditCards, s.postToCard)
	act("PUT", "/cards/{number}/status", EditCards, s.setCardStatus)

	page("/tariffs", ViewTariffs, "tariffs", s.tariffs)
	act("POST", "/tariffs", EditTariffs, s.uploadTariff)
	page("/rules", ViewTariffs, "rules", s.rules)
	act("POST", "/rules", EditTariffs, s.addRule)
	act("DELETE", "/rules/{id}", EditTariffs, s.removeRule)

	page("/gateways", ViewGateways, "gateways", s.gateways)
	act("PUT", "/gateways/{name}", EditGateways, s.setGateway)

	page("/console", ViewConsole, "console", s.console)
	act("POST", "/console-users", EditConsole, s.createConsoleUser)
	act("PUT", "/console-users/{id}", EditConsole, s.updateConsoleUser)
	act("PUT", "/console-users/{id}/password", EditConsole, s.setConsolePassword)
	act("DELETE", "/console-users/{id}", EditConsole, s.deleteConsoleUser)
	act("POST", "/tokens", EditConsole, s.createToken)
	act("DELETE", "/tokens/{id}", EditConsole, s.revokeToken)

	page("/history", ViewHistory, "history", s.recentHistory)
	page("/history/{entity}/{key}", ViewHistory, "versions", s.versions)
	act("POST", "/history/{entity}/{key}/revert", Revert, s.revert)
	act("POST", "/history/{entity}/{key}/restore", Revert, s.restore)

	page("/audit", ViewAudit, "audit", s.audit)
	return rs
}

func apiView(v view) handler {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		in, err := readInput(r)
		if err != nil {
			return err
		}
		data, err := v(r, p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, data)
		return nil
	}
}

func apiAction(a action) handler {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		in, err := readInput(r)
		if err != nil {
			return err
		}
		result, _, err := a(r, p, in)
		if err != nil {
			return err
		}
		code := http.StatusOK
		if r.Method == http.MethodPost {
			code = http.StatusCreated
		}
		if once, ok := result.(shownOnce); ok {
			result = once.API
		}
		if result == nil {
			result = map[string]string{"status": "done"}
		}
		writeJSON(w, code, result)
		return nil
	}
}

// formAction runs a page's form and sends the browser back to the page,
// where a note says it is done (done=1) — or, for a result to show once
// (a new token's secret), renders it.
func (s *Server) formAction(a action) handler {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		in, err := readInput(r)
		if err != nil {
			return err
		}
		result, back, err := a(r, p, in)
		if err != nil {
			return err
		}
		if once, ok := result.(shownOnce); ok {
			return s.render(w, r, p, "shown_once", once)
		}
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		http.Redirect(w, r, back+sep+"done=1", http.StatusSeeOther)
		return nil
	}
}

// shownOnce is a result the page shows instead of going back: a secret
// that is never shown again.
type shownOnce struct {
	Title, Secret, Back string
	API                 any // what the API answers instead
}
