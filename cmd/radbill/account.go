package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// pinEnv names the environment variable account create reads the PIN
// from, so that it stays out of shell history and process listings.
const pinEnv = "RADBILL_PIN"

// maxCreditHelp explains --max-credit-time.
const maxCreditHelp = "most credit time one call gets, and so the most of the balance it holds, e.g. 10m " +
	"(0: the server's authorize.max_credit_time, 4h by default); lower it to let several calls share the card"

// shownLedgerEntries is how many ledger entries account show prints.
const shownLedgerEntries = 10

func accountCommand(openLimits limitsOpener) *cobra.Command {
	account := &cobra.Command{
		Use:   "account",
		Short: "Prepaid (debit) cards: create, show, list, topup, adjust, refund, block, unblock, ledger, set-pin, set-limits",
		Long: "Prepaid cards keep a balance that is the sum of an append-only ledger. Amounts are decimals with up to\n" +
			"6 places (10, 2.5, 0.000001); negative amounts go after -- so they are not read as flags.",
	}
	account.AddCommand(
		accountCreateCommand(openLimits),
		accountShowCommand(openLimits),
		accountListCommand(openLimits),
		postingCommand(openLimits, limits.KindTopUp, "topup NUMBER AMOUNT", "Credit money paid in to a card",
			"  radbill account topup 5550001 20.00 --reason cash --reference PAY-2026-0042"),
		postingCommand(openLimits, limits.KindAdjustment, "adjust NUMBER AMOUNT", "Correct a card's balance either way (signed, with a reason)",
			"  radbill account adjust 5550001 --reason \"duplicate top-up\" -- -20.00"),
		postingCommand(openLimits, limits.KindRefund, "refund NUMBER AMOUNT", "Give money back to a card, e.g. for a failed call",
			"  radbill account refund 5550001 0.35 --reason \"dropped call to 359888123456\""),
		accountStatusCommand(openLimits, limits.AccountBlocked, "block NUMBER", "Refuse the card's new calls (h323-return-code 7); calls in progress run to their credit time"),
		accountStatusCommand(openLimits, limits.AccountActive, "unblock NUMBER", "Let a blocked card call again"),
		accountLedgerCommand(openLimits),
		accountSetPINCommand(openLimits),
		accountSetLimitsCommand(openLimits),
	)
	return account
}

func accountCreateCommand(openLimits limitsOpener) *cobra.Command {
	var pin, plan, currency, balance, expires, language string
	var maxCalls int
	var maxCredit time.Duration
	cmd := &cobra.Command{
		Use:   "create NUMBER",
		Short: "Create a prepaid card",
		Long: "Creates a card with the account number and PIN callers type on the keypad (digits; the PIN at least 4).\n" +
			"Give the PIN in the environment variable " + pinEnv + " rather than with --pin, so that it stays out of\n" +
			"shell history and process listings; --pin wins when both are set. The PIN is stored as a bcrypt hash\n" +
			"(and sealed for CHAP when authorize.pin_key_file is set) and never printed. --balance is posted as\n" +
			"the card's first top-up.",
		Example: "  read -rs RADBILL_PIN && export RADBILL_PIN\n" +
			"  radbill account create 5550001 --plan retail --balance 10.00 --expires 2027-12-31",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cardPIN := cmp.Or(pin, os.Getenv(pinEnv))
			if cardPIN == "" {
				return fmt.Errorf("no PIN: set %s (or --pin)", pinEnv)
			}
			initial, err := parseAmount("--balance", balance)
			if err != nil {
				return err
			}
			expiresAt, err := parseFlagTime("expires", expires)
			if err != nil {
				return err
			}
			if !expiresAt.IsZero() && !expiresAt.After(time.Now()) {
				return fmt.Errorf("--expires %s is not in the future", expires)
			}
			if maxCalls < 1 {
				return fmt.Errorf("--max-calls %d: want at least 1", maxCalls)
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				planID, err := db.PlanID(ctx, plan)
				if err != nil {
					return err
				}
				a, err := svc.CreateAccount(ctx, limits.NewAccount{Number: args[0], PIN: cardPIN, PlanID: planID, Currency: currency,
					InitialBalance: initial, ExpiresAt: expiresAt, MaxConcurrentCalls: maxCalls, MaxCreditTime: maxCredit, Language: language})
				if err != nil {
					return err
				}
				if err := publish(ctx, cmd, db); err != nil { // servers learn the card's plan
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created account %s\n", a.Number)
				return showAccount(ctx, cmd.OutOrStdout(), db, svc, a.Number)
			})
		},
	}
	cmd.Flags().StringVar(&pin, "pin", "", "the card's PIN (prefer the environment variable "+pinEnv+")")
	cmd.Flags().StringVar(&plan, "plan", "", "tariff plan name that prices the card's calls")
	cmd.Flags().StringVar(&currency, "currency", "", "currency of the balance; must be the plan's (default the plan's)")
	cmd.Flags().StringVar(&balance, "balance", "0", "initial balance")
	cmd.Flags().StringVar(&expires, "expires", "", "refuse the card from this UTC time on (2006-01-02 means its 00:00); default never")
	cmd.Flags().IntVar(&maxCalls, "max-calls", 1, "calls the card may have in progress at once")
	cmd.Flags().DurationVar(&maxCredit, "max-credit-time", 0, maxCreditHelp)
	cmd.Flags().StringVar(&language, "language", "en", "language sent to the gateway's IVR (h323-preferred-lang)")
	_ = cmd.MarkFlagRequired("plan")
	return cmd
}

