//go:build faults

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
)

// Fault tests (make test-faults): real radiusd processes on MariaDB under
// load from radload, with faults injected. Each ends by comparing the
// acknowledged Stops with the database: 0 lost, 0 duplicated.

// radiusdProcess starts bin/radiusd on the given ports and database.
func radiusdProcess(t *testing.T, bin string, b testdb.Backend, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "radiusd"))
	cmd.Env = append(os.Environ(),
		"RADBILL_DATABASE_DRIVER="+b.Driver, "RADBILL_DATABASE_DSN="+b.DSN, "RADBILL_DICTIONARIES=../../dictionaries",
		fmt.Sprintf("RADBILL_LISTEN_AUTH=127.0.0.1:%d", port), fmt.Sprintf("RADBILL_LISTEN_ACCT=127.0.0.1:%d", port+1),
		fmt.Sprintf("RADBILL_LISTEN_METRICS=127.0.0.1:%d", port+2),
		"RADBILL_CLIENTS=[{name: load, address: 127.0.0.1, secret: faults}]", "RADBILL_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitHealthy(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", port+2))
	return cmd
}

func radloadProcess(t *testing.T, bin, addrs, acked string, n int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "radload"), "-addr", addrs, "-secret", "faults", "-n", fmt.Sprint(n), "-c", "32",
		"-gateways", "4", "-timeout", "500ms", "-retries", "30", "-acked", acked)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestFaultKill9 kills radiusd -9 in the middle of a load and restarts it:
// the generator retransmits what was not answered, like a gateway.
func TestFaultKill9(t *testing.T) {
	bin := buildBinaries(t)
	b := testdb.MySQL(t)
	server := radiusdProcess(t, bin, b, 31812)
	acked := filepath.Join(t.TempDir(), "acked")
	load := radloadProcess(t, bin, "127.0.0.1:31813", acked, 40000)
	time.Sleep(1500 * time.Millisecond)
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = server.Process.Wait()
	t.Log("radiusd killed with -9; restarting in 1 s")
	time.Sleep(time.Second)
	radiusdProcess(t, bin, b, 31812)
	if err := load.Wait(); err != nil {
		t.Fatalf("radload: %v (some Stops never answered)", err)
	}
	ids := readLines(t, acked)
	if len(ids) != 40000 {
		t.Fatalf("%d of 40000 Stops acknowledged", len(ids))
	}
	assertStoredOnce(t, testdb.Open(t, b), ids)
}

// TestFaultBroadcastToTwoServers sends every Stop to two radiusd sharing one
// database, as Cisco broadcast accounting does.
func TestFaultBroadcastToTwoServers(t *testing.T) {
	bin := buildBinaries(t)
	b := testdb.MySQL(t)
	radiusdProcess(t, bin, b, 32812)
	radiusdProcess(t, bin, b, 33812)
	acked := filepath.Join(t.TempDir(), "acked")
	load := radloadProcess(t, bin, "127.0.0.1:32813,127.0.0.1:33813", acked, 20000)
	if err := load.Wait(); err != nil {
		t.Fatalf("radload: %v", err)
	}
	ids := readLines(t, acked)
	if len(ids) != 20000 {
		t.Fatalf("%d of 20000 Stops acknowledged by both servers", len(ids))
	}
	assertStoredOnce(t, testdb.Open(t, b), ids)
}
