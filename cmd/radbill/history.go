package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/store"
)

const entityHelp = "ENTITY is one of the names history keeps (branch, department, user, card, gateway, tariff,\n" +
	"translation_rules, console_user, api_token); ID its id (a gateway: its client name; none for tariff and translation_rules, which are versioned whole)."

func historyCommand(openDB dbOpener) *cobra.Command {
	cmd := &cobra.Command{Use: "history", Short: "Every change an administrator made: list, show, revert, restore"}
	var entity string
	var limit int
	recent := &cobra.Command{
		Use:   "list",
		Short: "The latest changes, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(openDB, func(db *store.DB) error {
				ctx := cmd.Context()
				vs, err := history.Recent(ctx, db, entity, limit)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tENTITY\tKEY\tVERSION\tOPERATION\tACTOR\tREASON")
				for _, v := range vs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", v.At.Format("2006-01-02 15:04:05"), v.Entity, v.Key, v.Version, v.Operation, v.Actor, v.Reason)
				}
				return tw.Flush()
			})
		},
	}
	recent.Flags().StringVar(&entity, "entity", "", "only this entity")
	recent.Flags().IntVar(&limit, "limit", 50, "how many changes")

	show := &cobra.Command{
		Use:   "show ENTITY [ID]",
		Short: "An entity's versions, each with what changed from the one before",
		Long:  "Prints every version of the entity: when, who, why, and field by field what changed.\n" + entityHelp,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := entityKey(args)
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				ctx := cmd.Context()
				vs, err := history.Versions(ctx, db, args[0], key)
				if err != nil {
					return err
				}
				if len(vs) == 0 {
					return fmt.Errorf("%s %s has no history", args[0], key)
				}
				printVersions(cmd.OutOrStdout(), vs)
				return nil
			})
		},
	}
	var to int
	revert := &cobra.Command{
		Use:   "revert ENTITY [ID] --to VERSION",
		Short: "Write an entity back as it was at VERSION (itself a new version)",
		Long:  "Writes the entity back as it was at VERSION; money a card's ledger keeps is left as it is.\nA tariff or gateway reverted is loaded by every radiusd like any tariff change.\n" + entityHelp,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := entityKey(args)
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				ctx := cmd.Context()
				if err := history.Revert(ctx, db.DB, args[0], key, to); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s reverted to version %d\n", args[0], key, to)
				return waitForServers(ctx, cmd, db)
			})
		},
	}
	revert.Flags().IntVar(&to, "to", 0, "the version to go back to")
	_ = revert.MarkFlagRequired("to")
	restore := &cobra.Command{
		Use:   "restore ENTITY ID",
		Short: "Bring back a deleted entity as it was, with its numbers",
		Long:  "Brings back a deleted entity as it was when deleted, with its numbers; refused when one of\nits numbers was given to someone else since.\n" + entityHelp,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := entityKey(args)
			if err != nil {
				return err
			}
			return withDB(openDB, func(db *store.DB) error {
				ctx := cmd.Context()
				if err := history.Restore(ctx, db.DB, args[0], key); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s restored\n", args[0], key)
				return waitForServers(ctx, cmd, db) // history moved tariff_version
			})
		},
	}
	cmd.AddCommand(recent, show, revert, restore)
	return cmd
}

// entityKey is the entity's ID argument: none for a whole-table entity.
func entityKey(args []string) (string, error) {
	if len(args) < 2 {
		if !history.Whole(args[0]) {
			return "", fmt.Errorf("%s: give its id", args[0])
		}
		return "", nil
	}
	return args[1], nil
}

func printVersions(w io.Writer, vs []history.Version) {
	var before history.Snapshot
	for _, v := range vs {
		fmt.Fprintf(w, "version %d  %s  %s  by %s", v.Version, v.At.Format("2006-01-02 15:04:05"), v.Operation, v.Actor)
		if v.Reason != "" {
			fmt.Fprintf(w, "  (%s)", v.Reason)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range history.Diff(before, v.Snapshot) {
			fmt.Fprintf(tw, "  %s\t%s\t→ %s\n", c.Field, orDash(c.Old), orDash(c.New))
		}
		_ = tw.Flush()
		before = v.Snapshot
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
