package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/internal/testpki"
)

// lookRadsecproxy finds radsecproxy: required under CI, else the test is
// skipped loudly.
func lookRadsecproxy(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("radsecproxy")
	if err != nil {
		for _, p := range []string{"/usr/sbin/radsecproxy", "/sbin/radsecproxy"} {
			if _, statErr := os.Stat(p); statErr == nil {
				return p
			}
		}
		if os.Getenv("CI") != "" {
			t.Fatal("radsecproxy not installed under CI (apt-get install radsecproxy)")
		}
		testdb.SkipLoudly(t, "RadSec tests: radsecproxy is not installed (apt-get install radsecproxy)")
	}
	return path
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// radclient's Stop reaches radiusd through radsecproxy, a real RadSec
// client forwarding its UDP packets over TLS with its own certificate:
// the CDR is stored once, though radclient sends it twice.
func TestRadSecThroughRadsecproxy(t *testing.T) {
	radclient := lookRadclient(t)
	proxy := lookRadsecproxy(t)
	pki := testpki.New(t)
	pki.Issue(t, "127.0.0.1", true)
	pki.Issue(t, "radsecproxy.example.net", false)
	h := startServer(t, testdb.SQLite(t), func(c *config.Config) {
		c.Listen.RadSec = "127.0.0.1:0"
		c.RadSec.CertFile, c.RadSec.KeyFile = filepath.Join(pki.Dir, "127.0.0.1.pem"), filepath.Join(pki.Dir, "127.0.0.1.key")
		c.RadSec.ClientCAFile = filepath.Join(pki.Dir, "ca.pem")
	})
	radsec := h.in.server.StreamAddr("tls").(*net.TCPAddr)
	udp := freeUDPPort(t)
	conf := filepath.Join(t.TempDir(), "radsecproxy.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`ListenUDP 127.0.0.1:%d
LogLevel 3
tls default {
    CACertificateFile %s/ca.pem
    CertificateFile %s/radsecproxy.example.net.pem
    CertificateKeyFile %s/radsecproxy.example.net.key
}
client local {
    host 127.0.0.1
    type udp
    secret %s
}
server radbill {
    host 127.0.0.1
    port %d
    type tls
    tls default
    CertificateNameCheck off
}
realm * {
    server radbill
    accountingServer radbill
}
`, udp, pki.Dir, pki.Dir, pki.Dir, secret, radsec.Port)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(proxy, "-f", "-c", conf)
	log, err := os.Create(filepath.Join(t.TempDir(), "radsecproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	packets, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", "stop.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		rc := exec.Command(radclient, "-x", "-r", "1", "-t", "2", fmt.Sprintf("127.0.0.1:%d", udp), "acct", secret)
		rc.Stdin = strings.NewReader(string(packets))
		out, _ = rc.CombinedOutput()
		if strings.Contains(string(out), "Accounting-Response") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // radsecproxy still connecting
	}
	if !strings.Contains(string(out), "Accounting-Response") {
		proxyLog, _ := os.ReadFile(log.Name())
		t.Fatalf("no answer through radsecproxy:\n%s\nradsecproxy:\n%s", out, proxyLog)
	}
	rc := exec.Command(radclient, "-x", "-r", "1", "-t", "3", fmt.Sprintf("127.0.0.1:%d", udp), "acct", secret)
	rc.Stdin = strings.NewReader(string(packets))
	if out, err := rc.CombinedOutput(); err != nil {
		t.Fatalf("second send: %v\n%s", err, out)
	}
	if n := h.count("SELECT COUNT(*) FROM cdr"); n != 1 {
		t.Fatalf("%d CDRs, want 1", n)
	}
	if got := h.metric(`radbill_packets_total{code="Accounting-Request",listener="acct",reply="Accounting-Response"}`); got < 2 {
		t.Errorf("%v Accounting-Responses counted", got)
	}
}
