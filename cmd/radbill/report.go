package main

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

func reportCommand(openDB dbOpener, openLimits limitsOpener) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports from the CDR summaries: cost, limits, cards, invoice-split, rebuild (of the summaries)",
		Long: "Reports read the CDR summaries (cdr_daily, cdr_monthly_owner, cdr_monthly_route) that every stored call\n" +
			"updates, not the cdr table. Days and months are UTC. Every report writes --format table, csv, json or xlsx,\n" +
			"to --output FILE or standard output, and its lines add up exactly to its TOTAL lines.",
	}
	cmd.AddCommand(reportCostCommand(openDB), reportLimitsCommand(openLimits), reportCardsCommand(openDB),
		reportSplitCommand(openDB), reportRebuildCommand(openDB))
	return cmd
}

// rangeFlags choose a report's days: --period MONTH, or --from and --to.
type rangeFlags struct{ period, from, to string }

func (r *rangeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.period, "period", "", "a UTC month, 2026-11 (instead of --from/--to)")
	cmd.Flags().StringVar(&r.from, "from", "", "first UTC day, 2026-11-01")
	cmd.Flags().StringVar(&r.to, "to", "", "the UTC day after the last, 2026-12-01 (not included)")
}

func (r *rangeFlags) parse() (from, to time.Time, err error) {
	switch {
	case r.period != "" && (r.from != "" || r.to != ""):
		return from, to, fmt.Errorf("give --period or --from/--to, not both")
	case r.period != "":
		from, err = report.ParseMonth("period", r.period)
		return from, from.AddDate(0, 1, 0), err
	case r.from == "" || r.to == "":
		return from, to, fmt.Errorf("give --period 2026-11, or --from 2026-11-01 --to 2026-12-01")
	}
	if from, err = report.ParseDay("from", r.from); err != nil {
		return from, to, err
	}
	to, err = report.ParseDay("to", r.to)
	return from, to, err
}

func reportCostCommand(openDB dbOpener) *cobra.Command {
	var by, branch, department, user string
	var days rangeFlags
	var out outputFlags
	var q report.CostQuery
	cmd := &cobra.Command{
		Use:   "cost --by DIMENSION (--period MONTH | --from DAY --to DAY)",
		Short: "Calls, answered calls, billed minutes and cost per user, department, branch, zone, gateway, direction, day or month",
		Long: "Adds up the billed legs of the range per group and currency, outgoing and incoming apart. Legs are\n" +
			"reported under the user, department and branch they had when they were stored. --top N keeps the N\n" +
			"dearest groups and adds the others up in one line.",
		Example: "  radbill report cost --by branch --period 2026-11\n" +
			"  radbill report cost --by user --period 2026-11 --branch Sofia --top 20 --format xlsx --output users.xlsx\n" +
			"  radbill report cost --by day --from 2026-11-01 --to 2026-11-08 --user \"Maria Ivanova\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.From, q.To, err = days.parse(); err != nil {
				return err
			}
			q.By = report.Dimension(by)
			if err := out.check(); err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				ctx := cmd.Context()
				if err := resolveFilters(ctx, db, branch, department, user, &q); err != nil {
					return err
				}
				rep, err := report.Cost(ctx, db, q)
				if err != nil {
					return err
				}
				return writeCost(cmd, &out, rep)
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "user, department, branch, zone, gateway, direction, day or month")
	cmd.Flags().StringVar(&branch, "branch", "", "only calls of this branch")
	cmd.Flags().StringVar(&department, "department", "", "only calls of this department (Branch/Department, a unique name, or an id)")
	cmd.Flags().StringVar(&user, "user", "", "only calls of this user (id, or a unique name)")
	cmd.Flags().IntVar(&q.Top, "top", 0, "keep the N dearest groups, the rest in one line (0: all)")
	days.register(cmd)
	out.register(cmd)
	_ = cmd.MarkFlagRequired("by")
	return cmd
}

func resolveFilters(ctx context.Context, db *store.DB, branch, department, user string, q *report.CostQuery) error {
	o := org.New(db)
	if branch != "" {
		b, err := o.FindBranch(ctx, branch)
		if err != nil {
			return err
		}
		q.BranchID = b.ID
	}
	if department != "" {
		d, err := o.FindDepartment(ctx, department)
		if err != nil {
			return err
		}
		q.DepartmentID = d.ID
	}
	if user != "" {
		u, err := findUser(ctx, limits.New(db, limits.Options{}), user)
		if err != nil {
			return err
		}
		q.UserID = u.ID
	}
	return nil
}

// singleCurrency is the currency of every line, or "" when they differ:
// a money column's header names it when there is one.
func singleCurrency[L any](lines []L, currency func(L) string) string {
	var one string
	for _, l := range lines {
		c := currency(l)
		if c == "" {
			continue
		}
		if one != "" && c != one {
			return ""
		}
		one = c
	}
	return one
}

