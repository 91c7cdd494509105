package cdrimport_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/cdrimport"
	"github.com/radbill/radbill/internal/cdrgen"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// env is a database with plan "retail" (35988… at 0.40 connect, 0.20 the
// first minute, 0.10/min after: 120 s cost 0.70), the trunks "gw-trunk"
// (CUCM device) and "provider" (Asterisk peer) on it, and user Ann at
// extension 2001 on it.
type env struct {
	db  *store.DB
	svc *limits.Service
	ann limits.User
}

func newEnv(t testing.TB, b testdb.Backend) *env {
	t.Helper()
	ctx := context.Background()
	db := testdb.Open(t, b)
	data := rating.TariffData{
		Plans:     []rating.Plan{{ID: 1, Name: "retail", Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 2}},
		Zones:     []rating.Zone{{ID: 1, Name: "Bulgaria mobile"}},
		Prefixes:  []rating.Prefix{{ID: 1, Digits: "35988", ZoneID: 1}},
		Bands:     []rating.Band{{ID: 1, PlanID: 1, Name: "all"}},
		BandRules: []rating.BandRule{{ID: 1, BandID: 1, Days: rating.AllWeekdays}},
		Rates: []rating.Rate{{ID: 1, PlanID: 1, ZoneID: 1, BandID: 1, Direction: rating.Outgoing, ConnectFee: 400_000, FirstIncrement: 60,
			NextIncrement: 1, Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 200_000}, {FromSecond: 60, PricePerMinute: 100_000}}}},
	}
	if err := db.ImportTariffs(ctx, data); err != nil {
		t.Fatal(err)
	}
	for _, gw := range []string{"gw-trunk", "provider", "172.16.11.1"} {
		if err := db.SetGateway(ctx, gw, "retail", false); err != nil {
			t.Fatal(err)
		}
	}
	plan, _ := db.PlanID(ctx, "retail")
	svc := limits.New(db, limits.Options{})
	ann, err := svc.CreateUser(ctx, limits.NewUser{Name: "Ann", PlanID: plan, Numbers: []string{"2001"}, Limit: limits.Limit{Type: limits.LimitUnrestricted}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, svc: svc, ann: ann}
}