func accountShowCommand(openLimits limitsOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "show NUMBER",
		Short: fmt.Sprintf("Show a card's balance, credit held by calls in progress, settings and last %d ledger entries", shownLedgerEntries),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				return showAccount(ctx, cmd.OutOrStdout(), db, svc, args[0])
			})
		},
	}
}

func showAccount(ctx context.Context, w io.Writer, db *store.DB, svc *limits.Service, number string) error {
	a, err := svc.Account(ctx, number)
	if err != nil {
		return err
	}
	entries, err := svc.AccountLedger(ctx, number, shownLedgerEntries)
	if err != nil {
		return err
	}
	plans, err := loadPlans(ctx, db)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	r := newAccountRecord(a, plans)
	for _, line := range [][2]string{
		{"account", r.Number},
		{"status", r.Status},
		{"plan", r.Plan},
		{"currency", r.Currency},
		{"balance", r.Balance},
		{"reserved", r.Reserved},
		{"calls in progress", strconv.Itoa(r.LiveCalls)},
		{"available", r.Available},
		{"expires", cmp.Or(r.ExpiresAt, "never")},
		{"max calls", strconv.Itoa(r.MaxCalls)},
		{"max credit time", cmp.Or(r.MaxCreditTime, "the server's authorize.max_credit_time")},
		{"language", r.Language},
		{"created", r.CreatedAt},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", line[0], terminalSafe(line[1]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nlatest ledger entries, oldest first (all: radbill account ledger %s):\n", a.Number)
	slices.Reverse(entries) // AccountLedger gives the newest first
	rows := make([]ledgerRecord, len(entries))
	for i, e := range entries {
		rows[i] = newLedgerRecord(e)
	}
	// Only the latest entries are read, so there is no balance_after.
	return writeRecords(w, "table", ledgerHeader[:len(ledgerHeader)-1], rows)
}

func accountListCommand(openLimits limitsOpener) *cobra.Command {
	var format, status string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List prepaid cards by number",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRecordsFormat(format); err != nil {
				return err
			}
			filter := limits.AccountFilter{Status: limits.AccountStatus(status), Limit: limit}
			if status != "" && filter.Status != limits.AccountActive && filter.Status != limits.AccountBlocked {
				return fmt.Errorf("--status %q: want %s or %s", status, limits.AccountActive, limits.AccountBlocked)
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				accounts, err := svc.ListAccounts(ctx, filter)
				if err != nil {
					return err
				}
				plans, err := loadPlans(ctx, db)
				if err != nil {
					return err
				}
				rows := make([]accountRecord, len(accounts))
				for i, a := range accounts {
					rows[i] = newAccountRecord(a, plans)
				}
				return writeRecords(cmd.OutOrStdout(), format, accountHeader, rows)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	cmd.Flags().StringVar(&status, "status", "", "only cards in this status: active or blocked")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many cards (0: all)")
	return cmd
}