func writeCost(cmd *cobra.Command, out *outputFlags, rep report.CostReport) error {
	cur := singleCurrency(rep.Totals, func(l report.CostLine) string { return l.Currency })
	cols := []export.Column{{Name: string(rep.Query.By)}, {Name: "currency"},
		{Name: "out_calls", Kind: export.Integer}, {Name: "out_answered", Kind: export.Integer}, {Name: "out_minutes", Kind: export.Minutes},
		{Name: "out_cost", Kind: export.Money, Currency: cur},
		{Name: "in_calls", Kind: export.Integer}, {Name: "in_answered", Kind: export.Integer}, {Name: "in_minutes", Kind: export.Minutes},
		{Name: "in_cost", Kind: export.Money, Currency: cur},
		{Name: "unrated", Kind: export.Integer}, {Name: "cost", Kind: export.Money, Currency: cur}}
	return out.write(cmd, cols, "Cost by "+string(rep.Query.By), func(w export.Writer, progress func()) error {
		for _, l := range append(rep.Lines, rep.Totals...) {
			progress()
			if err := w.WriteRow(l.Label, l.Currency, l.Out.Calls, l.Out.Answered, l.Out.BilledSeconds, l.Out.Cost,
				l.In.Calls, l.In.Answered, l.In.BilledSeconds, l.In.Cost, l.Out.Unrated+l.In.Unrated, l.Cost()); err != nil {
				return err
			}
		}
		return nil
	})
}

func reportLimitsCommand(openLimits limitsOpener) *cobra.Command {
	var period string
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "limits --period MONTH",
		Short: "Every user's spend against its limit and warning threshold in the period that starts in MONTH",
		Long: "For each user, the limit period that starts in MONTH (on its reset day, at midnight in its plan's time\n" +
			"zone): limit type, limit, warning threshold, spend (settled calls and their re-rate corrections), the\n" +
			"share of the limit spent, and the limit e-mails of the period with their delivery status.",
		Example: "  radbill report limits --period 2026-11",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			month, err := report.ParseMonth("period", period)
			if err != nil {
				return err
			}
			if err := out.check(); err != nil {
				return err
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				rep, err := report.Limits(ctx, svc, month)
				if err != nil {
					return err
				}
				departments, err := departmentsByID(ctx, db)
				if err != nil {
					return err
				}
				totals := map[string][2]rating.Money{}
				for _, l := range rep.Lines {
					t := totals[l.Currency]
					totals[l.Currency] = [2]rating.Money{t[0] + l.User.Limit.Amount, t[1] + l.Spend}
				}
				cur := singleCurrency(rep.Lines, func(l limits.UserPeriod) string { return l.Currency })
				cols := []export.Column{{Name: "user_id", Kind: export.Integer}, {Name: "user"}, {Name: "department"},
					{Name: "period_start"}, {Name: "period_end"}, {Name: "limit_type"}, {Name: "limit", Kind: export.Money, Currency: cur},
					{Name: "warning_percent", Kind: export.Integer}, {Name: "spend", Kind: export.Money, Currency: cur},
					{Name: "spent_percent"}, {Name: "currency"}, {Name: "mails"}}
				return out.write(cmd, cols, "Limits "+period, func(w export.Writer, progress func()) error {
					for _, l := range rep.Lines {
						progress()
						d := departments[l.User.DepartmentID]
						var dept string
						if d.ID != 0 {
							dept = d.Path()
						}
						if err := w.WriteRow(l.User.ID, l.User.Name, dept, l.Period.Start.Format(time.DateOnly), l.Period.End.Format(time.DateOnly),
							string(l.User.Limit.Type), l.User.Limit.Amount, int64(l.User.Limit.WarningPercent), l.Spend,
							percent(l.Spend, l.User.Limit.Amount), l.Currency, mails(l.Mails)); err != nil {
							return err
						}
					}
					for _, c := range slices.Sorted(maps.Keys(totals)) {
						t := totals[c]
						if err := w.WriteRow(nil, "TOTAL", "", "", "", "", t[0], nil, t[1], percent(t[1], t[0]), c, ""); err != nil {
							return err
						}
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "the month the periods start in, 2026-11")
	_ = cmd.MarkFlagRequired("period")
	out.register(cmd)
	return cmd
}

// percent is part of whole in percent with one decimal, rounded toward
// zero ("" when whole is 0).
func percent(part, whole rating.Money) string {
	if whole == 0 {
		return ""
	}
	tenths := new(big.Int).Quo(big.NewInt(0).Mul(big.NewInt(int64(part)), big.NewInt(1000)), big.NewInt(int64(whole))).Int64()
	sign := ""
	if tenths < 0 {
		sign, tenths = "-", -tenths
	}
	return fmt.Sprintf("%s%d.%d", sign, tenths/10, tenths%10)
}

func mails(m map[string]string) string {
	var parts []string
	for _, threshold := range []string{"warning", "limit"} {
		if status, ok := m[threshold]; ok {
			parts = append(parts, threshold+" "+status)
		}
	}
	return strings.Join(parts, ", ")
}

func reportCardsCommand(openDB dbOpener) *cobra.Command {
	var days rangeFlags
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "cards (--period MONTH | --from DAY --to DAY)",
		Short: "Prepaid cards over a period: opening balance, top-ups, refunds, adjustments, call debits, closing balance",
		Long: "From each card's ledger: the balance before the period, the movements posted in it by kind, and the\n" +
			"balance at its end (closing = opening + movements, the ledger's sum; for a period ending now, the balance).",
		Example: "  radbill report cards --period 2026-11 --format csv --output cards.csv",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, to, err := days.parse()
			if err != nil {
				return err
			}
			if err := out.check(); err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				rep, err := report.Cards(cmd.Context(), db, from, to)
				if err != nil {
					return err
				}
				cur := singleCurrency(rep.Totals, func(l report.CardLine) string { return l.Currency })
				money := func(name string) export.Column { return export.Column{Name: name, Kind: export.Money, Currency: cur} }
				cols := []export.Column{{Name: "account"}, {Name: "status"}, {Name: "currency"}, {Name: "calls", Kind: export.Integer},
					money("opening"), money("topups"), money("refunds"), money("adjustments"), money("call_debits"), money("closing")}
				return out.write(cmd, cols, "Cards", func(w export.Writer, progress func()) error {
					for _, l := range append(rep.Lines, rep.Totals...) {
						progress()
						if err := w.WriteRow(l.Account, l.Status, l.Currency, l.Calls, l.Opening, l.TopUps, l.Refunds, l.Adjustments,
							l.Debits, l.Closing); err != nil {
							return err
						}
					}
					return nil
				})
			})
		},
	}
	days.register(cmd)
	out.register(cmd)
	return cmd
}

