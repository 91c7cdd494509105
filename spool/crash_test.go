package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The crash child appends to the spool in crashDirEnv, numbering records
// from crashStartEnv, and prints "acked N" after every Append that returned
// nil, N being the number of the next record.
const (
	crashDirEnv   = "SPOOL_CRASH_CHILD_DIR"
	crashStartEnv = "SPOOL_CRASH_CHILD_START"
	// crashChildLimit stops an orphaned child whose parent died without
	// killing it.
	crashChildLimit = 1_000_000
)

func crashRecord(seq int) []byte {
	head := fmt.Sprintf("crash-%08d|", seq)
	return append([]byte(head), bytes.Repeat([]byte{byte(seq)}, seq%1500)...)
}

func TestCrashChildProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9KeepsEveryAcknowledgedRecord")
	}
	seq, err := strconv.Atoi(os.Getenv(crashStartEnv))
	if err != nil {
		t.Fatal(err)
	}
	// Small segments so that kills also land around segment rolls.
	s, _, err := open(dir, 1<<30, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	for stop := seq + crashChildLimit; seq < stop; {
		var batch [][]byte
		for range 1 + seq%7 {
			batch = append(batch, crashRecord(seq+len(batch)))
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		seq += len(batch)
		fmt.Printf("acked %d\n", seq)
	}
}

// TestKill9KeepsEveryAcknowledgedRecord kills a child process that appends
// as fast as it can, then checks that every record it was told is durable
// is in the spool, intact and in order. Each round continues the numbering
// where the records found so far end, in the same directory.
func TestKill9KeepsEveryAcknowledgedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	next := 0
	for round := range 5 {
		killAt := next + 100 + rand.IntN(400)
		acked := runAndKillCrashChild(t, dir, next, killAt)

		s, rec := openTest(t, dir, 1<<30, 32<<10)
		got := drain(t, s, 100)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if !bytes.Equal(r, crashRecord(next+i)) {
				t.Fatalf("round %d: record %d of this round is %.30q, want record %d", round, i, r, next+i)
			}
		}
		if next+len(got) < acked {
			t.Fatalf("round %d: acknowledged up to record %d, spool holds only up to %d", round, acked, next+len(got))
		}
		t.Logf("round %d: killed after %d acknowledged, found %d; recovery %+v", round, acked, next+len(got), rec)
		next += len(got)
	}
}

// runAndKillCrashChild starts a crash child numbering from start, kills it
// with SIGKILL once it has acknowledged records up to killAt, and returns
// the last acknowledged number it printed.
func runAndKillCrashChild(t *testing.T, dir string, start, killAt int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashStartEnv+"="+strconv.Itoa(start))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked, killed := start, false
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(lines.Text(), "acked "))
		if err != nil {
			continue // the test framework's own output
		}
		acked = n
		if !killed && n >= killAt {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("crash child exited by itself (%v): %s", err, stderr.Bytes())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Exited() {
		t.Fatalf("crash child was not killed by a signal: %v: %s", err, stderr.Bytes())
	}
	return acked
}
