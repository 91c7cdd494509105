package tariffcsv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/radbill/radbill/rating"
)

// FuzzRead reads arbitrary bytes as a file added to the sample tariff. A
// bad file must leave the data as it was and name its file and line; a
// good one must survive Write → ReadAll → Write unchanged.
func FuzzRead(f *testing.F) {
	for _, kind := range Kinds() {
		content, err := os.ReadFile(filepath.Join("testdata", "sample", kind.FileName()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(content)
	}
	base := readSample(f)
	base = rating.TariffData{ // no spare capacity: appends must not share arrays between runs
		Plans: slices.Clip(base.Plans), Zones: slices.Clip(base.Zones), Prefixes: slices.Clip(base.Prefixes),
		Bands: slices.Clip(base.Bands), BandRules: slices.Clip(base.BandRules), Holidays: slices.Clip(base.Holidays),
		Rates: slices.Clip(base.Rates),
	}
	baseText := text(writeAll(f, base))
	f.Fuzz(func(t *testing.T, content []byte) {
		data := base
		err := Read("fuzz.csv", bytes.NewReader(content), &data)
		if err != nil {
			var list *ErrorList
			if !errors.As(err, &list) || len(list.Errors) == 0 {
				t.Fatalf("Read = %v, want a non-empty *ErrorList", err)
			}
			for _, e := range list.Errors {
				if e.File != "fuzz.csv" || e.Line < 1 {
					t.Fatalf("error without file and line: %+v", e)
				}
			}
			if text(writeAll(t, data)) != baseText {
				t.Fatal("a bad file changed the data")
			}
			return
		}
		written := writeAll(t, data)
		firstText := text(written)
		var again rating.TariffData
		if err := ReadAll(&again, written...); err != nil {
			t.Fatalf("reading back what Write wrote: %v\n%s", err, firstText)
		}
		if secondText := text(writeAll(t, again)); secondText != firstText {
			t.Fatalf("round trip changed the files:\n%s\n---\n%s", firstText, secondText)
		}
	})
}
