package tariffcsv

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/radbill/radbill/rating"
)

// File is one named CSV file for ReadAll.
type File struct {
	Name   string
	Reader io.Reader
}

// Read reads one CSV file of any kind (decided by its header row) and adds
// its rows to into, giving them new IDs above into's. Names in the file
// must refer to rows already in into. Read checks every row and returns
// all problems as an *ErrorList; if there is any, it adds nothing.
func Read(name string, r io.Reader, into *rating.TariffData) error {
	var problems ErrorList
	readFile(name, r, into, &problems)
	return problems.orNil()
}

// ReadAll reads several files in dependency order (plans, zones, prefixes,
// bands, holidays, rates, whatever order they are given in) and returns
// the problems of all of them as one *ErrorList. It changes into only if
// every file is good.
func ReadAll(into *rating.TariffData, files ...File) error {
	type loaded struct {
		file    File
		content []byte
		kind    Kind
	}
	var problems ErrorList
	var all []loaded
	for _, file := range files {
		content, err := io.ReadAll(file.Reader)
		if err != nil {
			problems.add(&FieldError{File: file.Name, Message: "cannot read: " + err.Error()})
			continue
		}
		kind := Kind(0)
		if header, err := csv.NewReader(withoutBOM(bytes.NewReader(content))).Read(); err == nil {
			kind, _, _ = kindOf(header) // files of no kind sort first and fail on their header
		}
		all = append(all, loaded{file, content, kind})
	}
	slices.SortStableFunc(all, func(a, b loaded) int { return cmp.Compare(a.kind, b.kind) })
	work := *into       // appends to work do not show in into, whose lengths stay
	var failed []string // files of the kinds read so far that had problems
	for i, l := range all {
		if len(failed) > 0 && l.kind != all[i-1].kind {
			// The later kinds name rows of the failed files: each of their
			// lines would only say that a plan, zone or band is unknown.
			for _, rest := range all[i:] {
				problems.add(&FieldError{File: rest.file.Name, Message: "not checked: it refers to rows of " + strings.Join(failed, ", ") +
					" (errors above)"})
			}
			break
		}
		before := problems.count()
		readFile(l.file.Name, bytes.NewReader(l.content), &work, &problems)
		if problems.count() > before {
			failed = append(failed, l.file.Name)
		}
	}
	if problems.count() > 0 {
		return &problems
	}
	*into = work
	return nil
}

// withoutBOM drops the byte order mark spreadsheet programs put first.
func withoutBOM(r io.Reader) io.Reader {
	buffered := bufio.NewReader(r)
	if start, err := buffered.Peek(3); err == nil && string(start) == "\uFEFF" {
		buffered.Discard(3)
	}
	return buffered
}

// fileReader reads the rows of one file.
type fileReader struct {
	name     string
	into     *rating.TariffData
	added    rating.TariffData // this file's rows, added to into at the end if all are good
	problems *ErrorList
	columns  map[string]int
	line     int
	record   []string

	planByName map[string]int64
	zoneByName map[string]int64
	bandByName map[planBand]int64
	// Lines of this file that defined a key; existingLine marks keys that
	// into had before.
	planLine    map[string]int
	zoneLine    map[string]int
	bandLine    map[planBand]int
	prefixLine  map[string]int
	holidayLine map[holidayKey]int
	rateLines   map[rateKey][]rateLine
	nextIDs     map[string]int64
}

const existingLine = 0

type planBand struct {
	plan int64
	name string
}

type holidayKey struct {
	plan int64
	date rating.Date
}

type rateKey struct {
	plan, zone, band int64
	direction        rating.Direction
}

// rateLine is a rate's validity in Unix seconds and where it came from.
type rateLine struct {
	from, to int64
	id       int64
	line     int
}

