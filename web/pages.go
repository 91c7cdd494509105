package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// assetHandler serves the vendored htmx, the stylesheet and the script;
// they change only with the binary, so browsers may keep them a day.
func assetHandler() http.Handler {
	sub, _ := fs.Sub(assetFiles, "assets")
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// navItem is a link of the menu, shown to those with its permission.
type navItem struct {
	Key, Path string
	Perm      Permission
	// Unscoped: not for branch managers (it covers every branch).
	Unscoped bool
}

var nav = []navItem{
	{Key: "nav.dashboard", Path: "/", Perm: ViewDashboard}, {Key: "nav.cdrs", Path: "/cdrs", Perm: ViewCDRs}, {Key: "nav.cost", Path: "/reports/cost", Perm: ViewReports},
	{Key: "nav.limits", Path: "/reports/limits", Perm: ViewReports}, {Key: "nav.cards_report", Path: "/reports/cards", Perm: ViewCards},
	{Key: "nav.split", Path: "/reports/invoice-split", Perm: ViewReports, Unscoped: true}, {Key: "nav.org", Path: "/org", Perm: ViewOrg}, {Key: "nav.users", Path: "/users", Perm: ViewUsers},
	{Key: "nav.cards", Path: "/cards", Perm: ViewCards}, {Key: "nav.tariffs", Path: "/tariffs", Perm: ViewTariffs}, {Key: "nav.rules", Path: "/rules", Perm: ViewTariffs},
	{Key: "nav.gateways", Path: "/gateways", Perm: ViewGateways}, {Key: "nav.console", Path: "/console", Perm: ViewConsole}, {Key: "nav.history", Path: "/history", Perm: ViewHistory},
	{Key: "nav.audit", Path: "/audit", Perm: ViewAudit},
}

// pageData is what every template gets.
type pageData struct {
	T         locale.Translator
	P         Principal
	Data      any
	Query     url.Values
	Path      string
	Done      bool
	Nav       []navItem
	Languages []string
	Roles     []Role
	Entities  []string
	Status    int
	Error     string
	Problems  []string
}

var templateFuncs = template.FuncMap{
	"cell":     cell,
	"isTotal":  func(row []any) bool { return len(row) > 0 && (row[0] == "TOTAL" || row[0] == "(others)") },
	"day":      func(t time.Time) string { return t.Format(time.DateOnly) },
	"month":    func(t time.Time) string { return t.Format("2006-01") },
	"contains": slices.Contains[[]int64],
	"calls":    func(l report.CostLine) int64 { return l.Out.Calls + l.In.Calls },
	"chartTable": func(t report.Table) template.HTML {
		labels, values := moneyCells(t)
		return barChart(labels, values)
	},
	"chartDays": func(lines []report.CostLine) template.HTML {
		labels, values := make([]string, len(lines)), make([]rating.Money, len(lines))
		for i, l := range lines {
			labels[i], values[i] = l.Key, l.Cost()
		}
		return barChart(labels, values)
	},
}

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", name)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

func (s *Server) pageHandler(tmpl string, v view) handler {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		in, err := readInput(r)
		if err != nil {
			return err
		}
		data, err := v(r, p, in)
		if err != nil {
			return err
		}
		return s.render(w, r, p, tmpl, data)
	}
}

func (s *Server) data(r *http.Request, p Principal, d any) pageData {
	var items []navItem
	for _, item := range nav {
		if p.Can(item.Perm) && !(item.Unscoped && p.Scoped()) {
			items = append(items, item)
		}
	}
	return pageData{T: s.catalog.Tr(p.Language), P: p, Data: d, Query: r.URL.Query(), Path: r.URL.Path,
		Done: r.URL.Query().Get("done") == "1", Nav: items, Languages: locale.Languages(), Roles: Roles, Entities: history.Entities()}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, p Principal, tmpl string, d any) error {
	return s.renderData(w, tmpl, http.StatusOK, s.data(r, p, d))
}

