package normalize

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Size limits. Real E.164 numbers have at most 15 digits; the slack leaves
// room for technical prefixes while keeping every translation bounded.
const (
	// MaxNumberLength is the longest number, in bytes, that cleanup may
	// produce or a rule may create.
	MaxNumberLength = 64
	// MaxRawLength is the longest raw number Translate will look at; a
	// RADIUS attribute value cannot exceed 253 bytes.
	MaxRawLength = 256
)

// Direction says which number of a call a rule translates.
type Direction string

// The two numbers of a call.
const (
	Calling Direction = "calling"
	Called  Direction = "called"
)

// Kind says how a rule's Match and Replace are interpreted.
type Kind string

// Rule kinds.
const (
	Prefix Kind = "prefix"
	Regexp Kind = "regex"
)

// Rule mirrors one row of the translation_rule table.
type Rule struct {
	ID       int64
	Position int // rules are tried in ascending Position, then ID
	// Gateway is "" for every gateway, otherwise a NAS client name, a NAS
	// IP or an h323-gw-id, compared exactly.
	Gateway   string
	Direction Direction
	Kind      Kind
	// Match is, for Prefix, the leading characters to match and strip; for
	// Regexp, an RE2 pattern (anchored by its author if need be).
	Match string
	// Replace is, for Prefix, what takes the place of Match (Match "0",
	// Replace "359" turns 0888123456 into 359888123456); for Regexp, the
	// template replacing the leftmost match ($1, ${1}, ${name}).
	Replace string
	// MinLength and MaxLength bound the length of the number the rule is
	// tried on; 0 means no bound.
	MinLength, MaxLength int
	// Final stops the translation after this rule fires.
	Final       bool
	Description string
}

// Gateway identifies the gateway that reported a call; a rule's Gateway may
// name it by any of the three.
type Gateway struct {
	ClientName string // NAS client name from the server configuration
	NASIP      string // NAS-IP-Address
	GatewayID  string // h323-gw-id
}

// Translator applies a compiled rule set. It is immutable and safe for
// concurrent use. A nil *Translator has no rules: it only cleans up.
type Translator struct {
	calling, called ruleSet
}

// ruleSet holds the rules of one direction, indexed by gateway so Translate
// does not scan rules for other gateways. Each slice is sorted by rank.
type ruleSet struct {
	anyGateway []rule
	byGateway  map[string][]rule
}

// rule is a validated Rule in the form Translate needs.
type rule struct {
	id      int64
	rank    int            // index in the (Position, ID) order of all rules
	pattern *regexp.Regexp // nil for prefix rules
	match   string         // prefix rules only
	replace string
	minLen  int
	maxLen  int
	final   bool
}

