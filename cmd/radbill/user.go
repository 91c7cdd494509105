package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// userArgHelp tells how commands taking a USER find it: names need not be
// unique, ids are.
const userArgHelp = "USER is the user's id, or its name when no other user has the same name."

func userCommand(openLimits limitsOpener) *cobra.Command {
	user := &cobra.Command{
		Use:   "user",
		Short: "Enterprise users with a spending limit per period: create, show, list, limit, block, move, contact, number, delete",
		Long: "An enterprise user is found by any of its calling numbers and may spend up to its limit per period,\n" +
			"which starts at local midnight of the reset day in its plan's time zone.\n" + userArgHelp,
	}
	user.AddCommand(userCreateCommand(openLimits), userShowCommand(openLimits), userListCommand(openLimits), userLimitCommand(openLimits),
		userBlockCommand(openLimits), userMoveCommand(openLimits), userContactCommand(openLimits), userNumberCommand(openLimits), userDeleteCommand(openLimits))
	return user
}

// limitFlags are the flags that describe a limit, shared by create and
// limit.
type limitFlags struct {
	amount, limitType string
	warning, resetDay int
}

func (f *limitFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.amount, "limit", "", "what the user may spend per period, in the plan's currency")
	cmd.Flags().StringVar(&f.limitType, "type", string(limits.LimitNormal), "normal (calls get the credit time the rest of the limit buys), "+
		"notification (calls always go through, e-mails at the thresholds), unrestricted (no limit, no e-mails) or blocked (calls refused)")
	cmd.Flags().IntVar(&f.warning, "warning", 80, "per cent of the limit at which the warning e-mail goes out")
	cmd.Flags().IntVar(&f.resetDay, "reset-day", 1, "day of the month a period starts (31: the month's last day)")
}

// apply sets the fields of l whose flags were given.
func (f *limitFlags) apply(cmd *cobra.Command, l *limits.Limit) error {
	if cmd.Flags().Changed("limit") {
		amount, err := parseAmount("--limit", f.amount)
		if err != nil {
			return err
		}
		l.Amount = amount
	}
	if cmd.Flags().Changed("type") {
		l.Type = limits.LimitType(f.limitType)
	}
	if cmd.Flags().Changed("warning") {
		l.WarningPercent = f.warning
	}
	if cmd.Flags().Changed("reset-day") {
		l.ResetDay = f.resetDay
	}
	return nil
}

func userCreateCommand(openLimits limitsOpener) *cobra.Command {
	var n limits.NewUser
	var plan, department string
	var limit limitFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an enterprise user with its calling numbers",
		Example: `  radbill user create "Maria Ivanova" --email maria@example.com --plan business --limit 100.00 \
    --department Sofia/Sales --number 2001 --number 35929001`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n.Name = args[0]
			// The flags' defaults are the new user's; apply adds --limit.
			n.Limit = limits.Limit{Type: limits.LimitType(limit.limitType), WarningPercent: limit.warning, ResetDay: limit.resetDay}
			if err := limit.apply(cmd, &n.Limit); err != nil {
				return err
			}
			// A forgotten --limit would refuse a normal user's every call,
			// and mail the limit e-mail on a notification user's first.
			needsAmount := n.Limit.Type == limits.LimitNormal || n.Limit.Type == limits.LimitNotification
			if needsAmount && !cmd.Flags().Changed("limit") {
				return fmt.Errorf("--limit is required for a %s user", n.Limit.Type)
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				var err error
				if n.PlanID, err = db.PlanID(ctx, plan); err != nil {
					return err
				}
				if department != "" {
					d, err := org.New(db).FindDepartment(ctx, department)
					if err != nil {
						return err
					}
					n.DepartmentID = d.ID
				}
				u, err := svc.CreateUser(ctx, n)
				if err != nil {
					return err
				}
				if err := publish(ctx, cmd, db); err != nil { // servers learn the new numbers
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created user %d\n", u.ID)
				return showUser(ctx, cmd.OutOrStdout(), db, svc, u)
			})
		},
	}
	cmd.Flags().StringVar(&n.Email, "email", "", "address that receives the limit e-mails")
	cmd.Flags().StringVar(&n.Language, "language", "", "the limit e-mails' language ("+strings.Join(locale.Languages(), ", ")+"); empty: smtp.language")
	cmd.Flags().StringVar(&plan, "plan", "", "tariff plan name that prices the user's calls")
	cmd.Flags().StringVar(&department, "department", "", "the user's department (Branch/Department, a unique name or an id), for reports")
	cmd.Flags().StringArrayVar(&n.Numbers, "number", nil, "calling number or extension that identifies the user, as the gateway reports it (repeatable)")
	limit.register(cmd)
	_ = cmd.MarkFlagRequired("plan")
	return cmd
}

