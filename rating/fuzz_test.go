package rating

import (
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzRate rates arbitrary call facts against a small random tariff made
// from seed, and checks the charge against the oracles of checkCharge, the
// start-band policy, and a longer call.
func FuzzRate(f *testing.F) {
	f.Add(uint64(1), "35988123456", int64(1749546000), int64(120), uint8(Outgoing), uint8(1), true)
	f.Add(uint64(2), "", int64(1741503000), int64(0), uint8(Incoming), uint8(2), true)
	f.Add(uint64(3), "+49", int64(-1), int64(-5), uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, seed uint64, called string, connect, duration int64, direction, plan uint8, afterPrefix bool) {
		tariff := newRandomTariff(rand.New(rand.NewPCG(seed, seed>>32)))
		if afterPrefix && len(tariff.data.Prefixes) > 0 {
			called = tariff.data.Prefixes[seed%uint64(len(tariff.data.Prefixes))].Digits + called
		}
		call := Call{
			PlanID:          int64(plan) % int64(len(tariff.data.Plans)+2), // 0 and one past the last are unknown
			Called:          called,
			ConnectTime:     time.Unix(connect, 0),
			DurationSeconds: duration,
			Direction:       Direction(direction),
		}
		snapshot := mustBuild(t, tariff.data)
		charge := snapshot.Rate(call)
		tariff.checkCharge(t, call, charge)

		split, start := tariff, tariff
		split.data, start.data = withPolicy(tariff.data, BandSplit), withPolicy(tariff.data, BandStart)
		checkAgainstStartPolicy(t, mustBuild(t, split.data).Rate(call), mustBuild(t, start.data).Rate(call))

		if duration < MaxCallSeconds {
			longer := call
			longer.DurationSeconds++
			checkNotCheaper(t, snapshot, call, longer, charge)
		}
	})
}
