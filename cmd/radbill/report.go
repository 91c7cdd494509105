package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

func reportCommand(openDB dbOpener, openLimits limitsOpener) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports: cost, limits, cards, invoice-split, routes, margins, rebuild (of the summaries)",
		Long: "Reports read the CDR summaries (cdr_daily, cdr_monthly_owner, cdr_monthly_route) that every stored call\n" +
			"updates, not the cdr table. Days and months are UTC. Every report writes --format table, csv, json or xlsx,\n" +
			"to --output FILE or standard output, and its lines add up exactly to its TOTAL lines.",
	}
	cmd.AddCommand(reportCostCommand(openDB), reportLimitsCommand(openLimits), reportCardsCommand(openDB),
		reportSplitCommand(openDB), reportRoutesCommand(openDB), reportMarginsCommand(openDB), reportRebuildCommand(openDB))
	return cmd
}

func reportRoutesCommand(openDB dbOpener) *cobra.Command {
	return rangeReportCommand(openDB, &cobra.Command{
		Use:   "routes (--period MONTH | --from DAY --to DAY)",
		Short: "Calls not via the least-cost route: each terminated leg against its route list's rank 1, or the cheapest carrier's plan",
		Long: "For each leg a terminating partner charged us for (outgoing-traffic rates), the carrier expected: rank 1 of\n" +
			"the route list the call was authorized with, or, without one, the carrier whose plan prices the leg's number,\n" +
			"time and duration lowest. Lists the legs that went elsewhere, with what the expected carrier would have\n" +
			"charged and the difference; reads leg_charge and cdr, not the summaries.",
		Example: "  radbill report routes --period 2026-11 --format xlsx --output deviations.xlsx",
	}, func(ctx context.Context, db *store.DB, from, to time.Time) (report.Table, error) {
		tables, err := billing.Load(ctx, db)
		if err != nil {
			return report.Table{}, err
		}
		rep, err := report.Deviations(ctx, db, tables.Tariffs, tables.Partners, from, to)
		return report.DeviationsTable(rep), err
	})
}

func reportMarginsCommand(openDB dbOpener) *cobra.Command {
	var losses bool
	cmd := &cobra.Command{
		Use:   "margins (--period MONTH | --from DAY --to DAY) [--losses]",
		Short: "Each clearinghouse call's revenue, cost and margin, and the loss calls",
		Long: "Adds up each call's partner charges by conf-id: revenue (base and incoming rates), cost (egress and outgoing),\n" +
			"margin; a call is a loss when its margin is below its originating partner's minimum margin per minute\n" +
			"(radbill partner policy --min-margin) times its minutes, or below 0.",
		Example: "  radbill report margins --period 2026-11 --losses",
	}
	cmd.Flags().BoolVar(&losses, "losses", false, "only the loss calls")
	return rangeReportCommand(openDB, cmd, func(ctx context.Context, db *store.DB, from, to time.Time) (report.Table, error) {
		partners, err := partner.LoadDirectory(ctx, db)
		if err != nil {
			return report.Table{}, err
		}
		rep, err := report.Margins(ctx, db, partners, from, to, losses)
		return report.MarginsTable(rep), err
	})
}

// rangeFlags choose a report's days: --period MONTH, or --from and --to.
type rangeFlags struct{ period, from, to string }

// rangeReportCommand completes cmd as a report over --period or --from
// and --to, written with the output flags; table makes it.
func rangeReportCommand(openDB dbOpener, cmd *cobra.Command, table func(ctx context.Context, db *store.DB, from, to time.Time) (report.Table, error)) *cobra.Command {
	var days rangeFlags
	var out outputFlags
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		from, to, err := days.parse()
		if err != nil {
			return err
		}
		if err := out.check(); err != nil {
			return err
		}
		return withDB(openDB, func(db *store.DB) error {
			t, err := table(cmd.Context(), db, from, to)
			if err != nil {
				return err
			}
			return writeTable(cmd, &out, t)
		})
	}
	days.register(cmd)
	out.register(cmd)
	return cmd
}

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
				return writeTable(cmd, &out, report.CostTable(rep))
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
// writeTable writes a report's table in the --format and --output asked for.
func writeTable(cmd *cobra.Command, out *outputFlags, t report.Table) error {
	return out.write(cmd, t.Columns, t.Sheet, t.Write)
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
				paths := make(map[int64]string, len(departments))
				for id, d := range departments {
					paths[id] = d.Path()
				}
				t := report.LimitsTable(rep, paths)
				t.Sheet = "Limits " + period
				return writeTable(cmd, &out, t)
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "the month the periods start in, 2026-11")
	_ = cmd.MarkFlagRequired("period")
	out.register(cmd)
	return cmd
}

func reportCardsCommand(openDB dbOpener) *cobra.Command {
	return rangeReportCommand(openDB, &cobra.Command{
		Use:   "cards (--period MONTH | --from DAY --to DAY)",
		Short: "Prepaid cards over a period: opening balance, top-ups, refunds, adjustments, call debits, closing balance",
		Long: "From each card's ledger: the balance before the period, the movements posted in it by kind, and the\n" +
			"balance at its end (closing = opening + movements, the ledger's sum; for a period ending now, the balance).",
		Example: "  radbill report cards --period 2026-11 --format csv --output cards.csv",
	}, func(ctx context.Context, db *store.DB, from, to time.Time) (report.Table, error) {
		rep, err := report.Cards(ctx, db, from, to)
		return report.CardsTable(rep), err
	})
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
				return writeTable(cmd, &out, report.SplitTable(rep))
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
				mark, days, err := db.RollUpSummaries(cmd.Context(), time.Now())
				if days > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "rolled %d days up, to %s\n", days, mark)
				}
				return err
			})
		},
	}
	days.register(cmd)
	return cmd
}
