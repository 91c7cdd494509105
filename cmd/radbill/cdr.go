package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/internal/q850"
	"github.com/radbill/radbill/rating"
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
				return out.write(cmd, cdrColumns, "CDRs", func(w export.Writer, progress func()) error {
					return d.EachCDR(cmd.Context(), filter, func(c *store.CDR) error {
						progress()
						return w.WriteRow(cdrCells(c)...)
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

// cdrColumns are cdr list's columns. cause is the decimal Q.850 cause
// (h323-disconnect-cause is hexadecimal on the wire: 10 there is 16 here),
// cause_name its name; owner the card or user the leg was billed to,
// department and branch where it is reported.
var cdrColumns = []export.Column{{Name: "id", Kind: export.Integer}, {Name: "call_time"}, {Name: "client"}, {Name: "nas_ip"},
	{Name: "acct_session_id"}, {Name: "conf_id"}, {Name: "origin"}, {Name: "type"}, {Name: "calling"}, {Name: "called"},
	{Name: "called_norm"}, {Name: "connect_time"}, {Name: "duration_s", Kind: export.Integer}, {Name: "cause", Kind: export.Integer},
	{Name: "cause_name"}, {Name: "gw_id"}, {Name: "direction"}, {Name: "billed"}, {Name: "owner"}, {Name: "department"},
	{Name: "branch"}, {Name: "plan"}, {Name: "zone"}, {Name: "cost", Kind: export.Money}, {Name: "currency"},
	{Name: "rating_status"}, {Name: "clock_unsynced"}, {Name: "parse_errors"}}

func cdrCells(c *store.CDR) []any {
	var causeName string
	var cause, duration, cost any
	if c.DisconnectCause != nil {
		causeName, cause = q850.Name(*c.DisconnectCause), *c.DisconnectCause
	}
	if c.DurationS != nil {
		duration = *c.DurationS
	}
	if c.CostMicros != nil {
		cost = rating.Money(*c.CostMicros)
	}
	var department string
	if c.Department != nil {
		department = deref(c.Branch) + "/" + *c.Department
	}
	return []any{c.ID, c.CallTime, c.ClientName, c.NASIP, c.AcctSessionID, c.ConfID,
		c.CallOrigin, c.CallType, c.CallingNumber, c.CalledNumber, c.CalledNorm, deref(c.ConnectTime), duration,
		cause, causeName, c.GatewayID, c.Direction, strconv.FormatBool(c.Billed), owner(c), department, deref(c.Branch),
		deref(c.Plan), deref(c.Zone), cost, deref(c.Currency), c.RatingStatus, strconv.FormatBool(c.ClockUnsynced), c.ParseErrors}
}

// owner names the card or user a leg was billed to: "card 5550001",
// "user 7 Ann Petrova"; "" for none.
func owner(c *store.CDR) string {
	switch {
	case c.Account != nil:
		return "card " + *c.Account
	case c.UserID != nil:
		return "user " + strconv.FormatInt(*c.UserID, 10) + " " + deref(c.UserName)
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
