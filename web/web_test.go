package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// clock is a settable time for sessions and lockouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a console on a fresh database with the demo tariff, two
// branches (Sofia, Varna) with a department and a user each.
type fixture struct {
	t        *testing.T
	db       *store.DB
	srv      *Server
	http     *httptest.Server
	clock    *clock
	sofia    org.Branch
	varna    org.Branch
	sales    org.Department
	port     org.Department
	maria    limits.User // Sofia/Sales
	ivan     limits.User // Varna/Port
	password string
}

func newFixture(t *testing.T, b testdb.Backend) *fixture {
	t.Helper()
	db := testdb.Open(t, b)
	testdb.DemoTariff(t, db, "..")
	f := &fixture{t: t, db: db, clock: &clock{t: time.Now()}, password: "correct horse battery"}
	cfg, err := ParseConfig("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.srv, err = New(cfg, db, Options{BcryptCost: bcrypt.MinCost, Now: f.clock.now, Clients: []NASClient{{Name: "gw", Address: "127.0.0.1/32"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	ctx := history.WithActor(context.Background(), history.Actor{Name: "test"})
	o := org.New(db)
	f.sofia = must[org.Branch](t)(o.CreateBranch(ctx, "Sofia"))
	f.varna = must[org.Branch](t)(o.CreateBranch(ctx, "Varna"))
	f.sales = must[org.Department](t)(o.CreateDepartment(ctx, f.sofia.ID, "Sales"))
	f.port = must[org.Department](t)(o.CreateDepartment(ctx, f.varna.ID, "Port"))
	plan := must[int64](t)(db.PlanID(ctx, "retail"))
	svc := limits.New(db, limits.Options{})
	f.maria = must[limits.User](t)(svc.CreateUser(ctx, limits.NewUser{Name: "Мария Петрова", DepartmentID: f.sales.ID, PlanID: plan,
		Limit: limits.Limit{Amount: 50 * rating.MicrosPerUnit}, Numbers: []string{"2001"}}))
	f.ivan = must[limits.User](t)(svc.CreateUser(ctx, limits.NewUser{Name: "Ivan", DepartmentID: f.port.ID, PlanID: plan,
		Limit: limits.Limit{Amount: 20 * rating.MicrosPerUnit}, Numbers: []string{"3001"}}))
	return f
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// consoleUser creates a console user of role; a branch manager gets Sofia.
func (f *fixture) consoleUser(name string, role Role, canEdit bool) ConsoleUser {
	n := NewConsoleUser{Username: name, Password: f.password, Role: role, CanEdit: canEdit}
	if role == BranchManager {
		n.Branches = []int64{f.sofia.ID}
	}
	return must[ConsoleUser](f.t)(f.srv.accounts.CreateUser(context.Background(), n))
}

func (f *fixture) token(u ConsoleUser) string {
	secret, _, err := f.srv.accounts.CreateToken(context.Background(), u.ID, u.Username+"-script", u.Role)
	if err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// api calls the API with a bearer token and a JSON body.
func (f *fixture) api(token, method, path string, body any) (int, map[string]any, string) {
	f.t.Helper()
	var reader io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, f.http.URL+path, reader)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	f      *fixture
	client *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) get(path string) (int, string) {
	b.f.t.Helper()
	resp, err := b.client.Get(b.f.http.URL + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.f.t.Helper()
	resp, err := b.client.PostForm(b.f.http.URL+path, form)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// login logs in and returns the session's CSRF token (from a page's form).
func (b *browser) login(user, password string) (int, string) {
	_, page := b.get("/login")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.f.t.Fatal("no CSRF token on the login page")
	}
	code, _, body := b.post("/login", url.Values{"csrf_token": {m[1]}, "username": {user}, "password": {password}})
	if code != http.StatusSeeOther {
		return code, body
	}
	_, page = b.get("/")
	if m := csrfField.FindStringSubmatch(page); m != nil {
		return code, m[1]
	}
	return code, ""
}

// TestPolicy pins the access policy: a change to it changes this table.
func TestPolicy(t *testing.T) {
	want := map[Role]string{
		Admin:         "audit.view cards.edit cards.view cdrs.view console.edit console.view dashboard.view gateways.edit gateways.view history.revert history.view org.edit org.view reports.view tariffs.edit tariffs.view users.edit users.view",
		Billing:       "cards.edit cards.view cdrs.view dashboard.view gateways.view org.view reports.view tariffs.edit tariffs.view users.edit users.view",
		BranchManager: "cdrs.view dashboard.view org.view reports.view users.edit users.view",
		Auditor:       "audit.view cards.view cdrs.view console.view dashboard.view gateways.view history.view org.view reports.view tariffs.view users.view",
	}
	for role, perms := range want {
		var got []string
		for _, p := range policy[role] {
			got = append(got, string(p))
		}
		slices.Sort(got)
		if strings.Join(got, " ") != perms {
			t.Errorf("%s may %s\nwant %s", role, strings.Join(got, " "), perms)
		}
	}
	if (Principal{Role: BranchManager}).Can(EditUsers) {
		t.Error("a branch manager without the grant may edit users")
	}
}

// Every route, for every role: refused with the role's message exactly
// when the policy says, through an API token.
func TestRoleEndpointMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		tokens := map[string]string{}
		principals := map[string]Principal{}
		for _, c := range []struct {
			name    string
			role    Role
			canEdit bool
		}{{"admin", Admin, false}, {"billing", Billing, false}, {"manager", BranchManager, false}, {"editor", BranchManager, true}, {"auditor", Auditor, false}} {
			u := f.consoleUser(c.name, c.role, c.canEdit)
			tokens[c.name] = f.token(u)
			principals[c.name] = principal(u, "")
		}
		ids := strings.NewReplacer("{id}", "999999", "{number}", "999999", "{name}", "no-such-gateway", "{entity}", "user", "{key}", "999999", "{$}", "")
		routes := f.srv.routes()
		var checked int
		for _, rt := range routes {
			if !rt.api {
				continue
			}
			path := ids.Replace(rt.pattern)
			for name, token := range tokens {
				p := principals[name]
				code, body, raw := f.api(token, rt.method, path, map[string]any{})
				denied := code == http.StatusForbidden && strings.Contains(fmt.Sprint(body["error"]), "may not do this")
				if denied == p.Can(rt.perm) {
					t.Errorf("%s %s as %s: %d %s; the policy says allowed=%v", rt.method, path, name, code, raw, p.Can(rt.perm))
				}
				if code == http.StatusUnauthorized || code >= 500 {
					t.Errorf("%s %s as %s: %d %s", rt.method, path, name, code, raw)
				}
				checked++
			}
		}
		if checked < 5*50 {
			t.Fatalf("only %d role × endpoint checks", checked)
		}
		var denials int
		if err := f.db.GetContext(context.Background(), &denials, "SELECT COUNT(*) FROM audit_log WHERE action = 'denied'"); err != nil {
			t.Fatal(err)
		}
		if denials == 0 {
			t.Error("no denial in the audit log")
		}
	})
}