// Compile validates the rules and builds a Translator. Every invalid rule
// is reported, each error naming the rule's ID, so an operator can fix the
// table in one pass.
func Compile(rules []Rule) (*Translator, error) {
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, byPosition)
	t := &Translator{
		calling: ruleSet{byGateway: map[string][]rule{}},
		called:  ruleSet{byGateway: map[string][]rule{}},
	}
	seen := make(map[int64]bool, len(sorted))
	var errs []error
	for i, r := range sorted {
		if seen[r.ID] {
			// Fired IDs end up in CDRs; duplicates would make them ambiguous.
			errs = append(errs, fmt.Errorf("normalize: rule %d: duplicate id", r.ID))
			continue
		}
		seen[r.ID] = true
		c, err := compileRule(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("normalize: rule %d: %w", r.ID, err))
			continue
		}
		set := &t.calling
		if r.Direction == Called {
			set = &t.called
		}
		// Appending in sorted order keeps every list sorted, and the rank
		// lets Translate merge lists by comparing one int.
		c.rank = i
		if r.Gateway == "" {
			set.anyGateway = append(set.anyGateway, c)
		} else {
			set.byGateway[r.Gateway] = append(set.byGateway[r.Gateway], c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// byPosition orders rules as they are tried: by Position, then ID.
func byPosition(a, b Rule) int {
	return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
}

// Check reports what makes a rule invalid, as Compile would (without the
// rule's ID); nil when it is valid.
func Check(r Rule) error {
	_, err := compileRule(r)
	return err
}

func compileRule(r Rule) (rule, error) {
	if r.Direction != Calling && r.Direction != Called {
		return rule{}, fmt.Errorf("direction %q: want %q or %q", r.Direction, Calling, Called)
	}
	if r.MinLength < 0 || r.MaxLength < 0 {
		return rule{}, fmt.Errorf("negative length bound (min %d, max %d)", r.MinLength, r.MaxLength)
	}
	if r.MaxLength > 0 && r.MinLength > r.MaxLength {
		return rule{}, fmt.Errorf("min length %d exceeds max length %d", r.MinLength, r.MaxLength)
	}
	if len(r.Replace) > MaxNumberLength {
		return rule{}, fmt.Errorf("replacement longer than %d bytes", MaxNumberLength)
	}
	c := rule{
		id:      r.ID,
		replace: r.Replace,
		minLen:  r.MinLength,
		maxLen:  r.MaxLength,
		final:   r.Final,
	}
	switch r.Kind {
	case Prefix:
		if r.Match == "" {
			return rule{}, errors.New("empty prefix match")
		}
		if len(r.Match) > MaxNumberLength {
			return rule{}, fmt.Errorf("prefix match longer than %d bytes can never match", MaxNumberLength)
		}
		// Rules see numbers after cleanup, so a separator in Match could
		// never match and one in Replace would spoil the result; both are
		// almost certainly typos in the table.
		if strings.IndexFunc(r.Match, isSeparatorOrSpace) >= 0 {
			return rule{}, fmt.Errorf("prefix match %q contains a separator or white space", r.Match)
		}
		if strings.IndexFunc(r.Replace, isSeparatorOrSpace) >= 0 {
			return rule{}, fmt.Errorf("prefix replacement %q contains a separator or white space", r.Replace)
		}
		c.match = r.Match
	case Regexp:
		re, err := regexp.Compile(r.Match)
		if err != nil {
			return rule{}, err
		}
		if err := checkTemplate(re, r.Replace); err != nil {
			return rule{}, err
		}
		c.pattern = re
	default:
		return rule{}, fmt.Errorf("kind %q: want %q or %q", r.Kind, Prefix, Regexp)
	}
	return c, nil
}

func isSeparatorOrSpace(r rune) bool {
	return unicode.IsSpace(r) || r < utf8.RuneSelf && isSeparator(byte(r))
}

// checkTemplate rejects a replacement template that Regexp.Expand would
// silently misread: a '$' that starts no valid reference, or a reference to
// a group the pattern lacks ("$10" meaning "$1" then "0" expands to
// nothing). It follows the syntax of regexp.Regexp.Expand.
func checkTemplate(re *regexp.Regexp, template string) error {
	for rest := template; ; {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if strings.HasPrefix(rest, "$") {
			rest = rest[1:]
			continue
		}
		name, n := templateRef(rest)
		if n == 0 {
			return fmt.Errorf("replacement %q: '$' must start $$, $name or ${name}", template)
		}
		if !hasGroup(re, name) {
			return fmt.Errorf("replacement %q refers to group %q, which the pattern lacks (write ${1}0, not $10)", template, name)
		}
		rest = rest[n:]
	}
}

// templateRef parses the reference following a '$' the way Regexp.Expand
// does and returns the group name and the bytes consumed (0 if malformed).
func templateRef(s string) (name string, n int) {
	brace := strings.HasPrefix(s, "{")
	start := 0
	if brace {
		start = 1
	}
	end := start
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			break
		}
		end += size
	}
	if end == start {
		return "", 0
	}
	name = s[start:end]
	if brace {
		if end >= len(s) || s[end] != '}' {
			return "", 0
		}
		end++
	}
	return name, end
}

// hasGroup reports whether name denotes a capture group of re, reading it
// as Regexp.Expand does: a group number if it is one, a group name otherwise.
func hasGroup(re *regexp.Regexp, name string) bool {
	if num, ok := groupNumber(name); ok {
		return num <= re.NumSubexp()
	}
	return re.SubexpIndex(name) >= 0
}

// groupNumber mirrors Regexp.Expand: digits without a leading zero and
// below 1e8 are a group number.
func groupNumber(name string) (int, bool) {
	if len(name) > 1 && name[0] == '0' {
		return 0, false
	}
	num := 0
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' || num >= 1e8 {
			return 0, false
		}
		num = num*10 + int(name[i]-'0')
	}
	return num, true
}
