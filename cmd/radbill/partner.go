package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

func partnerCommand(openDB dbOpener) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partner",
		Short: "Clearinghouse partners: create, list, show, block, gateway, rates, policy, route",
		Long: "A partner is a member network or carrier. Its gateways tell which legs are its own; its four rate types'\n" +
			"plans price them (base, incoming, egress, outgoing); its policy ranks routes. PARTNER is a name or an id.",
	}
	cmd.AddCommand(partnerCreateCommand(openDB), partnerListCommand(openDB), partnerShowCommand(openDB),
		partnerBlockCommand(openDB, true), partnerBlockCommand(openDB, false), partnerGatewayCommand(openDB),
		partnerRatesCommand(openDB), partnerPolicyCommand(openDB), partnerRouteCommand(openDB))
	return cmd
}

// withPartner finds PARTNER and runs fn; a change is published to every
// radiusd afterwards.
func withPartner(cmd *cobra.Command, openDB dbOpener, name string, change bool, fn func(ctx context.Context, db *store.DB, s *partner.Service, p partner.Partner) error) error {
	return withDB(openDB, func(db *store.DB) error {
		ctx := cmd.Context()
		s := partner.New(db)
		p, err := s.Find(ctx, name)
		if err != nil {
			return err
		}
		if err := fn(ctx, db, s, p); err != nil || !change {
			return err
		}
		return publish(ctx, cmd, db)
	})
}

func partnerCreateCommand(openDB dbOpener) *cobra.Command {
	var n partner.NewPartner
	var role string
	cmd := &cobra.Command{
		Use: "create NAME --currency EUR", Short: "Create a partner", Args: cobra.ExactArgs(1),
		Example: "  radbill partner create CarrierA --currency EUR --role terminating\n  radbill partner create Us --currency EUR --own",
		RunE: func(cmd *cobra.Command, args []string) error {
			n.Name, n.Role = args[0], partner.Role(role)
			return withDB(openDB, func(db *store.DB) error {
				p, err := partner.New(db).Create(cmd.Context(), n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created partner %d %q (%s, %s)\n", p.ID, p.Name, p.Role, p.Currency)
				return publish(cmd.Context(), cmd, db)
			})
		},
	}
	cmd.Flags().StringVar(&n.Currency, "currency", "", "the currency its statements are in (ISO 4217)")
	cmd.Flags().StringVar(&role, "role", string(partner.Both), "originating, terminating or both")
	cmd.Flags().StringVar(&n.Contact, "contact", "", "who to write to about its statements")
	cmd.Flags().BoolVar(&n.Own, "own", false, "our own network: its gateways are ours, its base and egress rates ours")
	_ = cmd.MarkFlagRequired("currency")
	return cmd
}

func partnerListCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List partners", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(openDB, func(db *store.DB) error {
				ps, err := partner.New(db).List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "id\tname\trole\tcurrency\tstate\tstrategy\tgateways\trates")
				for _, p := range ps {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, terminalSafe(p.Name), roleText(p), p.Currency, stateText(p), p.Strategy,
						len(p.Gateways), strings.Join(rateTypes(p), ","))
				}
				return tw.Flush()
			})
		},
	}
}

func roleText(p partner.Partner) string {
	if p.Own {
		return string(p.Role) + " (own)"
	}
	return string(p.Role)
}

func stateText(p partner.Partner) string {
	if p.Blocked {
		return "blocked"
	}
	return "active"
}

func rateTypes(p partner.Partner) []string {
	var types []string
	for _, t := range partner.RateTypes {
		if _, ok := p.Rates[t]; ok {
			types = append(types, string(t))
		}
	}
	return types
}

func partnerShowCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use: "show PARTNER", Short: "Show a partner: gateways, rates, policy, routes", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], false, func(ctx context.Context, db *store.DB, s *partner.Service, p partner.Partner) error {
				plans, err := db.PlanNames(ctx)
				if err != nil {
					return err
				}
				planName := map[int64]string{}
				for _, plan := range plans {
					planName[plan.ID] = plan.Name
				}
				all, err := s.List(ctx)
				if err != nil {
					return err
				}
				names := map[int64]string{}
				for _, q := range all {
					names[q.ID] = q.Name
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				for _, line := range [][2]string{
					{"partner", strconv.FormatInt(p.ID, 10)}, {"name", p.Name}, {"role", roleText(p)}, {"currency", p.Currency},
					{"contact", p.Contact}, {"state", stateText(p)}, {"strategy", string(p.Strategy)},
					{"priority", strconv.Itoa(p.Priority)}, {"share", strconv.Itoa(p.Share)}, {"capacity", strconv.Itoa(p.Capacity)},
					{"max cost/min", p.MaxCost.String()}, {"min margin/min", p.MinMargin.String()}, {"refuse loss", strconv.FormatBool(p.RefuseLoss)},
				} {
					fmt.Fprintf(w, "%s\t%s\n", line[0], terminalSafe(line[1]))
				}
				for _, g := range p.Gateways {
					fmt.Fprintf(w, "gateway\t%s %s → %s\n", g.Kind, terminalSafe(g.Match), terminalSafe(g.Address))
				}
				for _, t := range partner.RateTypes {
					if plan, ok := p.Rates[t]; ok {
						rounding := ""
						if d, ok := p.StatementDecimals[t]; ok {
							rounding = fmt.Sprintf(" (statement lines rounded to %d decimals)", d)
						}
						fmt.Fprintf(w, "rates %s\t%s%s\n", t, terminalSafe(planName[plan]), rounding)
					}
				}
				for _, r := range p.Routes {
					fmt.Fprintf(w, "route to\t%s (priority %d, share %d)\n", terminalSafe(names[r.DestinationID]), r.Priority, r.Share)
				}
				return w.Flush()
			})
		},
	}
}

func partnerBlockCommand(openDB dbOpener, block bool) *cobra.Command {
	use, short := "block PARTNER", "Block a partner: its calls are refused and it is never offered as a route"
	if !block {
		use, short = "unblock PARTNER", "Lift a partner's block"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, _ *store.DB, s *partner.Service, p partner.Partner) error {
				if err := s.SetBlocked(ctx, p.ID, block); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "partner %q: blocked %v\n", p.Name, block)
				return nil
			})
		},
	}
}

func partnerGatewayCommand(openDB dbOpener) *cobra.Command {
	gateway := &cobra.Command{Use: "gateway", Short: "How a partner's legs are known: by NAS, remote address or Cisco-AVPair"}
	var kind, address string
	add := &cobra.Command{
		Use: "add PARTNER MATCH", Short: "Add a gateway: a NAS client name or address, an h323-remote-address, or an AVPair name=value",
		Args: cobra.ExactArgs(2),
		Example: "  radbill partner gateway add CarrierA 192.0.2.10\n  radbill partner gateway add CarrierA 198.51.100.7 --kind remote\n" +
			"  radbill partner gateway add CarrierA trunk-group=carrier-a --kind avpair --address 198.51.100.7",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, _ *store.DB, s *partner.Service, p partner.Partner) error {
				if err := s.AddGateway(ctx, p.ID, partner.GatewayKind(kind), args[1], address); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "partner %q: gateway %s %s\n", p.Name, kind, args[1])
				return nil
			})
		},
	}
	add.Flags().StringVar(&kind, "kind", string(partner.ByNAS), "nas (the leg's NAS client name or NAS-IP-Address), remote (its h323-remote-address) or avpair")
	add.Flags().StringVar(&address, "address", "", "where calls routed to the partner go (h323-redirect-ip-address); default the match for nas and remote")
	var removeKind string
	remove := &cobra.Command{
		Use: "remove PARTNER MATCH", Short: "Remove a gateway", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, _ *store.DB, s *partner.Service, p partner.Partner) error {
				return s.RemoveGateway(ctx, p.ID, partner.GatewayKind(removeKind), args[1])
			})
		},
	}
	remove.Flags().StringVar(&removeKind, "kind", string(partner.ByNAS), "nas, remote or avpair")
	gateway.AddCommand(add, remove)
	return gateway
}

func partnerRatesCommand(openDB dbOpener) *cobra.Command {
	var rateType, plan, decimals string
	cmd := &cobra.Command{
		Use: "rates PARTNER --type base|incoming|egress|outgoing --plan PLAN [--statement-decimals N]", Short: "Set the plan of one of a partner's rate types (--plan none removes it)",
		Long: "A statement line adds up its legs' amounts, each rounded by the plan; --statement-decimals N rounds each line\n" +
			"of this rate type again, half away from zero, to N decimals of the currency (the totals add up the rounded lines).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var statementDecimals *int
			if decimals != "none" {
				d, err := strconv.Atoi(decimals)
				if err != nil {
					return fmt.Errorf("--statement-decimals %q: want 0 to 6, or none", decimals)
				}
				statementDecimals = &d
			}
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, db *store.DB, s *partner.Service, p partner.Partner) error {
				var planID int64
				if plan != "none" {
					var err error
					if planID, err = db.PlanID(ctx, plan); err != nil {
						return err
					}
				}
				if err := s.SetRate(ctx, p.ID, partner.RateType(rateType), planID, statementDecimals); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "partner %q: %s rates %s\n", p.Name, rateType, plan)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&rateType, "type", "", "base, incoming, egress or outgoing")
	cmd.Flags().StringVar(&plan, "plan", "", "a tariff plan's name, or none")
	cmd.Flags().StringVar(&decimals, "statement-decimals", "none", "round each statement line of this rate type to N decimals (0..6), or none")
	_ = cmd.MarkFlagRequired("type")
	_ = cmd.MarkFlagRequired("plan")
	return cmd
}