// A branch manager sees its branches' users and reports only: another
// branch's user, by an id in a URL, is 404 and cannot be changed.
func TestBranchScoping(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		manager := f.token(f.consoleUser("sofia-manager", BranchManager, true))
		_, list, raw := f.api(manager, "GET", "/api/v1/users", nil)
		if !strings.Contains(raw, "Мария Петрова") || strings.Contains(raw, "Ivan") {
			t.Fatalf("users a Sofia manager sees: %s", raw)
		}
		_ = list
		if code, _, raw := f.api(manager, "GET", fmt.Sprintf("/api/v1/users/%d", f.ivan.ID), nil); code != http.StatusNotFound {
			t.Fatalf("another branch's user: %d %s", code, raw)
		}
		if code, _, raw := f.api(manager, "PUT", fmt.Sprintf("/api/v1/users/%d/limit", f.ivan.ID), map[string]any{"limit": "999"}); code != http.StatusNotFound {
			t.Fatalf("changing another branch's user: %d %s", code, raw)
		}
		if u := must[limits.User](t)(limits.New(f.db, limits.Options{}).User(context.Background(), f.ivan.ID)); u.Limit.Amount != 20*rating.MicrosPerUnit {
			t.Fatalf("Ivan's limit changed to %s", u.Limit.Amount)
		}
		if code, _, raw := f.api(manager, "PUT", fmt.Sprintf("/api/v1/users/%d/department", f.maria.ID), map[string]any{"department": f.port.ID}); code != http.StatusNotFound {
			t.Fatalf("moving a user into another branch: %d %s", code, raw)
		}
		if code, _, raw := f.api(manager, "PUT", fmt.Sprintf("/api/v1/users/%d/limit", f.maria.ID), map[string]any{"limit": "75"}); code != http.StatusOK {
			t.Fatalf("changing its own branch's user: %d %s", code, raw)
		}
		_, _, raw = f.api(manager, "GET", "/api/v1/org", nil)
		if !strings.Contains(raw, "Sofia") || strings.Contains(raw, "Varna") {
			t.Fatalf("the organisation a Sofia manager sees: %s", raw)
		}
		if code, _, _ := f.api(manager, "GET", "/api/v1/reports/invoice-split?total=100", nil); code != http.StatusForbidden {
			t.Fatalf("invoice split for a branch manager: %d", code)
		}
		// The manager's change is a version by its token.
		vs := must[[]history.Version](t)(history.Versions(context.Background(), f.db, "user", history.ID(f.maria.ID)))
		if last := vs[len(vs)-1]; last.Actor != "token:sofia-manager-script" {
			t.Fatalf("last version of Maria by %q", last.Actor)
		}
	})
}

