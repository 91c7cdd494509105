package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/store"
)

func branchCommand(openDB dbOpener) *cobra.Command {
	branch := &cobra.Command{
		Use:   "branch",
		Short: "Branches (sites): create, list, show, rename, delete",
		Long: "A branch holds departments, and gateways serve one. BRANCH is the branch's name, or its id.\n" +
			"Reports group calls by the branch they were made in.",
	}
	var format string
	list := &cobra.Command{
		Use: "list", Short: "List branches with their departments", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRecordsFormat(format); err != nil {
				return err
			}
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				branches, err := o.Branches(ctx)
				if err != nil {
					return err
				}
				departments, err := o.Departments(ctx, 0)
				if err != nil {
					return err
				}
				names := map[int64][]string{}
				for _, d := range departments {
					names[d.BranchID] = append(names[d.BranchID], d.Name)
				}
				rows := make([]branchRecord, len(branches))
				for i, b := range branches {
					rows[i] = branchRecord{Branch: b, Departments: append([]string{}, names[b.ID]...)}
				}
				return writeRecords(cmd.OutOrStdout(), format, []string{"id", "name", "departments", "created_at"}, rows)
			})
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	branch.AddCommand(&cobra.Command{
		Use: "create NAME", Short: "Create a branch", Args: cobra.ExactArgs(1),
		Example: "  radbill branch create Sofia",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				b, err := o.CreateBranch(ctx, args[0])
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "created branch %d %q\n", b.ID, b.Name)
				}
				return err
			})
		},
	}, list, &cobra.Command{
		Use: "show BRANCH", Short: "Show a branch, its departments and gateways", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, db *store.DB, o *org.Service) error {
				b, err := o.FindBranch(ctx, args[0])
				if err != nil {
					return err
				}
				departments, err := o.Departments(ctx, b.ID)
				if err != nil {
					return err
				}
				gateways, err := db.LoadGateways(ctx)
				if err != nil {
					return err
				}
				var names, gws []string
				for _, d := range departments {
					names = append(names, d.Name+" ("+strconv.FormatInt(d.ID, 10)+")")
				}
				for _, g := range gateways {
					if g.BranchID.Valid && g.BranchID.Int64 == b.ID {
						gws = append(gws, g.ClientName)
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "branch       %d\nname         %s\ndepartments  %s\ngateways     %s\ncreated      %s\n",
					b.ID, terminalSafe(b.Name), terminalSafe(strings.Join(names, ", ")), terminalSafe(strings.Join(gws, ", ")), b.CreatedAt)
				return nil
			})
		},
	}, &cobra.Command{
		Use: "rename BRANCH NEW-NAME", Short: "Rename a branch", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				b, err := o.FindBranch(ctx, args[0])
				if err != nil {
					return err
				}
				if err := o.RenameBranch(ctx, b.ID, args[1]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "branch %d renamed %q\n", b.ID, args[1])
				return nil
			})
		},
	}, &cobra.Command{
		Use: "delete BRANCH", Short: "Delete a branch that has no departments and no gateways", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				b, err := o.FindBranch(ctx, args[0])
				if err != nil {
					return err
				}
				if err := o.DeleteBranch(ctx, b.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted branch %d %q\n", b.ID, b.Name)
				return nil
			})
		},
	})
	return branch
}

type branchRecord struct {
	org.Branch
	Departments []string `json:"departments"`
}

func (r branchRecord) fields() []string {
	return []string{strconv.FormatInt(r.ID, 10), r.Name, strings.Join(r.Departments, ", "), r.CreatedAt}
}

type departmentRecord struct{ org.Department }

func (r departmentRecord) fields() []string {
	return []string{strconv.FormatInt(r.ID, 10), r.BranchName, r.Name, r.CreatedAt}
}

// departmentHelp tells how DEPARTMENT finds one.
const departmentHelp = "DEPARTMENT is Branch/Department, a department name only one branch uses, or an id."

