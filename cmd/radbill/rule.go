package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/store"
)

func ruleCommand(openDB dbOpener) *cobra.Command {
	rule := &cobra.Command{
		Use:   "rule",
		Short: "Number translation rules: list, add, remove, test",
		Long: "Translation rules turn the numbers gateways report into E.164 before rating (normalize/doc.go):\n" +
			"tried by position, then id; a prefix rule replaces leading digits, a regex rule rewrites with an RE2\n" +
			"pattern. They are part of the tariff: tariff export writes them to rules.csv, tariff import reads it.",
	}
	rule.AddCommand(ruleListCommand(openDB), ruleAddCommand(openDB), ruleRemoveCommand(openDB), ruleTestCommand(openDB))
	return rule
}

func ruleListCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the rules in the order they are tried",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(openDB, func(db *store.DB) error {
				rules, err := db.LoadTranslationRules(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "id\tposition\tgateway\tdirection\tkind\tmatch\treplace\tmin_length\tmax_length\tfinal\tdescription")
				for _, r := range rules {
					fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%v\t%s\n", r.ID, r.Position, terminalSafe(r.Gateway), r.Direction, r.Kind,
						terminalSafe(r.Match), terminalSafe(r.Replace), r.MinLength, r.MaxLength, r.Final, terminalSafe(r.Description))
				}
				return tw.Flush()
			})
		},
	}
}

func ruleAddCommand(openDB dbOpener) *cobra.Command {
	var r normalize.Rule
	var direction, kind string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a rule",
		Example: "  radbill rule add --direction called --match 0 --replace 359 --min-length 10 --description \"national to E.164\"\n" +
			"  radbill rule add --direction called --kind regex --match '^00(\\d+)$' --replace '$1' --final",
		RunE: func(cmd *cobra.Command, _ []string) error {
			r.Direction, r.Kind = normalize.Direction(direction), normalize.Kind(kind)
			return withDB(openDB, func(db *store.DB) error {
				id, err := db.AddTranslationRule(cmd.Context(), r)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added rule %d\n", id)
				return waitForServers(cmd.Context(), cmd, db)
			})
		},
	}
	cmd.Flags().StringVar(&direction, "direction", "", "calling or called: which number of a call the rule translates")
	cmd.Flags().StringVar(&kind, "kind", string(normalize.Prefix), "prefix (replace leading digits) or regex (RE2 pattern, $1 templates)")
	cmd.Flags().StringVar(&r.Match, "match", "", "the leading digits, or the pattern")
	cmd.Flags().StringVar(&r.Replace, "replace", "", "what replaces them, or the template")
	cmd.Flags().StringVar(&r.Gateway, "gateway", "", "only for this NAS client name, NAS IP or h323-gw-id (default: every gateway)")
	cmd.Flags().IntVar(&r.Position, "position", 0, "rules are tried by position, then id")
	cmd.Flags().IntVar(&r.MinLength, "min-length", 0, "only numbers at least this long (0: no bound)")
	cmd.Flags().IntVar(&r.MaxLength, "max-length", 0, "only numbers at most this long (0: no bound)")
	cmd.Flags().BoolVar(&r.Final, "final", false, "stop translating after this rule fires")
	cmd.Flags().StringVar(&r.Description, "description", "", "what the rule is for")
	_ = cmd.MarkFlagRequired("direction")
	_ = cmd.MarkFlagRequired("match")
	return cmd
}

func ruleRemoveCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a rule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("rule id %q: want a number (radbill rule list)", args[0])
			}
			return withDB(openDB, func(db *store.DB) error {
				if err := db.RemoveTranslationRule(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed rule %d\n", id)
				return waitForServers(cmd.Context(), cmd, db)
			})
		},
	}
}

func ruleTestCommand(openDB dbOpener) *cobra.Command {
	var direction, gateway string
	cmd := &cobra.Command{
		Use:   "test NUMBER",
		Short: "Show each rule that fires on NUMBER in turn, and the result rating sees",
		Example: "  radbill rule test 0888123456\n" +
			"  radbill rule test --direction calling --gateway gw-sofia 2001",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(openDB, func(db *store.DB) error {
				rules, err := db.LoadTranslationRules(cmd.Context())
				if err != nil {
					return err
				}
				translator, err := normalize.Compile(rules)
				if err != nil {
					return fmt.Errorf("the rules in the database do not compile: %w", err)
				}
				gw := normalize.Gateway{ClientName: gateway, NASIP: gateway, GatewayID: gateway}
				steps, result, ok := translator.Trace(gw, normalize.Direction(direction), args[0])
				out := cmd.OutOrStdout()
				cleaned := result
				if len(steps) > 0 {
					cleaned = steps[0].Before
				}
				fmt.Fprintf(out, "%s number %s, cleaned up: %s\n", direction, terminalSafe(args[0]), terminalSafe(cleaned))
				byID := map[int64]normalize.Rule{}
				for _, r := range rules {
					byID[r.ID] = r
				}
				for _, s := range steps {
					r := byID[s.RuleID]
					fmt.Fprintf(out, "  rule %d (%s %q → %q): %s → %s\n", r.ID, r.Kind, terminalSafe(r.Match), terminalSafe(r.Replace),
						terminalSafe(s.Before), terminalSafe(s.After))
				}
				if len(steps) == 0 {
					fmt.Fprintln(out, "  no rule fired")
				}
				verdict := "can be rated"
				if !ok {
					verdict = "cannot be rated (too long, or a called number that is not all digits)"
				}
				fmt.Fprintf(out, "result: %s, %s\n", terminalSafe(result), verdict)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&direction, "direction", string(normalize.Called), "calling or called")
	cmd.Flags().StringVar(&gateway, "gateway", "", "as reported by this gateway (client name, NAS IP or h323-gw-id): its own rules apply too")
	return cmd
}
