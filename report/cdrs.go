package report

import (
	"strconv"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/internal/q850"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// CDRColumns are the columns of a CDR listing (cdr list, the console's
// CDR search and its exports). cause is the decimal Q.850 cause
// (h323-disconnect-cause is hexadecimal on the wire: 10 there is 16 here),
// cause_name its name; owner the card or user the leg was billed to,
// department and branch where it is reported.
var CDRColumns = []export.Column{{Name: "id", Kind: export.Integer}, {Name: "call_time"}, {Name: "client"}, {Name: "nas_ip"},
	{Name: "acct_session_id"}, {Name: "conf_id"}, {Name: "origin"}, {Name: "type"}, {Name: "calling"}, {Name: "called"},
	{Name: "called_norm"}, {Name: "connect_time"}, {Name: "duration_s", Kind: export.Integer}, {Name: "cause", Kind: export.Integer},
	{Name: "cause_name"}, {Name: "gw_id"}, {Name: "direction"}, {Name: "billed"}, {Name: "owner"}, {Name: "department"},
	{Name: "branch"}, {Name: "plan"}, {Name: "zone"}, {Name: "cost", Kind: export.Money}, {Name: "currency"},
	{Name: "rating_status"}, {Name: "clock_unsynced"}, {Name: "parse_errors"}}

// CDRCells is one CDR as a row of CDRColumns.
func CDRCells(c *store.CDR) []any {
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