func (s *Server) renderData(w http.ResponseWriter, tmpl string, code int, d pageData) error {
	t, ok := s.pages[tmpl]
	if !ok {
		return fmt.Errorf("no template %q", tmpl)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, p Principal, code int, err error) {
	d := s.data(r, p, nil)
	d.Status = code
	d.Error = err.Error()
	if code >= 500 {
		d.Error = d.T.T("error.internal")
	}
	var pe problemsError
	if errors.As(err, &pe) {
		d.Problems, d.Error = pe.problems, d.T.T("tariffs.rejected")
	}
	if rerr := s.renderData(w, "error", code, d); rerr != nil {
		http.Error(w, err.Error(), code)
	}
}

// cell writes a table cell for a page, by its column's kind.
func cell(t locale.Translator, c export.Column, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case rating.Money:
		return t.Money(v)
	case int64:
		if c.Kind == export.Minutes {
			return t.Minutes(v)
		}
		return t.Int(v)
	case string:
		if v == "TOTAL" {
			return t.T("report.total")
		}
		return v
	}
	return fmt.Sprint(v)
}

// moneyCells picks a table's money column (the last) and its labels, for
// a chart of the lines (totals left out).
func moneyCells(t report.Table) ([]string, []rating.Money) {
	col := -1
	for i, c := range t.Columns {
		if c.Kind == export.Money {
			col = i
		}
	}
	var labels []string
	var values []rating.Money
	for _, row := range t.Rows {
		if col < 0 || row[0] == "TOTAL" || row[0] == nil {
			continue
		}
		m, _ := row[col].(rating.Money)
		labels = append(labels, fmt.Sprint(row[0]))
		values = append(values, m)
	}
	return labels, values
}

const loginCookie = "radbill_login"

// loginPage shows the login form with a CSRF token of its own, bound to a
// cookie (there is no session yet to bind it to).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	token, _ := newSecret()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", HttpOnly: true, Secure: s.cfg.TLS(),
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.renderLogin(w, r, http.StatusOK, token, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, code int, token, problem string) {
	w.Header().Set("Cache-Control", "no-store")
	lang := r.URL.Query().Get("lang")
	d := pageData{T: s.catalog.Tr(lang), Query: r.URL.Query(), Path: "/login", Languages: locale.Languages(), Error: problem, Data: token}
	if err := s.renderData(w, "login", code, d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	address := clientAddress(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tr := s.catalog.Tr(r.URL.Query().Get("lang"))
	token, _ := newSecret()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", HttpOnly: true, Secure: s.cfg.TLS(),
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf_token"), c.Value) {
		_ = history.Audit(r.Context(), s.db, history.Actor{Name: "web:" + r.PostFormValue("username"), Address: address}, "csrf_refused", "POST /login")
		s.renderLogin(w, r, http.StatusForbidden, token, tr.T("login.stale"))
		return
	}
	if !s.logins.allow(address) {
		_ = history.Audit(r.Context(), s.db, history.Actor{Name: "web:" + r.PostFormValue("username"), Address: address}, "login_throttled", "")
		s.renderLogin(w, r, http.StatusTooManyRequests, token, tr.T("login.throttled"))
		return
	}
	secret, _, err := s.accounts.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), address)
	switch {
	case errors.Is(err, ErrLocked):
		s.renderLogin(w, r, http.StatusForbidden, token, tr.T("login.locked"))
		return
	case errors.Is(err, ErrBadLogin):
		s.renderLogin(w, r, http.StatusUnauthorized, token, tr.T("login.failed"))
		return
	case err != nil:
		s.log.Sugar().Errorw("login failed", "error", err)
		s.renderLogin(w, r, http.StatusInternalServerError, token, tr.T("error.internal"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.cfg.TLS(),
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionMax / time.Second)})
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	p, err := s.accounts.Session(r.Context(), c.Value)
	if err == nil && sameToken(r.PostFormValue("csrf_token"), p.CSRF) {
		_ = s.accounts.Logout(r.Context(), c.Value, p, clientAddress(r))
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.TLS(), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
