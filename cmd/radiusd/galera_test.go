//go:build galera

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/internal/testdb"
	spoolpkg "github.com/radbill/radbill/spool"
)

// Galera tests (make test-galera): a three-node MariaDB Galera cluster
// started by scripts/galera.sh, its nodes' DSNs in
// RADBILL_TEST_GALERA_DSNS, one radiusd on each node, under load.

// galeraStops is the load of each test: three MariaDB and three radiusd
// share two cores here.
const galeraStops = 3000

// galeraBackends creates a test database on the cluster (through node 1;
// Galera replicates it) and returns it as each node serves it.
func galeraBackends(t *testing.T) [3]testdb.Backend {
	t.Helper()
	dsns := strings.Split(os.Getenv("RADBILL_TEST_GALERA_DSNS"), ",")
	if len(dsns) != 3 {
		if os.Getenv("CI") != "" {
			t.Fatal("RADBILL_TEST_GALERA_DSNS is not three DSNs under CI: run make test-galera")
		}
		testdb.SkipLoudly(t, "Galera tests: RADBILL_TEST_GALERA_DSNS is not set (make test-galera starts a cluster)")
	}
	t.Setenv("RADBILL_TEST_MYSQL_DSN", dsns[0])
	first := testdb.MySQL(t)
	var out [3]testdb.Backend
	for i, dsn := range dsns {
		node, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := mysql.ParseDSN(first.DSN)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Addr = node.Addr
		// Causal reads: a read waits for what the cluster committed
		// before it, as the assertions and the radiusd expect.
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["wsrep_sync_wait"] = "1"
		out[i] = testdb.Backend{Driver: first.Driver, DSN: cfg.FormatDSN()}
	}
	return out
}

// TestGaleraBroadcast sends every Stop to three radiusd, each on its own
// node, in each writer mode: each leg stored once and debited once in the
// whole cluster.
func TestGaleraBroadcast(t *testing.T) {
	bin := buildBinaries(t)
	for _, mode := range writerModes {
		t.Run(mode.name, func(t *testing.T) {
			nodes := galeraBackends(t)
			withCard(t, nodes[0])
			ports := []int{25912 + mode.port, 26912 + mode.port, 27912 + mode.port}
			for i, port := range ports {
				radiusdProcess(t, bin, nodes[i], port, t.TempDir(), mode.name)
			}
			load := startLoad(t, bin, fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", ports[0]+1, ports[1]+1, ports[2]+1), galeraStops)
			finishLoad(t, load, nodes[0], ports[0]+2, ports[1]+2, ports[2]+2)
		})
	}
}

// TestGaleraPrepaidCards authorizes cards concurrently through three
// radiusd on three nodes: no card below its floor, each Stop debited once.
func TestGaleraPrepaidCards(t *testing.T) {
	prepaidOnThreeServers(t, galeraBackends(t), []int{25922, 26922, 27922})
}

// TestGaleraNodeKilled kills a node in the middle of a broadcast load, in
// each writer mode: its radiusd spools (or journals) what it acknowledges
// meanwhile, the others store every Stop; when the node has rejoined, the
// spool is replayed without duplicating anything. A journal acknowledges
// faster than it loads, so its load is larger and the node dies sooner,
// while the loaders are at work.
func TestGaleraNodeKilled(t *testing.T) {
	bin := buildBinaries(t)
	loads := map[string]struct {
		stops     int
		killAfter time.Duration
	}{"direct": {galeraStops, 2 * time.Second}, "journal": {6 * galeraStops, time.Second}}
	for _, mode := range writerModes {
		t.Run(mode.name, func(t *testing.T) {
			nodes := galeraBackends(t)
			withCard(t, nodes[0])
			var spools [3]string
			ports := []int{25932 + mode.port, 26932 + mode.port, 27932 + mode.port}
			for i, port := range ports {
				spools[i] = t.TempDir()
				radiusdProcess(t, bin, nodes[i], port, spools[i], mode.name)
			}
			l := loads[mode.name]
			load := startLoad(t, bin, fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", ports[0]+1, ports[1]+1, ports[2]+1), l.stops)
			time.Sleep(l.killAfter)
			galera(t, "kill", "3")
			t.Log("node 3 killed -9")
			ids := load.wait(t)
			// While the cluster changed, the others' radiusd may have spooled too.
			drained(t, spools[0], spools[1])
			assertAccounted(t, nodes[0], ids)
			galera(t, "restart", "3")
			t.Log("node 3 rejoined")
			drained(t, spools[2])
			assertAccounted(t, nodes[0], ids)
		})
	}
}

// drained waits until radiusd have replayed the spools.
func drained(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		for deadline := time.Now().Add(90 * time.Second); spooled(t, dir) > 0; time.Sleep(500 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the spool %s was not replayed", dir)
			}
		}
	}
}

func galera(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("../../scripts/galera.sh", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("galera.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// spooled is the size of a spool directory's segments.
func spooled(t *testing.T, dir string) int64 {
	t.Helper()
	n, err := spoolpkg.DirBytes(dir)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
