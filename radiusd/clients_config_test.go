package radiusd_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/radiusd"
)

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
	check := func(t *testing.T, cfg *config.Config) {
		t.Helper()
		cs, err := radiusd.ParseClients(cfg.Clients)
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
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("RADBILL_CLIENTS", clients)
		cfg, err := config.Load("")
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	if _, err := radiusd.NewClients([]radiusd.ClientConfig{{Name: "d", Address: "192.0.2.4", Secret: "s", RequireMessageAuthenticator: "maybe"}}); err == nil {
		t.Error("require_message_authenticator: maybe was accepted")
	}
}