// A change made with a session cookie needs the session's CSRF token; a
// session ends after its idle timeout; logout ends it at once.
func TestSessionsAndCSRF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		f.consoleUser("admin", Admin, false)
		br := f.browser()
		code, csrf := br.login("admin", f.password)
		if code != http.StatusSeeOther || csrf == "" {
			t.Fatalf("login: %d %q", code, csrf)
		}
		if code, _, _ := br.post("/branches", url.Values{"name": {"Plovdiv"}}); code != http.StatusForbidden {
			t.Fatalf("a form without its CSRF token: %d", code)
		}
		if code, _, _ := br.post("/branches", url.Values{"name": {"Plovdiv"}, "csrf_token": {"forged"}}); code != http.StatusForbidden {
			t.Fatalf("a forged CSRF token: %d", code)
		}
		if code, where, body := br.post("/branches", url.Values{"name": {"Plovdiv"}, "csrf_token": {csrf}}); code != http.StatusSeeOther || where != "/org?done=1" {
			t.Fatalf("a form with its token: %d %s %s", code, where, body)
		}
		if _, err := org.New(f.db).FindBranch(context.Background(), "Plovdiv"); err != nil {
			t.Fatal(err)
		}
		resp, err := br.client.Get(f.http.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for header, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Content-Security-Policy": "script-src 'self'"} {
			if !strings.Contains(resp.Header.Get(header), want) {
				t.Errorf("%s: %q, want %q", header, resp.Header.Get(header), want)
			}
		}
		u, _ := url.Parse(f.http.URL)
		for _, c := range br.client.Jar.Cookies(u) {
			if c.Name == sessionCookie && len(c.Value) < 40 {
				t.Errorf("session cookie %q is short", c.Value)
			}
		}
		f.clock.add(31 * time.Minute)
		if code, _ := br.get("/"); code != http.StatusSeeOther {
			t.Fatalf("a session idle for 31 minutes: %d", code)
		}
		code, csrf = br.login("admin", f.password)
		if code != http.StatusSeeOther {
			t.Fatal("second login refused")
		}
		if code, _, _ := br.post("/logout", url.Values{"csrf_token": {csrf}}); code != http.StatusSeeOther {
			t.Fatalf("logout: %d", code)
		}
		if code, _ := br.get("/users"); code != http.StatusSeeOther {
			t.Fatalf("after logout: %d", code)
		}
		var sessions int
		if err := f.db.GetContext(context.Background(), &sessions, "SELECT COUNT(*) FROM console_session"); err != nil {
			t.Fatal(err)
		}
		if sessions != 0 {
			t.Fatalf("%d sessions left after expiry and logout", sessions)
		}
	})
}

