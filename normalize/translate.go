package normalize

import (
	"slices"
	"strings"
)

// Translate returns the normalised number for one direction on one gateway
// and the IDs of the rules that fired, in firing order. ok is false when the
// result must not be rated: the direction is unknown, the number is too long
// (normalised is then "" if cleanup rejected it, or the number before the
// rule that would have grown it past MaxNumberLength), or a called number is
// empty or holds anything but digits. See the package documentation for the
// exact cleanup and matching rules.
func (t *Translator) Translate(gw Gateway, dir Direction, number string) (normalised string, fired []int64, ok bool) {
	return t.translate(gw, dir, number, nil)
}

// Step is one rule that fired while translating a number.
type Step struct {
	RuleID        int64
	Before, After string
}

// Trace translates like Translate and returns each rule that fired with
// the number before and after it, for an operator testing the rules.
func (t *Translator) Trace(gw Gateway, dir Direction, number string) (steps []Step, normalised string, ok bool) {
	normalised, _, ok = t.translate(gw, dir, number, func(s Step) { steps = append(steps, s) })
	return steps, normalised, ok
}

func (t *Translator) translate(gw Gateway, dir Direction, number string, trace func(Step)) (normalised string, fired []int64, ok bool) {
	var set *ruleSet
	switch {
	case dir != Calling && dir != Called:
		return "", nil, false
	case t == nil:
		// No rules: cleanup only.
	case dir == Calling:
		set = &t.calling
	default:
		set = &t.called
	}
	if len(number) > MaxRawLength {
		return "", nil, false
	}
	s, ok := cleanup(number)
	if !ok {
		return "", nil, false
	}

	// Most calls fire one or two rules; collecting IDs on the stack leaves a
	// single allocation for the returned slice.
	var firedBuf [8]int64
	ids := firedBuf[:0]
	if set != nil {
		var listBuf [4][]rule
		lists := set.candidates(gw, &listBuf)
		for r := popNext(lists); r != nil; r = popNext(lists) {
			if len(s) < r.minLen || (r.maxLen > 0 && len(s) > r.maxLen) {
				continue
			}
			next, matched, fits := r.apply(s)
			if !matched {
				continue
			}
			if !fits {
				ok = false
				break
			}
			if trace != nil {
				trace(Step{RuleID: r.id, Before: s, After: next})
			}
			s = next
			ids = append(ids, r.id)
			if r.final {
				break
			}
		}
	}
	if len(ids) > 0 {
		fired = slices.Clone(ids)
	}
	if ok && dir == Called {
		ok = isDigits(s)
	}
	return s, fired, ok
}

// candidates returns the sorted rule lists that apply to gw: the wildcard
// rules and those keyed by each distinct non-empty gateway identifier. Each
// rule belongs to exactly one list, so merging them tries it at most once.
func (rs *ruleSet) candidates(gw Gateway, buf *[4][]rule) [][]rule {
	lists := buf[:0]
	if len(rs.anyGateway) > 0 {
		lists = append(lists, rs.anyGateway)
	}
	keys := [3]string{gw.ClientName, gw.NASIP, gw.GatewayID}
	for i, key := range keys {
		if key == "" || slices.Contains(keys[:i], key) {
			continue
		}
		if list := rs.byGateway[key]; len(list) > 0 {
			lists = append(lists, list)
		}
	}
	return lists
}

// popNext removes and returns the first rule, by rank, among the heads of
// the sorted lists, or nil when all are exhausted.
func popNext(lists [][]rule) *rule {
	best := -1
	for i, list := range lists {
		if len(list) > 0 && (best < 0 || list[0].rank < lists[best][0].rank) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	r := &lists[best][0]
	lists[best] = lists[best][1:]
	return r
}

// apply rewrites s if the rule matches. fits is false when the result would
// exceed MaxNumberLength; next is then meaningless.
func (r *rule) apply(s string) (next string, matched, fits bool) {
	if r.pattern == nil {
		if !strings.HasPrefix(s, r.match) {
			return "", false, true
		}
		if len(s)-len(r.match)+len(r.replace) > MaxNumberLength {
			return "", true, false
		}
		return r.replace + s[len(r.match):], true, true
	}
	loc := r.pattern.FindStringSubmatchIndex(s)
	if loc == nil {
		return "", false, true
	}
	// The template is at most MaxNumberLength bytes and each group at most
	// len(s), so the expansion is bounded even before the length check;
	// the buffer covers the common case without a heap allocation.
	var buf [2 * MaxNumberLength]byte
	out := append(buf[:0], s[:loc[0]]...)
	out = r.pattern.ExpandString(out, r.replace, s, loc)
	out = append(out, s[loc[1]:]...)
	if len(out) > MaxNumberLength {
		return "", true, false
	}
	return string(out), true, true
}

// cleanup trims white space, drops separators and one leading '+', and
// rejects (ok=false) results longer than MaxNumberLength. It returns a
// substring of raw, without allocating, when nothing inside has to go.
func cleanup(raw string) (clean string, ok bool) {
	s := strings.TrimSpace(raw)
	start := 0
	for start < len(s) && isSeparator(s[start]) {
		start++
	}
	if start < len(s) && s[start] == '+' {
		start++
	}
	s = s[start:]
	if !hasSeparator(s) {
		return s, len(s) <= MaxNumberLength
	}
	var buf [MaxNumberLength]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if isSeparator(s[i]) {
			continue
		}
		if n == len(buf) {
			return "", false
		}
		buf[n] = s[i]
		n++
	}
	return string(buf[:n]), true
}

// hasSeparator scans bytes: separators are ASCII, and UTF-8 never uses ASCII
// byte values inside multi-byte characters.
func hasSeparator(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSeparator(s[i]) {
			return true
		}
	}
	return false
}

// isSeparator reports the characters cleanup removes from inside a number.
func isSeparator(c byte) bool {
	switch c {
	case ' ', '-', '.', '(', ')':
		return true
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
