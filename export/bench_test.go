package export_test

import (
	"io"
	"testing"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/rating"
)

// BenchmarkWrite writes rows shaped like cdr list's: 28 columns, most of
// them text, a few integers and an amount.
func BenchmarkWrite(b *testing.B) {
	cols := make([]export.Column, 28)
	row := make([]any, 28)
	for i := range cols {
		cols[i] = export.Column{Name: "column"}
		row[i] = "2026-11-25 10:00:00.000"
	}
	cols[0], row[0] = export.Column{Name: "id", Kind: export.Integer}, int64(123456789)
	cols[12], row[12] = export.Column{Name: "duration_s", Kind: export.Integer}, int64(125)
	cols[23], row[23] = export.Column{Name: "cost", Kind: export.Money}, rating.Money(708_333)
	for _, format := range []string{"csv", "xlsx", "json"} {
		b.Run(format, func(b *testing.B) {
			w, err := export.New(format, io.Discard, cols, export.Options{})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := w.WriteRow(row...); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
