package rating

import (
	"reflect"
	"sync"
	"testing"
)

// TestRateConcurrently rates the hand-computed calls from many goroutines
// at once on one snapshot (run with -race) and expects the same charges as
// one goroutine gets.
func TestRateConcurrently(t *testing.T) {
	snapshot := mustBuild(t, fixture(t))
	var calls []Call
	for _, tc := range rateCases(t) {
		if tc.tweak == nil {
			calls = append(calls, tc.call)
		}
	}
	want := make([]Charge, len(calls))
	for i, call := range calls {
		want[i] = snapshot.Rate(call)
	}
	var group sync.WaitGroup
	failures := make(chan string, 16)
	for worker := range 16 {
		group.Go(func() {
			var reused Charge
			for round := range 200 {
				i := (worker + round) % len(calls)
				got := snapshot.Rate(calls[i])
				snapshot.RateTo(&reused, calls[i])
				if !reflect.DeepEqual(withoutEmptyParts(got), withoutEmptyParts(want[i])) ||
					!reflect.DeepEqual(withoutEmptyParts(reused), withoutEmptyParts(want[i])) {
					failures <- calls[i].Called
					return
				}
			}
		})
	}
	group.Wait()
	close(failures)
	for called := range failures {
		t.Errorf("concurrent charge for %s differs", called)
	}
}

// withoutEmptyParts makes empty Parts nil: a reused charge keeps an empty,
// non-nil slice, which means the same.
func withoutEmptyParts(charge Charge) Charge {
	if len(charge.Parts) == 0 {
		charge.Parts = nil
	}
	return charge
}
