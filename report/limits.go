package report

import (
	"context"
	"time"

	"github.com/radbill/radbill/limits"
)

// LimitsReport is every user's limit period that starts in one month.
type LimitsReport struct {
	Month time.Time
	Lines []limits.UserPeriod
}

// Limits reports users' spend against their limits for the periods that
// start in month (each user's reset day, in its plan's time zone).
func Limits(ctx context.Context, svc *limits.Service, month time.Time) (LimitsReport, error) {
	lines, err := svc.PeriodReport(ctx, month.Year(), month.Month())
	return LimitsReport{Month: month, Lines: lines}, err
}