// importer loads the tables as they are now.
func (e *env) importer(t testing.TB) *cdrimport.Importer {
	t.Helper()
	tables, err := billing.Load(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	im := cdrimport.New(e.db, e.svc, billing.NewStage(tables, reg), zaptest.NewLogger(t))
	t.Cleanup(im.Close)
	return im
}

func (e *env) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) spend(t *testing.T) rating.Money {
	t.Helper()
	u, err := e.svc.UserUsage(context.Background(), e.ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Spend
}

func importFile(t *testing.T, im *cdrimport.Importer, source, path string) store.ImportCounts {
	t.Helper()
	f, err := cdrimport.NewFormat(source, "", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	r, err := im.ImportFile(context.Background(), f, path, false, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r.Counts
}

// sharedData finds ../shared/testdata/cdr, the real CUCM and Asterisk files.
func sharedData(t *testing.T) string {
	for _, dir := range []string{"../../shared/testdata/cdr", "/work/shared/testdata/cdr"} {
		if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
			return dir
		}
	}
	testdb.SkipLoudly(t, "real CDR file tests: ../shared/testdata/cdr is not beside the repository")
	return ""
}

// TestRealFiles imports the four files as CUCM and Asterisk wrote them,
// then again: the second time every leg is a duplicate and nothing more
// is charged.
func TestRealFiles(t *testing.T) {
	dir := sharedData(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		im := e.importer(t)
		files := []struct {
			source, path string
			read         int64
		}{
			{cdr.SourceCUCM, "cucm/cdr_StandAloneCluster_04_201601141231_120716", 2},
			{cdr.SourceCUCM, "cucm/cdr_cucmOHSUtest_02_202504181632_1", 3},
			{cdr.SourceAsteriskCSV, "asterisk/mineevburyat/Master.csv", 84},
			{cdr.SourceAsteriskCSV, "asterisk/bugadm/Master.csv", 105},
		}
		for _, f := range files {
			got := importFile(t, im, f.source, filepath.Join(dir, f.path))
			if want := (store.ImportCounts{Read: f.read, Stored: f.read}); got != want {
				t.Errorf("%s: %+v, want %+v", f.path, got, want)
			}
		}
		// The 129-field file's first call left through gateway 172.16.11.1:
		// origIpAddr 17502380 is 0x010B10AC, least significant byte first.
		var first struct {
			NASIP, Origin, Type, Called string
			Connect                     sql.NullString
		}
		if err := e.db.QueryRow("SELECT nas_ip, call_origin, call_type, called_number, connect_time FROM cdr WHERE source = 'cucm' AND calling_number = '3365555551'").
			Scan(&first.NASIP, &first.Origin, &first.Type, &first.Called, &first.Connect); err != nil {
			t.Fatal(err)
		}
		if first.NASIP != "172.16.11.1" || first.Origin != "originate" || first.Type != "Telephony" || first.Called != "912655555552" ||
			first.Connect.String != "2016-01-14 12:30:42.000" {
			t.Errorf("CUCM call %+v", first)
		}
		// Two of the 133-field file's calls never connected.
		if n := e.count(t, "SELECT COUNT(*) FROM cdr WHERE source = 'cucm' AND connect_time IS NULL AND duration_s = 0"); n != 2 {
			t.Errorf("%d unanswered CUCM calls, want 2", n)
		}
		// Asterisk's local times read in the given zone; answer empty: unanswered.
		if n := e.count(t, "SELECT COUNT(*) FROM cdr WHERE source = 'asterisk-csv' AND connect_time IS NULL"); n != 6+45 {
			t.Errorf("%d unanswered Asterisk calls, want 51", n)
		}
		for _, f := range files {
			if got := importFile(t, im, f.source, filepath.Join(dir, f.path)); got != (store.ImportCounts{Read: f.read, Duplicate: f.read}) {
				t.Errorf("%s again: %+v", f.path, got)
			}
		}
		if n := e.count(t, "SELECT COUNT(*) FROM cdr"); n != 194 {
			t.Errorf("%d CDRs after importing twice, want 194", n)
		}
	})
}

// cucmFile writes a generated CUCM file: calls i from Ann's extension 2001
// through gw-trunk to a mobile, 120 s, every fifth unanswered.
func cucmFile(t *testing.T, dir, name string, fields []string, n, firstCall int, crlf bool) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var b strings.Builder
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).Unix()
	err := cdrgen.WriteCUCM(&b, fields, n, func(i int) cdrgen.Call {
		c := cdrgen.Call{CallID: firstCall + i, Calling: "2001", Called: "35988123456", OrigDevice: "SEP0011223344", DestDevice: "gw-trunk",
			Origination: start + int64(i), Connect: start + int64(i) + 5, End: start + int64(i) + 125}
		if i%5 == 4 {
			c.Connect = 0
		}
		return c
	})
	if err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if crlf {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCUCMFiles: files shaped like the real ones — the 133 fields in
// another order, the 129-field layout, CRLF, a CMR file, a bad row — are
// billed to the user of the calling extension, once.
func TestCUCMFiles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		im := e.importer(t)
		dir := t.TempDir()
		shuffled := slices.Clone(cdrgen.Fields133)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		// The 129 fields of the releases before the _uri fields.
		fewer := slices.DeleteFunc(slices.Clone(cdrgen.Fields133), func(f string) bool { return strings.HasSuffix(f, "_uri") })
		if len(fewer) != 129 {
			t.Fatalf("the short layout has %d fields", len(fewer))
		}
		files := []string{
			cucmFile(t, dir, "cdr_GenCluster_01_202611201000_1", shuffled, 10, 1, false),
			cucmFile(t, dir, "cdr_GenCluster_01_202611201001_2", fewer, 10, 101, true),
		}
		for _, path := range files {
			if got := importFile(t, im, cdr.SourceCUCM, path); got != (store.ImportCounts{Read: 10, Stored: 10}) {
				t.Errorf("%s: %+v", filepath.Base(path), got)
			}
		}
		// 16 answered calls of 120 s at 0.70, 4 unanswered at 0.
		if spend := e.spend(t); spend != 16*700_000 {
			t.Errorf("Ann's spend %s, want 11.20", spend)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM cdr WHERE user_id = ? AND call_origin = 'originate' AND client_name = 'gw-trunk' AND nas_ip = '10.0.0.200'", e.ann.ID); n != 20 {
			t.Errorf("%d of Ann's legs through gw-trunk at 10.0.0.200 (-939524086: 0xC800000A), want 20", n)
		}

		cmr := filepath.Join(dir, "cmr_GenCluster_01_202611201000_1")
		if err := os.WriteFile(cmr, []byte(`"cdrRecordType","globalCallID_callManagerId","globalCallID_callId","nodeId","directoryNum","callIdentifier","dateTimeStamp","numberPacketsSent","numberOctetsSent","numberPacketsReceived","numberOctetsReceived","numberPacketsLost","jitter","latency","pkid","directoryNumPartition","globalCallId_ClusterID","deviceName","varVQMetrics"
INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(50),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,UNIQUEIDENTIFIER,VARCHAR(50),VARCHAR(50),VARCHAR(129),VARCHAR(600)
2,2,1,2,"2001",10000002,1763632805,6000,960000,6000,960000,0,1,0,"b0c5c7f0-0000-4000-8000-000000000001","","GenCluster","SEP0011223344","MLQK=4.5000;MLQKav=4.5000"
`), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := importFile(t, im, cdr.SourceCUCM, cmr); got != (store.ImportCounts{Read: 1, Skipped: 1}) {
			t.Errorf("CMR file: %+v", got)
		}

		bad := cucmFile(t, dir, "cdr_GenCluster_01_202611201002_3", cdrgen.Fields133, 3, 201, false)
		content, _ := os.ReadFile(bad)
		lines := strings.Split(string(content), "\n")
		lines[3] = strings.Replace(lines[3], "1,2,202,", "1,2,x202,", 1) // callId of the second call
		lines = append(lines[:5], `1,2,"unterminated`, "")
		if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := importFile(t, im, cdr.SourceCUCM, bad); got != (store.ImportCounts{Read: 4, Stored: 2, Rejected: 2}) {
			t.Errorf("file with bad rows: %+v", got)
		}
		var reasons []string
		if err := e.db.Select(&reasons, "SELECT reason FROM import_reject WHERE file = ? ORDER BY line", bad); err != nil {
			t.Fatal(err)
		}
		if len(reasons) != 2 || !strings.Contains(reasons[0], `line 4: globalCallID_callId "x202" is not a number`) || !strings.Contains(reasons[1], "line 6") {
			t.Errorf("quarantine reasons %q", reasons)
		}

		for _, path := range files {
			if got := importFile(t, im, cdr.SourceCUCM, path); got != (store.ImportCounts{Read: 10, Duplicate: 10}) {
				t.Errorf("%s again: %+v", filepath.Base(path), got)
			}
		}
		if spend := e.spend(t); spend != 18*700_000 {
			t.Errorf("Ann's spend after importing again %s, want 12.60", spend)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM ledger_entry WHERE user_id = ?", e.ann.ID); n != 22 {
			t.Errorf("%d debits of Ann, want one per stored leg (22)", n)
		}
	})
}