func readFile(name string, r io.Reader, into *rating.TariffData, problems *ErrorList) {
	reader := csv.NewReader(withoutBOM(r))
	reader.FieldsPerRecord = -1 // counted per row below, so that the row is reported, not the file abandoned
	reader.ReuseRecord = true
	header, err := reader.Read()
	if err != nil {
		message := "no header row"
		if !errors.Is(err, io.EOF) {
			message = err.Error()
		}
		problems.add(&FieldError{File: name, Line: 1, Message: message})
		return
	}
	kind, columns, ok := kindOf(header)
	if !ok {
		var known []string
		for _, k := range Kinds() {
			known = append(known, k.String()+" ("+strings.Join(headers[k], ",")+")")
		}
		problems.add(&FieldError{File: name, Line: 1, Message: fmt.Sprintf("header %q is not that of a tariff file: want the columns of one of %s",
			strings.Join(header, ","), strings.Join(known, ", "))})
		return
	}
	f := &fileReader{name: name, into: into, problems: problems, columns: columns,
		planLine: map[string]int{}, zoneLine: map[string]int{}, bandLine: map[planBand]int{}, nextIDs: map[string]int64{}}
	f.indexNames()
	readRow := map[Kind]func(){Plans: f.plan, Zones: f.zone, Prefixes: f.prefix, Bands: f.band, Holidays: f.holiday, Rates: f.rate}[kind]
	before := problems.count()
	for {
		record, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var parseError *csv.ParseError
		if errors.As(err, &parseError) {
			problems.add(&FieldError{File: name, Line: parseError.Line, Message: parseError.Err.Error()})
			continue
		}
		if err != nil {
			problems.add(&FieldError{File: name, Line: f.line, Message: "cannot read: " + err.Error()})
			return
		}
		f.line, _ = reader.FieldPos(0)
		if len(record) != len(columns) {
			f.fail("", "has %d fields, want %d", len(record), len(columns))
			continue
		}
		f.record = record
		readRow()
	}
	if problems.count() > before {
		return
	}
	into.Plans = append(into.Plans, f.added.Plans...)
	into.Zones = append(into.Zones, f.added.Zones...)
	into.Prefixes = append(into.Prefixes, f.added.Prefixes...)
	into.Bands = append(into.Bands, f.added.Bands...)
	into.BandRules = append(into.BandRules, f.added.BandRules...)
	into.Holidays = append(into.Holidays, f.added.Holidays...)
	into.Rates = append(into.Rates, f.added.Rates...)
}

func (f *fileReader) indexNames() {
	f.planByName = make(map[string]int64, len(f.into.Plans))
	for _, plan := range f.into.Plans {
		f.planByName[plan.Name] = plan.ID
		f.planLine[plan.Name] = existingLine
	}
	f.zoneByName = make(map[string]int64, len(f.into.Zones))
	for _, zone := range f.into.Zones {
		f.zoneByName[zone.Name] = zone.ID
		f.zoneLine[zone.Name] = existingLine
	}
	f.bandByName = make(map[planBand]int64, len(f.into.Bands))
	for _, band := range f.into.Bands {
		f.bandByName[planBand{band.PlanID, band.Name}] = band.ID
		f.bandLine[planBand{band.PlanID, band.Name}] = existingLine
	}
}

func (f *fileReader) field(name string) string { return strings.TrimSpace(f.record[f.columns[name]]) }

