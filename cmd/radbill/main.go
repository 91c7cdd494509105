// Command radbill is the admin CLI of radbill: database migrations, call
// records, tariffs, gateway billing policy, re-rating, prepaid accounts and
// enterprise users.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

func main() {
	if err := rootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	var configPath, reason string
	root := &cobra.Command{
		Use:           "radbill",
		Short:         "Administer a radbill VoIP billing database",
		SilenceUsage:  true,
		SilenceErrors: false,
		// Every change is recorded in history as made by cli:<os user>.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			cmd.SetContext(history.WithActor(cmd.Context(), history.CLIActor(reason)))
		},
	}
	root.PersistentFlags().StringVar(&reason, "reason", "", "why: kept in history with each change the command makes")
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "", "YAML configuration file (the one radiusd uses)")
	root.PersistentFlags().Duration(waitFlag, 15*time.Second, "how long a command that changes what radiusd rates with (tariffs, gateways, cards, users, numbers, rules) "+
		"waits for every running radiusd to load the change")
	openDB := func() (*store.DB, error) {
		cfg, err := config.Load(configPath)
		if err != nil {
			return nil, err
		}
		return store.Open(cfg.Database.Driver, cfg.Database.DSN)
	}
	openLimits := func() (*store.DB, *limits.Service, error) {
		cfg, err := config.Load(configPath)
		if err != nil {
			return nil, nil, err
		}
		pinKey, err := limits.ReadPINKey(cfg.Authorize.PINKeyFile)
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(cfg.Database.Driver, cfg.Database.DSN)
		if err != nil {
			return nil, nil, err
		}
		return db, limits.New(db, limits.Options{PINKey: pinKey}), nil
	}
	root.AddCommand(dbCommand(openDB), cdrCommand(openDB), tariffCommand(openDB), gatewayCommand(openDB), branchCommand(openDB), departmentCommand(openDB), rerateCommand(openLimits),
		accountCommand(openLimits), userCommand(openLimits), ruleCommand(openDB), importCommand(openLimits),
		reportCommand(openDB, openLimits), historyCommand(openDB), webCommand(&configPath), partnerCommand(openDB), routeCommand(&configPath), settlementCommand(openDB))
	strict(root)
	return root
}

// strict makes every command refuse what it does not know. Cobra prints a
// group's help and exits 0 for `radbill tariff imprt x.csv`, so a script
// with a typo would silently do nothing; here a group fails with "unknown
// command" (and a suggestion), and a leaf without its own argument rule
// takes none.
func strict(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		strict(sub)
	}
	switch {
	case cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil:
		cmd.SuggestionsMinimumDistance = 2
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
				msg += "; did you mean " + strings.Join(suggestions, " or ") + "?"
			}
			return fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())
		}
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	case cmd.Args == nil:
		cmd.Args = cobra.NoArgs
	}
}

type dbOpener func() (*store.DB, error)

// withDB runs fn with the configured database, closed afterwards.
func withDB(openDB dbOpener, fn func(*store.DB) error) error {
	db, err := openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func dbCommand(openDB dbOpener) *cobra.Command {
	db := &cobra.Command{Use: "db", Short: "Database schema"}
	db.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := openDB()
			if err != nil {
				return err
			}
			defer d.Close()
			applied, err := d.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "schema is up to date")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "applied migrations %v\n", applied)
			return nil
		},
	})
	return db
}
