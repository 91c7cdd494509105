package rating

import (
	"bufio"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// largeTariff generates a realistic-sized tariff: 702 country codes (1, 7
// and 2xx…9xx except 7xx, which no code prefixes another), three zones
// each, prefixCount distinct prefixes of up to nine digits, and the
// fixture's retail plan (Europe/Sofia, three bands) with a rate per zone
// and band.
func largeTariff(t testing.TB, prefixCount int) TariffData {
	countryCodes := []string{"1", "7"}
	for _, first := range "2345689" {
		for n := range 100 {
			countryCodes = append(countryCodes, string(first)+strconv.Itoa(100 + n)[1:])
		}
	}
	base := fixture(t)
	data := TariffData{
		Plans:     base.Plans[:1],
		Bands:     base.Bands[:3],
		BandRules: base.BandRules[:5],
		Holidays:  base.Holidays,
		Zones:     make([]Zone, 0, 3*len(countryCodes)),
		Prefixes:  make([]Prefix, 0, prefixCount),
	}
	for c, code := range countryCodes {
		for kind, name := range []string{"fixed", "mobile", "special"} {
			zone := Zone{ID: int64(3*c + kind + 1), Name: code + " " + name}
			data.Zones = append(data.Zones, zone)
			for b, band := range data.Bands {
				data.Rates = append(data.Rates, Rate{
					ID: int64(len(data.Rates) + 1), PlanID: planRetail, ZoneID: zone.ID, BandID: band.ID, Direction: Outgoing,
					ConnectFee: Money(10_000 * kind), FirstIncrement: 30, NextIncrement: 6,
					Tiers: []Tier{{0, Money(100_000 + 1_000*c + 10_000*b)}, {60, Money(50_000 + 1_000*c)}},
				})
			}
		}
	}
	// Prefix i ≥ len(countryCodes) is code + a suffix of 4–6 digits: the
	// n-th suffix of a code scrambles n by n×7919+13 mod 10^width, which is
	// one-to-one for n < 10^4 (7919 is prime to 10), so no two collide and
	// the trie is about as bushy as with random digits.
	for i := range prefixCount {
		c := i % len(countryCodes)
		digits := countryCodes[c]
		kind := 0
		if i >= len(countryCodes) {
			n := i / len(countryCodes)
			width := 4 + n%3
			kind = 1 + n%2
			suffix := strconv.Itoa((n*7919 + 13) % int(pow10[width]))
			digits += strings.Repeat("0", width-len(suffix)) + suffix
		}
		data.Prefixes = append(data.Prefixes, Prefix{ID: int64(i + 1), Digits: digits, ZoneID: int64(3*c + kind + 1)})
	}
	return data
}

// benchmarkCalls are calls to the tariff's numbers at random times of 2025,
// 0 to 600 s long.
func benchmarkCalls(data TariffData, count int) []Call {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	calls := make([]Call, count)
	for i := range calls {
		prefix := data.Prefixes[rng.IntN(len(data.Prefixes))].Digits
		calls[i] = Call{
			PlanID: planRetail, Called: prefix + randomDigits(rng, max(0, 12-len(prefix))),
			ConnectTime: time.Unix(start+rng.Int64N(365*secondsPerDay), 0), DurationSeconds: rng.Int64N(601), Direction: Outgoing,
		}
	}
	return calls
}

func BenchmarkRate(b *testing.B) {
	data := largeTariff(b, 100_000)
	snapshot := mustBuild(b, data)
	calls := benchmarkCalls(data, 1<<12)
	for _, call := range calls {
		if charge := snapshot.Rate(call); charge.Status != StatusOK {
			b.Fatalf("%+v: %v", call, charge.Status)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		snapshot.Rate(calls[i&(len(calls)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func BenchmarkRateTo(b *testing.B) {
	data := largeTariff(b, 100_000)
	snapshot := mustBuild(b, data)
	calls := benchmarkCalls(data, 1<<12)
	var charge Charge
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		snapshot.RateTo(&charge, calls[i&(len(calls)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func BenchmarkRateParallel(b *testing.B) {
	data := largeTariff(b, 100_000)
	snapshot := mustBuild(b, data)
	calls := benchmarkCalls(data, 1<<12)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var charge Charge
		for i := 0; pb.Next(); i++ {
			snapshot.RateTo(&charge, calls[i&(len(calls)-1)])
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkBuild1M builds a snapshot of a million prefixes. Besides time it
// reports the heap the snapshot keeps, the bytes allocated per build, and
// the process's peak resident memory, input included (Linux only).
func BenchmarkBuild1M(b *testing.B) {
	data := largeTariff(b, 1_000_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var snapshot *Snapshot
	b.ResetTimer()
	for b.Loop() {
		snapshot = mustBuild(b, data)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "snapshot-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/1e6, "alloc-MB/op")
	b.ReportMetric(float64(len(snapshot.trie.nodes)), "trie-nodes")
	if peak := peakRSS(); peak > 0 {
		b.ReportMetric(float64(peak)/1e6, "peak-RSS-MB")
	}
	runtime.KeepAlive(data)
}

// peakRSS reads the process's high-water resident set size (VmHWM) in
// bytes, or 0 where /proc is missing.
func peakRSS() int64 {
	status, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer status.Close()
	lines := bufio.NewScanner(status)
	for lines.Scan() {
		if value, found := strings.CutPrefix(lines.Text(), "VmHWM:"); found {
			kilobytes, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(value, "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kilobytes * 1024
		}
	}
	return 0
}

// TestLargeTariffAgainstBruteForce checks the generated big tariff builds
// and that rating finds the same prefixes as a scan, so that the benchmark
// figures are for correct work.
func TestLargeTariffAgainstBruteForce(t *testing.T) {
	data := largeTariff(t, 20_000)
	snapshot := mustBuild(t, data)
	for _, call := range benchmarkCalls(data, 300) {
		charge := snapshot.Rate(call)
		want := ""
		for _, prefix := range data.Prefixes {
			if strings.HasPrefix(call.Called, prefix.Digits) && len(prefix.Digits) > len(want) {
				want = prefix.Digits
			}
		}
		if charge.Status != StatusOK || charge.Prefix != want {
			t.Fatalf("%s: status %v prefix %q, want ok %q", call.Called, charge.Status, charge.Prefix, want)
		}
	}
}