func userShowCommand(openLimits limitsOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "show USER",
		Short: "Show a user, its limit and the current period's spend",
		Long:  "Shows the user and where it stands in the current period: spend (settled calls), reserved (calls in\nprogress) and what remains of the limit.\n" + userArgHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, db *store.DB, svc *limits.Service, u limits.User) error {
				return showUser(ctx, cmd.OutOrStdout(), db, svc, u)
			})
		},
	}
}

func showUser(ctx context.Context, w io.Writer, db *store.DB, svc *limits.Service, u limits.User) error {
	usage, err := svc.UserUsage(ctx, u.ID)
	if err != nil {
		return err
	}
	plans, err := loadPlans(ctx, db)
	if err != nil {
		return err
	}
	departments, err := departmentsByID(ctx, db)
	if err != nil {
		return err
	}
	d := departments[u.DepartmentID]
	inCurrency := func(m rating.Money) string { return m.String() + " " + usage.Currency }
	const periodLayout = "2006-01-02 15:04"
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, line := range [][2]string{
		{"user", strconv.FormatInt(u.ID, 10)},
		{"name", u.Name},
		{"email", u.Email},
		{"language", cmp.Or(u.Language, "(smtp.language)")},
		{"branch", d.BranchName},
		{"department", d.Name},
		{"plan", plans[u.PlanID].Name},
		{"numbers", strings.Join(u.Numbers, ", ")},
		{"limit type", string(u.Limit.Type)},
		{"limit", inCurrency(u.Limit.Amount)},
		{"warning at", strconv.Itoa(u.Limit.WarningPercent) + "%"},
		{"reset day", strconv.Itoa(u.Limit.ResetDay)},
		{"period", usage.Period.Start.Format(periodLayout) + " to " + usage.Period.End.Format(periodLayout) + " " + usage.Period.Start.Location().String()},
		{"spend", inCurrency(usage.Spend)},
		{"reserved", inCurrency(usage.Reserved)},
		{"remaining", inCurrency(usage.Remaining())},
		{"created", formatUTC(u.CreatedAt)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", line[0], terminalSafe(line[1]))
	}
	return tw.Flush()
}

func userListCommand(openLimits limitsOpener) *cobra.Command {
	var format, branch, department string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List enterprise users by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRecordsFormat(format); err != nil {
				return err
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				var filter limits.UserFilter
				o := org.New(db)
				if branch != "" {
					b, err := o.FindBranch(ctx, branch)
					if err != nil {
						return err
					}
					filter.BranchID = b.ID
				}
				if department != "" {
					d, err := o.FindDepartment(ctx, department)
					if err != nil {
						return err
					}
					filter.DepartmentID = d.ID
				}
				users, err := svc.ListUsers(ctx, filter)
				if err != nil {
					return err
				}
				plans, err := loadPlans(ctx, db)
				if err != nil {
					return err
				}
				departments, err := departmentsByID(ctx, db)
				if err != nil {
					return err
				}
				rows := make([]userRecord, len(users))
				for i, u := range users {
					rows[i] = newUserRecord(u, plans, departments[u.DepartmentID])
				}
				return writeRecords(cmd.OutOrStdout(), format, userHeader, rows)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	cmd.Flags().StringVar(&branch, "branch", "", "only users of this branch")
	cmd.Flags().StringVar(&department, "department", "", "only users of this department")
	return cmd
}

func userLimitCommand(openLimits limitsOpener) *cobra.Command {
	var limit limitFlags
	cmd := &cobra.Command{
		Use:   "limit USER",
		Short: "Change a user's limit; flags not given keep their value",
		Long: "Changes a user's limit, type, warning threshold or reset day; flags not given keep their value.\n" +
			"The change applies from the next authorization and call record.\n" + userArgHelp,
		Example: "  radbill user limit \"Maria Ivanova\" --limit 150.00 --warning 90\n" +
			"  radbill user limit 42 --type normal   # unblock",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("limit") && !cmd.Flags().Changed("type") && !cmd.Flags().Changed("warning") && !cmd.Flags().Changed("reset-day") {
				return fmt.Errorf("nothing to change: give --limit, --type, --warning or --reset-day")
			}
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, _ *store.DB, svc *limits.Service, u limits.User) error {
				l := u.Limit
				if err := limit.apply(cmd, &l); err != nil {
					return err
				}
				return setLimit(ctx, cmd.OutOrStdout(), svc, u, l)
			})
		},
	}
	limit.register(cmd)
	return cmd
}

