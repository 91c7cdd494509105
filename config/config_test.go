package config

import (
	"strings"
	"testing"
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