func (f *fileReader) fail(field, format string, args ...any) {
	f.problems.add(&FieldError{File: f.name, Line: f.line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// defined reports whether a key was defined by into or an earlier line,
// and if so says so for field.
func defined[K comparable](f *fileReader, lines map[K]int, key K, field, what string) bool {
	line, ok := lines[key]
	switch {
	case !ok:
		return false
	case line == existingLine:
		f.fail(field, "%s already exists", what)
	default:
		f.fail(field, "%s is already defined on line %d", what, line)
	}
	return true
}

// newID numbers a new row of table, above the highest ID of into's rows,
// which are scanned once per file.
func (f *fileReader) newID(table string, existing func() int64) int64 {
	if _, ok := f.nextIDs[table]; !ok {
		f.nextIDs[table] = existing() + 1
	}
	id := f.nextIDs[table]
	f.nextIDs[table]++
	return id
}

func highestID[T any](rows []T, id func(T) int64) func() int64 {
	return func() int64 {
		highest := int64(0)
		for _, row := range rows {
			highest = max(highest, id(row))
		}
		return highest
	}
}

func (f *fileReader) nonEmpty(field string) (string, bool) {
	value := f.field(field)
	if value == "" {
		f.fail(field, "must not be empty")
		return "", false
	}
	return value, true
}

func (f *fileReader) planID(field string) (int64, bool) {
	return f.idByName(field, "plan", f.planByName)
}
func (f *fileReader) zoneID(field string) (int64, bool) {
	return f.idByName(field, "zone", f.zoneByName)
}

// idByName looks up the id of the what named in field.
func (f *fileReader) idByName(field, what string, ids map[string]int64) (int64, bool) {
	name, ok := f.nonEmpty(field)
	if !ok {
		return 0, false
	}
	id, known := ids[name]
	if !known {
		f.fail(field, "unknown %s %q", what, name)
	}
	return id, known
}

func (f *fileReader) bandID(field string, planID int64, planKnown bool) (int64, bool) {
	name, ok := f.nonEmpty(field)
	if !ok || !planKnown {
		return 0, false
	}
	id, known := f.bandByName[planBand{planID, name}]
	if !known {
		f.fail(field, "unknown band %q of plan %q", name, f.field("plan"))
	}
	return id, known
}

func (f *fileReader) integer(field string, least, most int) (int, bool) {
	value := f.field(field)
	number, err := strconv.Atoi(value)
	switch {
	case err != nil || strings.ContainsAny(value, "+-"):
		if strings.HasPrefix(value, "-") && err == nil {
			f.fail(field, "must be ≥ %d, got %q", least, value)
		} else {
			f.fail(field, "must be a whole number, got %q", value)
		}
	case number < least:
		f.fail(field, "must be ≥ %d, got %q", least, value)
	case number > most:
		f.fail(field, "must be ≤ %d, got %q", most, value)
	default:
		return number, true
	}
	return 0, false
}

// money reads an amount in 0..rating.MaxAmount; empty means 0 when
// emptyMeansZero.
func (f *fileReader) money(field string, emptyMeansZero bool) (rating.Money, bool) {
	value := f.field(field)
	if value == "" && emptyMeansZero {
		return 0, true
	}
	amount, err := rating.ParseMoney(value)
	switch {
	case err != nil:
		f.fail(field, "must be an amount like 0.05, got %q", value)
	case amount < 0:
		f.fail(field, "must not be negative, got %q", value)
	case amount > rating.MaxAmount:
		f.fail(field, "must be ≤ %s, got %q", rating.FormatMinimal(rating.MaxAmount), value)
	default:
		return amount, true
	}
	return 0, false
}

// locations caches loaded time zones, so that every Read gives a zone's
// times the same *time.Location.
var locations sync.Map

// loadLocation loads an IANA zone, refusing "" and "Local", which would
// depend on the server's settings.
func loadLocation(name string) (*time.Location, bool) {
	if cached, ok := locations.Load(name); ok {
		return cached.(*time.Location), true
	}
	if name == "" || name == "Local" {
		return nil, false
	}
	location, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	locations.Store(name, location)
	return location, true
}

func (f *fileReader) plan() {
	name, ok := f.nonEmpty("plan")
	if ok && defined(f, f.planLine, name, "plan", fmt.Sprintf("plan %q", name)) {
		ok = false
	}
	currency := f.field("currency")
	if len(currency) != 3 || strings.ToUpper(currency) != currency || strings.Trim(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		f.fail("currency", "must be a three-letter ISO 4217 code like EUR, got %q", currency)
		ok = false
	}
	zone := f.field("time_zone")
	if _, known := loadLocation(zone); !known {
		f.fail("time_zone", "must be an IANA time zone like Europe/Sofia, got %q", zone)
		ok = false
	}
	rounding, err := rating.ParseRoundingMode(f.field("rounding"))
	if err != nil {
		f.fail("rounding", "must be half_up, up or down, got %q", f.field("rounding"))
		ok = false
	}
	decimals, decimalsOK := f.integer("rounding_decimals", 0, 6)
	policy := rating.BandSplit
	if value := f.field("band_policy"); value != "" {
		if policy, err = rating.ParseBandPolicy(value); err != nil {
			f.fail("band_policy", "must be split or start, got %q", value)
			ok = false
		}
	}
	unanswered, unansweredOK := f.yesNo("unanswered_connect_fee")
	if !ok || !decimalsOK || !unansweredOK {
		return
	}
	id := f.newID("plans", highestID(f.into.Plans, func(p rating.Plan) int64 { return p.ID }))
	f.planByName[name] = id
	f.planLine[name] = f.line
	f.added.Plans = append(f.added.Plans, rating.Plan{ID: id, Name: name, Currency: currency, TimeZone: zone,
		Rounding: rounding, RoundingDecimals: decimals, BandPolicy: policy, ConnectFeeOnUnanswered: unanswered})
}

func (f *fileReader) yesNo(field string) (bool, bool) {
	switch value := strings.ToLower(f.field(field)); value {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	f.fail(field, "must be yes or no, got %q", f.field(field))
	return false, false
}

func (f *fileReader) zone() {
	name, ok := f.nonEmpty("zone")
	if !ok {
		return
	}
	if defined(f, f.zoneLine, name, "zone", fmt.Sprintf("zone %q", name)) {
		return
	}
	id := f.newID("zones", highestID(f.into.Zones, func(z rating.Zone) int64 { return z.ID }))
	f.zoneByName[name] = id
	f.zoneLine[name] = f.line
	f.added.Zones = append(f.added.Zones, rating.Zone{ID: id, Name: name, Description: f.field("description")})
}

func (f *fileReader) prefix() {
	if f.prefixLine == nil {
		f.prefixLine = make(map[string]int, len(f.into.Prefixes))
		for _, prefix := range f.into.Prefixes {
			f.prefixLine[prefix.Digits] = existingLine
		}
	}
	digits := f.field("prefix")
	ok := true
	if len(digits) == 0 || len(digits) > rating.MaxPrefixDigits || strings.Trim(digits, "0123456789") != "" {
		f.fail("prefix", "must be 1 to %d digits, got %q", rating.MaxPrefixDigits, digits)
		ok = false
	} else if defined(f, f.prefixLine, digits, "prefix", "prefix "+digits) {
		ok = false
	}
	zone, zoneOK := f.zoneID("zone")
	if !ok || !zoneOK {
		return
	}
	f.prefixLine[digits] = f.line
	id := f.newID("prefixes", highestID(f.into.Prefixes, func(p rating.Prefix) int64 { return p.ID }))
	f.added.Prefixes = append(f.added.Prefixes, rating.Prefix{ID: id, Digits: digits, ZoneID: zone})
}

func (f *fileReader) band() {
	plan, planOK := f.planID("plan")
	name, nameOK := f.nonEmpty("band")
	days, from, to := f.field("days"), f.field("from"), f.field("to")
	declarationOnly := days == "" && from == "" && to == ""
	var rule rating.BandRule
	ruleOK := true
	if !declarationOnly {
		var err error
		if rule.Days, err = rating.ParseWeekdays(days); err != nil {
			f.fail("days", "must be days like mon-fri or sat,sun, got %q", days)
			ruleOK = false
		}
		if rule.From, err = rating.ParseTimeOfDay(from); err != nil || rule.From == 24*60 {
			f.fail("from", "must be a time from 00:00 to 23:59, got %q", from)
			ruleOK = false
		}
		if rule.To, err = rating.ParseTimeOfDay(to); err != nil {
			f.fail("to", "must be a time from 00:00 to 24:00, got %q", to)
			ruleOK = false
		}
	}
	if !planOK || !nameOK || !ruleOK {
		return
	}
	// Rows of one band follow each other in a file; the band is made on
	// its first row, which must not repeat a band into already has.
	key := planBand{plan, name}
	id := f.bandByName[key]
	if line, exists := f.bandLine[key]; exists && line == existingLine {
		f.fail("band", "band %q of plan %q already exists", name, f.field("plan"))
		return
	} else if !exists {
		id = f.newID("bands", highestID(f.into.Bands, func(b rating.Band) int64 { return b.ID }))
		f.bandByName[key] = id
		f.bandLine[key] = f.line
		f.added.Bands = append(f.added.Bands, rating.Band{ID: id, PlanID: plan, Name: name})
	}
	if !declarationOnly {
		rule.ID = f.newID("band rules", highestID(f.into.BandRules, func(r rating.BandRule) int64 { return r.ID }))
		rule.BandID = id
		f.added.BandRules = append(f.added.BandRules, rule)
	}
}

func (f *fileReader) holiday() {
	plan, planOK := f.planID("plan")
	date, err := rating.ParseDate(f.field("date"))
	if err != nil {
		f.fail("date", "must be a date like 2025-12-25, got %q", f.field("date"))
	}
	band, bandOK := f.bandID("band", plan, planOK)
	if !planOK || err != nil || !bandOK {
		return
	}
	if f.holidayLine == nil {
		f.holidayLine = make(map[holidayKey]int, len(f.into.Holidays))
		for _, holiday := range f.into.Holidays {
			f.holidayLine[holidayKey{holiday.PlanID, holiday.Date}] = existingLine
		}
	}
	key := holidayKey{plan, date}
	if defined(f, f.holidayLine, key, "date", fmt.Sprintf("the holiday of plan %q on %s", f.field("plan"), date)) {
		return
	}
	f.holidayLine[key] = f.line
	id := f.newID("holidays", highestID(f.into.Holidays, func(h rating.Holiday) int64 { return h.ID }))
	f.added.Holidays = append(f.added.Holidays, rating.Holiday{ID: id, PlanID: plan, Date: date, BandID: band})
}

func (f *fileReader) rate() {
	plan, planOK := f.planID("plan")
	zone, zoneOK := f.zoneID("zone")
	band, bandOK := f.bandID("band", plan, planOK)
	ok := planOK && zoneOK && bandOK
	direction, err := rating.ParseDirection(f.field("direction"))
	if err != nil {
		f.fail("direction", "must be outgoing or incoming, got %q", f.field("direction"))
		ok = false
	}
	var location *time.Location
	if planOK {
		for _, p := range f.into.Plans { // a handful
			if p.ID == plan {
				location, _ = loadLocation(p.TimeZone)
			}
		}
	}
	validFrom, fromOK := f.instant("valid_from", location)
	validTo, toOK := f.instant("valid_to", location)
	if fromOK && toOK && !validFrom.IsZero() && !validTo.IsZero() && !validTo.After(validFrom) {
		f.fail("valid_to", "must be after valid_from, got %q", f.field("valid_to"))
		ok = false
	}
	fee, feeOK := f.money("connect_fee", false)
	minimum, minimumOK := f.integer("min_duration", 0, rating.MaxStepSeconds)
	first, firstOK := f.integer("first_increment", 1, rating.MaxStepSeconds)
	next, nextOK := f.integer("next_increment", 1, rating.MaxStepSeconds)
	tiers, err := rating.ParseTiers(f.field("tiers"))
	if err != nil {
		f.fail("tiers", "%v; want from_second:price_per_minute pairs like 0:0.20;60:0.10", err)
		ok = false
	}
	maxCost, maxCostOK := f.money("max_cost", true)
	if !ok || !fromOK || !toOK || !feeOK || !minimumOK || !firstOK || !nextOK || !maxCostOK {
		return
	}
	rate := rating.Rate{PlanID: plan, ZoneID: zone, BandID: band, Direction: direction, ValidFrom: validFrom, ValidTo: validTo,
		ConnectFee: fee, MinDuration: minimum, FirstIncrement: first, NextIncrement: next, Tiers: tiers, MaxCost: maxCost}
	if f.overlaps(rate) {
		return
	}
	rate.ID = f.newID("rates", highestID(f.into.Rates, func(r rating.Rate) int64 { return r.ID }))
	f.added.Rates = append(f.added.Rates, rate)
}

// overlaps reports, and records if there is none, a rate whose validity
// overlaps another's for the same plan, zone, band and direction.
func (f *fileReader) overlaps(rate rating.Rate) bool {
	if f.rateLines == nil {
		f.rateLines = make(map[rateKey][]rateLine, len(f.into.Rates))
		for _, existing := range f.into.Rates {
			key := rateKey{existing.PlanID, existing.ZoneID, existing.BandID, existing.Direction}
			from, to := validity(existing)
			f.rateLines[key] = append(f.rateLines[key], rateLine{from, to, existing.ID, existingLine})
		}
	}
	key := rateKey{rate.PlanID, rate.ZoneID, rate.BandID, rate.Direction}
	from, to := validity(rate)
	for _, other := range f.rateLines[key] { // a key has a few rates
		switch {
		case other.to <= from || to <= other.from:
			continue
		case other.line == existingLine:
			f.fail("valid_from", "validity overlaps existing rate id %d", other.id)
		default:
			f.fail("valid_from", "validity overlaps the rate on line %d", other.line)
		}
		return true
	}
	f.rateLines[key] = append(f.rateLines[key], rateLine{from, to, 0, f.line})
	return false
}

// validity returns a rate's [from, to) in Unix seconds, open ends at the
// extremes.
func validity(rate rating.Rate) (from, to int64) {
	from, to = math.MinInt64, math.MaxInt64
	if !rate.ValidFrom.IsZero() {
		from = rate.ValidFrom.Unix()
	}
	if !rate.ValidTo.IsZero() {
		to = rate.ValidTo.Unix()
	}
	return from, to
}

// instant reads "", a date (midnight local), "YYYY-MM-DD HH:MM" (local) or
// RFC 3339; local means in the plan's time zone.
func (f *fileReader) instant(field string, location *time.Location) (time.Time, bool) {
	value := f.field(field)
	if value == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		if location != nil {
			t = t.In(location)
		}
		return t, true
	}
	if location == nil { // the plan is unknown, which is reported already
		return time.Time{}, false
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, value, location); err == nil {
			return t, true
		}
	}
	f.fail(field, "must be a date like 2025-06-01, a local time like \"2025-06-01 08:00\" or RFC 3339, got %q", value)
	return time.Time{}, false
}