// Five wrong passwords lock the user out, even from the right one, until
// the lockout passes; each attempt is in the audit log.
func TestLockoutAndTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		admin := f.consoleUser("admin", Admin, false)
		br := f.browser()
		for i := range 5 {
			if code, _ := br.login("admin", "wrong password "+fmt.Sprint(i)); code != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i, code)
			}
		}
		if code, body := br.login("admin", f.password); code != http.StatusForbidden || !strings.Contains(body, "locked") {
			t.Fatalf("the right password while locked: %d", code)
		}
		f.clock.add(16 * time.Minute)
		if code, _ := br.login("admin", f.password); code != http.StatusSeeOther {
			t.Fatalf("after the lockout: %d", code)
		}
		var failed int
		if err := f.db.GetContext(context.Background(), &failed, "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND actor = 'web:admin'"); err != nil {
			t.Fatal(err)
		}
		if failed != 6 {
			t.Fatalf("%d failed logins audited, want 6", failed)
		}

		token := f.token(admin)
		var hashes int
		if err := f.db.GetContext(context.Background(), &hashes, "SELECT COUNT(*) FROM api_token WHERE token_hash = ?", token); err != nil {
			t.Fatal(err)
		}
		if hashes != 0 {
			t.Fatal("a token is kept in clear")
		}
		if code, _, _ := f.api(token, "GET", "/api/v1/me", nil); code != http.StatusOK {
			t.Fatalf("token: %d", code)
		}
		tokens := must[[]Token](t)(f.srv.accounts.Tokens(context.Background()))
		if code, _, raw := f.api(token, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tokens[0].ID), nil); code != http.StatusOK {
			t.Fatalf("revoke: %d %s", code, raw)
		}
		if code, _, _ := f.api(token, "GET", "/api/v1/me", nil); code != http.StatusUnauthorized {
			t.Fatalf("a revoked token: %d", code)
		}
		if code, _, _ := f.api("rbt_not-a-token", "GET", "/api/v1/me", nil); code != http.StatusUnauthorized {
			t.Fatalf("an unknown token: %d", code)
		}
	})
}