func reportSplitCommand(openDB dbOpener) *cobra.Command {
	var period, total, by string
	var out outputFlags
	var q report.SplitQuery
	cmd := &cobra.Command{
		Use:   "invoice-split --period MONTH --total AMOUNT",
		Short: "Split the provider's invoice among branches (or departments) in proportion to their rated cost",
		Long: "Distributes the invoice total of MONTH in proportion to each branch's (--by department: each\n" +
			"department's) rated cost of that month's calls, through --gateway when given. Shares are in the invoice's\n" +
			"unit (its decimals) and rounded by the largest-remainder method, so they add up exactly to the total. The\n" +
			"difference between the invoice and radbill's rated total is a line of its own: a large one means a\n" +
			"tariff is out of date.",
		Example: "  radbill report invoice-split --period 2026-11 --total 12345.67 --currency EUR --gateway gw-sofia",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.Month, err = report.ParseMonth("period", period); err != nil {
				return err
			}
			if q.Total, err = parseAmount("--total", total); err != nil {
				return err
			}
			if _, decimals, ok := strings.Cut(total, "."); ok {
				q.Decimals = len(decimals)
			}
			q.By = report.Dimension(by)
			if err := out.check(); err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				rep, err := report.InvoiceSplit(cmd.Context(), db, q)
				if err != nil {
					return err
				}
				cur := rep.Query.Currency
				cols := []export.Column{{Name: by}, {Name: "rated", Kind: export.Money, Currency: cur},
					{Name: "rated_percent"}, {Name: "invoice_share", Kind: export.Money, Currency: cur}}
				return out.write(cmd, cols, "Invoice "+period, func(w export.Writer, progress func()) error {
					for _, l := range rep.Lines {
						progress()
						if err := w.WriteRow(l.Label, l.Rated, percent(l.Rated, rep.Rated), l.Share); err != nil {
							return err
						}
					}
					if err := w.WriteRow("TOTAL", rep.Rated, "100.0", q.Total); err != nil {
						return err
					}
					return w.WriteRow("difference (invoice - rated)", nil, percent(rep.Difference, rep.Rated), rep.Difference)
				})
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "the invoice's month, 2026-11")
	cmd.Flags().StringVar(&total, "total", "", "the invoice total, e.g. 12345.67; its decimals are the shares' unit")
	cmd.Flags().StringVar(&q.Currency, "currency", "", "the invoice's currency (needed when calls are rated in several)")
	cmd.Flags().StringVar(&q.Gateway, "gateway", "", "only calls through this gateway or trunk (client name): the provider's")
	cmd.Flags().StringVar(&by, "by", "branch", "branch or department")
	_ = cmd.MarkFlagRequired("period")
	_ = cmd.MarkFlagRequired("total")
	out.register(cmd)
	return cmd
}

func reportRebuildCommand(openDB dbOpener) *cobra.Command {
	var days rangeFlags
	cmd := &cobra.Command{
		Use:   "rebuild (--period MONTH | --from DAY --to DAY)",
		Short: "Recompute the summaries of the whole months holding the range from the CDRs",
		Long: "The summaries are kept up to date by every stored call and by rerate; rebuild recomputes them from the\n" +
			"cdr table, in one transaction, for the whole UTC months that hold the range (after CDRs were edited or\n" +
			"deleted in SQL). It changes nothing when they are right.",
		Example: "  radbill report rebuild --from 2026-01-01 --to 2027-01-01",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, to, err := days.parse()
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				first, end, err := db.RebuildSummaries(cmd.Context(), from, to)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rebuilt the summaries of %s to %s (not included)\n", first.Format("2006-01"), end.Format("2006-01"))
				return nil
			})
		},
	}
	days.register(cmd)
	return cmd
}