// postingCommand makes topup, adjust and refund: one ledger entry of kind
// each, through limits.Service.Post.
func postingCommand(openLimits limitsOpener, kind limits.EntryKind, use, short, example string) *cobra.Command {
	var reason, reference string
	var disconnect bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + ".\n" +
			"With --reference (a payment id, a ticket) the posting is idempotent: posting the same kind and reference\n" +
			"again changes nothing. A debit may not take more than the card's available credit, unless --disconnect\n" +
			"takes it anyway and ends the card's calls in progress (radiusd sends their gateways Disconnect-Requests).",
		Example: example,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amount, err := parseAmount("amount", args[1])
			if err != nil {
				return err
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, _ *store.DB, svc *limits.Service) error {
				posted, err := svc.Post(ctx, args[0], limits.Posting{Kind: kind, Amount: amount, Reason: reason, Reference: reference, DisconnectCalls: disconnect})
				if err != nil {
					return err
				}
				a, err := svc.Account(ctx, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if posted.Applied {
					fmt.Fprintf(out, "account %s: %s of %s %s posted\n", a.Number, kind, amount, a.Currency)
				} else {
					fmt.Fprintf(out, "account %s: %s %q was already posted, nothing changed\n", a.Number, kind, reference)
				}
				fmt.Fprintf(out, "balance %s %s, available %s %s\n", a.Balance, a.Currency, a.Available(), a.Currency)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, kept in the ledger")
	cmd.Flags().StringVar(&reference, "reference", "", "payment or ticket id; a second posting with it changes nothing")
	if kind == limits.KindAdjustment {
		cmd.Flags().BoolVar(&disconnect, "disconnect", false, "a debit past the available credit: take it and disconnect the card's calls in progress")
	}
	if kind != limits.KindTopUp {
		_ = cmd.MarkFlagRequired("reason")
	}
	cmd.SetFlagErrorFunc(negativeAmountHint)
	return cmd
}

// negativeNumberAsFlag matches pflag's error for an argument like -5.00,
// which it reads as the shorthand flags -5, -., -0, -0.
var negativeNumberAsFlag = regexp.MustCompile(`unknown shorthand flag: '[0-9]' in -[0-9]`)

// negativeAmountHint explains pflag's error for a negative amount written
// among the flags.
func negativeAmountHint(cmd *cobra.Command, err error) error {
	if !negativeNumberAsFlag.MatchString(err.Error()) {
		return err
	}
	if cmd.Name() == "adjust" {
		return fmt.Errorf("%w (write a negative amount after --: radbill account adjust NUMBER --reason TEXT -- -5.00)", err)
	}
	return fmt.Errorf("%w (a %s is positive; to take money off a card: radbill account adjust NUMBER --reason TEXT -- -5.00)", err, cmd.Name())
}

func accountSetPINCommand(openLimits limitsOpener) *cobra.Command {
	var pin string
	cmd := &cobra.Command{
		Use:   "set-pin NUMBER",
		Short: "Change a card's PIN",
		Long: "Replaces the card's PIN, given like create's in " + pinEnv + " (or --pin). With authorize.pin_key_file\n" +
			"configured the PIN is also sealed under that key, which lets the card authenticate with CHAP;\n" +
			"run it for cards created before the key was set.",
		Example: "  read -rs RADBILL_PIN && export RADBILL_PIN\n  radbill account set-pin 5550001",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cardPIN := cmp.Or(pin, os.Getenv(pinEnv))
			if cardPIN == "" {
				return fmt.Errorf("no PIN: set %s (or --pin)", pinEnv)
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, _ *store.DB, svc *limits.Service) error {
				if err := svc.SetPIN(ctx, args[0], cardPIN); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %s has a new PIN\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&pin, "pin", "", "the card's new PIN (prefer the environment variable "+pinEnv+")")
	return cmd
}

func accountStatusCommand(openLimits limitsOpener, status limits.AccountStatus, use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLimits(cmd, openLimits, func(ctx context.Context, _ *store.DB, svc *limits.Service) error {
				if err := svc.SetAccountStatus(ctx, args[0], status); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %s is %s\n", args[0], status)
				return nil
			})
		},
	}
}

func accountLedgerCommand(openLimits limitsOpener) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ledger NUMBER",
		Short: "Print a card's whole ledger, oldest first, with the balance after each entry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRecordsFormat(format); err != nil {
				return err
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, _ *store.DB, svc *limits.Service) error {
				entries, err := svc.AccountLedger(ctx, args[0], 0)
				if err != nil {
					return err
				}
				slices.Reverse(entries)
				rows := make([]ledgerRecord, len(entries))
				var balance rating.Money // the balance is the ledger's sum, from zero
				for i, e := range entries {
					balance += e.Amount
					rows[i] = newLedgerRecord(e)
					rows[i].BalanceAfter = balance.String()
				}
				return writeRecords(cmd.OutOrStdout(), format, ledgerHeader, rows)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	return cmd
}

