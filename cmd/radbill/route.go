package main

import (
	"cmp"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/route"
	"github.com/radbill/radbill/store"
)

func routeCommand(configPath *string) *cobra.Command {
	cmd := &cobra.Command{Use: "route", Short: "The clearinghouse's route lists: explain how a number is routed"}
	var at, from, sell string
	explain := &cobra.Command{
		Use:   "explain NUMBER [--at TIME] [--partner P]",
		Short: "Rank the routes of a call to NUMBER as radiusd would, with each carrier's price, quality and why",
		Args:  cobra.ExactArgs(1),
		Example: "  radbill route explain 00525512345678 --partner MemberA\n" +
			"  radbill route explain 359888123456 --at '2026-11-20 21:00'",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(*configPath)
			if err != nil {
				return err
			}
			rcfg := route.Config{MaxRoutes: cfg.Routing.MaxRoutes, QualityWindow: cfg.Routing.QualityWindow, MinSamples: cfg.Routing.MinSamples}
			if err := rcfg.Check(); err != nil {
				return err
			}
			when := time.Now()
			if at != "" {
				if when, err = parseFlagTime("at", at); err != nil {
					return err
				}
			}
			db, err := store.Open(cfg.Database.Driver, cfg.Database.DSN)
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			tables, err := billing.Load(ctx, db)
			if err != nil {
				return err
			}
			call := partner.Call{At: when}
			if from != "" {
				p, err := partner.New(db).Find(ctx, from)
				if err != nil {
					return err
				}
				call.Origin = tables.Partners.Partner(p.ID)
			}
			if sell != "" {
				if call.Sell, err = rating.ParseMoney(sell); err != nil {
					return fmt.Errorf("--sell: %w", err)
				}
			}
			steps, called, ok := tables.Translator.Trace(normalize.Gateway{}, normalize.Called, args[0])
			if !ok {
				return fmt.Errorf("number %s: refused by the translation rules", args[0])
			}
			rules := make([]string, len(steps))
			for i, s := range steps {
				rules[i] = fmt.Sprintf("rule %d: %s → %s", s.RuleID, s.Before, s.After)
			}
			call.Called = called
			state, err := tables.Partners.LoadState(ctx, db, rcfg.QualityWindow, when)
			if err != nil {
				return err
			}
			ranked, excluded := tables.Partners.Rank(tables.Routes, call, state, rcfg, true)
			out := cmd.OutOrStdout()
			policy := tables.Partners.Policy(call.Origin)
			policy.MinSamples = rcfg.MinSamples
			origin := "our own customers"
			if call.Origin != nil {
				origin = call.Origin.Name
			}
			fmt.Fprintf(out, "call to %s (%s) at %s from %s: strategy %s, quality over %s from %d calls\n",
				called, cmp.Or(strings.Join(rules, "; "), "no rule applied"), when.UTC().Format("2006-01-02 15:04 MST"), origin, policy.Strategy, rcfg.QualityWindow, rcfg.MinSamples)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "rank\tcarrier\taddress\tprefix\tzone\tprice/min\tcalls\tASR\tACD\tloss\twhy")
			for _, r := range ranked {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s %s\t%d\t%.0f%%\t%s\t%v\t%s\n", r.Rank, terminalSafe(r.Name), terminalSafe(r.Address), r.Prefix,
					terminalSafe(r.Zone), r.Cost, r.Currency, r.Quality.Calls, r.Quality.ASR(), r.Quality.ACD(), r.Loss, r.Why(policy))
			}
			for _, x := range excluded {
				fmt.Fprintf(tw, "-\t%s\t%s\t\t\t\t\t\t\t\tleft out: %s\n", terminalSafe(x.Name), terminalSafe(x.Address), x.Why)
			}
			if len(ranked) == 0 {
				fmt.Fprintln(tw, "no route")
			}
			return tw.Flush()
		},
	}
	explain.Flags().StringVar(&at, "at", "", "when the call is made, UTC (default now)")
	explain.Flags().StringVar(&from, "partner", "", "the originating partner (default: our own customers' call)")
	explain.Flags().StringVar(&sell, "sell", "", "what the call earns per minute, for the loss guard")
	cmd.AddCommand(explain)
	return cmd
}
