// Package export writes tabular output — reports, CDR listings — as a
// terminal table, CSV (RFC 4180, UTF-8, optionally with the byte-order
// mark Excel needs to read Cyrillic right), JSON (an array of objects) or
// XLSX (excelize's StreamWriter: typed cells, money formats, a frozen bold
// header, a new sheet every million rows). Rows are streamed: a writer
// holds one row at a time (the table format holds its rows to align them).
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/radbill/radbill/rating"
)

// Kind says what a column holds and so how each format writes it.
type Kind int

const (
	// Text cells are strings.
	Text Kind = iota
	// Integer cells are int64 (counts, ids).
	Integer
	// Money cells are rating.Money: plain decimals in text formats,
	// numbers with a money format in XLSX.
	Money
	// Minutes cells are int64 seconds, written M:SS (125:30 is 125
	// minutes 30 seconds) so that they stay exact; in XLSX a duration
	// formatted [m]:ss.
	Minutes
)

// Column is one column of the output.
type Column struct {
	Name string
	Kind Kind
	// Currency, when every money cell of the column is in one currency,
	// is shown in the header ("cost EUR").
	Currency string
}

// Header is the column's header text.
func (c Column) Header() string {
	if c.Kind == Money && c.Currency != "" {
		return c.Name + " " + c.Currency
	}
	return c.Name
}

// Formats are the formats New accepts.
var Formats = []string{"table", "csv", "json", "xlsx"}

// Options tune a writer.
type Options struct {
	// ExcelBOM starts CSV with the UTF-8 byte-order mark, without which
	// Excel reads UTF-8 as the local code page.
	ExcelBOM bool
	// SheetRows is the most data rows per XLSX sheet (default 1,000,000;
	// Excel's limit is 1,048,576 rows).
	SheetRows int
	// SheetName names the first XLSX sheet; more are numbered after it.
	SheetName string
}

// Writer writes rows under the columns given to New; Close finishes the
// output (and must be called).
type Writer interface {
	WriteRow(cells ...any) error
	Close() error
}

// New returns a writer of format to w.
func New(format string, w io.Writer, cols []Column, opt Options) (Writer, error) {
	switch format {
	case "table":
		return newTableWriter(w, cols), nil
	case "csv":
		return newCSVWriter(w, cols, opt.ExcelBOM)
	case "json":
		return newJSONWriter(w, cols), nil
	case "xlsx":
		return newXLSXWriter(w, cols, opt)
	}
	return nil, CheckFormat(format)
}

// CheckFormat tells whether New takes format.
func CheckFormat(format string) error {
	if slices.Contains(Formats, format) {
		return nil
	}
	return fmt.Errorf("--format %q: want %s", format, strings.Join(Formats, ", "))
}

// FormatMinutes writes seconds as M:SS.
func FormatMinutes(seconds int64) string {
	sign := ""
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	return fmt.Sprintf("%s%d:%02d", sign, seconds/60, seconds%60)
}

// text is a cell as the text formats write it; nil is empty.
func text(c Column, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		if c.Kind == Minutes {
			return FormatMinutes(x)
		}
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case rating.Money:
		return x.String()
	}
	return fmt.Sprint(v)
}

type tableWriter struct {
	tw   *tabwriter.Writer
	cols []Column
}

func newTableWriter(w io.Writer, cols []Column) *tableWriter {
	t := &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), cols: cols}
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c.Header())
	}
	fmt.Fprintln(t.tw)
	return t
}

func (t *tableWriter) WriteRow(cells ...any) error {
	for i, v := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, TerminalSafe(text(t.cols[i], v)))
	}
	_, err := fmt.Fprintln(t.tw)
	return err
}

func (t *tableWriter) Close() error { return t.tw.Flush() }

// TerminalSafe escapes control bytes (and tabs, which would break a
// table's columns) so that stored text cannot act on the terminal.
func TerminalSafe(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

type csvWriter struct {
	buf  *bufio.Writer
	cw   *csv.Writer
	cols []Column
	row  []string
}

func newCSVWriter(w io.Writer, cols []Column, bom bool) (*csvWriter, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	if bom {
		if _, err := buf.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
	}
	c := &csvWriter{buf: buf, cw: csv.NewWriter(buf), cols: cols, row: make([]string, len(cols))}
	c.cw.UseCRLF = true // RFC 4180
	for i, col := range cols {
		c.row[i] = col.Header()
	}
	return c, c.cw.Write(c.row)
}

func (c *csvWriter) WriteRow(cells ...any) error {
	for i, v := range cells {
		c.row[i] = text(c.cols[i], v)
	}
	return c.cw.Write(c.row)
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

type jsonWriter struct {
	buf   *bufio.Writer
	cols  []Column
	names [][]byte
	rows  int
	line  []byte
}

func newJSONWriter(w io.Writer, cols []Column) *jsonWriter {
	j := &jsonWriter{buf: bufio.NewWriterSize(w, 64<<10), cols: cols}
	for _, c := range cols {
		name, _ := json.Marshal(c.Name)
		j.names = append(j.names, name)
	}
	return j
}

// WriteRow writes one object; money is a string (exact decimals), counts
// and ids are numbers, minutes M:SS.
func (j *jsonWriter) WriteRow(cells ...any) error {
	b := j.line[:0]
	if j.rows == 0 {
		b = append(b, "[\n  {"...)
	} else {
		b = append(b, ",\n  {"...)
	}
	for i, v := range cells {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, j.names[i]...)
		b = append(b, ": "...)
		switch x := v.(type) {
		case nil:
			b = append(b, "null"...)
		case int64:
			if j.cols[i].Kind == Minutes {
				b = strconv.AppendQuote(b, FormatMinutes(x))
			} else {
				b = strconv.AppendInt(b, x, 10)
			}
		case int:
			b = strconv.AppendInt(b, int64(x), 10)
		default:
			s, err := json.Marshal(text(j.cols[i], v))
			if err != nil {
				return err
			}
			b = append(b, s...)
		}
	}
	b = append(b, '}')
	j.line = b
	j.rows++
	_, err := j.buf.Write(b)
	return err
}

func (j *jsonWriter) Close() error {
	end := "\n]\n"
	if j.rows == 0 {
		end = "[]\n"
	}
	if _, err := j.buf.WriteString(end); err != nil {
		return err
	}
	return j.buf.Flush()
}
