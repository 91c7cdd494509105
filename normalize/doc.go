// Package normalize translates the calling and called numbers reported by
// voice gateways into the form the rating engine expects (E.164 digits
// without '+'), using operator-defined rules loaded from the
// translation_rule table. The CDR keeps both the raw and the translated
// number; this package only computes the translation.
//
// Translate handles a number in four steps: size guard, cleanup, rules,
// check.
//
// # Size guard
//
// A raw number longer than MaxRawLength bytes (more than a RADIUS attribute
// can carry) is rejected without being scanned: Translate returns "", no
// fired rules and ok=false. A number longer than MaxNumberLength bytes after
// cleanup is rejected the same way.
//
// # Cleanup
//
// Always applied, before any rule:
//
//   - white space at both ends is trimmed (strings.TrimSpace);
//   - the separators ' ', '-', '.', '(' and ')' are removed wherever they
//     occur;
//   - if the first remaining character is '+', that one '+' is removed, so
//     "+359 888 123 456" and "(+359) 888-123-456" become "359888123456".
//
// Nothing else is changed: '#', '*', letters, tabs inside the number and a
// second '+' are kept for the rules to deal with.
//
// # Rules
//
// The candidates are the rules of the requested Direction whose Gateway is
// "" (every gateway) or equals, exactly and case-sensitively, the gateway's
// NAS client name, NAS IP or h323-gw-id. Gateway-specific and wildcard rules
// are merged into one sequence ordered by Position, then ID, and walked
// once: each rule is tried at most once per number, so the work per call is
// bounded by the number of rules.
//
// A rule is tried only if the current number's length (in bytes, after
// cleanup and after the rules before it) lies within MinLength and
// MaxLength, both inclusive; 0 means no bound. When a rule matches it
// fires: the number is rewritten, its ID is recorded, and the walk stops if
// the rule is Final or goes on with the next rule otherwise.
//
//   - Prefix: fires when the number starts with Match, which is replaced by
//     Replace. Match "0", Replace "359" turns 0888123456 into 359888123456;
//     an empty Replace just strips the prefix.
//   - Regexp: fires when the RE2 pattern matches anywhere in the number
//     (anchor it with ^ and $ to rewrite the whole number). The leftmost
//     match is replaced by the expanded template, where $1, ${1} or ${name}
//     stand for capture groups and $$ for '$'; text outside the match is
//     kept. Write ${1}0, not $10, when a group is followed by a digit.
//
// If a rule would make the number longer than MaxNumberLength, the walk
// stops with the number as it was before that rule, and ok=false.
//
// # Check
//
// A called number must be non-empty and consist of the digits 0-9 only, or
// it cannot be rated: Translate still returns it but with ok=false so the
// caller can mark the CDR. Calling numbers are not checked, since anonymous
// or alphanumeric callers are legitimate.
//
// # Validation
//
// Compile refuses the whole table, listing every bad rule by ID, if a rule
// has an unknown Direction or Kind, a duplicate ID, negative or crossed
// length bounds, an empty or over-long prefix Match, separators or white
// space in a prefix Match or Replace (rules see cleaned numbers, so these
// are typos), a Replace longer than MaxNumberLength, a pattern RE2 rejects,
// or a template with a stray '$' or a reference to a group the pattern
// lacks (which is how $10 for ${1}0 is caught).
//
// # Examples
//
// With these called-direction rules (ID = Position):
//
//	Position  Gateway   Kind    Match             Replace      Length  Final
//	10        ""        prefix  "9"               ""           -       no
//	20        "gw-sof"  prefix  "00"              ""           -       yes
//	30        "gw-sof"  prefix  "0"               "359"        -       yes
//	40        "gw-sof"  regex   "^(\d+)$"         "3592981$1"  4-4     yes
//	50        "gw-nyc"  regex   "^011(\d+)$"      "$1"         -       yes
//	60        "gw-nyc"  regex   "^([2-9]\d{9})$"  "1$1"        10-10   yes
//
// on gateway gw-sof "9 0888 123-456" is cleaned to "90888123456", loses the
// outside-line 9 (rule 10) and becomes "359888123456" (rule 30, Final);
// "9 00 44 20 7946 0000" becomes "442079460000" (rules 10 and 20); the
// 4-digit extension "1234" gets the branch prefix, "35929811234" (rule 40).
// On gw-nyc "9 011 44 20 7946 0000" becomes "442079460000" (rules 10 and
// 50) and "(212) 555-0100" becomes "12125550100" (rule 60). On either,
// "5551234#" keeps its '#' and comes back with ok=false.
//
// A Translator is immutable once compiled and safe for concurrent use.
package normalize
