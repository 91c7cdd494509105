package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

// download is what an export writes: a file name (without extension), its
// sheet, columns and rows, written by fill as they are read.
type download struct {
	name, sheet string
	columns     []export.Column
	fill        func(w export.Writer) error
}

// exporter reads a request into a download.
type exporter func(r *http.Request, p Principal, in input) (download, error)

func tableDownload(name string, t report.Table) download {
	return download{name: name, sheet: t.Sheet, columns: t.Columns, fill: func(w export.Writer) error { return t.Write(w, func() {}) }}
}

// exportHandler streams a download as ?format=csv (the default), xlsx or
// json. CSV and XLSX headers are in the principal's language (JSON keys
// stay the API's); CSV from a page starts with the BOM Excel needs to read
// UTF-8 (Cyrillic names), from the API with excel=1.
func (s *Server) exportHandler(e exporter) handler {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		in, err := readInput(r)
		if err != nil {
			return err
		}
		format := in.str("format")
		if format == "" {
			format = "csv"
		}
		if format == "table" || export.CheckFormat(format) != nil {
			return badRequest(fmt.Errorf("format %q: want csv, xlsx or json", format))
		}
		d, err := e(r, p, in)
		if err != nil {
			return err
		}
		cols := d.columns
		if format != "json" {
			tr := s.catalog.Tr(p.Language)
			cols = make([]export.Column, len(d.columns))
			for i, c := range d.columns {
				c.Name = tr.T("col." + c.Name)
				cols[i] = c
			}
		}
		api := strings.HasPrefix(r.URL.Path, apiPrefix)
		contentType := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
			"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", d.name+"."+format))
		out, err := export.New(format, w, cols, export.Options{ExcelBOM: !api || in.boolean("excel"), SheetName: d.sheet})
		if err != nil {
			return err
		}
		if err := d.fill(out); err != nil {
			// The header is sent: the download ends short, and says so in the log.
			s.log.Sugar().Errorw("export failed midway", "path", r.URL.Path, "error", err)
			return nil
		}
		return out.Close()
	}
}

func (s *Server) exportCDRs(r *http.Request, p Principal, in input) (download, error) {
	f, err := s.cdrFilter(p, in)
	if err != nil {
		return download{}, err
	}
	return download{name: "cdrs-" + f.From.Format(time.DateOnly), sheet: "CDRs", columns: report.CDRColumns, fill: func(w export.Writer) error {
		return s.db.EachCDR(r.Context(), f, func(c *store.CDR) error { return w.WriteRow(report.CDRCells(c)...) })
	}}, nil
}

func (s *Server) exportCost(r *http.Request, p Principal, in input) (download, error) {
	rep, err := s.cost(r.Context(), p, in)
	if err != nil {
		return download{}, err
	}
	return tableDownload(fmt.Sprintf("cost-by-%s-%s", rep.Query.By, rep.Query.From.Format(time.DateOnly)), report.CostTable(rep)), nil
}

func (s *Server) exportLimits(r *http.Request, p Principal, in input) (download, error) {
	month, t, err := s.limitsTable(r.Context(), p, in)
	return tableDownload("limits-"+month.Format("2006-01"), t), err
}

func (s *Server) exportCards(r *http.Request, p Principal, in input) (download, error) {
	page, err := s.cardsReport(r, p, in)
	if err != nil {
		return download{}, err
	}
	return tableDownload("cards-"+page.(TablePage).From.Format(time.DateOnly), page.(TablePage).Table), nil
}

func (s *Server) exportSplit(r *http.Request, p Principal, in input) (download, error) {
	page, err := s.splitReport(r, p, in)
	if err != nil {
		return download{}, err
	}
	split := page.(SplitPage)
	if split.Table == nil {
		return download{}, badRequest(fmt.Errorf("total: required"))
	}
	return tableDownload("invoice-split-"+split.Query.Month.Format("2006-01"), *split.Table), nil
}
