package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/internal/q850"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

func cdrCommand(openDB dbOpener) *cobra.Command {
	cdr := &cobra.Command{Use: "cdr", Short: "Call detail records"}
	var format, from, to string
	var filter store.CDRFilter
	list := &cobra.Command{
		Use:   "list",
		Short: "List stored call legs, oldest first",
		Example: `  radbill cdr list --from 2026-11-01 --to 2026-12-01 --number 359 --format csv
  radbill cdr list --from "2026-11-23 08:00" --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if filter.From, err = parseFlagTime("from", from); err != nil {
				return err
			}
			if filter.To, err = parseFlagTime("to", to); err != nil {
				return err
			}
			write, ok := cdrWriters[format]
			if !ok {
				return fmt.Errorf("--format %q: want table, csv or json", format)
			}
			d, err := openDB()
			if err != nil {
				return err
			}
			defer d.Close()
			rows, err := d.ListCDRs(cmd.Context(), filter)
			if err != nil {
				return err
			}
			return write(cmd.OutOrStdout(), rows)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
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

var cdrWriters = map[string]func(io.Writer, []store.CDR) error{
	"table": writeCDRTable,
	"csv":   writeCDRCSV,
	"json":  writeCDRJSON,
}

// cdrHeader names the columns of table and CSV output. cause is the
// decimal Q.850 cause (h323-disconnect-cause is hexadecimal on the wire:
// 10 there is 16 here), cause_name its name; owner the card or user the
// leg was billed to.
var cdrHeader = []string{"id", "call_time", "client", "nas_ip", "acct_session_id", "conf_id", "origin", "type",
	"calling", "called", "called_norm", "connect_time", "duration_s", "cause", "cause_name", "gw_id", "direction", "billed",
	"owner", "plan", "zone", "cost", "currency", "rating_status", "clock_unsynced", "parse_errors"}

func cdrFields(c store.CDR) []string {
	var causeName string
	if c.DisconnectCause != nil {
		causeName = q850.Name(*c.DisconnectCause)
	}
	return []string{strconv.FormatInt(c.ID, 10), c.CallTime, c.ClientName, c.NASIP, c.AcctSessionID, c.ConfID,
		c.CallOrigin, c.CallType, c.CallingNumber, c.CalledNumber, c.CalledNorm, deref(c.ConnectTime), intOrEmpty(c.DurationS),
		intOrEmpty(c.DisconnectCause), causeName, c.GatewayID, c.Direction, strconv.FormatBool(c.Billed), owner(c), deref(c.Plan),
		deref(c.Zone), money(c.CostMicros), deref(c.Currency), c.RatingStatus, strconv.FormatBool(c.ClockUnsynced), c.ParseErrors}
}

// owner names the card or user a leg was billed to: "card 5550001",
// "user 7 Ann Petrova"; "" for none.
func owner(c store.CDR) string {
	switch {
	case c.Account != nil:
		return "card " + *c.Account
	case c.UserID != nil:
		return "user " + strconv.FormatInt(*c.UserID, 10) + " " + deref(c.UserName)
	}
	return ""
}

func writeCDRTable(w io.Writer, rows []store.CDR) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, h := range cdrHeader {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, c := range rows {
		for i, f := range cdrFields(c) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			q := strconv.Quote(f) // keeps control bytes from reaching the terminal
			fmt.Fprint(tw, q[1:len(q)-1])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func writeCDRCSV(w io.Writer, rows []store.CDR) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cdrHeader); err != nil {
		return err
	}
	for _, c := range rows {
		if err := cw.Write(cdrFields(c)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeCDRJSON(w io.Writer, rows []store.CDR) error {
	if rows == nil {
		rows = []store.CDR{}
	}
	for i, c := range rows {
		if c.DisconnectCause != nil {
			rows[i].CauseName = q850.Name(*c.DisconnectCause)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intOrEmpty(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

// money formats micro-units exactly, with 6 decimals.
func money(micros *int64) string {
	if micros == nil {
		return ""
	}
	return rating.Money(*micros).String()
}
