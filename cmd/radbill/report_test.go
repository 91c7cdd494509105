package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/store"
)

// storeCalls rates and stores outgoing telephony legs through the writer,
// as radiusd does: one per calling number, at the given times, 125 s each.
func (e *limitsEnv) storeCalls(t *testing.T, at time.Time, callers ...string) {
	t.Helper()
	tables, err := billing.Load(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	stage := billing.NewStage(tables, prometheus.NewRegistry())
	w := store.NewWriter(e.db, store.WriterConfig{BatchSize: 10, Writers: 1, QueueSize: 100, CommitTimeout: 30 * time.Second,
		Settler: billing.Settler{Limits: e.svc, Log: zap.NewNop()}}, prometheus.NewRegistry(), zap.NewNop())
	var wg sync.WaitGroup
	for i, caller := range callers {
		connect := at.Add(time.Duration(i) * time.Minute)
		duration := int64(125)
		rec := &cdr.Record{ReceivedAt: connect.Add(125 * time.Second), ClientName: "gw", Status: cdr.StatusStop, NASIP: "10.0.0.1",
			SessionID: fmt.Sprintf("%s-%d-%d", caller, at.Unix(), i), ConfID: fmt.Sprintf("%08X 00000000 00000000 %08X", at.Unix(), i),
			CallOrigin: "originate", CallType: "Telephony", CallingNumber: caller, CalledNumber: mobileNumber,
			SetupTime: &connect, ConnectTime: &connect, SessionTime: &duration}
		stage.Process(rec)
		wg.Add(1)
		w.Submit(rec, func(o store.Outcome, err error) {
			defer wg.Done()
			if o != store.Stored {
				t.Errorf("%s: %v %v", rec.SessionID, o, err)
			}
		})
	}
	wg.Wait()
	w.Close()
}

func csvRecords(t *testing.T, out string) [][]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return records
}

func TestOrganisationCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		e.run(t, "branch", "create", "Sofia")
		e.run(t, "branch", "create", "Varna")
		e.fail(t, "already exists", "branch", "create", "Sofia")
		e.run(t, "department", "create", "Sales", "--branch", "Sofia")
		e.run(t, "department", "create", "Sales", "--branch", "Varna")
		e.run(t, "department", "create", "Счетоводство", "--branch", "Varna")
		e.fail(t, "2 branches have a department \"Sales\" (Sofia/Sales, Varna/Sales): write Branch/Department", "department", "show", "Sales")
		if out := e.run(t, "department", "show", "Счетоводство"); !strings.Contains(out, "Varna") {
			t.Errorf("department show:\n%s", out)
		}
		e.run(t, "user", "create", "Maria", "--plan", "retail", "--limit", "100", "--department", "Sofia/Sales", "--number", "2001")
		e.fail(t, "has 1 users", "department", "delete", "Sofia/Sales")
		e.fail(t, "has 2 departments", "branch", "delete", "Varna")
		e.run(t, "department", "number", "add", "Varna/Sales", "2999")
		e.fail(t, "belongs to a user or department already", "department", "number", "add", "Varna/Sales", "2001")
		e.fail(t, "has 1 numbers", "department", "delete", "Varna/Sales")
		e.run(t, "department", "number", "remove", "Varna/Sales", "2999")
		e.run(t, "department", "delete", "Varna/Sales")
		e.run(t, "branch", "rename", "Varna", "Varna-Port")
		e.run(t, "branch", "rename", "Varna-Port", "Varna-Port") // MySQL counts the row unchanged: still no error
		e.fail(t, "not found", "branch", "rename", "Plovdiv", "Plovdiv-2")
		e.run(t, "gateway", "branch", "gw", "Varna-Port")
		e.run(t, "gateway", "branch", "gw", "Varna-Port") // again: nothing changes, nothing fails
		if out := e.run(t, "branch", "show", "Varna-Port"); !strings.Contains(out, "gw") || !strings.Contains(out, "Счетоводство") {
			t.Errorf("branch show:\n%s", out)
		}
		rows := csvRecords(t, e.run(t, "department", "list", "--format", "csv"))
		if len(rows) != 3 || rows[1][1] != "Sofia" || rows[1][2] != "Sales" || rows[2][1] != "Varna-Port" || rows[2][2] != "Счетоводство" {
			t.Errorf("department list: %q", rows)
		}
		e.run(t, "user", "move", "Maria", "--department", "Varna-Port/Счетоводство")
		if shown := showFields(e.run(t, "user", "show", "Maria")); shown["branch"] != "Varna-Port" || shown["department"] != "Счетоводство" {
			t.Errorf("moved user shows %q", shown)
		}
		users := csvRecords(t, e.run(t, "user", "list", "--branch", "Sofia", "--format", "csv"))
		if len(users) != 1 {
			t.Errorf("Sofia still lists %q", users)
		}
	})
}

func TestReportCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		e.run(t, "branch", "create", "Sofia")
		e.run(t, "branch", "create", "Варна")
		e.run(t, "department", "create", "Sales", "--branch", "Sofia")
		e.run(t, "department", "create", "Продажби", "--branch", "Варна")
		e.run(t, "user", "create", "Maria", "--plan", "retail", "--type", "unrestricted", "--department", "Sofia/Sales", "--number", "2001")
		e.run(t, "user", "create", "Иван", "--plan", "retail", "--type", "unrestricted", "--department", "Варна/Продажби", "--number", "2002")
		e.run(t, "gateway", "set", "gw", "--plan", "retail")
		// 125 s to 359888: 0.40 + 0.20 + 0.10 × 65/60 (increments 60/1) = 0.708333.
		e.storeCalls(t, time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC), "2001", "2001", "2002", "2777")
		e.storeCalls(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), "2002")

		rows := csvRecords(t, e.run(t, "report", "cost", "--by", "branch", "--period", "2026-11", "--format", "csv", "--excel"))
		want := [][]string{{"branch", "currency", "out_calls", "out_answered", "out_minutes", "out_cost EUR", "in_calls", "in_answered", "in_minutes", "in_cost EUR", "unrated", "cost EUR"},
			{"Sofia", "EUR", "2", "2", "4:10", "1.416666", "0", "0", "0:00", "0.000000", "0", "1.416666"},
			{"(no branch)", "EUR", "1", "1", "2:05", "0.708333", "0", "0", "0:00", "0.000000", "0", "0.708333"},
			{"Варна", "EUR", "1", "1", "2:05", "0.708333", "0", "0", "0:00", "0.000000", "0", "0.708333"},
			{"TOTAL", "EUR", "4", "4", "8:20", "2.833332", "0", "0", "0:00", "0.000000", "0", "2.833332"}}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("cost by branch:\n got %q\nwant %q", rows, want)
		}
		if out := e.run(t, "report", "cost", "--by", "user", "--from", "2026-11-01", "--to", "2026-12-02", "--branch", "Варна", "--format", "json"); !strings.Contains(out, `"user": "Иван"`) || !strings.Contains(out, `"out_calls": 2`) {
			t.Errorf("cost by user of Варна:\n%s", out)
		}
		e.fail(t, "want one of user, department", "report", "cost", "--by", "colour", "--period", "2026-11")
		e.fail(t, "give --period or --from/--to, not both", "report", "cost", "--by", "user", "--period", "2026-11", "--from", "2026-11-01")

		xlsx := filepath.Join(t.TempDir(), "users.xlsx")
		e.run(t, "report", "cost", "--by", "user", "--period", "2026-11", "--format", "xlsx", "--output", xlsx)
		f, err := excelize.OpenFile(xlsx)
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetList()[0]
		if v, _ := f.GetCellValue(sheet, "L1"); v != "cost EUR" {
			t.Errorf("xlsx header L1 %q", v)
		}
		if v, _ := f.GetCellValue(sheet, "L2", excelize.Options{RawCellValue: true}); v != "1.416666" {
			t.Errorf("xlsx Maria's cost %q", v)
		}
		f.Close()

		split := csvRecords(t, e.run(t, "report", "invoice-split", "--period", "2026-11", "--total", "100.00", "--format", "csv"))
		wantSplit := [][]string{{"branch", "rated EUR", "rated_percent", "invoice_share EUR"},
			{"Sofia", "1.416666", "50.0", "50.000000"}, {"(no branch)", "0.708333", "25.0", "25.000000"}, {"Варна", "0.708333", "25.0", "25.000000"},
			{"TOTAL", "2.833332", "100.0", "100.000000"}, {"difference (invoice - rated)", "", "3429.4", "97.166668"}}
		if fmt.Sprint(split) != fmt.Sprint(wantSplit) {
			t.Errorf("invoice split:\n got %q\nwant %q", split, wantSplit)
		}
		e.fail(t, "no rated cost", "report", "invoice-split", "--period", "2026-10", "--total", "100")

		e.run(t, "account", "create", "5550001", "--pin", "1234", "--plan", "retail", "--balance", "10")
		cards := csvRecords(t, e.run(t, "report", "cards", "--from", "2026-01-01", "--to", "2099-01-01", "--format", "csv"))
		if len(cards) != 3 || cards[1][0] != "5550001" || cards[1][5] != "10.000000" || cards[1][9] != "10.000000" || cards[2][0] != "TOTAL" {
			t.Errorf("cards: %q", cards)
		}
		limitsOut := e.run(t, "report", "limits", "--period", time.Now().UTC().Format("2006-01"), "--format", "csv")
		if l := csvRecords(t, limitsOut); len(l) != 4 || l[1][1] != "Maria" || l[1][2] != "Sofia/Sales" || l[3][1] != "TOTAL" {
			t.Errorf("limits: %q", l)
		}

		if out := e.run(t, "report", "rebuild", "--period", "2026-11"); !strings.Contains(out, "2026-11 to 2026-12") {
			t.Errorf("rebuild: %s", out)
		}
		if again := csvRecords(t, e.run(t, "report", "cost", "--by", "branch", "--period", "2026-11", "--format", "csv")); fmt.Sprint(again) != fmt.Sprint(want) {
			t.Errorf("after rebuild:\n got %q\nwant %q", again, want)
		}

		// cdr list writes every format, to a file when asked.
		listed := filepath.Join(t.TempDir(), "cdrs.csv")
		e.run(t, "cdr", "list", "--format", "csv", "--excel", "--output", listed)
		data, err := os.ReadFile(listed)
		if err != nil {
			t.Fatal(err)
		}
		cdrs := csvRecords(t, string(data))
		if !strings.HasPrefix(string(data), "\uFEFF") || len(cdrs) != 6 || cdrs[3][19] != "Варна/Продажби" || cdrs[3][20] != "Варна" {
			t.Errorf("cdr list csv: %q", cdrs)
		}
		var asJSON []map[string]any
		if err := json.Unmarshal([]byte(e.run(t, "cdr", "list", "--format", "json")), &asJSON); err != nil || len(asJSON) != 5 || asJSON[0]["cost"] != "0.708333" {
			t.Errorf("cdr list json: %v %v", asJSON, err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(listed)); len(entries) != 1 {
			t.Errorf("the export left files behind: %v", entries)
		}
	})
}
