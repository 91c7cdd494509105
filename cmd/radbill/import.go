package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/cdrimport"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

// errRejected makes the exit status non-zero when rows were refused.
var errRejected = errors.New("rows were rejected: see the import_reject table")

func importCommand(openLimits limitsOpener) *cobra.Command {
	imp := &cobra.Command{
		Use:   "import",
		Short: "Bill CDRs from other sources: cucm, asterisk-csv, asterisk-db",
		Long: "Imports call legs from Cisco Unified CM CDR files and Asterisk CDRs along the path of a RADIUS Stop:\n" +
			"translation rules, rating, the card's or user's charge and limit e-mails, group-committed. A leg imported\n" +
			"again is a duplicate and charges nothing. Rows that cannot be legs are kept in import_reject with their\n" +
			"file, line, text and reason, and the command then exits 1. A call through a device or peer that has a\n" +
			"gateway row (radbill gateway set NAME --plan P) is outgoing or incoming on it; others are internal.",
	}
	imp.AddCommand(importFilesCommand(openLimits, cdr.SourceCUCM, "cucm PATH...", "Import CUCM CDR flat files (cdr_<cluster>_<node>_<time>_<seq>)"),
		importFilesCommand(openLimits, cdr.SourceAsteriskCSV, "asterisk-csv PATH...", "Import Asterisk Master.csv files"),
		importTableCommand(openLimits))
	return imp
}

// withImporter runs fn with an importer on the configured database.
func withImporter(cmd *cobra.Command, openLimits limitsOpener, fn func(ctx context.Context, im *cdrimport.Importer) error) error {
	return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, money *limits.Service) error {
		tables, err := billing.Load(ctx, db)
		if err != nil {
			return fmt.Errorf("tariffs: %w", err)
		}
		reg := prometheus.NewRegistry()
		log, err := zap.NewProduction(zap.WithCaller(false), zap.IncreaseLevel(zap.WarnLevel))
		if err != nil {
			return err
		}
		im := cdrimport.New(db, money, billing.NewStage(tables, reg), log)
		defer im.Close()
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		return fn(ctx, im)
	})
}

func importFilesCommand(openLimits limitsOpener, source, use, short string) *cobra.Command {
	var columns, timeZone, watch string
	var settle time.Duration
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 0) == (watch == "") {
				return errors.New("give the files to import, or --watch DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, paths []string) error {
			f, err := cdrimport.NewFormat(source, columns, timeZone)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return withImporter(cmd, openLimits, func(ctx context.Context, im *cdrimport.Importer) error {
				if watch != "" {
					fmt.Fprintf(out, "watching %s (a file counts once unchanged for %s); Ctrl-C stops\n", watch, settle)
					im.Follow(ctx, cdrimport.Watch{Format: f, Dir: watch, Settle: settle}, func(r cdrimport.FileResult, err error) {
						printResult(out, r, err)
					})
					return nil
				}
				rejected := false
				for _, path := range paths {
					r, err := im.ImportFile(ctx, f, path, false, progress(cmd, im, filepath.Base(path)))
					printResult(out, r, err)
					if err != nil {
						return err
					}
					rejected = rejected || r.Counts.Rejected > 0
				}
				if rejected {
					return errRejected
				}
				return nil
			})
		},
	}
	if source == cdr.SourceAsteriskCSV {
		cmd.Flags().StringVar(&columns, "columns", "", "the Master.csv column list when it is not the usual 16, 18 or 21 (cdr.conf's order)")
		cmd.Flags().StringVar(&timeZone, "timezone", "", "the Asterisk server's time zone (UTC with usegmtime=yes; default the local one)")
	}
	cmd.Flags().StringVar(&watch, "watch", "", "follow DIR: import each file arriving there once it is complete, until Ctrl-C")
	cmd.Flags().DurationVar(&settle, "settle", 5*time.Second, "with --watch: how long a file must stay unchanged to count as complete")
	return cmd
}

func importTableCommand(openLimits limitsOpener) *cobra.Command {
	var t cdrimport.AsteriskTable
	var timeZone string
	cmd := &cobra.Command{
		Use:   "asterisk-db",
		Short: "Import the rows of an Asterisk cdr table (MySQL/MariaDB) added since the last run",
		Long: "Reads the Asterisk cdr table (cdr_adaptive_odbc or cdr_mysql) from the latest calldate read before\n" +
			"(kept in import_watermark) on. Run it from cron, or in a loop: each run reads what is new.",
		Example: "  radbill import asterisk-db --dsn 'reader:pw@tcp(pbx:3306)/asteriskcdrdb' --timezone Europe/Sofia",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if t.DSN == "" {
				return errors.New("--dsn is required")
			}
			f, err := cdrimport.NewFormat(cdr.SourceAsteriskDB, "", timeZone)
			if err != nil {
				return err
			}
			t.Location = f.Location
			return withImporter(cmd, openLimits, func(ctx context.Context, im *cdrimport.Importer) error {
				counts, err := im.ImportAsteriskTable(ctx, t)
				printResult(cmd.OutOrStdout(), cdrimport.FileResult{Name: "table " + t.Table, Counts: counts}, err)
				if err == nil && counts.Rejected > 0 {
					return errRejected
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&t.DSN, "dsn", "", "go-sql-driver DSN of the Asterisk database, e.g. user:pw@tcp(host:3306)/asteriskcdrdb")
	cmd.Flags().StringVar(&t.Table, "table", "cdr", "the CDR table")
	cmd.Flags().StringVar(&timeZone, "timezone", "", "the Asterisk server's time zone (UTC with usegmtime=yes; default the local one)")
	return cmd
}

func printResult(w io.Writer, r cdrimport.FileResult, err error) {
	c := r.Counts
	switch {
	case r.Seen:
		fmt.Fprintf(w, "%s: imported before, not read again\n", r.Name)
	default:
		fmt.Fprintf(w, "%s: read %d, billed %d, duplicate %d, skipped %d (CMR), rejected %d\n", r.Name, c.Read, c.Stored, c.Duplicate, c.Skipped, c.Rejected)
	}
	if err != nil {
		fmt.Fprintf(w, "%s: %v\n", r.Name, err)
	}
}

// progress shows a bar on a terminal: bytes, rows, rows/s, time left.
func progress(cmd *cobra.Command, im *cdrimport.Importer, name string) func(io.Reader, int64) io.Reader {
	out := cmd.ErrOrStderr()
	if !isTerminal(out) {
		return nil
	}
	return func(r io.Reader, size int64) io.Reader {
		bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(out), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(name), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
		start := time.Now()
		im.Progress = func(rows int64) {
			bar.Describe(fmt.Sprintf("%s: %d rows, %.0f rows/s", name, rows, float64(rows)/time.Since(start).Seconds()))
		}
		reader := progressbar.NewReader(r, bar)
		return &reader
	}
}