// TestAsteriskCSV: the three column sets, quoting, CRLF, local times, and
// a trunk peer that makes a call outgoing and billed.
func TestAsteriskCSV(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		im := e.importer(t)
		dir := t.TempDir()
		files := map[string]string{
			"16.csv": `"","2001","35988123456","from-internal","""Ann, Sales"" <2001>","SIP/2001-00000001","SIP/provider-00000002","Dial","SIP/provider/35988123456,60","2026-11-20 12:00:00","2026-11-20 12:00:05","2026-11-20 12:02:05",125,120,"ANSWERED","DOCUMENTATION"` + "\r\n",
			"18.csv": `"","2001","35988123456","from-internal","Ann <2001>","SIP/2001-00000003","SIP/provider-00000004","Dial","","2026-11-20 13:00:00","","2026-11-20 13:00:30",30,0,"NO ANSWER","DOCUMENTATION","1763640000.3",""` + "\n",
			"21.csv": `"","0888123456","2001","from-trunk","","SIP/provider-00000005","SIP/2001-00000006","Dial","","2026-11-20 14:00:00","2026-11-20 14:00:02","2026-11-20 14:01:02",62,60,"ANSWERED","DOCUMENTATION","1763643600.5","","","1763643600.5",7` + "\n" +
				`"","2002","2003","from-internal","","SIP/2002-00000007","SIP/2003-00000008","Dial","","2026-11-20 15:00:00","2026-11-20 15:00:01","2026-11-20 15:00:11",11,10,"ANSWERED","DOCUMENTATION","1763647200.7","","","1763647200.7",8` + "\n" +
				`"","2002","2003","short","line"` + "\n",
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		f, err := cdrimport.NewFormat(cdr.SourceAsteriskCSV, "", "Europe/Sofia")
		if err != nil {
			t.Fatal(err)
		}
		var total store.ImportCounts
		for _, name := range []string{"16.csv", "18.csv", "21.csv"} {
			r, err := im.ImportFile(context.Background(), f, filepath.Join(dir, name), false, nil)
			if err != nil {
				t.Fatal(err)
			}
			total.Read, total.Stored, total.Rejected = total.Read+r.Counts.Read, total.Stored+r.Counts.Stored, total.Rejected+r.Counts.Rejected
		}
		if total != (store.ImportCounts{Read: 5, Stored: 4, Rejected: 1}) {
			t.Errorf("counts %+v", total)
		}
		// 12:00 in Sofia is 10:00 UTC; 120 s billed: 0.70, Ann's.
		var row struct {
			Connect, Origin, Client string
			Cost                    sql.NullInt64
		}
		if err := e.db.QueryRow("SELECT connect_time, call_origin, client_name, cost_micros FROM cdr WHERE user_id = ? AND call_origin = 'originate' AND billed_seconds > 0", e.ann.ID).
			Scan(&row.Connect, &row.Origin, &row.Client, &row.Cost); err != nil {
			t.Fatal(err)
		}
		if row.Connect != "2026-11-20 10:00:05.000" || row.Client != "provider" || row.Cost.Int64 != 700_000 {
			t.Errorf("outgoing call %+v", row)
		}
		// The call from the provider to 2001 is Ann's incoming call; 2002 to
		// 2003 is internal.
		if n := e.count(t, "SELECT COUNT(*) FROM cdr WHERE user_id = ? AND direction = 'incoming'", e.ann.ID); n != 1 {
			t.Errorf("%d incoming calls of Ann, want 1", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM cdr WHERE call_type = 'Internal' AND rating_status = 'not_billed'"); n != 1 {
			t.Errorf("%d internal calls, want 1", n)
		}
		var raw string
		if err := e.db.Get(&raw, "SELECT raw FROM cdr WHERE calling_number = '2001' AND disconnect_cause = 16 AND direction = 'outgoing'"); err != nil || !strings.Contains(raw, `"\"Ann, Sales\" <2001>"`) {
			t.Errorf("raw %s, %v", raw, err)
		}
	})
}

