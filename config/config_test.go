package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/radiusd"
)

// TestAuthorizeBatchWorkers: one card batch at a time unless configured,
// from the environment like every key, and never none.
func TestAuthorizeBatchWorkers(t *testing.T) {
	for _, c := range []struct {
		env     string
		want    int
		refused bool
	}{{"", 1, false}, {"3", 3, false}, {"0", 0, true}} {
		if c.env != "" {
			t.Setenv("RADBILL_AUTHORIZE_BATCH_WORKERS", c.env)
		}
		cfg, err := Load("")
		switch {
		case c.refused:
			if err == nil || !strings.Contains(err.Error(), "authorize.batch_workers") {
				t.Errorf("batch_workers %q: %v, want refused", c.env, err)
			}
		case err != nil:
			t.Errorf("batch_workers %q: %v", c.env, err)
		case cfg.Authorize.BatchWorkers != c.want:
			t.Errorf("batch_workers %q: %d, want %d", c.env, cfg.Authorize.BatchWorkers, c.want)
		}
	}
}

// TestClientPoliciesTakeYAMLBooleans: `require_message_authenticator:
// false` is a YAML boolean and means no, in the file and in
// RADBILL_CLIENTS.
func TestClientPoliciesTakeYAMLBooleans(t *testing.T) {
	clients := `
- {name: a, address: 192.0.2.1, secret: s, require_message_authenticator: false, limit_proxy_state: true}
- {name: b, address: 192.0.2.2, secret: s, require_message_authenticator: yes, limit_proxy_state: "no"}
- {name: c, address: 192.0.2.3, secret: s}
`
	want := map[string][2]radiusd.Policy{"a": {radiusd.No, radiusd.Yes}, "b": {radiusd.Yes, radiusd.No}, "c": {radiusd.Auto, radiusd.Auto}}
	check := func(t *testing.T, cfg *Config) {
		t.Helper()
		cs, err := radiusd.NewClients(cfg.Clients)
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"a", "b", "c"} {
			c := cs.Lookup(netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", i+1)))
			if got := [2]radiusd.Policy{c.RequireMessageAuthenticator, c.LimitProxyState}; got != want[name] {
				t.Errorf("client %s: policies %v, want %v", name, got, want[name])
			}
		}
	}
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "radiusd.yaml")
		indented := strings.ReplaceAll(clients, "\n", "\n  ")
		if err := os.WriteFile(path, []byte("clients:"+indented+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("RADBILL_CLIENTS", clients)
		cfg, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	if _, err := radiusd.NewClients([]radiusd.ClientConfig{{Name: "d", Address: "192.0.2.4", Secret: "s", RequireMessageAuthenticator: "maybe"}}); err == nil {
		t.Error("require_message_authenticator: maybe was accepted")
	}
}