// limitsOpener opens the database and a limits.Service on it, configured
// as radiusd's.
type limitsOpener func() (*store.DB, *limits.Service, error)

// withLimits runs fn with the database and a limits.Service on it.
func withLimits(cmd *cobra.Command, openLimits limitsOpener, fn func(context.Context, *store.DB, *limits.Service) error) error {
	db, svc, err := openLimits()
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cmd.Context(), db, svc)
}

// parseAmount parses money exactly; what names the amount in errors.
func parseAmount(what, s string) (rating.Money, error) {
	m, err := rating.ParseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w (write e.g. 10, 2.5 or 0.000001)", what, err)
	}
	return m, nil
}

// planFacts is what the listings show of a tariff plan.
type planFacts struct {
	Name     string `db:"name"`
	Currency string `db:"currency"`
}

// loadPlans maps plan ids to their facts: cards and users store only the
// id, operators know plans by name.
func loadPlans(ctx context.Context, db *store.DB) (map[int64]planFacts, error) {
	var rows []struct {
		ID int64 `db:"id"`
		planFacts
	}
	if err := db.SelectContext(ctx, &rows, "SELECT id, name, currency FROM tariff_plan"); err != nil {
		return nil, err
	}
	plans := make(map[int64]planFacts, len(rows))
	for _, r := range rows {
		plans[r.ID] = r.planFacts
	}
	return plans, nil
}

// formatTime writes stored instants in UTC, the way cdr list does.
func formatUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime) + " UTC"
}

func creditTime(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func accountSetLimitsCommand(openLimits limitsOpener) *cobra.Command {
	var maxCalls int
	var maxCredit time.Duration
	cmd := &cobra.Command{
		Use:   "set-limits NUMBER",
		Short: "Change how many calls a card may have at once and the credit time each gets",
		Long: "Changes the card's --max-calls and --max-credit-time; a flag not given keeps its value. Calls in\n" +
			"progress keep the credit time they were given. A card with 10.00 whose calls may each hold 10 minutes\n" +
			"of credit can carry as many calls at once as 10.00 buys 10-minute calls (and --max-calls allows).",
		Example: "  radbill account set-limits 5550001 --max-calls 10 --max-credit-time 10m",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var l limits.CallLimits
			if cmd.Flags().Changed("max-calls") {
				if maxCalls < 1 {
					return fmt.Errorf("--max-calls %d: want at least 1", maxCalls)
				}
				l.MaxConcurrentCalls = maxCalls
			}
			if cmd.Flags().Changed("max-credit-time") {
				if maxCredit < 0 || maxCredit%time.Second != 0 {
					return fmt.Errorf("--max-credit-time %s: want whole seconds, 0 for the server's", maxCredit)
				}
				l.MaxCreditTime = cmp.Or(maxCredit, -1)
			}
			if l == (limits.CallLimits{}) {
				return fmt.Errorf("nothing to change: give --max-calls or --max-credit-time")
			}
			return withLimits(cmd, openLimits, func(ctx context.Context, db *store.DB, svc *limits.Service) error {
				if err := svc.SetCallLimits(ctx, args[0], l); err != nil {
					return err
				}
				return showAccount(ctx, cmd.OutOrStdout(), db, svc, args[0])
			})
		},
	}
	cmd.Flags().IntVar(&maxCalls, "max-calls", 1, "calls the card may have in progress at once")
	cmd.Flags().DurationVar(&maxCredit, "max-credit-time", 0, maxCreditHelp)
	return cmd
}