// TestWatch: a file counts once complete; one cut off in the middle of a
// row waits for the rest; a watcher started again does not import a file
// it has seen.
func TestWatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		dir := t.TempDir()
		whole := cucmFile(t, t.TempDir(), "x", cdrgen.Fields133, 4, 301, false)
		content, _ := os.ReadFile(whole)
		path := filepath.Join(dir, "cdr_GenCluster_01_202611201003_4")
		cut := len(content) - 40
		if err := os.WriteFile(path, content[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		f, _ := cdrimport.NewFormat(cdr.SourceCUCM, "", "")
		results := make(chan cdrimport.FileResult, 4)
		follow := func(im *cdrimport.Importer) context.CancelFunc {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				im.Follow(ctx, cdrimport.Watch{Format: f, Dir: dir, Settle: 100 * time.Millisecond}, func(r cdrimport.FileResult, err error) {
					if err != nil {
						t.Error(err)
					}
					results <- r
				})
			}()
			return func() { cancel(); <-done }
		}
		stop := follow(e.importer(t))
		time.Sleep(500 * time.Millisecond)
		if n := e.count(t, "SELECT COUNT(*) FROM import_file"); n != 0 {
			t.Fatalf("a file cut off in a row was recorded as imported")
		}
		// The rest arrives appended, as a writer finishing the file
		// writes it: a rewrite from the start could be read half done.
		rest, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rest.Write(content[cut:]); err != nil {
			t.Fatal(err)
		}
		if err := rest.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-results:
			// The complete rows of the cut-off file were stored then.
			if r.Counts.Read != 4 || r.Counts.Stored+r.Counts.Duplicate != 4 || r.Counts.Rejected != 0 {
				t.Errorf("watched file %+v", r.Counts)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the completed file was not imported")
		}
		stop()
		stop = follow(e.importer(t))
		select {
		case r := <-results:
			if !r.Seen {
				t.Errorf("a watcher started again read the file again: %+v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second watcher said nothing of the file")
		}
		stop()
		if n := e.count(t, "SELECT COUNT(*) FROM cdr"); n != 4 {
			t.Errorf("%d CDRs, want 4", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM import_reject"); n != 0 {
			t.Errorf("%d rejects of a file that was only not yet complete", n)
		}
	})
}

