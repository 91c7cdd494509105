package cisco

import (
	"fmt"
	"strings"
	"time"
)

// Time is a parsed Cisco time such as "14:30:25.429 UTC Wed Jan 23 2002".
type Time struct {
	Time             time.Time // in UTC
	NotAuthoritative bool      // leading '*': the gateway clock is not authoritative
	SyncLost         bool      // leading '.': it was, but NTP sync is lost
	ZoneUnknown      bool      // zone token not recognised: the fallback location was used
}

// zoneOffsets holds the zone names gateways print, in seconds east of UTC.
// Abbreviations already say whether daylight saving applies, so fixed offsets
// are exact. Ambiguous ones take the meaning common among VoIP operators:
// CST is US Central (not China), IST is India, BST is British Summer Time.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600,
	"CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600,
	"PST": -8 * 3600, "PDT": -7 * 3600,
	"WET": 0, "WEST": 1 * 3600,
	"CET": 1 * 3600, "CEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600,
	"BST": 1 * 3600,
	"MSK": 3 * 3600,
	"IST": 5*3600 + 30*60,
	"HKT": 8 * 3600, "SGT": 8 * 3600,
	"JST":  9 * 3600,
	"AEST": 10 * 3600, "AEDT": 11 * 3600,
}

// maxZoneNameLen is the longest key of zoneOffsets.
const maxZoneNameLen = 4

var monthAbbrevs = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

var weekdayAbbrevs = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// ParseTime parses Cisco's "hh:mm:ss.mmm TZ Ddd Mmm dd yyyy", as in
// "14:30:25.429 UTC Wed Jan 23 2002", optionally led by '*' or '.' (see Time).
// The fraction of a second is optional, the day may have one digit and runs
// of spaces or tabs separate the fields. Known zone names and numeric offsets
// (GMT+4, UTC-5, UTC+05:30, GMT+0530; the sign means east of UTC as people
// write it, not the inverted POSIX sense) are applied exactly; any other zone
// token is read in fallback (UTC when nil) and sets ZoneUnknown.
//
// The weekday must be a weekday name but is otherwise ignored, because
// gateways get it wrong. The result is in UTC. Malformed input, including a
// date that does not exist such as 29 Feb in a non-leap year, is an error.
func ParseTime(s string, fallback *time.Location) (Time, error) {
	var parsed Time
	rest := strings.TrimLeft(s, " \t")
	if rest != "" {
		switch rest[0] {
		case '*':
			parsed.NotAuthoritative = true
			rest = rest[1:]
		case '.':
			parsed.SyncLost = true
			rest = rest[1:]
		}
	}

	var fields [6]string
	count := 0
	for {
		var field string
		field, rest = nextField(rest)
		if field == "" {
			break
		}
		if count == len(fields) {
			return Time{}, timeError(s, "too many fields")
		}
		fields[count] = field
		count++
	}
	if count < len(fields) {
		return Time{}, timeError(s, "want 6 fields: hh:mm:ss.mmm zone weekday month day year")
	}
	clock, zone, weekday, monthName, dayText, yearText := fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]

	hour, minute, second, nanos, ok := parseClock(clock)
	if !ok {
		return Time{}, timeError(s, "bad time of day")
	}
	if !isWeekday(weekday) {
		return Time{}, timeError(s, "bad weekday")
	}
	month, ok := parseMonth(monthName)
	if !ok {
		return Time{}, timeError(s, "bad month")
	}
	year, ok := parseDigits(yearText, 4, 4)
	if !ok {
		return Time{}, timeError(s, "bad year")
	}
	day, ok := parseDigits(dayText, 1, 2)
	if !ok || day < 1 || day > daysIn(month, year) {
		return Time{}, timeError(s, "bad day of month")
	}

	if offset, known := zoneOffset(zone); known {
		local := time.Date(year, month, day, hour, minute, second, nanos, time.UTC)
		parsed.Time = local.Add(-time.Duration(offset) * time.Second)
		return parsed, nil
	}
	if fallback == nil {
		fallback = time.UTC
	}
	parsed.Time = time.Date(year, month, day, hour, minute, second, nanos, fallback).UTC()
	parsed.ZoneUnknown = true
	return parsed, nil
}

