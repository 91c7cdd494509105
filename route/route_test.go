package route

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/rating"
)

// deck is a random clearinghouse: carriers, each a plan pricing a random
// part of nested prefixes (country, region, mobile range).
type deck struct {
	data     rating.TariffData
	tariffs  *rating.Snapshot
	book     *Book
	carriers []Carrier
	prefixes []string
	price    map[[2]string]rating.Money // plan name, prefix → per minute
}

func newDeck(t testing.TB, rng *rand.Rand, carriers, prefixes int) *deck {
	d := &deck{price: map[[2]string]rating.Money{}}
	for len(d.prefixes) < prefixes {
		p := fmt.Sprint(1 + rng.IntN(9))
		for range rng.IntN(6) {
			p += fmt.Sprint(rng.IntN(10))
		}
		if !contains(d.prefixes, p) {
			d.prefixes = append(d.prefixes, p)
		}
	}
	for i, p := range d.prefixes {
		d.data.Zones = append(d.data.Zones, rating.Zone{ID: int64(i + 1), Name: "Z" + p})
		d.data.Prefixes = append(d.data.Prefixes, rating.Prefix{ID: int64(i + 1), Digits: p, ZoneID: int64(i + 1)})
	}
	rateID := int64(0)
	for c := 1; c <= carriers; c++ {
		name := fmt.Sprintf("carrier-%03d", c)
		d.data.Plans = append(d.data.Plans, rating.Plan{ID: int64(c), Name: name, Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 6})
		d.data.Bands = append(d.data.Bands, rating.Band{ID: int64(c), PlanID: int64(c), Name: "all"})
		d.data.BandRules = append(d.data.BandRules, rating.BandRule{ID: int64(c), BandID: int64(c), Days: 0x7f, From: 0, To: 24 * 60})
		for i, p := range d.prefixes {
			if rng.IntN(3) == 0 {
				continue // this carrier does not rate the prefix
			}
			price := rating.Money(1000 * (1 + rng.IntN(200)))
			d.price[[2]string{name, p}] = price
			rateID++
			d.data.Rates = append(d.data.Rates, rating.Rate{ID: rateID, PlanID: int64(c), ZoneID: int64(i + 1), BandID: int64(c), Direction: rating.Outgoing,
				FirstIncrement: 60, NextIncrement: 60, Tiers: []rating.Tier{{PricePerMinute: price}}})
		}
		d.carriers = append(d.carriers, Carrier{ID: int64(c), Name: name, PlanID: int64(c), Priority: rng.IntN(3), Share: rng.IntN(4)})
	}
	var err error
	if d.tariffs, err = rating.Build(d.data); err != nil {
		t.Fatal(err)
	}
	d.book = newBook(d.tariffs, d.carriers)
	return d
}

