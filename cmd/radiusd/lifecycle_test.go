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

// TestSIGHUPReloadsClientsAndDictionariesWithoutDroppingPackets rewrites the
// configuration under a running radiusd — a new client secret and a
// dictionary directory with an extra vendor — sends SIGHUP in the middle of
// a load, and checks that nothing was dropped and both changes took effect.
func TestSIGHUPReloadsClientsAndDictionariesWithoutDroppingPackets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := buildBinaries(t)
	b := testdb.SQLite(t)
	dir := t.TempDir()
	dicts := filepath.Join(dir, "dictionaries")
	if err := os.CopyFS(dicts, os.DirFS("../../dictionaries")); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "radiusd.yaml")
	writeConfig := func(gatewaySecret, dictionaries string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(`listen: {auth: "127.0.0.1:23812", acct: "127.0.0.1:23813", metrics: "127.0.0.1:23814"}
database: {driver: sqlite, dsn: "`+b.DSN+`"}
spool: {dir: "`+filepath.Join(dir, "spool")+`"}
dictionaries: "`+dictionaries+`"
clients:
  - {name: load, address: 127.0.0.1, secret: load-secret}
  - {name: gateway, address: 127.0.0.2, secret: "`+gatewaySecret+`"}
`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("old-secret", "../../dictionaries")
	server := exec.Command(filepath.Join(bin, "radiusd"), "-config", config)
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _, _ = server.Process.Wait() })
	waitHealthy(t, "http://127.0.0.1:23814/healthz")

	acked := filepath.Join(dir, "acked")
	load := exec.Command(filepath.Join(bin, "radload"), "-addr", "127.0.0.1:23813", "-secret", "load-secret",
		"-n", "15000", "-c", "16", "-timeout", "2s", "-retries", "0", "-acked", acked)
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	// An operator adds a vendor dictionary and changes the gateway's secret.
	if err := os.WriteFile(filepath.Join(dicts, "dictionary.acme"), []byte("VENDOR Acme 55555\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Tariff-Class 1 string\nEND-VENDOR Acme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	top, _ := os.ReadFile(filepath.Join(dicts, "dictionary"))
	if err := os.WriteFile(filepath.Join(dicts, "dictionary"), append(top, "$INCLUDE dictionary.acme\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	writeConfig("new-secret", dicts)
	time.Sleep(300 * time.Millisecond)
	if err := server.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := load.Wait(); err != nil {
		t.Fatalf("radload during the reload: %v (packets were dropped)", err)
	}
	db := testdb.Open(t, b)
	assertStoredOnce(t, db, readLines(t, acked))

	stop := ciscoStop(t, "HUP1")
	stop.Secret = []byte("new-secret")
	vsa := append([]byte{0, 0, 0xd9, 0x03, 1, 7}, "gold!"...) // vendor 55555, attribute 1
	stop.Add(26, vsa)
	h := &harness{t: t, db: db, acct: "127.0.0.1:23813"}
	if reply := exchange(t, "127.0.0.2", h.acct, encode(t, stop), 3*time.Second); reply == nil {
		t.Fatal("the gateway's new secret is not in force after SIGHUP")
	}
	var raw string
	if err := db.Get(&raw, "SELECT raw FROM cdr WHERE acct_session_id = 'HUP1'"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `["Acme-Tariff-Class","gold!"]`) {
		t.Errorf("the added vendor dictionary is not in force: %s", raw)
	}
}
