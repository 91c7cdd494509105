// Package tariffcsv reads and writes tariffs as CSV files, the form
// operators edit: rating.TariffData ↔ one file per kind of row. It is pure:
// io.Reader and io.Writer in, rating structs out; files, the database and
// the command line are the caller's.
//
// # Files
//
// A file's kind is decided by its header row: its columns, in any order
// and case, must be exactly those of one kind. Write uses the order below.
//
//	plans     plan,currency,time_zone,rounding,rounding_decimals,band_policy,unanswered_connect_fee
//	zones     zone,description
//	prefixes  prefix,zone
//	bands     plan,band,days,from,to
//	holidays  plan,date,band
//	rates     plan,zone,band,direction,valid_from,valid_to,connect_fee,min_duration,
//	          first_increment,next_increment,tiers,max_cost
//
// Rows name each other (plan "retail", zone "Germany"), never by ID: IDs
// belong to the database. Read numbers new rows above the IDs already in
// the TariffData it adds to, and resolves names against that data, so a
// file may only name what is already there: read plans, zones, prefixes,
// bands, holidays, rates in that order (Kinds), or let ReadAll sort them.
//
// # Values
//
//   - plan, zone, band: names; fields are trimmed of surrounding spaces.
//   - currency: ISO 4217 code, e.g. EUR. time_zone: IANA name, e.g.
//     Europe/Sofia; bands, holidays and local validity times are read in it.
//   - rounding: half_up, up or down; rounding_decimals: 0..6;
//     band_policy: split (price each part in its band; the default when
//     empty) or start (whole call in the start band);
//     unanswered_connect_fee: yes or no.
//   - prefix: 1 to 15 digits of the E.164 number, no '+'.
//   - days: mon, tue, … sun, comma-separated, ranges allowed: mon-fri,
//     "sat,sun" (quoted: it holds a comma), fri-mon. from and to: HH:MM;
//     to may be 24:00, and a to not after from runs past midnight into the
//     next day. A row with empty days, from and to declares a band without
//     rules, for holidays only. The rules of a plan must cover the week
//     exactly once (rating.Build checks).
//   - date: YYYY-MM-DD, a whole local day of the plan.
//   - direction: outgoing or incoming.
//   - valid_from, valid_to: empty (open), a date (local midnight), a local
//     "YYYY-MM-DD HH:MM", or RFC 3339 with an offset. valid_to is exclusive.
//   - connect_fee, max_cost: plain decimals, at most 6 decimals, e.g. 0.40;
//     an empty max_cost means no cap. min_duration, first_increment,
//     next_increment: whole seconds (increments ≥ 1).
//   - tiers: from_second:price_per_minute pairs joined by ';', the first
//     from 0 s, e.g. 0:0.20;60:0.10 (0.20/min for the first minute, then
//     0.10/min).
//
// # Errors
//
// Read checks every row and returns all problems as an *ErrorList of
// *FieldError, each naming file, line and field:
//
//	rates.csv:14: field "next_increment": must be ≥ 1, got "0"
//
// A file with any bad row adds nothing; ReadAll adds nothing unless every
// file is good. Checks that span whole plans (week coverage) are left to
// rating.Build.
package tariffcsv
