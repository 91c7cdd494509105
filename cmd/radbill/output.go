package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/radbill/radbill/export"
)

// outputFlags are the flags of every command that writes a listing or a
// report: --format, --output and --excel.
type outputFlags struct {
	format, output string
	excelBOM       bool
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table, csv, json or xlsx")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write to this file instead of standard output (required for xlsx on a terminal)")
	cmd.Flags().BoolVar(&o.excelBOM, "excel", false, "csv: start with the UTF-8 byte-order mark, so that Excel reads Cyrillic and other non-Latin text right")
}

func (o *outputFlags) check() error { return export.CheckFormat(o.format) }

// write runs fill with a writer of the chosen format on the chosen output.
// A file is written beside its name and renamed into place when complete,
// so a failed export leaves no half file. Writing a file from a terminal
// shows a progress bar of the rows written (fill calls progress per row).
func (o *outputFlags) write(cmd *cobra.Command, cols []export.Column, sheet string, fill func(w export.Writer, progress func()) error) error {
	var dst io.Writer = cmd.OutOrStdout()
	var file *os.File
	if o.output != "" {
		var err error
		file, err = os.CreateTemp(filepath.Dir(o.output), "."+filepath.Base(o.output)+".*")
		if err != nil {
			return err
		}
		defer os.Remove(file.Name()) // no-op once renamed
		defer file.Close()
		dst = file
	} else if o.format == "xlsx" && isTerminal(dst) {
		return fmt.Errorf("--format xlsx writes a binary file: give --output FILE.xlsx")
	}
	buf := bufio.NewWriterSize(dst, 256<<10)
	w, err := export.New(o.format, buf, cols, export.Options{ExcelBOM: o.excelBOM, SheetName: sheet})
	if err != nil {
		return err
	}
	progress := func() {}
	if file != nil && isTerminal(cmd.ErrOrStderr()) {
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionSetDescription("rows"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"), progressbar.OptionThrottle(200e6))
		defer bar.Finish() //nolint:errcheck // the bar is cosmetic
		progress = func() { _ = bar.Add(1) }
	}
	if err := fill(w, progress); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	if file == nil {
		return nil
	}
	if err := file.Chmod(0o644); err != nil { // CreateTemp made it private
		return err
	}
	if err := file.Sync(); err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	return os.Rename(file.Name(), o.output)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
