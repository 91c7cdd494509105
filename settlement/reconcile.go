package settlement

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/rating"
)

// PartnerCall is one call of a partner's own CDR file for reconciliation.
// The documented CSV has a header row with at least these columns, in
// any order: start (UTC, 2006-01-02 15:04:05), calling, called, duration
// (seconds), and optionally amount (a decimal in the statement's
// currency).
type PartnerCall struct {
	Line            int
	Start           time.Time
	Calling, Called string
	Duration        int64
	Amount          *rating.Money
}

// ReadPartnerCalls reads a partner's CDR file; name is for messages.
func ReadPartnerCalls(r io.Reader, name string) ([]PartnerCall, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"start", "calling", "called", "duration"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no %q column (want start, calling, called, duration[, amount])", name, need)
		}
	}
	var calls []PartnerCall
	var problems []string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cell := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		c := PartnerCall{Line: line, Calling: cell("calling"), Called: cell("called")}
		if c.Start, err = time.ParseInLocation(time.DateTime, cell("start"), time.UTC); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: start %q: want 2006-01-02 15:04:05", name, line, cell("start")))
			continue
		}
		if c.Duration, err = strconv.ParseInt(cell("duration"), 10, 64); err != nil || c.Duration < 0 {
			problems = append(problems, fmt.Sprintf("%s:%d: duration %q: want whole seconds", name, line, cell("duration")))
			continue
		}
		if v := cell("amount"); v != "" {
			amount, err := rating.ParseMoney(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: amount %q: %v", name, line, v, err))
				continue
			}
			c.Amount = &amount
		}
		calls = append(calls, c)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return calls, nil
}

// Tolerance is how far two sides of one call may differ and still match
// without a difference being listed.
type Tolerance struct {
	Start    time.Duration // the start times (clocks differ): 5 s
	Duration int64         // seconds: 1
	Amount   rating.Money  // 0.01
}

// Match is one call as each side has it; a nil side is missing there.
type Match struct {
	Ours   *OurCall
	Theirs *PartnerCall
	// Problem says what differs beyond the tolerance: "" when they agree.
	Problem string
}

// OurCall is a leg we charged the partner or it charged us.
type OurCall struct {
	DedupKey        string
	Start           time.Time
	Calling, Called string
	Duration        int64
	Amount          rating.Money
}

// Reconciliation is the comparison of our legs of a partner's period with
// its file.
type Reconciliation struct {
	Matched, Differing, OnlyOurs, OnlyTheirs int
	Lines                                    []Match // the calls that do not agree
}

// Reconcile matches the partner's calls of period with ours by numbers,
// start time and duration, and lists those missing on either side and
// those whose duration or amount differ beyond tol.
func (s *Service) Reconcile(ctx context.Context, partnerID int64, period time.Time, theirs []PartnerCall, tol Tolerance) (Reconciliation, error) {
	var rows []struct {
		DedupKey string `db:"dedup_key"`
		CallTime string `db:"call_time"`
		Calling  string `db:"calling_number_norm"`
		Called   string `db:"called_number_norm"`
		Duration int64  `db:"duration_s"`
		Amount   int64  `db:"amount_micros"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT c.dedup_key, c.call_time, d.calling_number_norm, d.called_number_norm, c.duration_s, c.amount_micros
		FROM leg_charge c JOIN cdr d ON d.dedup_key = c.dedup_key
		WHERE c.partner_id = ? AND c.amount_micros IS NOT NULL AND c.call_time >= ? AND c.call_time < ? ORDER BY c.call_time`,
		partnerID, dbtime.Format(period), dbtime.Format(period.AddDate(0, 1, 0)))
	if err != nil {
		return Reconciliation{}, err
	}
	ours := make([]OurCall, len(rows))
	for i, r := range rows {
		at, err := dbtime.Parse(r.CallTime)
		if err != nil {
			return Reconciliation{}, err
		}
		ours[i] = OurCall{DedupKey: r.DedupKey, Start: at, Calling: r.Calling, Called: r.Called, Duration: r.Duration, Amount: rating.Money(r.Amount)}
	}
	return reconcile(ours, theirs, tol), nil
}

// reconcile pairs each of their calls with the nearest unmatched one of
// ours to the same numbers within the start tolerance.
func reconcile(ours []OurCall, theirs []PartnerCall, tol Tolerance) Reconciliation {
	type numbers struct{ calling, called string }
	byNumbers := map[numbers][]int{}
	for i, o := range ours {
		k := numbers{o.Calling, o.Called}
		byNumbers[k] = append(byNumbers[k], i)
	}
	used := make([]bool, len(ours))
	var rec Reconciliation
	for i := range theirs {
		t := &theirs[i]
		// The nearest start, then the nearest duration: two calls between
		// the same numbers at the same time are told apart by their length.
		best := -1
		var bestGap time.Duration
		var bestLength int64
		for _, j := range byNumbers[numbers{t.Calling, t.Called}] {
			gap, length := ours[j].Start.Sub(t.Start).Abs(), abs(ours[j].Duration-t.Duration)
			if !used[j] && gap <= tol.Start && (best < 0 || gap < bestGap || gap == bestGap && length < bestLength) {
				best, bestGap, bestLength = j, gap, length
			}
		}
		if best < 0 {
			rec.OnlyTheirs++
			rec.Lines = append(rec.Lines, Match{Theirs: t, Problem: "missing in ours"})
			continue
		}
		used[best] = true
		o := &ours[best]
		var problems []string
		if d := o.Duration - t.Duration; d > tol.Duration || -d > tol.Duration {
			problems = append(problems, fmt.Sprintf("duration %d s ours, %d s theirs", o.Duration, t.Duration))
		}
		if t.Amount != nil {
			if d := o.Amount - *t.Amount; d > tol.Amount || -d > tol.Amount {
				problems = append(problems, fmt.Sprintf("amount %s ours, %s theirs", o.Amount, *t.Amount))
			}
		}
		if len(problems) == 0 {
			rec.Matched++
			continue
		}
		rec.Differing++
		rec.Lines = append(rec.Lines, Match{Ours: o, Theirs: t, Problem: strings.Join(problems, "; ")})
	}
	for j := range ours {
		if !used[j] {
			rec.OnlyOurs++
			rec.Lines = append(rec.Lines, Match{Ours: &ours[j], Problem: "missing in theirs"})
		}
	}
	slices.SortStableFunc(rec.Lines, func(a, b Match) int { return cmp.Compare(a.start().UnixNano(), b.start().UnixNano()) })
	return rec
}

func (m Match) start() time.Time {
	if m.Ours != nil {
		return m.Ours.Start
	}
	return m.Theirs.Start
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
