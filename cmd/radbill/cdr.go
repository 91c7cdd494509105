package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

func cdrCommand(openDB dbOpener) *cobra.Command {
	cdr := &cobra.Command{Use: "cdr", Short: "Call detail records"}
	var from, to string
	var out outputFlags
	var filter store.CDRFilter
	list := &cobra.Command{
		Use:   "list",
		Short: "List stored call legs, oldest first",
		Example: `  radbill cdr list --from 2026-11-01 --to 2026-12-01 --number 359 --format csv --excel --output november.csv
  radbill cdr list --from "2026-11-23 08:00" --format json
  radbill cdr list --from 2026-11-01 --to 2026-12-01 --format xlsx --output november.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if filter.From, err = parseFlagTime("from", from); err != nil {
				return err
			}
			if filter.To, err = parseFlagTime("to", to); err != nil {
				return err
			}
			if err := out.check(); err != nil {
				return err
			}
			return withDB(openDB, func(d *store.DB) error {
				return out.write(cmd, report.CDRColumns, "CDRs", func(w export.Writer, progress func()) error {
					return d.EachCDR(cmd.Context(), filter, func(c *store.CDR) error {
						progress()
						return w.WriteRow(report.CDRCells(c)...)
					})
				})
			})
		},
	}
	out.register(list)
	list.Flags().StringVar(&from, "from", "", "calls at or after this UTC time (2006-01-02[ 15:04[:05]])")
	list.Flags().StringVar(&to, "to", "", "calls before this UTC time")
	list.Flags().StringVar(&filter.Number, "number", "", "calling or called number starting with this; scans the --from/--to range, numbers are not indexed")
	list.Flags().IntVar(&filter.Limit, "limit", 0, "at most this many rows (0: all)")
	cdr.AddCommand(list)
	return cdr
}

func parseFlagTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: want 2006-01-02, 2006-01-02 15:04[:05] or RFC 3339", name, s)
}