func partnerPolicyCommand(openDB dbOpener) *cobra.Command {
	var strategy, maxCost, minMargin string
	var priority, share, capacity int
	var refuseLoss bool
	cmd := &cobra.Command{
		Use: "policy PARTNER", Short: "Set how a partner's calls are routed and how it ranks as a route; flags left out keep their value",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, _ *store.DB, s *partner.Service, p partner.Partner) error {
				pol := partner.Policy{Strategy: p.Strategy, Priority: p.Priority, Share: p.Share, Capacity: p.Capacity,
					MaxCost: p.MaxCost, MinMargin: p.MinMargin, RefuseLoss: p.RefuseLoss}
				flags := cmd.Flags()
				if flags.Changed("strategy") {
					pol.Strategy = partner.Strategy(strategy)
				}
				if flags.Changed("priority") {
					pol.Priority = priority
				}
				if flags.Changed("share") {
					pol.Share = share
				}
				if flags.Changed("capacity") {
					pol.Capacity = capacity
				}
				if flags.Changed("refuse-loss") {
					pol.RefuseLoss = refuseLoss
				}
				for _, m := range []struct {
					flag, value string
					to          *rating.Money
				}{{"max-cost", maxCost, &pol.MaxCost}, {"min-margin", minMargin, &pol.MinMargin}} {
					if flags.Changed(m.flag) {
						v, err := rating.ParseMoney(m.value)
						if err != nil {
							return fmt.Errorf("--%s: %w", m.flag, err)
						}
						*m.to = v
					}
				}
				if err := s.SetPolicy(ctx, p.ID, pol); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "partner %q: strategy %s, priority %d, share %d, capacity %d, max cost %s, min margin %s, refuse loss %v\n",
					p.Name, pol.Strategy, pol.Priority, pol.Share, pol.Capacity, pol.MaxCost, pol.MinMargin, pol.RefuseLoss)
				return nil
			})
		},
	}
	names := make([]string, len(partner.Strategies))
	for i, s := range partner.Strategies {
		names[i] = string(s)
	}
	sort.Strings(names)
	cmd.Flags().StringVar(&strategy, "strategy", "", "how its calls' routes are ordered: "+strings.Join(names, ", "))
	cmd.Flags().IntVar(&priority, "priority", 0, "its rank as a route under the priority strategy (lower first)")
	cmd.Flags().IntVar(&share, "share", 1, "its weight as a route under load share")
	cmd.Flags().IntVar(&capacity, "capacity", 0, "the concurrent calls it takes as a route (0: no limit)")
	cmd.Flags().StringVar(&maxCost, "max-cost", "", "never offered as a route dearer than this per minute (0: no limit)")
	cmd.Flags().StringVar(&minMargin, "min-margin", "", "a route of its calls earning less than this per minute is a loss")
	cmd.Flags().BoolVar(&refuseLoss, "refuse-loss", false, "leave loss routes out of its calls' route lists")
	return cmd
}

func partnerRouteCommand(openDB dbOpener) *cobra.Command {
	var to string
	var r partner.Route
	var remove bool
	cmd := &cobra.Command{
		Use: "route PARTNER --to DESTINATION", Short: "Routing by origin: let PARTNER's calls take DESTINATION (once any is set, only those)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPartner(cmd, openDB, args[0], true, func(ctx context.Context, _ *store.DB, s *partner.Service, p partner.Partner) error {
				dest, err := s.Find(ctx, to)
				if err != nil {
					return err
				}
				if err := s.SetRoute(ctx, p.ID, dest.ID, r, remove); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "partner %q: route to %q removed %v\n", p.Name, dest.Name, remove)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the terminating partner")
	cmd.Flags().IntVar(&r.Priority, "priority", 0, "its rank for these calls under the priority strategy (lower first)")
	cmd.Flags().IntVar(&r.Share, "share", 1, "its weight for these calls under load share")
	cmd.Flags().BoolVar(&remove, "remove", false, "take the route away")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
