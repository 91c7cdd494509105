package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/settlement"
	"github.com/radbill/radbill/store"
)

func settlementCommand(openDB dbOpener) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settlement",
		Short: "Settlement statements between the clearinghouse and its partners: run, list, show, close, verify, print, reconcile",
		Long: "A statement adds up a partner's legs of a period (a UTC month) by rate type, zone and band: what we charge it,\n" +
			"what it charges us, the net due. It is a draft until closed; a closed statement never changes, and a leg\n" +
			"that arrives for a closed period goes to the next run as an adjustment.",
	}
	var period, partnerName string
	run := &cobra.Command{
		Use: "run --period 2026-11 [--partner P]", Short: "Compute the period's statements as drafts (replacing its earlier drafts)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			month, err := report.ParseMonth("period", period)
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				var partnerID int64
				if partnerName != "" {
					p, err := partner.New(db).Find(cmd.Context(), partnerName)
					if err != nil {
						return err
					}
					partnerID = p.ID
				}
				statements, err := settlement.New(db).Run(cmd.Context(), month, partnerID)
				if err != nil {
					return err
				}
				return listStatements(cmd, statements)
			})
		},
	}
	run.Flags().StringVar(&period, "period", "", "the month, YYYY-MM")
	run.Flags().StringVar(&partnerName, "partner", "", "only this partner's statement")
	_ = run.MarkFlagRequired("period")

	var listPeriod string
	list := &cobra.Command{
		Use: "list [--period 2026-11]", Short: "List statements", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var month time.Time
			if listPeriod != "" {
				var err error
				if month, err = report.ParseMonth("period", listPeriod); err != nil {
					return err
				}
			}
			return withDB(openDB, func(db *store.DB) error {
				statements, err := settlement.New(db).List(cmd.Context(), month)
				if err != nil {
					return err
				}
				return listStatements(cmd, statements)
			})
		},
	}
	list.Flags().StringVar(&listPeriod, "period", "", "only this month's")

	var out outputFlags
	show := &cobra.Command{
		Use: "show ID", Short: "Show a statement's lines, totals and net (table, csv, json or xlsx)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			return withStatement(cmd, openDB, args[0], func(s *settlement.Service, st settlement.Statement) error {
				return out.write(cmd, settlement.Columns(st.Currency), fmt.Sprintf("%s %s", st.Partner, st.Period.Format("2006-01")),
					func(w export.Writer, progress func()) error {
						for _, row := range settlement.Rows(st) {
							if err := w.WriteRow(row...); err != nil {
								return err
							}
							progress()
						}
						return nil
					})
			})
		},
	}
	out.register(show)

	closeCmd := &cobra.Command{
		Use: "close ID", Short: "Close a draft: it never changes after; refused when its legs changed since its run", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStatement(cmd, openDB, args[0], func(s *settlement.Service, st settlement.Statement) error {
				closed, err := s.Close(cmd.Context(), st.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "statement %d of %s for %s closed: %s %s, SHA-256 %s\n", closed.ID, closed.Partner,
					closed.Period.Format("2006-01"), closed.Direction(), absMoney(closed), closed.ContentHash)
				return nil
			})
		},
	}
	verify := &cobra.Command{
		Use: "verify ID", Short: "Check a closed statement against its stored hash", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStatement(cmd, openDB, args[0], func(s *settlement.Service, st settlement.Statement) error {
				if err := s.Verify(cmd.Context(), st.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "statement %d: content matches its hash %s\n", st.ID, st.ContentHash)
				return nil
			})
		},
	}
	var printPeriod, printOutput string
	printCmd := &cobra.Command{
		Use: "print --period 2026-11 --output FILE.html", Short: "Write the period's statements as a printable HTML document, a page per partner", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			month, err := report.ParseMonth("period", printPeriod)
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				statements, err := settlement.New(db).List(cmd.Context(), month)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if printOutput != "" {
					f, err := os.Create(printOutput)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				buf := bufio.NewWriter(w)
				if err := settlement.Print(buf, statements); err != nil {
					return err
				}
				return buf.Flush()
			})
		},
	}
	printCmd.Flags().StringVar(&printPeriod, "period", "", "the month, YYYY-MM")
	printCmd.Flags().StringVarP(&printOutput, "output", "o", "", "the HTML file (default standard output)")
	_ = printCmd.MarkFlagRequired("period")
	var recPeriod, recPartner string
	var tol settlement.Tolerance
	var amountTol string
	reconcile := &cobra.Command{
		Use:   "reconcile --partner P --period 2026-11 FILE.csv",
		Short: "Match a partner's own CDR file with our legs of the period: calls missing on either side, durations and amounts that differ",
		Long: "FILE.csv has a header row with the columns start (UTC, 2006-01-02 15:04:05), calling, called, duration\n" +
			"(seconds) and optionally amount, in any order. Calls match by their numbers and a start within the tolerance.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			month, err := report.ParseMonth("period", recPeriod)
			if err != nil {
				return err
			}
			if tol.Amount, err = rating.ParseMoney(amountTol); err != nil {
				return fmt.Errorf("--amount-tolerance: %w", err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			theirs, err := settlement.ReadPartnerCalls(f, args[0])
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				p, err := partner.New(db).Find(cmd.Context(), recPartner)
				if err != nil {
					return err
				}
				rec, err := settlement.New(db).Reconcile(cmd.Context(), p.ID, month, theirs, tol)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "%s %s: %d calls agree, %d differ, %d only ours, %d only theirs\n", p.Name, recPeriod, rec.Matched, rec.Differing, rec.OnlyOurs, rec.OnlyTheirs)
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				for _, m := range rec.Lines {
					ours, theirs := "-", "-"
					if m.Ours != nil {
						ours = fmt.Sprintf("%s %s→%s %ds", m.Ours.Start.UTC().Format(time.DateTime), m.Ours.Calling, m.Ours.Called, m.Ours.Duration)
					}
					if m.Theirs != nil {
						theirs = fmt.Sprintf("%s:%d %s %s→%s %ds", args[0], m.Theirs.Line, m.Theirs.Start.Format(time.DateTime), m.Theirs.Calling, m.Theirs.Called, m.Theirs.Duration)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", terminalSafe(ours), terminalSafe(theirs), m.Problem)
				}
				return tw.Flush()
			})
		},
	}
	reconcile.Flags().StringVar(&recPeriod, "period", "", "the month, YYYY-MM")
	reconcile.Flags().StringVar(&recPartner, "partner", "", "the partner whose file it is")
	reconcile.Flags().DurationVar(&tol.Start, "start-tolerance", 5*time.Second, "how far apart the two sides' start times may be")
	reconcile.Flags().Int64Var(&tol.Duration, "duration-tolerance", 1, "seconds the durations may differ by")
	reconcile.Flags().StringVar(&amountTol, "amount-tolerance", "0.01", "how much the amounts may differ by")
	_ = reconcile.MarkFlagRequired("period")
	_ = reconcile.MarkFlagRequired("partner")
	cmd.AddCommand(run, list, show, closeCmd, verify, printCmd, reconcile)
	return cmd
}

func withStatement(cmd *cobra.Command, openDB dbOpener, arg string, fn func(*settlement.Service, settlement.Statement) error) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return fmt.Errorf("statement %q: want its id (radbill settlement list)", arg)
	}
	return withDB(openDB, func(db *store.DB) error {
		s := settlement.New(db)
		st, err := s.Statement(cmd.Context(), id)
		if err != nil {
			return err
		}
		return fn(s, st)
	})
}

func absMoney(st settlement.Statement) string {
	if n := st.Net(); n < 0 {
		return (-n).String() + " " + st.Currency
	}
	return st.Net().String() + " " + st.Currency
}

func listStatements(cmd *cobra.Command, statements []settlement.Statement) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tpartner\tperiod\tcurrency\tstate\treceivable\tpayable\tnet")
	for _, st := range statements {
		state := "draft"
		if st.Closed {
			state = "closed"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s: %s\n", st.ID, terminalSafe(st.Partner), st.Period.Format("2006-01"), st.Currency, state,
			st.Receivable, st.Payable, st.Direction(), absMoney(st))
	}
	if len(statements) == 0 {
		fmt.Fprintln(tw, "no statements")
	}
	return tw.Flush()
}