// TestAppendedWhileRead: the rest of a cut-off file that a writer appends
// while a watcher reads it is not taken, with the cut-off row, for two bad
// rows; the file is read again once complete.
func TestAppendedWhileRead(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t))
	whole := cucmFile(t, t.TempDir(), "x", cdrgen.Fields133, 4, 301, false)
	content, _ := os.ReadFile(whole)
	path := filepath.Join(t.TempDir(), "cdr_GenCluster_01_202611201003_4")
	cut := len(content) - 40
	if err := os.WriteFile(path, content[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	appendRest := func(in io.Reader, _ int64) io.Reader {
		return &appendAtEnd{in: in, append: func() {
			rest, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer rest.Close()
			if _, err := rest.Write(content[cut:]); err != nil {
				t.Fatal(err)
			}
		}}
	}
	f, _ := cdrimport.NewFormat(cdr.SourceCUCM, "", "")
	im := e.importer(t)
	if _, err := im.ImportFile(context.Background(), f, path, true, appendRest); !errors.Is(err, cdrimport.ErrIncomplete) {
		t.Fatalf("a file cut off when fingerprinted: %v, want ErrIncomplete", err)
	}
	if n := e.count(t, "SELECT COUNT(*) FROM import_reject"); n != 0 {
		t.Errorf("%d rejects of a file that was only not yet complete", n)
	}
	r, err := im.ImportFile(context.Background(), f, path, true, nil)
	if err != nil || r.Counts.Read != 4 || r.Counts.Rejected != 0 {
		t.Errorf("the completed file: %+v, %v", r.Counts, err)
	}
}

// appendAtEnd calls append when its reader first reaches the end: a
// caller that reads on past that end reads what was appended.
type appendAtEnd struct {
	in       io.Reader
	append   func()
	appended bool
}

func (a *appendAtEnd) Read(p []byte) (int, error) {
	n, err := a.in.Read(p)
	if err == io.EOF && !a.appended {
		a.appended = true
		a.append()
	}
	return n, err
}

// TestAsteriskTable reads a real MariaDB cdr table incrementally: a second
// run reads the rows added since, and the rows of the watermark's second
// again, as duplicates.
func TestAsteriskTable(t *testing.T) {
	source := testdb.MySQL(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b)
		im := e.importer(t)
		pbx, err := sql.Open("mysql", source.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer pbx.Close()
		for _, q := range []string{"DROP TABLE IF EXISTS cdr", `CREATE TABLE cdr (calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '',
			src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '',
			channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '',
			lastdata varchar(80) NOT NULL DEFAULT '', duration int NOT NULL DEFAULT 0, billsec int NOT NULL DEFAULT 0,
			disposition varchar(45) NOT NULL DEFAULT '', amaflags int NOT NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '',
			uniqueid varchar(32) NOT NULL DEFAULT '', userfield varchar(255) NOT NULL DEFAULT '', KEY calldate (calldate))`} {
			if _, err := pbx.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		insert := func(n, from int) {
			for i := from; i < from+n; i++ {
				if _, err := pbx.Exec(`INSERT INTO cdr (calldate, src, dst, channel, dstchannel, duration, billsec, disposition, uniqueid)
					VALUES (?, '2001', '35988123456', 'SIP/2001-0001', 'SIP/provider-0002', 125, 120, 'ANSWERED', ?)`,
					time.Date(2026, 11, 20, 12, 0, i/3, 0, time.UTC).Format(time.DateTime), fmt.Sprintf("1763640000.%d", i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		insert(7, 0)
		table := cdrimport.AsteriskTable{DSN: source.DSN, Location: time.UTC, Page: 3}
		got, err := im.ImportAsteriskTable(context.Background(), table)
		if err != nil || got.Stored != 7 || got.Rejected != 0 {
			t.Fatalf("first run %+v, %v", got, err)
		}
		insert(4, 7)
		got, err = im.ImportAsteriskTable(context.Background(), table)
		if err != nil || got.Stored != 4 || got.Rejected != 0 || got.Duplicate != got.Read-4 || got.Read >= 11 {
			t.Fatalf("second run %+v, %v (it should read only the new rows and the watermark's second)", got, err)
		}
		if spend := e.spend(t); spend != 11*700_000 {
			t.Errorf("Ann's spend %s, want 7.70", spend)
		}
	})
}
