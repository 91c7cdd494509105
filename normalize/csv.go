package normalize

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// CSVHeader is the header row of a rules file (rules.csv), the format of
// `radbill tariff export` and `tariff import`.
var CSVHeader = []string{"position", "gateway", "direction", "kind", "match", "replace", "min_length", "max_length", "final", "description"}

// IsCSVHeader reports whether a file's header row is CSVHeader, in any
// column order and case.
func IsCSVHeader(header []string) bool {
	if len(header) != len(CSVHeader) {
		return false
	}
	for _, name := range header {
		if !slices.Contains(CSVHeader, strings.ToLower(strings.TrimSpace(name))) {
			return false
		}
	}
	return true
}

// ReadCSV reads a rules file. Each rule is checked as Compile checks it;
// every bad line is reported as "name:line: problem", and no rule is
// returned unless all are good. Rules get the IDs 1, 2, ... in file order.
func ReadCSV(name string, r io.Reader) ([]Rule, error) {
	in := csv.NewReader(r)
	in.FieldsPerRecord = -1
	header, err := in.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !IsCSVHeader(header) {
		return nil, fmt.Errorf("%s:1: want the columns %s", name, strings.Join(CSVHeader, ","))
	}
	column := map[string]int{}
	for i, h := range header {
		column[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var rules []Rule
	var problems []error
	for line := 2; ; line++ {
		record, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s:%d: %w", name, line, err))
			break
		}
		if len(record) != len(header) {
			problems = append(problems, fmt.Errorf("%s:%d: %d fields, want %d", name, line, len(record), len(header)))
			continue
		}
		field := func(f string) string { return strings.TrimSpace(record[column[f]]) }
		rule := Rule{ID: int64(len(rules) + 1), Gateway: field("gateway"), Direction: Direction(field("direction")), Kind: Kind(field("kind")),
			Match: record[column["match"]], Replace: record[column["replace"]], Description: field("description")}
		var bad []string
		for _, n := range []struct {
			field string
			into  *int
		}{{"position", &rule.Position}, {"min_length", &rule.MinLength}, {"max_length", &rule.MaxLength}} {
			if text := field(n.field); text != "" {
				v, err := strconv.Atoi(text)
				if err != nil {
					bad = append(bad, fmt.Sprintf("field %q: want a whole number, got %q", n.field, text))
				}
				*n.into = v
			}
		}
		switch final := strings.ToLower(field("final")); final {
		case "yes", "true", "1":
			rule.Final = true
		case "", "no", "false", "0":
		default:
			bad = append(bad, fmt.Sprintf("field \"final\": want yes or no, got %q", final))
		}
		if len(bad) == 0 {
			if err := Check(rule); err != nil {
				bad = append(bad, err.Error())
			}
		}
		for _, b := range bad {
			problems = append(problems, fmt.Errorf("%s:%d: %s", name, line, b))
		}
		rules = append(rules, rule)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return rules, nil
}

// WriteCSV writes rules in ReadCSV's format, in the order they apply.
func WriteCSV(w io.Writer, rules []Rule) error {
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, byPosition)
	out := csv.NewWriter(w)
	if err := out.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range sorted {
		final := "no"
		if r.Final {
			final = "yes"
		}
		if err := out.Write([]string{strconv.Itoa(r.Position), r.Gateway, string(r.Direction), string(r.Kind), r.Match, r.Replace,
			strconv.Itoa(r.MinLength), strconv.Itoa(r.MaxLength), final, r.Description}); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}
