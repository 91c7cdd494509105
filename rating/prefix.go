package rating

import (
	"cmp"
	"math/bits"
	"slices"
)

// prefixTrie finds the longest prefix of a number. It is a digit trie laid
// out in one flat slice: a node keeps a bitmap of the digits it has children
// for, and its children sit next to each other from firstChild on, so the
// child for digit d is firstChild + (number of set bits below d). That is 8
// bytes a node and no pointers for the garbage collector to scan.
type prefixTrie struct {
	nodes []trieNode // nodes[0] is the root (the empty prefix)
}

// trieNode packs the children bitmap (bits 0–9) and the zone index plus
// one (bits 10–31, 0 for none) into zoneChildren.
type trieNode struct {
	firstChild   uint32
	zoneChildren uint32
}

const (
	noZone       = -1
	childrenBits = 10
	childrenMask = 1<<childrenBits - 1
	maxTrieZones = 1<<(32-childrenBits) - 1 // zones a trie can name
)

func (n trieNode) children() uint32 { return n.zoneChildren & childrenMask }
func (n trieNode) zone() int32      { return int32(n.zoneChildren>>childrenBits) - 1 }

// lookup returns the zone of the longest prefix of number and that prefix's
// length, or noZone. number must be digits only.
func (t *prefixTrie) lookup(number string) (zone int32, length int) {
	zone = noZone
	node := uint32(0)
	for i := 0; i < len(number) && int(node) < len(t.nodes); i++ {
		current := t.nodes[node]
		children := current.children()
		bit := uint32(1) << (number[i] - '0')
		if children&bit == 0 {
			break
		}
		node = current.firstChild + uint32(bits.OnesCount32(children&(bit-1)))
		if z := t.nodes[node].zone(); z != noZone {
			zone, length = z, i+1
		}
	}
	return zone, length
}

// lookupAll writes the zones of every prefix of number, longest first, and
// their lengths, and returns how many there are.
func (t *prefixTrie) lookupAll(number string, zones *[MaxPrefixDigits]int32, lengths *[MaxPrefixDigits]int) int {
	n := 0
	node := uint32(0)
	for i := 0; i < len(number) && int(node) < len(t.nodes); i++ {
		current := t.nodes[node]
		children := current.children()
		bit := uint32(1) << (number[i] - '0')
		if children&bit == 0 {
			break
		}
		node = current.firstChild + uint32(bits.OnesCount32(children&(bit-1)))
		if z := t.nodes[node].zone(); z != noZone {
			zones[n], lengths[n] = z, i+1
			n++
		}
	}
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		zones[i], zones[j] = zones[j], zones[i]
		lengths[i], lengths[j] = lengths[j], lengths[i]
	}
	return n
}

// prefixKey packs up to 15 digits into a uint64, four bits a digit with the
// first digit highest, each stored as digit+1 so that 0 marks the end. Keys
// then sort like their digit strings (a prefix before its extensions), which
// lets Build sort a million prefixes as plain integers.
type prefixKey struct {
	key  uint64
	zone int32
	row  int32 // index into TariffData.Prefixes, for error messages
}

// packDigits packs a string of 1..MaxPrefixDigits digits.
func packDigits(digits string) uint64 {
	var key uint64
	for i := 0; i < len(digits); i++ {
		key |= uint64(digits[i]-'0'+1) << (4 * (MaxPrefixDigits - 1 - i))
	}
	return key
}

func keyLength(key uint64) int { return MaxPrefixDigits - bits.TrailingZeros64(key)/4 }

// keyDigit returns the digit at position i, or -1 past the end.
func keyDigit(key uint64, i int) int {
	return int(key>>(4*(MaxPrefixDigits-1-i))&0xF) - 1
}

// sortPrefixKeys sorts keys by their digits.
func sortPrefixKeys(keys []prefixKey) {
	slices.SortFunc(keys, func(a, b prefixKey) int { return cmp.Compare(a.key, b.key) })
}

// buildTrie builds the trie of sorted, duplicate-free keys. It counts the
// nodes first (each key adds the digits it does not share with the key
// before it) so that the node slice is allocated once, at its final size.
func buildTrie(keys []prefixKey) prefixTrie {
	count := 1
	for i, k := range keys {
		shared := 0
		if i > 0 {
			// The top four bits are always zero, so equal leading bits
			// beyond them count shared nibbles.
			shared = min((bits.LeadingZeros64(k.key^keys[i-1].key)-4)/4, keyLength(k.key))
		}
		count += keyLength(k.key) - shared
	}
	nodes := make([]trieNode, 1, count)
	fillTrie(&nodes, 0, keys, 0)
	return prefixTrie{nodes: nodes}
}

// fillTrie fills in node, which stands for the first depth digits shared by
// all keys; keys[0] may be exactly that prefix. Recursion is at most
// MaxPrefixDigits deep.
func fillTrie(nodes *[]trieNode, node uint32, keys []prefixKey, depth int) {
	if len(keys) > 0 && keyLength(keys[0].key) == depth {
		(*nodes)[node].zoneChildren = uint32(keys[0].zone+1) << childrenBits
		keys = keys[1:]
	}
	if len(keys) == 0 {
		return
	}
	var children uint32
	for _, k := range keys {
		children |= 1 << keyDigit(k.key, depth)
	}
	first := uint32(len(*nodes))
	(*nodes)[node].zoneChildren |= children
	(*nodes)[node].firstChild = first
	for range bits.OnesCount32(children) {
		*nodes = append(*nodes, trieNode{})
	}
	child := first
	for start := 0; start < len(keys); child++ {
		digit := keyDigit(keys[start].key, depth)
		end := start + 1
		for end < len(keys) && keyDigit(keys[end].key, depth) == digit {
			end++
		}
		fillTrie(nodes, child, keys[start:end], depth+1)
		start = end
	}
}