// The console's forms edit a console user's role, branches, grant,
// language and password, and a user's e-mail and its language; each
// change is a version with its actor.
func TestEditForms(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		f.consoleUser("admin", Admin, false)
		clerk := f.consoleUser("clerk", Billing, false)
		br := f.browser()
		_, csrf := br.login("admin", f.password)
		form := url.Values{"csrf_token": {csrf}, "role": {string(BranchManager)}, "branch": {fmt.Sprint(f.varna.ID)},
			"can_edit": {"1"}, "language": {"bg"}, "reason": {"moved to Varna"}}
		if code, _, body := br.post(fmt.Sprintf("/console-users/%d", clerk.ID), form); code != http.StatusSeeOther {
			t.Fatalf("edit a console user: %d %s", code, body)
		}
		got := must[ConsoleUser](t)(f.srv.accounts.User(context.Background(), clerk.ID))
		if got.Role != BranchManager || !got.CanEdit || got.Language != "bg" || !slices.Equal(got.Branches, []int64{f.varna.ID}) {
			t.Fatalf("after the edit: %+v", got)
		}
		form.Del("branch")
		if code, _, _ := br.post(fmt.Sprintf("/console-users/%d", clerk.ID), form); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
			t.Fatalf("a branch manager without a branch: %d", code)
		}
		if code, _, _ := br.post(fmt.Sprintf("/console-users/%d/password", clerk.ID), url.Values{"csrf_token": {csrf}, "password": {"a new password 2026"}}); code != http.StatusSeeOther {
			t.Fatalf("set a password: %d", code)
		}
		if code, _ := f.browser().login("clerk", "a new password 2026"); code != http.StatusSeeOther {
			t.Fatalf("log in with the new password: %d", code)
		}
		var actor, reason string
		if err := f.db.QueryRowContext(context.Background(), "SELECT actor, reason FROM entity_version WHERE entity = 'console_user' AND entity_key = ? AND version = 2",
			fmt.Sprint(clerk.ID)).Scan(&actor, &reason); err != nil || actor != "web:admin" || reason != "moved to Varna" {
			t.Fatalf("the edit's version: %q %q %v", actor, reason, err)
		}

		contact := fmt.Sprintf("/users/%d/contact", f.maria.ID)
		if code, _, body := br.post(contact, url.Values{"csrf_token": {csrf}, "email": {"maria@example.bg"}, "language": {"bg"}}); code != http.StatusSeeOther {
			t.Fatalf("set a user's contact: %d %s", code, body)
		}
		u := must[limits.User](t)(limits.New(f.db, limits.Options{}).User(context.Background(), f.maria.ID))
		if u.Email != "maria@example.bg" || u.Language != "bg" {
			t.Fatalf("contact: %q %q", u.Email, u.Language)
		}
		if code, _, _ := br.post(contact, url.Values{"csrf_token": {csrf}, "email": {"maria@example.bg"}, "language": {"xx"}}); code < 400 || code >= 500 {
			t.Fatalf("an unknown language: %d", code)
		}
		if _, body := br.get(fmt.Sprintf("/users/%d", f.maria.ID)); !strings.Contains(body, `id="mail-language">Български<`) {
			t.Error("the user's page does not show the e-mails' language")
		}
	})
}

