// Command radbill is the admin CLI of radbill: database migrations, call
// records, tariffs, gateway billing policy, re-rating, prepaid accounts and
// enterprise users.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

func main() {
	if err := rootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	var configPath string
	root := &cobra.Command{
		Use:           "radbill",
		Short:         "Administer a radbill VoIP billing database",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "", "YAML configuration file (the one radiusd uses)")
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
		pinKey, err := cfg.PINKey()
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(cfg.Database.Driver, cfg.Database.DSN)
		if err != nil {
			return nil, nil, err
		}
		return db, limits.New(db, limits.Options{PINKey: pinKey}), nil
	}
	root.AddCommand(dbCommand(openDB), cdrCommand(openDB), tariffCommand(openDB), gatewayCommand(openDB), rerateCommand(openDB),
		accountCommand(openLimits), userCommand(openLimits))
	return root
}

type dbOpener func() (*store.DB, error)

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