func newBook(tariffs *rating.Snapshot, carriers []Carrier) *Book {
	plans := make([]int64, len(carriers))
	for i, c := range carriers {
		plans[i] = c.PlanID
	}
	return NewBook(tariffs, plans)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// number is a random number under one of the deck's prefixes.
func (d *deck) number(rng *rand.Rand) string {
	n := d.prefixes[rng.IntN(len(d.prefixes))]
	for len(n) < 12 {
		n += fmt.Sprint(rng.IntN(10))
	}
	return n
}

// expected is carrier c's price for number by brute force: the longest of
// the deck's prefixes of number that c rates.
func (d *deck) expected(c Carrier, number string) (rating.Money, string, bool) {
	best := ""
	for _, p := range d.prefixes {
		if _, ok := d.price[[2]string{c.Name, p}]; ok && strings.HasPrefix(number, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return 0, "", false
	}
	return d.price[[2]string{c.Name, best}], best, true
}

var at = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Under least cost every carrier is priced by its own longest prefix,
// never a dearer route ranks above a cheaper one, a blocked carrier is
// never offered, and every carrier is ranked or left out with a reason.
func TestLeastCostProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := newDeck(t, rng, 30, 60)
	for trial := range 500 {
		carriers := append([]Carrier(nil), d.carriers...)
		for i := range carriers {
			carriers[i].Blocked = rng.IntN(8) == 0
		}
		number := d.number(rng)
		ranked, excluded := Rank(d.book, number, at, carriers, Policy{Strategy: LeastCost, Explain: true})
		if len(ranked)+len(excluded) != len(carriers) {
			t.Fatalf("trial %d: %d ranked + %d left out of %d", trial, len(ranked), len(excluded), len(carriers))
		}
		for i, r := range ranked {
			if r.Blocked {
				t.Fatalf("trial %d: blocked %s offered", trial, r.Name)
			}
			price, prefix, ok := d.expected(r.Carrier, number)
			if !ok || r.Cost != price || r.Prefix != prefix {
				t.Fatalf("trial %d: %s for %s at %s by %s, want %s by %s", trial, r.Name, number, r.Cost, r.Prefix, price, prefix)
			}
			if i > 0 && ranked[i-1].Cost > r.Cost {
				t.Fatalf("trial %d: %s at %s ranked above %s at %s", trial, ranked[i-1].Name, ranked[i-1].Cost, r.Name, r.Cost)
			}
			if r.Rank != i+1 {
				t.Fatalf("trial %d: rank %d at %d", trial, r.Rank, i+1)
			}
		}
		for _, x := range excluded {
			_, _, priced := d.expected(x.Carrier, number)
			if !x.Blocked && priced {
				t.Fatalf("trial %d: %s left out (%s) though it prices %s", trial, x.Name, x.Why, number)
			}
		}
		// The authorization's fast path gives the same first routes.
		short, _ := Rank(d.book, number, at, carriers, Policy{Strategy: LeastCost, Max: 3})
		for i, r := range short {
			if r.ID != ranked[i].ID || r.Cost != ranked[i].Cost || r.Rank != i+1 {
				t.Fatalf("trial %d: fast path's route %d is %s at %s, the full ranking's %s at %s", trial, i+1, r.Name, r.Cost, ranked[i].Name, ranked[i].Cost)
			}
		}
		if len(short) != min(3, len(ranked)) {
			t.Fatalf("trial %d: fast path gave %d routes of %d", trial, len(short), len(ranked))
		}
	}
}

// Quality counts only from MinSamples calls: below it the order is the
// least-cost order; above it a carrier answering a quarter of its calls
// falls behind one three times dearer that answers them all.
func TestQualityNeedsSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := newDeck(t, rng, 20, 40)
	for trial := range 200 {
		number := d.number(rng)
		few := func(int64, string) Figures { return Figures{Calls: 9, Answered: 1, AnsweredSeconds: 60} }
		byQuality, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: Quality, MinSamples: 10, Quality: few})
		byCost, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: LeastCost})
		for i := range byCost {
			if byQuality[i].ID != byCost[i].ID {
				t.Fatalf("trial %d: quality below the minimum samples changed the order at %d", trial, i)
			}
		}
	}
	cheap := Carrier{ID: 1, Name: "cheap-but-poor", PlanID: 1}
	dear := Carrier{ID: 2, Name: "dear-but-good", PlanID: 2}
	data := rating.TariffData{Zones: []rating.Zone{{ID: 1, Name: "Mexico"}}, Prefixes: []rating.Prefix{{ID: 1, Digits: "52", ZoneID: 1}}}
	for i, price := range []rating.Money{10_000, 30_000} {
		id := int64(i + 1)
		data.Plans = append(data.Plans, rating.Plan{ID: id, Name: fmt.Sprint("p", id), Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 4})
		data.Bands = append(data.Bands, rating.Band{ID: id, PlanID: id, Name: "all"})
		data.BandRules = append(data.BandRules, rating.BandRule{ID: id, BandID: id, Days: 0x7f, To: 24 * 60})
		data.Rates = append(data.Rates, rating.Rate{ID: id, PlanID: id, ZoneID: 1, BandID: id, Direction: rating.Outgoing, FirstIncrement: 60, NextIncrement: 60,
			Tiers: []rating.Tier{{PricePerMinute: price}}})
	}
	tariffs, err := rating.Build(data)
	if err != nil {
		t.Fatal(err)
	}
	book := newBook(tariffs, []Carrier{cheap, dear})
	figures := func(carrier int64, zone string) Figures {
		if zone != "Mexico" {
			t.Errorf("quality asked for zone %q", zone)
		}
		if carrier == cheap.ID {
			return Figures{Calls: 100, Answered: 25, AnsweredSeconds: 25 * 120}
		}
		return Figures{Calls: 100, Answered: 100, AnsweredSeconds: 100 * 180}
	}
	ranked, _ := Rank(book, "525512345678", at, []Carrier{cheap, dear}, Policy{Strategy: Quality, MinSamples: 20, Quality: figures})
	if len(ranked) != 2 || ranked[0].ID != dear.ID || ranked[0].Quality.ASR() != 100 || ranked[1].Quality.ACD() != 2*time.Minute {
		t.Fatalf("by quality: %+v", ranked)
	}
	ranked, _ = Rank(book, "525512345678", at, []Carrier{cheap, dear}, Policy{Strategy: Quality, MinSamples: 101, Quality: figures})
	if ranked[0].ID != cheap.ID {
		t.Fatalf("quality counted below the minimum samples: %+v", ranked)
	}
}

