package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

// seedCalls bills n outgoing calls of this month through the billing path:
// Maria's (2001, Sofia) and Ivan's (3001, Varna), on gateway gw.
func (f *fixture) seedCalls(n int) {
	t := f.t
	ctx := context.Background()
	if err := f.db.SetGateway(ctx, "gw", "retail", false); err != nil {
		t.Fatal(err)
	}
	tables, err := billing.Load(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	stage := billing.NewStage(tables, prometheus.NewRegistry())
	w := store.NewWriter(f.db, store.WriterConfig{BatchSize: 50, Writers: 1, QueueSize: 2 * n, CommitTimeout: 30 * time.Second,
		Settler: billing.Settler{Limits: limits.New(f.db, limits.Options{}), Log: zap.NewNop()}}, prometheus.NewRegistry(), zap.NewNop())
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range n {
		connect := month.Add(time.Duration(i%max(1, now.Day())) * 24 * time.Hour).Add(time.Duration(i) * time.Minute)
		setup := connect.Add(-5 * time.Second)
		duration := int64(60 + i%240)
		calling := []string{"2001", "3001"}[i%2]
		rec := &cdr.Record{ReceivedAt: connect.Add(time.Duration(duration) * time.Second), ClientName: "gw", Status: cdr.StatusStop,
			NASIP: "10.0.0.1", SessionID: fmt.Sprintf("B%06d", i), ConfID: fmt.Sprintf("%08X 00000000 00000000 0000BEEF", i),
			CallOrigin: "originate", CallType: "Telephony", SetupTime: &setup, ConnectTime: &connect, SessionTime: &duration,
			CallingNumber: calling, CalledNumber: "359888123456"}
		stage.Process(rec)
		wg.Add(1)
		w.Submit(rec, func(o store.Outcome, err error) {
			defer wg.Done()
			if o != store.Stored {
				t.Errorf("seed call %d: %v %v", i, o, err)
			}
		})
	}
	wg.Wait()
	w.Close()
}

// screenshotDir keeps the browser test's screenshots: RADBILL_SCREENSHOTS,
// or .artifacts/screenshots at the repository's root.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("RADBILL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", ".artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser drives the console in headless Chromium as its users do.
func TestBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("browser tests: chromium is not installed (apt-get install chromium)")
		}
		testdb.SkipLoudly(t, "browser tests: chromium is not installed (apt-get install chromium)")
	}
	f := newFixture(t, testdb.SQLite(t))
	f.seedCalls(200)
	f.consoleUser("admin", Admin, false)
	f.consoleUser("sofia-manager", BranchManager, false)
	shots := screenshotDir(t)
	downloads := t.TempDir()

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// Dialogs (the "are you sure?" of deleting) are accepted; downloads
	// are announced when complete.
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}); err != nil {
		t.Fatal(err)
	}
	downloaded := make(chan string, 1)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if ev, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && ev.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case downloaded <- ev.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			if _, err := chromedp.Poll[bool](`document.readyState === "complete"`)(ctx, target); err != nil {
				return err
			}
			png, err := chromedp.FullScreenshot(100)(ctx, target)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	login := func(user string) {
		t.Helper()
		run("log in as "+user, chromedp.Navigate(f.http.URL+"/login"), chromedp.WaitVisible("#username"),
			chromedp.SendKeys("#username", user), chromedp.SendKeys("#password", f.password),
			chromedp.Click("#login"), chromedp.WaitVisible("#today"))
	}

	run("the login page", chromedp.Navigate(f.http.URL+"/"), chromedp.WaitVisible("#username"), shot("login"))
	login("admin")
	run("dashboard", shot("dashboard"))
	if got := text("#month"); !strings.Contains(got, "EUR") {
		t.Fatalf("the dashboard's month: %q", got)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#chart svg rect").length`))
	if err != nil || bars == 0 {
		t.Fatal("the dashboard has no bars")
	}

	run("branch report", chromedp.Navigate(f.http.URL+"/reports/cost?by=branch"), chromedp.WaitVisible("#chart svg rect"), shot("report-branch"))
	if table := text("#report-table"); !strings.Contains(table, "Sofia") || !strings.Contains(table, "Varna") {
		t.Fatalf("the branch report: %q", table)
	}
	run("export XLSX", chromedp.Click("#export-xlsx"))
	var guid string
	select {
	case guid = <-downloaded:
	case <-time.After(30 * time.Second):
		t.Fatal("the XLSX export did not download")
	}
	book, err := excelize.OpenFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows(book.GetSheetName(0))
	if err != nil || len(rows) < 3 || rows[0][0] != "Branch" || !strings.HasPrefix(rows[0][11], "Cost") {
		t.Fatalf("the XLSX export: %v %v", rows, err)
	}
	if kind, err := book.GetCellType(book.GetSheetName(0), "L2"); err != nil || kind != excelize.CellTypeNumber && kind != excelize.CellTypeUnset {
		t.Fatalf("the cost cell's type: %v %v", kind, err)
	}
	book.Close()

	user := fmt.Sprintf("%s/users/%d", f.http.URL, f.maria.ID)
	run("change Maria's limit", chromedp.Navigate(user), chromedp.WaitVisible("#limit-form"),
		chromedp.SetValue("#limit-amount", "75"), chromedp.Click("#save-limit"),
		chromedp.WaitVisible("#done"), shot("user"))
	if got := text("#limit"); !strings.Contains(got, "75.00") {
		t.Fatalf("the limit after saving: %q", got)
	}
	run("her history", chromedp.Click("#history-link"), chromedp.WaitVisible("#version-2"), shot("history"))
	if got := text("#version-2"); !strings.Contains(got, "limit_micros") || !strings.Contains(got, "75000000") || !strings.Contains(got, "web:admin") {
		t.Fatalf("version 2: %q", got)
	}
	run("revert to version 1", chromedp.Click("#revert-1"), chromedp.WaitVisible("#version-3"))
	run("the user again", chromedp.Navigate(user), chromedp.WaitVisible("#limit"))
	if got := text("#limit"); !strings.Contains(got, "50.00") {
		t.Fatalf("the limit after the revert: %q", got)
	}

	run("delete Maria", chromedp.Click("#delete-user"), chromedp.WaitVisible("#users"))
	if got := text("#users"); strings.Contains(got, "Мария") {
		t.Fatalf("a deleted user is listed: %q", got)
	}
	run("restore her", chromedp.Navigate(fmt.Sprintf("%s/history/user/%d", f.http.URL, f.maria.ID)), chromedp.WaitVisible("#restore"),
		chromedp.Click("#restore"), chromedp.WaitVisible("#done"),
		chromedp.Navigate(f.http.URL+"/users"), chromedp.WaitVisible("#users"), shot("users"))
	if got := text("#users"); !strings.Contains(got, "Мария Петрова") || !strings.Contains(got, "2001") {
		t.Fatalf("the restored user is not listed with her number: %q", got)
	}
	for _, p := range []string{"/cdrs", "/org", "/cards", "/tariffs", "/rules?number=00359888123456", "/gateways", "/console", "/history", "/audit"} {
		run(p, chromedp.Navigate(f.http.URL+p), chromedp.WaitVisible("main h1"), shot(strings.Trim(strings.SplitN(p, "?", 2)[0], "/")))
	}

	run("log out", chromedp.Click("#logout"), chromedp.WaitVisible("#username"))
	login("sofia-manager")
	run("another branch's user", chromedp.Navigate(fmt.Sprintf("%s/users/%d", f.http.URL, f.ivan.ID)), chromedp.WaitVisible("#error"), shot("manager-denied"))
	if got := text("#error"); !strings.Contains(got, "not found") || strings.Contains(got, "Ivan") {
		t.Fatalf("a branch manager opening another branch's user: %q", got)
	}
	run("its own branch's report", chromedp.Navigate(f.http.URL+"/reports/cost?by=branch"), chromedp.WaitVisible("#report-table"))
	if table := text("#report-table"); !strings.Contains(table, "Sofia") || strings.Contains(table, "Varna") {
		t.Fatalf("the manager's branch report: %q", table)
	}

	run("switch to Bulgarian", chromedp.Navigate(f.http.URL+"/"), chromedp.WaitVisible("#language"),
		// As a user picks it: the menu's change submits its form (app.js).
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const s = document.getElementById("language"); s.value = "bg"; s.dispatchEvent(new Event("change")); return true })()`)(ctx, target)
			return err
		}))
	// The form's navigation destroys the page under any query meanwhile:
	// ask again until the Bulgarian page answers.
	for deadline := time.Now().Add(20 * time.Second); ; {
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && document.documentElement.lang === "bg" && document.getElementById("today") !== null`))
		if err == nil && bg {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page after switching to Bulgarian: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	run("the Bulgarian dashboard", shot("dashboard-bg"))
	if got := text("main h1"); got != "Разговори и разходи" {
		t.Fatalf("the Bulgarian dashboard's title: %q", got)
	}
}