// accountRecord is a card as list and show print it; money is a decimal
// string, exact.
type accountRecord struct {
	Number    string `json:"number"`
	Status    string `json:"status"`
	Plan      string `json:"plan"`
	Currency  string `json:"currency"`
	Balance   string `json:"balance"`
	Reserved  string `json:"reserved"`
	Available string `json:"available"`
	LiveCalls int    `json:"live_calls"`
	ExpiresAt string `json:"expires_at"`
	MaxCalls  int    `json:"max_calls"`
	// MaxCreditTime is "" when the server's default applies.
	MaxCreditTime string `json:"max_credit_time"`
	Language      string `json:"language"`
	CreatedAt     string `json:"created_at"`
}

var accountHeader = []string{"number", "status", "plan", "currency", "balance", "reserved", "available", "live_calls",
	"expires_at", "max_calls", "max_credit_time", "language", "created_at"}

func newAccountRecord(a limits.Account, plans map[int64]planFacts) accountRecord {
	return accountRecord{Number: a.Number, Status: string(a.Status), Plan: plans[a.PlanID].Name, Currency: a.Currency,
		Balance: a.Balance.String(), Reserved: a.Reserved.String(), Available: a.Available().String(), LiveCalls: a.LiveCalls,
		ExpiresAt: formatUTC(a.ExpiresAt), MaxCalls: a.MaxConcurrentCalls, MaxCreditTime: creditTime(a.MaxCreditTime), Language: a.Language,
		CreatedAt: formatUTC(a.CreatedAt)}
}

func (r accountRecord) fields() []string {
	return []string{r.Number, r.Status, r.Plan, r.Currency, r.Balance, r.Reserved, r.Available, strconv.Itoa(r.LiveCalls),
		r.ExpiresAt, strconv.Itoa(r.MaxCalls), r.MaxCreditTime, r.Language, r.CreatedAt}
}

// ledgerRecord is a ledger entry as printed.
type ledgerRecord struct {
	ID        int64  `json:"id"`
	CreatedAt string `json:"created_at"`
	Kind      string `json:"kind"`
	Amount    string `json:"amount"`
	Reason    string `json:"reason"`
	Reference string `json:"reference"`
	// BalanceAfter is set by account ledger, which reads the whole ledger.
	BalanceAfter string `json:"balance_after,omitempty"`
}

// ledgerHeader ends with balance_after, which account show leaves out.
var ledgerHeader = []string{"id", "created_at", "kind", "amount", "reason", "reference", "balance_after"}

func newLedgerRecord(e limits.LedgerEntry) ledgerRecord {
	return ledgerRecord{ID: e.ID, CreatedAt: formatUTC(e.CreatedAt), Kind: string(e.Kind), Amount: e.Amount.String(),
		Reason: e.Reason, Reference: e.Reference}
}

func (r ledgerRecord) fields() []string {
	f := []string{strconv.FormatInt(r.ID, 10), r.CreatedAt, r.Kind, r.Amount, r.Reason, r.Reference}
	if r.BalanceAfter != "" {
		f = append(f, r.BalanceAfter)
	}
	return f
}

// record is a row of a listing: JSON-encoded as is, its fields in
// the header's order for table and CSV.
type record interface{ fields() []string }

func checkRecordsFormat(format string) error {
	if format != "table" && format != "csv" && format != "json" {
		return fmt.Errorf("--format %q: want table, csv or json", format)
	}
	return nil
}

func writeRecords[R record](w io.Writer, format string, header []string, rows []R) error {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows {
			cells := r.fields()
			for i, c := range cells {
				cells[i] = terminalSafe(c)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(r.fields()); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		if rows == nil {
			rows = []R{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return checkRecordsFormat(format)
}

// terminalSafe escapes what stored text must not send to the terminal.
var terminalSafe = export.TerminalSafe