// Filters and the other strategies: maximum cost, capacity, the loss
// guard, fixed priority, load share by ratio, the list's length.
func TestFiltersAndStrategies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := newDeck(t, rng, 12, 20)
	number := d.number(rng)
	all, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: LeastCost})
	if len(all) < 3 {
		t.Skip("the seed gave too few routes")
	}
	carriers := append([]Carrier(nil), d.carriers...)
	for i := range carriers {
		switch carriers[i].ID {
		case all[0].ID:
			carriers[i].MaxCost = all[0].Cost - 1
		case all[1].ID:
			carriers[i].Capacity = 2
		}
	}
	ranked, excluded := Rank(d.book, number, at, carriers, Policy{Strategy: LeastCost, Explain: true, Active: map[int64]int{all[1].ID: 2}})
	if ranked[0].ID != all[2].ID || len(excluded) != len(d.carriers)-len(all)+2 {
		t.Fatalf("max cost and capacity: first %s, %d left out", ranked[0].Name, len(excluded))
	}
	sell := all[1].Cost
	ranked, _ = Rank(d.book, number, at, d.carriers, Policy{Strategy: LeastCost, Sell: sell, MinMargin: 1, RefuseLoss: true})
	for _, r := range ranked {
		if r.Cost > sell-1 {
			t.Fatalf("a loss route offered: %s at %s selling %s", r.Name, r.Cost, sell)
		}
	}
	flagged, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: LeastCost, Sell: sell, MinMargin: 1})
	if len(flagged) != len(all) || !flagged[len(flagged)-1].Loss || flagged[0].Loss {
		t.Fatalf("loss routes flagged: %+v", flagged)
	}
	byPriority, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: Priority})
	for i := 1; i < len(byPriority); i++ {
		a, b := byPriority[i-1], byPriority[i]
		if a.Priority > b.Priority || a.Priority == b.Priority && a.Cost > b.Cost {
			t.Fatalf("priority order: %s (%d, %s) above %s (%d, %s)", a.Name, a.Priority, a.Cost, b.Name, b.Priority, b.Cost)
		}
	}
	firsts := map[int64]int{}
	total := 0
	for _, r := range all {
		total += r.Share
	}
	for draw := range uint64(total * 100) {
		shared, _ := Rank(d.book, number, at, d.carriers, Policy{Strategy: LoadShare, Draw: draw})
		firsts[shared[0].ID]++
	}
	for _, r := range all {
		if firsts[r.ID] != r.Share*100 {
			t.Errorf("%s with share %d of %d came first %d times in %d draws", r.Name, r.Share, total, firsts[r.ID], total*100)
		}
	}
	short, rest := Rank(d.book, number, at, d.carriers, Policy{Strategy: LeastCost, Max: 2, Explain: true})
	if len(short) != 2 || len(rest) != len(d.carriers)-2 {
		t.Fatalf("max 2: %d ranked, %d left out", len(short), len(rest))
	}
}

// BenchmarkRank ranks 200 carriers, each pricing 100,000 prefixes
// (RADBILL_RANK_PREFIXES for fewer: the full deck is 20,000,000 rates and
// takes some 17 GB to build).
func BenchmarkRank(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	const carriers = 200
	prefixes := 100_000
	if n, err := strconv.Atoi(os.Getenv("RADBILL_RANK_PREFIXES")); err == nil && n > 0 {
		prefixes = n
	}
	var data rating.TariffData
	seen := map[string]bool{}
	var list []string
	for len(list) < prefixes {
		p := fmt.Sprint(1 + rng.IntN(9))
		for range 2 + rng.IntN(6) {
			p += fmt.Sprint(rng.IntN(10))
		}
		if !seen[p] {
			seen[p] = true
			list = append(list, p)
			data.Zones = append(data.Zones, rating.Zone{ID: int64(len(list)), Name: "Z" + p})
			data.Prefixes = append(data.Prefixes, rating.Prefix{ID: int64(len(list)), Digits: p, ZoneID: int64(len(list))})
		}
	}
	var cs []Carrier
	rateID := int64(0)
	for c := int64(1); c <= carriers; c++ {
		data.Plans = append(data.Plans, rating.Plan{ID: c, Name: fmt.Sprint("c", c), Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 6})
		data.Bands = append(data.Bands, rating.Band{ID: c, PlanID: c, Name: "all"})
		data.BandRules = append(data.BandRules, rating.BandRule{ID: c, BandID: c, Days: 0x7f, To: 24 * 60})
		for z := range list {
			rateID++
			data.Rates = append(data.Rates, rating.Rate{ID: rateID, PlanID: c, ZoneID: int64(z + 1), BandID: c, Direction: rating.Outgoing,
				FirstIncrement: 60, NextIncrement: 60, Tiers: []rating.Tier{{PricePerMinute: rating.Money(1000 * (1 + rng.IntN(500)))}}})
		}
		cs = append(cs, Carrier{ID: c, Name: fmt.Sprint("c", c), PlanID: c})
	}
	tariffs, err := rating.Build(data)
	if err != nil {
		b.Fatal(err)
	}
	book := newBook(tariffs, cs)
	book.Prepare(cs)
	numbers := make([]string, 1024)
	for i := range numbers {
		numbers[i] = list[rng.IntN(len(list))] + "1234567"
	}
	// At 10,000 authorizations a second over 1,024 destinations, each
	// destination's prices are worked out once a minute ("steady"); "cold"
	// works them out for every call.
	for _, c := range []struct {
		name string
		step time.Duration
	}{{"steady", 100 * time.Microsecond}, {"cold", time.Minute}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				ranked, _ := Rank(book, numbers[i%len(numbers)], at.Add(time.Duration(i)*c.step), cs, Policy{Strategy: LeastCost, Max: 5})
				if len(ranked) == 0 {
					b.Fatal("no route")
				}
				i++
			}
		})
	}
}
