package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/store"
	"github.com/radbill/radbill/web"
)

// webOpener opens the database with the web section of the configuration.
type webOpener func() (*store.DB, *config.Config, web.Config, error)

func webCommand(configPath *string) *cobra.Command {
	open := func() (*store.DB, *config.Config, web.Config, error) {
		cfg, err := config.Load(*configPath)
		if err != nil {
			return nil, nil, web.Config{}, err
		}
		wc, err := web.ParseConfig(cfg.Listen.Web, cfg.Web)
		if err != nil {
			return nil, nil, wc, err
		}
		db, err := store.Open(cfg.Database.Driver, cfg.Database.DSN)
		return db, cfg, wc, err
	}
	cmd := &cobra.Command{Use: "web", Short: "The web console and admin API: serve, user, token"}
	cmd.AddCommand(webServeCommand(open), webUserCommand(open), webTokenCommand(open))
	return cmd
}

func webServeCommand(open webOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the web console and /api/v1 on listen.web until interrupted",
		Long: "Serves the console and the admin API on listen.web (default 127.0.0.1:8080), over HTTPS when web.tls_cert\n" +
			"and web.tls_key are set. radiusd serves them itself when web.enabled is true.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, cfg, wc, err := open()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Migrate(cmd.Context()); err != nil {
				return err
			}
			log, err := cfg.Logger()
			if err != nil {
				return err
			}
			srv, err := web.New(wc, db, web.Options{SpoolDir: cfg.Spool.Dir, Clients: web.ConfiguredClients(cfg.Clients), Log: log})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return srv.Serve(ctx)
		},
	}
}

func webUserCommand(open webOpener) *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Users of the console and the API"}
	var n web.NewConsoleUser
	var role, branches string
	var ifAbsent bool
	create := &cobra.Command{
		Use:   "create USERNAME --role ROLE",
		Short: "Create a console user; without --password one is generated and printed once",
		Example: "  radbill web user create admin --role admin\n" +
			"  radbill web user create sofia-manager --role branch_manager --branches Sofia --can-edit --language bg",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, open, func(ctx context.Context, db *store.DB, accounts *web.Accounts) error {
				if ifAbsent {
					if _, err := accounts.FindUser(ctx, args[0]); err == nil {
						fmt.Fprintf(cmd.OutOrStdout(), "console user %q exists already\n", args[0])
						return nil
					}
				}
				n.Username = args[0]
				var err error
				if n.Role, err = web.ParseRole(role); err != nil {
					return err
				}
				if n.Branches, err = branchIDs(ctx, db, branches); err != nil {
					return err
				}
				generated := n.Password == ""
				if generated {
					n.Password = rand.Text()
				}
				u, err := accounts.CreateUser(ctx, n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "console user %d %q (%s) created\n", u.ID, u.Username, u.Role)
				if generated {
					fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n(shown once; change it with radbill web user password %s)\n", n.Password, u.Username)
				}
				return nil
			})
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin, billing, branch_manager or auditor")
	create.Flags().StringVar(&n.Password, "password", "", "the password (at least 10 characters); generated when empty")
	create.Flags().StringVar(&branches, "branches", "", "a branch manager's branches, by name or id, comma-separated")
	create.Flags().BoolVar(&n.CanEdit, "can-edit", false, "a branch manager may change its branches' users and numbers")
	create.Flags().StringVar(&n.Language, "language", "en", "the console's language for the user: "+strings.Join(locale.Languages(), ", "))
	create.Flags().BoolVar(&ifAbsent, "if-absent", false, "do nothing when the user exists (for make run)")
	_ = create.MarkFlagRequired("role")

	var password string
	setPassword := &cobra.Command{
		Use:   "password USERNAME",
		Short: "Set a console user's password (generated and printed when --password is empty); ends its sessions, lifts a lockout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, open, func(ctx context.Context, _ *store.DB, accounts *web.Accounts) error {
				u, err := accounts.FindUser(ctx, args[0])
				if err != nil {
					return err
				}
				generated := password == ""
				if generated {
					password = rand.Text()
				}
				if err := accounts.SetPassword(ctx, u.ID, password); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %q set\n", u.Username)
				if generated {
					fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", password)
				}
				return nil
			})
		},
	}
	setPassword.Flags().StringVar(&password, "password", "", "the new password")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the console users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAccounts(cmd, open, func(ctx context.Context, _ *store.DB, accounts *web.Accounts) error {
				users, err := accounts.Users(ctx)
				if err != nil {
					return err
				}
				for _, u := range users {
					fmt.Fprintf(cmd.OutOrStdout(), "%d\t%s\t%s\tbranches %v\tcan edit %v\t%s\n", u.ID, u.Username, u.Role, u.Branches, u.CanEdit, u.Language)
				}
				return nil
			})
		},
	}
	user.AddCommand(create, setPassword, list)
	return user
}

func webTokenCommand(open webOpener) *cobra.Command {
	token := &cobra.Command{Use: "token", Short: "API tokens for scripts"}
	var role, owner string
	create := &cobra.Command{
		Use:     "create NAME --user USERNAME --role ROLE",
		Short:   "Create an API token, printed once (send it as Authorization: Bearer TOKEN)",
		Example: "  radbill web token create nightly-export --user admin --role auditor",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, open, func(ctx context.Context, _ *store.DB, accounts *web.Accounts) error {
				u, err := accounts.FindUser(ctx, owner)
				if err != nil {
					return err
				}
				secret, t, err := accounts.CreateToken(ctx, u.ID, args[0], web.Role(role))
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "token %d %q (%s) of %s:\n%s\n", t.ID, t.Name, t.Role, u.Username, secret)
				return nil
			})
		},
	}
	create.Flags().StringVar(&role, "role", "", "the token's role")
	create.Flags().StringVar(&owner, "user", "", "the console user the token belongs to")
	_ = create.MarkFlagRequired("role")
	_ = create.MarkFlagRequired("user")
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			if _, err := fmt.Sscan(args[0], &id); err != nil {
				return fmt.Errorf("token id %q: want a number", args[0])
			}
			return withAccounts(cmd, open, func(ctx context.Context, _ *store.DB, accounts *web.Accounts) error {
				if err := accounts.RevokeToken(ctx, id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "token %d revoked\n", id)
				return nil
			})
		},
	}
	token.AddCommand(create, revoke)
	return token
}

// withAccounts runs fn with the console's accounts on the configured
// database, closed afterwards.
func withAccounts(cmd *cobra.Command, open webOpener, fn func(context.Context, *store.DB, *web.Accounts) error) error {
	db, _, wc, err := open()
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cmd.Context(), db, web.NewAccounts(db, wc, 0))
}

// branchIDs resolves a comma-separated list of branch names or ids.
func branchIDs(ctx context.Context, db *store.DB, list string) ([]int64, error) {
	var ids []int64
	for _, ref := range strings.Split(list, ",") {
		if ref = strings.TrimSpace(ref); ref == "" {
			continue
		}
		b, err := org.New(db).FindBranch(ctx, ref)
		if err != nil {
			return nil, err
		}
		ids = append(ids, b.ID)
	}
	return ids, nil
}
