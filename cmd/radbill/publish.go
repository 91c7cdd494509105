package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/store"
)

// waitFlag names the root flag that bounds waitForServers.
const waitFlag = "wait"

// publish tells every radiusd on the database that the tables it rates
// with changed (cards, users, numbers) and waits until each has loaded them.
func publish(ctx context.Context, cmd *cobra.Command, db *store.DB) error {
	if err := db.BumpTariffVersion(ctx); err != nil {
		return err
	}
	return waitForServers(ctx, cmd, db)
}

// waitForServers waits until every running radiusd (radiusd_instance, seen
// within three of its poll intervals) has in force the tariff_version now
// in the database, so that a Stop arriving right after the command is
// billed with the change, or --wait has passed; then it says which servers
// have not, and why when their reload was refused. The change itself is
// committed either way.
func waitForServers(ctx context.Context, cmd *cobra.Command, db *store.DB) error {
	version, err := db.TariffVersion(ctx)
	if err != nil {
		return err
	}
	wait, _ := cmd.Flags().GetDuration(waitFlag)
	deadline := time.Now().Add(wait)
	for {
		instances, err := db.Instances(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		var live int
		var behind []store.Instance
		for _, in := range instances {
			if !in.Live(now) {
				continue
			}
			live++
			if in.TablesVersion < version {
				behind = append(behind, in)
			}
		}
		switch {
		case len(behind) == 0 && live > 0:
			fmt.Fprintf(cmd.ErrOrStderr(), "in force on the %d running radiusd (tables version %d)\n", live, version)
			return nil
		case len(behind) == 0:
			return nil
		case !now.Before(deadline):
			var lines []string
			for _, in := range behind {
				line := fmt.Sprintf("  radiusd %s (pid %d on %s) still has version %d", in.ID, in.PID, in.Hostname, in.TablesVersion)
				if in.ReloadError != "" {
					line += ": its reload was refused: " + in.ReloadError
				}
				lines = append(lines, line)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: the change is saved, but %d of %d running radiusd have not loaded it (version %d) within %s; "+
				"until they do they bill without it:\n%s\n", len(behind), live, version, wait, strings.Join(lines, "\n"))
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