func userBlockCommand(openLimits limitsOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "block USER",
		Short: "Refuse the user's new calls (h323-return-code 7)",
		Long: "Sets the user's limit type to blocked: new calls are refused, calls in progress run on.\n" +
			"Unblock with radbill user limit USER --type normal (or the type it had).\n" + userArgHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, _ *store.DB, svc *limits.Service, u limits.User) error {
				l := u.Limit
				l.Type = limits.LimitBlocked
				return setLimit(ctx, cmd.OutOrStdout(), svc, u, l)
			})
		},
	}
}

func setLimit(ctx context.Context, w io.Writer, svc *limits.Service, u limits.User, l limits.Limit) error {
	if err := svc.SetUserLimit(ctx, u.ID, l); err != nil {
		return err
	}
	usage, err := svc.UserUsage(ctx, u.ID)
	if err != nil {
		return err
	}
	l = usage.Limit
	fmt.Fprintf(w, "user %d %q: %s, limit %s %s, warning at %d%%, reset day %d; spend this period %s, remaining %s\n",
		u.ID, u.Name, l.Type, l.Amount, usage.Currency, l.WarningPercent, l.ResetDay, usage.Spend, usage.Remaining())
	return nil
}

func userMoveCommand(openLimits limitsOpener) *cobra.Command {
	var department string
	cmd := &cobra.Command{
		Use:   "move USER --department DEPARTMENT",
		Short: "Move a user to a department (\"none\": to none); calls already stored stay where they were made",
		Long:  "Moves the user to another department; its calls from now on are reported there, its earlier calls stay\nunder the department they were made in.\n" + userArgHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, db *store.DB, svc *limits.Service, u limits.User) error {
				var d org.Department
				if department != "none" {
					var err error
					if d, err = org.New(db).FindDepartment(ctx, department); err != nil {
						return err
					}
				}
				if err := svc.SetUserDepartment(ctx, u.ID, d.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %d %q: department %s\n", u.ID, u.Name, cmp.Or(d.Path(), "none"))
				return publish(ctx, cmd, db)
			})
		},
	}
	cmd.Flags().StringVar(&department, "department", "", "Branch/Department, a unique department name, an id, or none")
	_ = cmd.MarkFlagRequired("department")
	return cmd
}

func userContactCommand(openLimits limitsOpener) *cobra.Command {
	var email, language string
	cmd := &cobra.Command{
		Use:   "contact USER [--email ADDRESS] [--language TAG]",
		Short: "Set where and in which language a user's limit e-mails go",
		Long:  "Sets the address (\"\": none) and the language (\"\": smtp.language) of the user's limit e-mails; a flag left out keeps its value.\n" + userArgHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, _ *store.DB, svc *limits.Service, u limits.User) error {
				if !cmd.Flags().Changed("email") && !cmd.Flags().Changed("language") {
					return errors.New("nothing to change: give --email, --language or both")
				}
				if cmd.Flags().Changed("email") {
					u.Email = email
				}
				if cmd.Flags().Changed("language") {
					u.Language = language
				}
				if err := svc.SetUserContact(ctx, u.ID, u.Email, u.Language); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %d %q: e-mail %q, language %s\n", u.ID, u.Name, u.Email, cmp.Or(u.Language, "smtp.language"))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "address that receives the limit e-mails (\"\": none)")
	cmd.Flags().StringVar(&language, "language", "", "the e-mails' language ("+strings.Join(locale.Languages(), ", ")+"; \"\": smtp.language)")
	return cmd
}

// departmentsByID maps every department's id to it, for showing names.
func departmentsByID(ctx context.Context, db *store.DB) (map[int64]org.Department, error) {
	ds, err := org.New(db).Departments(ctx, 0)
	byID := make(map[int64]org.Department, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
	}
	return byID, err
}

func userNumberCommand(openLimits limitsOpener) *cobra.Command {
	number := &cobra.Command{Use: "number", Short: "Calling numbers and extensions that identify a user"}
	number.AddCommand(&cobra.Command{
		Use:   "add USER NUMBER",
		Short: "Make NUMBER identify the user",
		Long:  "Makes NUMBER, as the gateway reports it after translation, identify the user.\n" + userArgHelp,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, db *store.DB, svc *limits.Service, u limits.User) error {
				if err := svc.AddUserNumber(ctx, u.ID, args[1]); err != nil {
					return err
				}
				if err := publish(ctx, cmd, db); err != nil { // servers learn the number
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "number %s identifies user %d %q\n", args[1], u.ID, u.Name)
				return nil
			})
		},
	}, &cobra.Command{
		Use:   "remove USER NUMBER",
		Short: "Make NUMBER identify nobody; it must be the user's",
		Long:  "Makes NUMBER identify nobody. It must be one of the user's numbers, so a typo cannot take another user's.\n" + userArgHelp,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, db *store.DB, svc *limits.Service, u limits.User) error {
				if !slices.Contains(u.Numbers, args[1]) {
					return fmt.Errorf("number %s is not one of user %d's numbers (%s)", args[1], u.ID, cmp.Or(strings.Join(u.Numbers, ", "), "it has none"))
				}
				if err := svc.RemoveUserNumber(ctx, args[1]); err != nil {
					return err
				}
				if err := publish(ctx, cmd, db); err != nil { // servers forget the number
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "number %s no longer identifies user %d %q\n", args[1], u.ID, u.Name)
				return nil
			})
		},
	})
	return number
}