func timeError(s, reason string) error {
	return fmt.Errorf("cisco: time %q: %s", s, reason)
}

func isFieldSeparator(c byte) bool {
	return c == ' ' || c == '\t'
}

// nextField returns the first space- or tab-separated field of s and what
// follows it; field is "" when s holds no more fields.
func nextField(s string) (field, rest string) {
	start := 0
	for start < len(s) && isFieldSeparator(s[start]) {
		start++
	}
	end := start
	for end < len(s) && !isFieldSeparator(s[end]) {
		end++
	}
	return s[start:end], s[end:]
}

// parseDigits parses a decimal of minLen to maxLen digits (maxLen <= 9, so
// it cannot overflow).
func parseDigits(s string, minLen, maxLen int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseClock parses h:mm:ss or hh:mm:ss with an optional fraction of up to
// nanosecond precision.
func parseClock(s string) (hour, minute, second, nanos int, ok bool) {
	hourText, rest, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, 0, 0, false
	}
	minuteText, rest, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, 0, 0, false
	}
	secondText, fraction, hasFraction := strings.Cut(rest, ".")

	hour, okHour := parseDigits(hourText, 1, 2)
	minute, okMinute := parseDigits(minuteText, 2, 2)
	second, okSecond := parseDigits(secondText, 2, 2)
	if !okHour || !okMinute || !okSecond || hour > 23 || minute > 59 || second > 59 {
		return 0, 0, 0, 0, false
	}
	if hasFraction {
		digits, okFraction := parseDigits(fraction, 1, 9)
		if !okFraction {
			return 0, 0, 0, 0, false
		}
		nanos = digits
		for i := len(fraction); i < 9; i++ {
			nanos *= 10
		}
	}
	return hour, minute, second, nanos, true
}

func isWeekday(s string) bool {
	for _, name := range weekdayAbbrevs {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

func parseMonth(s string) (time.Month, bool) {
	for i, name := range monthAbbrevs {
		if strings.EqualFold(s, name) {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

func daysIn(month time.Month, year int) int {
	switch month {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// zoneOffset returns the offset east of UTC, in seconds, of a zone name or
// a GMT/UTC numeric offset.
func zoneOffset(zone string) (int, bool) {
	if len(zone) <= maxZoneNameLen {
		// Upper-case into a stack buffer: the map lookup on the converted
		// bytes does not allocate.
		var upper [maxZoneNameLen]byte
		for i := 0; i < len(zone); i++ {
			c := zone[i]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			upper[i] = c
		}
		if offset, ok := zoneOffsets[string(upper[:len(zone)])]; ok {
			return offset, true
		}
	}
	if len(zone) < 5 || !(strings.EqualFold(zone[:3], "GMT") || strings.EqualFold(zone[:3], "UTC")) {
		return 0, false
	}
	return parseNumericOffset(zone[3:])
}

// parseNumericOffset parses "+h", "-hh", "+hh:mm" or "+hhmm" into seconds.
func parseNumericOffset(s string) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, false
	}
	digits := s[1:]
	hourText, minuteText, hasColon := strings.Cut(digits, ":")
	if !hasColon && len(digits) == 4 {
		hourText, minuteText = digits[:2], digits[2:]
	}
	hours, ok := parseDigits(hourText, 1, 2)
	if !ok || hours > 14 {
		return 0, false
	}
	minutes := 0
	if hasColon || len(digits) == 4 {
		minutes, ok = parseDigits(minuteText, 2, 2)
		if !ok || minutes > 59 {
			return 0, false
		}
	}
	return sign * (hours*3600 + minutes*60), true
}