func departmentCommand(openDB dbOpener) *cobra.Command {
	department := &cobra.Command{
		Use:   "department",
		Short: "Departments (cost centres), each in a branch: create, list, show, rename, delete, number",
		Long: "A department belongs to a branch; users belong to a department, and numbers to a user or directly to a\n" +
			"department (shared phones, fax, reception). " + departmentHelp,
	}
	var branchName, format string
	create := &cobra.Command{
		Use: "create NAME --branch BRANCH", Short: "Create a department in a branch", Args: cobra.ExactArgs(1),
		Example: "  radbill department create Sales --branch Sofia",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				b, err := o.FindBranch(ctx, branchName)
				if err != nil {
					return err
				}
				d, err := o.CreateDepartment(ctx, b.ID, args[0])
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "created department %d %q\n", d.ID, d.Path())
				}
				return err
			})
		},
	}
	create.Flags().StringVar(&branchName, "branch", "", "the branch the department belongs to")
	_ = create.MarkFlagRequired("branch")
	var listBranch string
	list := &cobra.Command{
		Use: "list", Short: "List departments by branch", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRecordsFormat(format); err != nil {
				return err
			}
			return runOrg(cmd, openDB, func(ctx context.Context, _ *store.DB, o *org.Service) error {
				var branchID int64
				if listBranch != "" {
					b, err := o.FindBranch(ctx, listBranch)
					if err != nil {
						return err
					}
					branchID = b.ID
				}
				departments, err := o.Departments(ctx, branchID)
				if err != nil {
					return err
				}
				rows := make([]departmentRecord, len(departments))
				for i, d := range departments {
					rows[i] = departmentRecord{d}
				}
				return writeRecords(cmd.OutOrStdout(), format, []string{"id", "branch", "name", "created_at"}, rows)
			})
		},
	}
	list.Flags().StringVar(&listBranch, "branch", "", "only this branch's departments")
	list.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	withDepartment := func(use, short string, nargs int, fn func(context.Context, *cobra.Command, *store.DB, *org.Service, org.Department, []string) error) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Long: short + ".\n" + departmentHelp, Args: cobra.ExactArgs(nargs),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runOrg(cmd, openDB, func(ctx context.Context, db *store.DB, o *org.Service) error {
					d, err := o.FindDepartment(ctx, args[0])
					if err != nil {
						return err
					}
					return fn(ctx, cmd, db, o, d, args[1:])
				})
			},
		}
	}
	number := &cobra.Command{Use: "number", Short: "Numbers a department owns directly (shared phones, fax, reception)"}
	number.AddCommand(withDepartment("add DEPARTMENT NUMBER", "Make NUMBER the department's own: its calls are reported under the department",
		2, func(ctx context.Context, cmd *cobra.Command, db *store.DB, o *org.Service, d org.Department, args []string) error {
			if err := o.AddNumber(ctx, d.ID, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "number %s belongs to department %q\n", args[0], d.Path())
			return publish(ctx, cmd, db)
		}),
		withDepartment("remove DEPARTMENT NUMBER", "Take NUMBER from the department",
			2, func(ctx context.Context, cmd *cobra.Command, db *store.DB, o *org.Service, d org.Department, args []string) error {
				if err := o.RemoveNumber(ctx, d.ID, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "number %s no longer belongs to department %q\n", args[0], d.Path())
				return publish(ctx, cmd, db)
			}))
	department.AddCommand(create, list,
		withDepartment("show DEPARTMENT", "Show a department, its users and numbers", 1,
			func(ctx context.Context, cmd *cobra.Command, db *store.DB, o *org.Service, d org.Department, _ []string) error {
				numbers, err := o.Numbers(ctx, d.ID)
				if err != nil {
					return err
				}
				var users []string
				if err := db.SelectContext(ctx, &users, "SELECT name FROM enterprise_user WHERE department_id = ? ORDER BY name", d.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "department  %d\nname        %s\nbranch      %s (%d)\nusers       %s\nnumbers     %s\ncreated     %s\n",
					d.ID, terminalSafe(d.Name), terminalSafe(d.BranchName), d.BranchID, terminalSafe(strings.Join(users, ", ")),
					terminalSafe(strings.Join(numbers, ", ")), d.CreatedAt)
				return nil
			}),
		withDepartment("rename DEPARTMENT NEW-NAME", "Rename a department", 2,
			func(ctx context.Context, cmd *cobra.Command, _ *store.DB, o *org.Service, d org.Department, args []string) error {
				if err := o.RenameDepartment(ctx, d.ID, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "department %d renamed %q\n", d.ID, args[0])
				return nil
			}),
		withDepartment("delete DEPARTMENT", "Delete a department that no user and no number belongs to", 1,
			func(ctx context.Context, cmd *cobra.Command, _ *store.DB, o *org.Service, d org.Department, _ []string) error {
				if err := o.DeleteDepartment(ctx, d.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted department %d %q\n", d.ID, d.Path())
				return nil
			}),
		number)
	return department
}

// gatewayBranchCommand puts a gateway in a branch.
func gatewayBranchCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "branch CLIENT-NAME BRANCH",
		Short: "Put a gateway or trunk in a branch (\"none\": in none); its legs with no owner are reported there",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrg(cmd, openDB, func(ctx context.Context, db *store.DB, o *org.Service) error {
				var branchID int64
				if args[1] != "none" {
					b, err := o.FindBranch(ctx, args[1])
					if err != nil {
						return err
					}
					branchID = b.ID
				}
				if err := o.SetGatewayBranch(ctx, args[0], branchID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "gateway %s: branch %s\n", args[0], args[1])
				return publish(ctx, cmd, db)
			})
		},
	}
}

func runOrg(cmd *cobra.Command, openDB dbOpener, fn func(context.Context, *store.DB, *org.Service) error) error {
	return withDB(openDB, func(db *store.DB) error { return fn(cmd.Context(), db, org.New(db)) })
}
