package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
)

func tariffCommand(openDB dbOpener) *cobra.Command {
	tariff := &cobra.Command{Use: "tariff", Short: "Tariffs (rate cards): import, export, reload"}
	tariff.AddCommand(tariffImportCommand(openDB), tariffExportCommand(openDB), &cobra.Command{
		Use:   "reload",
		Short: "Make every running radiusd reload tariffs, translation rules and gateway policy",
		Long: "Bumps tariff_version. Each radiusd on this database polls it (rating.reload_interval) and reloads;\n" +
			"a radiusd refuses tables that do not validate and keeps the ones in force (see its log). Waits until\n" +
			"every running radiusd has the new tables in force (--wait), or says which has not.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := billing.Load(cmd.Context(), db); err != nil {
				return fmt.Errorf("the tables in the database do not validate, not reloading: %w", err)
			}
			if err := db.BumpTariffVersion(cmd.Context()); err != nil {
				return err
			}
			v, err := db.TariffVersion(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tariff version %d\n", v)
			return waitForServers(cmd.Context(), cmd, db)
		},
	})
	return tariff
}

func gatewayCommand(openDB dbOpener) *cobra.Command {
	gateway := &cobra.Command{Use: "gateway", Short: "Billing policy per NAS client"}
	var plan string
	var billVoIP bool
	set := &cobra.Command{
		Use:   "set CLIENT-NAME",
		Short: "Set a gateway's default plan (for legs with no owner) and whether its VoIP-originate legs are billed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.SetGateway(cmd.Context(), args[0], plan, billVoIP); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "gateway %s: plan %q, bill VoIP originate %v\n", args[0], plan, billVoIP)
			return waitForServers(cmd.Context(), cmd, db)
		},
	}
	set.Flags().StringVar(&plan, "plan", "", "default tariff plan name")
	set.Flags().BoolVar(&billVoIP, "bill-voip-originate", false, "bill VoIP-originate legs (IP-to-IP gateway trunks)")
	gateway.AddCommand(set, gatewayBranchCommand(openDB))
	return gateway
}

func rerateCommand(openLimits limitsOpener) *cobra.Command {
	var from, to, plan string
	var batch int
	cmd := &cobra.Command{
		Use:   "rerate",
		Short: "Re-rate stored CDRs with the tariffs now in the database",
		Long: "Re-rates the CDRs whose call_time is in [--from, --to), in batches, each committed on its own with the\n" +
			"corrections of its owners' money: a card's balance and a user's period spend follow their CDRs' new costs\n" +
			"(ledger entries of kind rerate), and a user pushed past a threshold gets its e-mail. A CDR keeps the card\n" +
			"or user it was billed to and is priced under that owner's plan, even when its number belongs to someone\n" +
			"else now. Idempotent: running it again changes nothing. Prints old and new totals per currency, and per\n" +
			"owner what it had been charged, what its calls cost now, and the adjustment.",
		Example: "  radbill rerate --from 2026-11-01 --to 2026-12-01 --plan retail",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fromTime, err := parseFlagTime("from", from)
			if err != nil {
				return err
			}
			toTime, err := parseFlagTime("to", to)
			if err != nil {
				return err
			}
			if fromTime.IsZero() || toTime.IsZero() || !toTime.After(fromTime) {
				return fmt.Errorf("--from and --to are required, --to after --from")
			}
			db, money, err := openLimits()
			if err != nil {
				return err
			}
			defer db.Close()
			tables, err := billing.Load(cmd.Context(), db)
			if err != nil {
				return err
			}
			var planID *int64
			if plan != "" {
				id, err := db.PlanID(cmd.Context(), plan)
				if err != nil {
					return err
				}
				planID = &id
			}
			start := time.Now()
			sum, err := billing.Rerate(cmd.Context(), db, money, tables, fromTime, toTime, planID, batch)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "re-rated %d CDRs in %s, %d changed\n", sum.Legs, time.Since(start).Round(time.Millisecond), sum.Changed)
			for _, c := range currencies(sum.OldTotal, sum.NewTotal) {
				fmt.Fprintf(out, "%s: old total %s, new total %s\n", c, rating.Money(sum.OldTotal[c]), rating.Money(sum.NewTotal[c]))
			}
			if err := printCorrections(cmd.Context(), out, money, tables, sum.Owners); err != nil {
				return err
			}
			var statuses []string
			for s, n := range sum.Statuses {
				statuses = append(statuses, fmt.Sprintf("%s %d", s, n))
			}
			sort.Strings(statuses)
			fmt.Fprintf(out, "rating status: %s\n", strings.Join(statuses, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first call time (UTC) to re-rate")
	cmd.Flags().StringVar(&to, "to", "", "end of the range (UTC, exclusive)")
	cmd.Flags().StringVar(&plan, "plan", "", "only CDRs of this tariff plan")
	cmd.Flags().IntVar(&batch, "batch", 1000, "CDRs per transaction")
	return cmd
}

// printCorrections lists, per card and user, what it had been charged for
// the re-rated CDRs, what they cost now and the adjustment posted.
func printCorrections(ctx context.Context, out io.Writer, money *limits.Service, tables *billing.Tables, owners []limits.Correction) error {
	if len(owners) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "owner\told total\tnew total\tadjustment\tcurrency\tentries\t")
	for _, c := range owners {
		name := "card " + tables.Owners.CardsByID[c.AccountID].Number
		if c.AccountID == 0 {
			u, err := money.User(ctx, c.UserID)
			if err != nil {
				return err
			}
			name = fmt.Sprintf("user %d %s", u.ID, terminalSafe(u.Name))
		}
		adjusted := c.Adjusted.String()
		if c.Adjusted > 0 {
			adjusted = "+" + adjusted
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", name, c.Charged, c.Cost, adjusted, c.Currency, c.Entries)
	}
	return tw.Flush()
}

func currencies(maps ...map[string]int64) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range maps {
		for c := range m {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}
