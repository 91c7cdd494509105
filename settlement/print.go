package settlement

import (
	"embed"
	"html/template"
	"io"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/rating"
)

// Columns are a statement's columns in an export: a line's amount is in
// the column of its side, so that each column adds up to its total.
func Columns(currency string) []export.Column {
	return []export.Column{{Name: "kind"}, {Name: "rate_type"}, {Name: "zone"}, {Name: "band"}, {Name: "calls", Kind: export.Integer},
		{Name: "minutes", Kind: export.Minutes}, {Name: "receivable", Kind: export.Money, Currency: currency},
		{Name: "payable", Kind: export.Money, Currency: currency}, {Name: "refers_to"}}
}

// Rows are the statement's lines, then its totals and the net due.
func Rows(st Statement) [][]any {
	var rows [][]any
	var calls, seconds int64
	for _, l := range st.Lines {
		var receivable, payable any
		if l.Receivable() {
			receivable = l.Amount
		} else {
			payable = l.Amount
		}
		rows = append(rows, []any{l.Kind, l.RateType, l.Zone, l.Band, l.Calls, l.BilledSeconds, receivable, payable, l.RefersTo})
		calls += l.Calls
		seconds += l.BilledSeconds
	}
	rows = append(rows, []any{"TOTAL", "", "", "", calls, seconds, st.Receivable, st.Payable, ""})
	net := st.Net()
	if net < 0 {
		return append(rows, []any{"NET", st.Direction(), "", "", nil, nil, nil, -net, ""})
	}
	return append(rows, []any{"NET", st.Direction(), "", "", nil, nil, net, nil, ""})
}

//go:embed templates/statements.html
var templates embed.FS

var printTemplate = template.Must(template.New("statements.html").Funcs(template.FuncMap{
	"money":   func(m rating.Money) string { return m.String() },
	"minutes": export.FormatMinutes,
	"neg":     func(m rating.Money) rating.Money { return -m },
}).ParseFS(templates, "templates/statements.html"))

// Print writes the statements as one printable HTML document, a page per
// statement.
func Print(w io.Writer, statements []Statement) error {
	return printTemplate.Execute(w, statements)
}
