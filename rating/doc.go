// Package rating prices VoIP calls: given a tariff and the facts of a call
// it returns the charge. It does no I/O and keeps no state beyond the
// immutable Snapshot it rates from.
//
// # Use
//
// A loader fills a TariffData from the tariff tables (see model.go, one
// struct per table) and calls Build, which checks every row and returns a
// *Snapshot, or a *BuildError naming each offending row:
//
//	rate id 17 (plan "retail", zone "Bulgaria mobile", band "peak"): next increment 0 not in 1..86400
//	plan id 1 ("retail"): Sat 00:00–08:00 is covered twice: band "offpeak" (rule id 4) and band "weekend" (rule id 5)
//
// A Snapshot is read-only, so any number of goroutines may call Rate on it
// while the server swaps in a new one (sync/atomic.Pointer) on reload.
// Rate never panics and never fails silently: anything but StatusOK in
// Charge.Status ("unknown_plan", "invalid_call", "unknown_destination",
// "no_rate") means the cost is not the price of the call. Time zones are
// loaded with time.LoadLocation, so a server binary that may run without
// system zoneinfo should import time/tzdata.
//
// # Rating, step by step
//
//  1. Plan: Call.PlanID picks the plan (else "unknown_plan"). The facts are
//     checked: the called number must be E.164 digits only, the duration
//     0..MaxCallSeconds, the connect time in years 1900..9999, the
//     direction outgoing or incoming (else "invalid_call"). The connect time
//     is used to the whole second.
//  2. Zone: the longest prefix of the called number decides the zone;
//     prefixes overlap freely (359 is Bulgaria fixed, 35988 inside it is
//     Bulgaria mobile). No prefix: "unknown_destination".
//  3. Start band: the plan's band at connect time, read off the wall clock
//     of the plan's time zone. A holiday date takes its band for the whole
//     local day; otherwise the weekly rules apply.
//  4. Rate: the rate of (plan, zone, start band, direction) whose validity
//     [valid_from, valid_to) contains the connect time. Every part of the
//     call uses the rates in force at connect time, even after a valid_to
//     passes during the call. None: "no_rate".
//  5. Billed seconds, by the start band's rate: 0 for a 0-second call;
//     otherwise max(duration, minimum duration), rounded up to the first
//     increment, and beyond it to whole next increments. With 30/6, 31 s
//     bills 36 s and 1 s bills 30 s; with 60/60, 61 s bills 120 s.
//  6. Parts: the billed seconds are laid on the timeline from the connect
//     time and cut wherever the band changes (band policy "split", the
//     default). Each part is priced by its own band's rate for the same zone
//     and direction; if one has no rate the call is "no_rate". With policy
//     "start" the whole call is one part in the start band.
//  7. Price: each part is priced by its rate's tiers, which go by elapsed
//     call time from the start of the call, not by band: a part covering
//     seconds 30..120 of a call with tiers "0:0.12;60:0.06" pays 0.12/min
//     for 30 s and 0.06/min for 60 s.
//  8. Total: the connect fee of the start band's rate (once per call) plus
//     the parts, rounded once by the plan's rule (half-up, up or down, to
//     0..6 decimals), then capped at the start band's rate's maximum cost.
//
// A 0-second (unanswered) call costs nothing, or exactly the connect fee
// (rounded like any total) when the plan charges it on unanswered calls.
//
// # Time zones and DST
//
// Bands are a function of the plan's local wall clock: the band at an
// instant is the one whose rule contains the local time then. So a band
// boundary at 08:00 falls at the real instant of 08:00 local on that date
// (05:00 UTC in Sofia in summer, 06:00 UTC in winter). When clocks spring
// forward past a boundary (New York, 2025-03-09, 02:00 EST → 03:00 EDT, with
// night until 03:00) the new band starts at the jump; when they fall back,
// the repeated hour is read as the wall clock shows it, so a band that
// ends at 03:00 lasts until 03:00 standard time.
//
// # Exactness
//
// Money is int64 micro-units; nothing is ever a float. A price per minute
// in micro-units times a number of seconds is an integer number of
// sixtieths of a micro-unit (ExactAmount), so every part's Amount is exact
// and the parts sum exactly: ConnectFee×60 + ΣParts[i].Amount == Exact.
// The division by 60 happens once, in the rounding of Exact to Cost; parts
// are not rounded separately, so their displayed shares need not add up to
// the rounded Cost. MaxAmount, MaxStepSeconds and MaxCallSeconds bound the
// inputs so that no sum can overflow int64.
//
// # Worked examples
//
// Germany, connect fee 0.40, increments 60/1, tiers "0:0.20;60:0.10",
// plan rounding half-up to 2 decimals:
//
//	120 s: 0.40 + 0.20×60/60 + 0.10×60/60 = 0.40 + 0.20 + 0.10 = 0.70
//	 61 s: 0.40 + 0.20 + 0.10×1/60 = 0.601666… → 0.60
//	  1 s: billed 60 s: 0.40 + 0.20 = 0.60
//
// The same 120 s call connected at 19:59:00 on a Tuesday, when peak (the
// rate above) gives way to off-peak (fee 0.40, "0:0.12;60:0.06") at 20:00:
//
//	peak     seconds 0..60:   0.20×60/60 = 0.20
//	off-peak seconds 60..120: 0.06×60/60 = 0.06  (its 60 s tier: time is elapsed call time)
//	total 0.40 + 0.20 + 0.06 = 0.66; with band policy "start": 0.70
//
// Bulgaria mobile, fee 0.10, 30/6, 0.18/min off-peak and 0.30/min peak,
// 50 s from Monday 07:59:40: billed 30 + 4×6 = 54 s, of which 20 s fall
// before 08:00:
//
//	off-peak 20 s: 0.18×20/60 = 0.06
//	peak     34 s: 0.30×34/60 = 0.17  (30 s connected, 4 s of rounding up)
//	total 0.10 + 0.06 + 0.17 = 0.33
//
// USA, 0.06/min, 1/1, minimum 30 s, maximum cost 1.00: 10 s bills 30 s and
// costs 0.03; 1200 s would cost 1.20 and is capped at 1.00.
package rating
