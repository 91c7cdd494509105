package rating

import (
	"math/rand/v2"
	"testing"
)

// TestRateProperties rates random calls against random tariffs and checks
// the invariants: cost never negative, parts summing exactly to the whole,
// parts in the oracle's bands, rounding within one step, the cap, cost
// never decreasing with duration, and start-band pricing equal to split
// pricing when no boundary is crossed.
func TestRateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20250610, 1))
	tariffs, calls := 300, 200
	if testing.Short() {
		tariffs = 30
	}
	for range tariffs {
		tariff := newRandomTariff(rng)
		split, start := tariff, tariff
		split.data, start.data = withPolicy(tariff.data, BandSplit), withPolicy(tariff.data, BandStart)
		splitSnapshot, startSnapshot := mustBuild(t, split.data), mustBuild(t, start.data)
		for range calls {
			call := tariff.randomCall(t, rng)
			splitCharge, startCharge := splitSnapshot.Rate(call), startSnapshot.Rate(call)
			split.checkCharge(t, call, splitCharge)
			start.checkCharge(t, call, startCharge)
			checkAgainstStartPolicy(t, splitCharge, startCharge)

			longer := call
			longer.DurationSeconds += 1 + rng.Int64N(900)
			checkNotCheaper(t, splitSnapshot, call, longer, splitCharge)
			checkNotCheaper(t, startSnapshot, call, longer, startCharge)
		}
	}
}

// checkNotCheaper checks that a longer call does not cost less.
func checkNotCheaper(t *testing.T, snapshot *Snapshot, call, longer Call, charge Charge) {
	t.Helper()
	longerCharge := snapshot.Rate(longer)
	if charge.Status != StatusOK || longerCharge.Status != StatusOK {
		return
	}
	if longerCharge.Cost < charge.Cost || longerCharge.Exact < charge.Exact {
		t.Fatalf("%d s costs %s (%d/60 µ) but %d s costs %s (%d/60 µ)", call.DurationSeconds, charge.Cost, charge.Exact,
			longer.DurationSeconds, longerCharge.Cost, longerCharge.Exact)
	}
}
