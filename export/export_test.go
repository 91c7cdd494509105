package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/rating"
)

var columns = []export.Column{{Name: "user"}, {Name: "calls", Kind: export.Integer}, {Name: "minutes", Kind: export.Minutes},
	{Name: "cost", Kind: export.Money, Currency: "EUR"}, {Name: "note"}}

// rows hold Cyrillic, quotes, commas, a line break and an empty cell.
var rows = [][]any{
	{"Мария Иванова", int64(12), int64(7530), rating.Money(12_345_678), "a \"quoted\", comma"},
	{"Ivan", int64(0), int64(59), rating.Money(-1), "two\nlines"},
	{"TOTAL", int64(12), int64(7589), rating.Money(12_345_677), nil},
}

func write(t *testing.T, format string, opt export.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := export.New(format, &buf, columns, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.WriteRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCSV(t *testing.T) {
	out := write(t, "csv", export.Options{ExcelBOM: true})
	if !bytes.HasPrefix(out, []byte("\xEF\xBB\xBFuser,calls,minutes,cost EUR,note\r\n")) {
		t.Fatalf("no BOM and CRLF header: %q", out[:40])
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"user", "calls", "minutes", "cost EUR", "note"},
		{"Мария Иванова", "12", "125:30", "12.345678", "a \"quoted\", comma"},
		{"Ivan", "0", "0:59", "-0.000001", "two\nlines"},
		{"TOTAL", "12", "126:29", "12.345677", ""}}
	if len(records) != len(want) {
		t.Fatalf("%d records: %q", len(records), records)
	}
	for i := range want {
		if strings.Join(records[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, records[i], want[i])
		}
	}
	if bytes.HasPrefix(write(t, "csv", export.Options{}), []byte("\xEF\xBB\xBF")) {
		t.Error("BOM without --excel")
	}
}

func TestJSON(t *testing.T) {
	var got []map[string]any
	if err := json.Unmarshal(write(t, "json", export.Options{}), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0]["user"] != "Мария Иванова" || got[0]["calls"] != 12.0 || got[0]["minutes"] != "125:30" ||
		got[0]["cost"] != "12.345678" || got[2]["note"] != nil || got[1]["note"] != "two\nlines" {
		t.Fatalf("json %v", got)
	}
	var buf bytes.Buffer
	w, _ := export.New("json", &buf, columns, export.Options{})
	if err := w.Close(); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Fatalf("empty json %q %v", buf.String(), err)
	}
}

func TestTable(t *testing.T) {
	out := string(write(t, "table", export.Options{}))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "user") || !strings.Contains(lines[2], `two\nlines`) || !strings.Contains(lines[1], "12.345678") {
		t.Fatalf("table:\n%s", out)
	}
}

func TestXLSX(t *testing.T) {
	// Two data rows per sheet: three rows make two sheets.
	out := write(t, "xlsx", export.Options{SheetRows: 2, SheetName: "Cost"})
	f, err := excelize.OpenReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); len(sheets) != 2 || sheets[0] != "Cost" || sheets[1] != "Cost 2" {
		t.Fatalf("sheets %q", sheets)
	}
	for _, sheet := range []string{"Cost", "Cost 2"} {
		if h, _ := f.GetCellValue(sheet, "D1"); h != "cost EUR" {
			t.Errorf("%s header D1 = %q", sheet, h)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s panes %+v %v: header row not frozen", sheet, panes, err)
		}
		style, _ := f.GetCellStyle(sheet, "A1")
		if s, err := f.GetStyle(style); err != nil || s.Font == nil || !s.Font.Bold {
			t.Errorf("%s header not bold: %+v %v", sheet, s, err)
		}
		if w, _ := f.GetColWidth(sheet, "D"); w < 10 {
			t.Errorf("%s column D width %v", sheet, w)
		}
	}
	check := func(sheet, cell string, wantType excelize.CellType, wantRaw string) {
		t.Helper()
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if typ != wantType || raw != wantRaw {
			t.Errorf("%s!%s: type %v value %q, want %v %q", sheet, cell, typ, raw, wantType, wantRaw)
		}
	}
	check("Cost", "A2", excelize.CellTypeInlineString, "Мария Иванова")
	check("Cost", "B2", excelize.CellTypeUnset, "12") // numbers are untyped cells
	check("Cost", "D2", excelize.CellTypeUnset, "12.345678")
	check("Cost", "D3", excelize.CellTypeUnset, "-0.000001")
	check("Cost 2", "A2", excelize.CellTypeInlineString, "TOTAL")
	check("Cost 2", "D2", excelize.CellTypeUnset, "12.345677")
	if v, _ := f.GetCellValue("Cost", "D2"); v != "12.345678" {
		t.Errorf("D2 shown as %q", v)
	}
	if v, _ := f.GetCellValue("Cost", "C2"); v != "125:30" {
		t.Errorf("minutes C2 shown as %q, want 125:30", v)
	}
	style, _ := f.GetCellStyle("Cost", "D2")
	if s, _ := f.GetStyle(style); s.CustomNumFmt == nil || !strings.Contains(*s.CustomNumFmt, "0.00") {
		t.Errorf("money cell style %+v", s)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := export.New("xml", &bytes.Buffer{}, columns, export.Options{}); err == nil {
		t.Fatal("xml accepted")
	}
}
