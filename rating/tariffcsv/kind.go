package tariffcsv

import (
	"slices"
	"strings"
)

// Kind is the kind of a tariff CSV file, decided by its header row.
type Kind int

const (
	Plans Kind = iota + 1
	Zones
	Prefixes
	Bands
	Holidays
	Rates
)

// headers are each kind's columns, in the order Write uses.
var headers = map[Kind][]string{
	Plans:    {"plan", "currency", "time_zone", "rounding", "rounding_decimals", "band_policy", "unanswered_connect_fee"},
	Zones:    {"zone", "description"},
	Prefixes: {"prefix", "zone"},
	Bands:    {"plan", "band", "days", "from", "to"},
	Holidays: {"plan", "date", "band"},
	Rates: {"plan", "zone", "band", "direction", "valid_from", "valid_to", "connect_fee",
		"min_duration", "first_increment", "next_increment", "tiers", "max_cost"},
}

var kindNames = map[Kind]string{Plans: "plans", Zones: "zones", Prefixes: "prefixes", Bands: "bands", Holidays: "holidays", Rates: "rates"}

// Kinds lists every kind in dependency order: a file may name only what
// files of earlier kinds define, so files are read in this order.
func Kinds() []Kind { return []Kind{Plans, Zones, Prefixes, Bands, Holidays, Rates} }

// String returns the kind's name, e.g. "rates".
func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return "unknown"
}

// FileName is the usual name of the kind's file, e.g. "rates.csv".
func (k Kind) FileName() string { return k.String() + ".csv" }

// Header returns the kind's columns in their usual order.
func (k Kind) Header() []string { return slices.Clone(headers[k]) }

// kindOf finds the kind whose columns are exactly header, in any order.
// It returns each column's position by name.
func kindOf(header []string) (Kind, map[string]int, bool) {
	columns := make(map[string]int, len(header))
	for i, name := range header {
		columns[strings.ToLower(strings.TrimSpace(name))] = i
	}
	for _, kind := range Kinds() {
		if len(columns) != len(header) || len(columns) != len(headers[kind]) {
			continue
		}
		matches := true
		for _, name := range headers[kind] {
			if _, ok := columns[name]; !ok {
				matches = false
			}
		}
		if matches {
			return kind, columns, true
		}
	}
	return 0, nil, false
}