// History through the API: a limit change, its version and diff, a revert;
// a user deleted and restored; a tariff upload with errors changes nothing.
func TestHistoryAndUploadThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		f := newFixture(t, b)
		admin := f.token(f.consoleUser("admin", Admin, false))
		user := fmt.Sprintf("/api/v1/users/%d", f.maria.ID)
		if code, _, raw := f.api(admin, "PUT", user+"/limit", map[string]any{"limit": "120.50"}); code != http.StatusOK {
			t.Fatalf("set limit: %d %s", code, raw)
		}
		code, versions, raw := f.api(admin, "GET", fmt.Sprintf("/api/v1/history/user/%d", f.maria.ID), nil)
		if code != http.StatusOK || !strings.Contains(raw, `"field": "limit_micros"`) || !strings.Contains(raw, `"new": "120500000"`) {
			t.Fatalf("versions: %d %s", code, raw)
		}
		_ = versions
		if code, _, raw := f.api(admin, "POST", fmt.Sprintf("/api/v1/history/user/%d/revert", f.maria.ID), map[string]any{"version": 1}); code != http.StatusCreated {
			t.Fatalf("revert: %d %s", code, raw)
		}
		svc := limits.New(f.db, limits.Options{})
		if u := must[limits.User](t)(svc.User(context.Background(), f.maria.ID)); u.Limit.Amount != 50*rating.MicrosPerUnit {
			t.Fatalf("after revert: %s", u.Limit.Amount)
		}
		if code, _, raw := f.api(admin, "DELETE", user, nil); code != http.StatusOK {
			t.Fatalf("delete: %d %s", code, raw)
		}
		if code, _, _ := f.api(admin, "GET", user, nil); code != http.StatusNotFound {
			t.Fatalf("a deleted user: %d", code)
		}
		if code, _, raw := f.api(admin, "POST", fmt.Sprintf("/api/v1/history/user/%d/restore", f.maria.ID), nil); code != http.StatusCreated {
			t.Fatalf("restore: %d %s", code, raw)
		}
		if u := must[limits.User](t)(svc.User(context.Background(), f.maria.ID)); !slices.Equal(u.Numbers, []string{"2001"}) {
			t.Fatalf("restored numbers %v", u.Numbers)
		}
		if code, _, raw := f.api(admin, "GET", "/api/v1/reports/cost?by=branch&period="+time.Now().UTC().Format("2006-01"), nil); code != http.StatusOK {
			t.Fatalf("cost report: %d %s", code, raw)
		}

		before := must[rating.TariffData](t)(f.db.LoadTariffs(context.Background()))
		files := map[string]string{}
		for _, name := range []string{"plans.csv", "zones.csv", "prefixes.csv", "bands.csv", "holidays.csv", "rates.csv"} {
			files[name] = string(must[[]byte](t)(os.ReadFile("../scripts/demo/tariff/" + name)))
		}
		good := files["rates.csv"]
		files["rates.csv"] = strings.Replace(good, ",0.00,0,60,60,0:0.10,", ",0.00,0,60,sixty,0:0.10,", 1)
		code, raw = f.upload(admin, files)
		if code != http.StatusBadRequest || !strings.Contains(raw, `"rates.csv:2: field \"next_increment\"`) {
			t.Fatalf("an upload with a bad line: %d %s", code, raw)
		}
		if after := must[rating.TariffData](t)(f.db.LoadTariffs(context.Background())); len(after.Rates) != len(before.Rates) {
			t.Fatal("a refused upload changed the tariff")
		}
		files["rates.csv"] = good
		if code, raw := f.upload(admin, files); code != http.StatusCreated {
			t.Fatalf("a valid upload: %d %s", code, raw)
		}
		if vs := must[[]history.Version](t)(history.Versions(context.Background(), f.db, "tariff", "")); len(vs) != 2 || vs[1].Actor != "token:admin-script" {
			t.Fatalf("tariff versions after an upload: %d", len(vs))
		}
	})
}

// upload sends files as the tariff upload's multipart form.
func (f *fixture) upload(token string, files map[string]string) (int, string) {
	f.t.Helper()
	var body strings.Builder
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		w, _ := mw.CreateFormFile("files", name)
		_, _ = io.WriteString(w, content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/tariffs", strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Every page renders in every language without a message missing.
func TestPagesInEveryLanguage(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	f.consoleUser("admin", Admin, false)
	br := f.browser()
	_, csrf := br.login("admin", f.password)
	pages := []string{"/", "/cdrs", "/reports/cost", "/reports/cost?by=user", "/reports/limits", "/reports/cards", "/reports/invoice-split?total=100.00",
		"/org", "/users", fmt.Sprintf("/users/%d", f.maria.ID), "/cards", "/tariffs", "/rules?number=00359888123456", "/gateways", "/console",
		"/history", fmt.Sprintf("/history/user/%d", f.maria.ID), "/history/tariff/-", "/audit", "/users/999999"}
	for _, lang := range locale.Languages() {
		if code, _, _ := br.post("/language", url.Values{"language": {lang}, "csrf_token": {csrf}, "back": {"/"}}); code != http.StatusSeeOther {
			t.Fatalf("switch to %s: %d", lang, code)
		}
		for _, p := range pages {
			code, body := br.get(p)
			if code != http.StatusOK && p != "/users/999999" && !strings.Contains(p, "total=") {
				t.Errorf("%s %s: %d", lang, p, code)
			}
			if i := strings.Index(body, locale.MissingMark); i >= 0 {
				t.Errorf("%s %s: a message without text: %s", lang, p, body[i:min(len(body), i+60)])
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: not in %s", lang, p, lang)
			}
		}
	}
	if _, body := br.get("/reports/limits"); !strings.Contains(body, "Мария Петрова") || !strings.Contains(body, "50,00") {
		t.Errorf("the Bulgarian limits page does not show Мария's 50,00")
	}
}
