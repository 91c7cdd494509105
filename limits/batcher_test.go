package limits_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
)

// TestCardBatcher submits many calls at once through one worker, so that
// they are decided in batches: every call gets its own decision, the
// reservations equal what was granted, and Close decides what was
// submitted before it. Then, with the database closed, every call of a
// batch gets the error, so radiusd answers each per its outage policy.
func TestCardBatcher(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{MaxCreditTime: 5 * time.Minute}) // 1.40 a call: the balance is not the limit
		const cards, callsPerCard = 5, 12
		for c := range cards {
			e.card(t, fmt.Sprintf("90%d", c), 50_000_000, func(n *limits.NewAccount) { n.MaxConcurrentCalls = callsPerCard })
		}
		batcher := e.svc.NewCardBatcher(limits.BatcherConfig{Workers: 1, MaxBatch: 16})
		var mu sync.Mutex
		decided := map[string]limits.Authorization{}
		var submitted sync.WaitGroup
		for c := range cards {
			for call := range callsPerCard + 1 { // one call too many per card
				submitted.Go(func() {
					confID := fmt.Sprintf("conf %d/%d", c, call)
					batcher.Submit(limits.CardCall{Number: fmt.Sprintf("90%d", c), Call: e.call(confID), Tariff: e.tariff.Snapshot},
						func(a limits.Authorization, err error) {
							if err != nil {
								t.Error(err)
							}
							mu.Lock()
							decided[confID] = a
							mu.Unlock()
						})
				})
			}
		}
		submitted.Wait()
		batcher.Close()
		if len(decided) != cards*(callsPerCard+1) {
			t.Fatalf("%d decisions for %d calls", len(decided), cards*(callsPerCard+1))
		}
		granted, inUse := 0, 0
		for _, a := range decided {
			switch a.ReturnCode {
			case limits.CodeSuccess:
				granted++
			case limits.CodeAccountInUse:
				inUse++
			default:
				t.Errorf("unexpected decision %v (%s)", a.ReturnCode, a.Reason)
			}
		}
		if granted != cards*callsPerCard || inUse != cards {
			t.Errorf("%d granted and %d refused as in use; want %d and %d", granted, inUse, cards*callsPerCard, cards)
		}
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM credit_reservation"); n != granted {
			t.Errorf("%d reservations for %d grants", n, granted)
		}

		failing := e.svc.NewCardBatcher(limits.BatcherConfig{Workers: 1})
		defer failing.Close()
		e.db.Close()
		errs := make(chan error, 3)
		for call := range 3 {
			failing.Submit(limits.CardCall{Number: "900", Call: e.call(fmt.Sprintf("down %d", call)), Tariff: e.tariff.Snapshot},
				func(_ limits.Authorization, err error) { errs <- err })
		}
		for range 3 {
			if err := <-errs; err == nil {
				t.Error("a call was decided without a database")
			}
		}
	})
}
