package tariffcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/radbill/radbill/rating"
)

// Write writes the rows of one kind of data as CSV, header first, naming
// other rows by name. Reading what it writes gives the same data, with IDs
// numbered anew. It fails if a row refers to an ID data lacks.
func Write(w io.Writer, kind Kind, data rating.TariffData) error {
	header, known := headers[kind]
	if !known {
		return fmt.Errorf("tariffcsv: unknown kind %d", kind)
	}
	names := indexByID(data)
	out := csv.NewWriter(w)
	if err := out.Write(header); err != nil {
		return err
	}
	var err error
	switch kind {
	case Plans:
		for _, plan := range data.Plans {
			err = out.Write([]string{plan.Name, plan.Currency, plan.TimeZone, plan.Rounding.String(),
				strconv.Itoa(plan.RoundingDecimals), plan.BandPolicy.String(), yesNo(plan.ConnectFeeOnUnanswered)})
			if err != nil {
				return err
			}
		}
	case Zones:
		for _, zone := range data.Zones {
			if err = out.Write([]string{zone.Name, zone.Description}); err != nil {
				return err
			}
		}
	case Prefixes:
		for _, prefix := range data.Prefixes {
			zone, ok := names.zones[prefix.ZoneID]
			if !ok {
				return fmt.Errorf("tariffcsv: prefix id %d refers to unknown zone id %d", prefix.ID, prefix.ZoneID)
			}
			if err = out.Write([]string{prefix.Digits, zone}); err != nil {
				return err
			}
		}
	case Bands:
		err = writeBands(out, data, names)
	case Holidays:
		for _, holiday := range data.Holidays {
			plan, band, err := names.planAndBand(holiday.PlanID, holiday.BandID, "holiday", holiday.ID)
			if err != nil {
				return err
			}
			if err = out.Write([]string{plan, holiday.Date.String(), band}); err != nil {
				return err
			}
		}
	case Rates:
		err = writeRates(out, data, names)
	}
	if err != nil {
		return err
	}
	out.Flush()
	return out.Error()
}

type namesByID struct {
	plans     map[int64]string
	locations map[int64]*time.Location
	zones     map[int64]string
	bands     map[int64]rating.Band
}

func indexByID(data rating.TariffData) namesByID {
	names := namesByID{plans: map[int64]string{}, locations: map[int64]*time.Location{}, zones: map[int64]string{}, bands: map[int64]rating.Band{}}
	for _, plan := range data.Plans {
		names.plans[plan.ID] = plan.Name
		if location, ok := loadLocation(plan.TimeZone); ok {
			names.locations[plan.ID] = location
		}
	}
	for _, zone := range data.Zones {
		names.zones[zone.ID] = zone.Name
	}
	for _, band := range data.Bands {
		names.bands[band.ID] = band
	}
	return names
}

// planAndBand names a row's plan and band, which must belong to the plan.
func (n namesByID) planAndBand(planID, bandID int64, row string, rowID int64) (plan, band string, err error) {
	plan, planKnown := n.plans[planID]
	b, bandKnown := n.bands[bandID]
	if !planKnown || !bandKnown || b.PlanID != planID {
		return "", "", fmt.Errorf("tariffcsv: %s id %d refers to plan id %d and band id %d, which are unknown or unrelated", row, rowID, planID, bandID)
	}
	return plan, b.Name, nil
}

// writeBands writes each band's rules together, in the band's order, and a
// row with empty days, from and to for a band without rules.
func writeBands(out *csv.Writer, data rating.TariffData, names namesByID) error {
	rulesOf := make(map[int64][]rating.BandRule)
	for _, rule := range data.BandRules {
		if _, ok := names.bands[rule.BandID]; !ok {
			return fmt.Errorf("tariffcsv: band rule id %d refers to unknown band id %d", rule.ID, rule.BandID)
		}
		rulesOf[rule.BandID] = append(rulesOf[rule.BandID], rule)
	}
	for _, band := range data.Bands {
		plan, _, err := names.planAndBand(band.PlanID, band.ID, "band", band.ID)
		if err != nil {
			return err
		}
		if len(rulesOf[band.ID]) == 0 {
			if err := out.Write([]string{plan, band.Name, "", "", ""}); err != nil {
				return err
			}
		}
		for _, rule := range rulesOf[band.ID] {
			if err := out.Write([]string{plan, band.Name, rule.Days.String(), rule.From.String(), rule.To.String()}); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeRates(out *csv.Writer, data rating.TariffData, names namesByID) error {
	for _, rate := range data.Rates {
		plan, band, err := names.planAndBand(rate.PlanID, rate.BandID, "rate", rate.ID)
		if err != nil {
			return err
		}
		zone, ok := names.zones[rate.ZoneID]
		if !ok {
			return fmt.Errorf("tariffcsv: rate id %d refers to unknown zone id %d", rate.ID, rate.ZoneID)
		}
		maxCost := ""
		if rate.MaxCost != 0 {
			maxCost = rating.FormatMinimal(rate.MaxCost)
		}
		location := names.locations[rate.PlanID]
		err = out.Write([]string{plan, zone, band, rate.Direction.String(),
			formatInstant(rate.ValidFrom, location), formatInstant(rate.ValidTo, location),
			rating.FormatMinimal(rate.ConnectFee), strconv.Itoa(rate.MinDuration),
			strconv.Itoa(rate.FirstIncrement), strconv.Itoa(rate.NextIncrement),
			rating.FormatTiers(rate.Tiers), maxCost})
		if err != nil {
			return err
		}
	}
	return nil
}

// formatInstant writes t as the plan's local date or date and minute when
// that reads back as the same instant (not so for a time in a repeated or
// skipped DST hour), else as RFC 3339 with the local offset — or in UTC
// when that offset has seconds (local mean time before a zone's first
// standard time, e.g. +01:33:16), which RFC 3339 cannot write.
func formatInstant(t time.Time, location *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if location != nil {
		local := t.In(location)
		for _, layout := range []string{time.DateOnly, "2006-01-02 15:04"} {
			text := local.Format(layout)
			if back, err := time.ParseInLocation(layout, text, location); err == nil && back.Equal(t) {
				return text
			}
		}
		t = local
	}
	if _, offset := t.Zone(); offset%60 != 0 {
		t = t.UTC()
	}
	return t.Format(time.RFC3339Nano)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
