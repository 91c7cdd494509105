package rating

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPrefixTrieAgainstBruteForce compares the trie with a scan of every
// prefix, on dense sets of overlapping prefixes up to 15 digits.
func TestPrefixTrieAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 50 {
		zoneOf := map[string]int32{}
		for range 1 + rng.IntN(300) {
			digits := randomDigits(rng, 1+rng.IntN(MaxPrefixDigits))
			if rng.IntN(2) == 0 { // short digits so that prefixes overlap
				digits = strings.Map(func(r rune) rune { return '0' + (r-'0')%3 }, digits)
			}
			zoneOf[digits] = int32(rng.IntN(1000))
		}
		var keys []prefixKey
		allPrefixes := map[string]bool{}
		for digits, zone := range zoneOf {
			keys = append(keys, prefixKey{key: packDigits(digits), zone: zone})
			for n := 1; n <= len(digits); n++ {
				allPrefixes[digits[:n]] = true
			}
		}
		sortPrefixKeys(keys)
		trie := buildTrie(keys)
		if want := 1 + len(allPrefixes); len(trie.nodes) != want || cap(trie.nodes) != want {
			t.Fatalf("round %d: %d nodes (capacity %d), want %d", round, len(trie.nodes), cap(trie.nodes), want)
		}
		for range 2000 {
			number := randomDigits(rng, rng.IntN(20))
			if rng.IntN(2) == 0 {
				number = strings.Map(func(r rune) rune { return '0' + (r-'0')%3 }, number)
			}
			wantZone, wantLength := int32(noZone), 0
			for digits, zone := range zoneOf {
				if strings.HasPrefix(number, digits) && len(digits) > wantLength {
					wantZone, wantLength = zone, len(digits)
				}
			}
			if zone, length := trie.lookup(number); zone != wantZone || length != wantLength {
				t.Fatalf("lookup(%q) = %d, %d; want %d, %d", number, zone, length, wantZone, wantLength)
			}
		}
	}
}

func TestPrefixKeysSortLikeStrings(t *testing.T) {
	ordered := []string{"1", "10", "100", "100000000000009", "101", "11", "2", "9", "99999999999999"}
	for i := 1; i < len(ordered); i++ {
		if packDigits(ordered[i-1]) >= packDigits(ordered[i]) {
			t.Errorf("%q does not sort before %q", ordered[i-1], ordered[i])
		}
	}
	for _, digits := range ordered {
		if keyLength(packDigits(digits)) != min(len(digits), MaxPrefixDigits) {
			t.Errorf("length of %q", digits)
		}
	}
}