// findUser finds a user by id, or by a name only one user has.
// withUser runs fn with the user named on the command line (see findUser).
func withUser(cmd *cobra.Command, openLimits limitsOpener, idOrName string, fn func(context.Context, *store.DB, *limits.Service, limits.User) error) error {
	return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
		u, err := findUser(ctx, svc, idOrName)
		if err != nil {
			return err
		}
		return fn(ctx, db, svc, u)
	})
}

func findUser(ctx context.Context, svc *limits.Service, idOrName string) (limits.User, error) {
	if id, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		return svc.User(ctx, id)
	}
	users, err := svc.ListUsers(ctx, limits.UserFilter{})
	if err != nil {
		return limits.User{}, err
	}
	var named []limits.User
	var ids []string
	for _, u := range users {
		if u.Name == idOrName {
			named = append(named, u)
			ids = append(ids, strconv.FormatInt(u.ID, 10))
		}
	}
	switch len(named) {
	case 0:
		return limits.User{}, fmt.Errorf("user %q: %w", idOrName, limits.ErrNotFound)
	case 1:
		return named[0], nil
	}
	return limits.User{}, fmt.Errorf("%d users are named %q (ids %s): give the id", len(named), idOrName, strings.Join(ids, ", "))
}

// userRecord is a user as user list prints it.
type userRecord struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Branch         string   `json:"branch"`
	Department     string   `json:"department"`
	Plan           string   `json:"plan"`
	LimitType      string   `json:"limit_type"`
	Limit          string   `json:"limit"`
	Currency       string   `json:"currency"`
	WarningPercent int      `json:"warning_percent"`
	ResetDay       int      `json:"reset_day"`
	Numbers        []string `json:"numbers"`
	CreatedAt      string   `json:"created_at"`
}

var userHeader = []string{"id", "name", "email", "branch", "department", "plan", "limit_type", "limit", "currency",
	"warning_percent", "reset_day", "numbers", "created_at"}

func newUserRecord(u limits.User, plans map[int64]planFacts, d org.Department) userRecord {
	numbers := u.Numbers
	if numbers == nil {
		numbers = []string{} // JSON [] rather than null
	}
	return userRecord{ID: u.ID, Name: u.Name, Email: u.Email, Branch: d.BranchName, Department: d.Name,
		Plan: plans[u.PlanID].Name, LimitType: string(u.Limit.Type), Limit: u.Limit.Amount.String(),
		Currency: plans[u.PlanID].Currency, WarningPercent: u.Limit.WarningPercent, ResetDay: u.Limit.ResetDay,
		Numbers: numbers, CreatedAt: formatUTC(u.CreatedAt)}
}

func (r userRecord) fields() []string {
	return []string{strconv.FormatInt(r.ID, 10), r.Name, r.Email, r.Branch, r.Department, r.Plan, r.LimitType, r.Limit,
		r.Currency, strconv.Itoa(r.WarningPercent), strconv.Itoa(r.ResetDay), strings.Join(r.Numbers, " "), r.CreatedAt}
}

func userDeleteCommand(openLimits limitsOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "delete USER",
		Short: "Delete a user: its numbers identify nobody from now on; history restore brings it back",
		Long:  "Deletes the user: its numbers are freed and its calls from now on are nobody's. Its row stays\nfor the calls, ledger and e-mails it has; `radbill history restore user ID` brings it back.\n" + userArgHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withUser(cmd, openLimits, args[0], func(ctx context.Context, db *store.DB, svc *limits.Service, u limits.User) error {
				if err := svc.DeleteUser(ctx, u.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %d %q deleted\n", u.ID, u.Name)
				return publish(ctx, cmd, db) // servers forget its numbers
			})
		},
	}
}
