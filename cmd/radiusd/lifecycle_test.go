package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/store"
)

// buildBinaries compiles radiusd, radload and any other named commands into
// a temporary directory.
func buildBinaries(t *testing.T, more ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + "/", "github.com/radbill/radbill/cmd/radiusd", "github.com/radbill/radbill/cmd/radload"}
	for _, m := range more {
		args = append(args, "github.com/radbill/radbill/cmd/"+m)
	}
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// TestSIGTERMAnswersWhatItRead stops radiusd with SIGTERM in the middle of a
// load: every Stop it acknowledged is in the database, and it exits cleanly.
func TestSIGTERMAnswersWhatItRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := buildBinaries(t)
	b := testdb.SQLite(t)
	env := append(os.Environ(),
		"RADBILL_DATABASE_DRIVER="+b.Driver, "RADBILL_DATABASE_DSN="+b.DSN, "RADBILL_DICTIONARIES=../../dictionaries", "RADBILL_SPOOL_DIR="+t.TempDir(),
		"RADBILL_LISTEN_AUTH=127.0.0.1:21812", "RADBILL_LISTEN_ACCT=127.0.0.1:21813", "RADBILL_LISTEN_METRICS=127.0.0.1:21814",
		"RADBILL_CLIENTS=[{name: load, address: 127.0.0.1, secret: lifecycle}]", "RADBILL_LOG_LEVEL=info")
	server := exec.Command(filepath.Join(bin, "radiusd"))
	server.Env = env
	logPath := filepath.Join(t.TempDir(), "radiusd.log")
	logFile, _ := os.Create(logPath)
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Process.Kill() //nolint:errcheck // already exited when the test passes
	waitHealthy(t, "http://127.0.0.1:21814/healthz")

	acked := filepath.Join(t.TempDir(), "acked")
	load := exec.Command(filepath.Join(bin, "radload"), "-addr", "127.0.0.1:21813", "-secret", "lifecycle",
		"-n", "20000", "-c", "32", "-timeout", "300ms", "-retries", "1", "-acked", acked)
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := server.Wait(); err != nil {
		t.Fatalf("radiusd exited with %v", err)
	}
	_ = load.Process.Signal(os.Interrupt) // stop sending: the server is gone
	_ = load.Wait()                       // unanswered Stops make it exit non-zero
	logFile.Close()
	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), "radiusd stopped") {
		t.Fatalf("no clean stop in the log:\n%s", log)
	}

	db := testdb.Open(t, b)
	ackedIDs := readLines(t, acked)
	if len(ackedIDs) == 0 || len(ackedIDs) == 20000 {
		t.Fatalf("%d Stops acknowledged: the stop did not happen mid-load", len(ackedIDs))
	}
	assertStoredOnce(t, db, ackedIDs)
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatalf("%s never became healthy", url)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// assertStoredOnce checks that each acknowledged Acct-Session-Id has exactly
// one CDR.
func assertStoredOnce(t *testing.T, db *store.DB, sessions []string) {
	t.Helper()
	var stored []string
	if err := db.Select(&stored, "SELECT acct_session_id FROM cdr"); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range stored {
		count[s]++
	}
	lost, doubled := 0, 0
	for _, s := range sessions {
		if count[s] == 0 {
			lost++
		}
	}
	for _, n := range count {
		doubled += n - 1
	}
	t.Logf("acknowledged %d, stored %d, lost %d, duplicated %d", len(sessions), len(stored), lost, doubled)
	if lost != 0 || doubled != 0 {
		t.Fatalf("lost %d acknowledged Stops, %d duplicated", lost, doubled)
	}
}
