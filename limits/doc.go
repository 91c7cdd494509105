// Package limits keeps the money of prepaid (debit) cards and the spending
// limits of enterprise users: balances, an append-only ledger, credit
// reserved by calls in progress, the limit policy, and the queue of limit
// e-mails that package limits/notify delivers. Tables: sql/SCHEMA.md,
// "Prepaid accounts, users and limits".
//
// # Who calls what
//
// One Service per process, made by New on the process's *store.DB:
//
//	svc := limits.New(db, limits.Options{})
//
// The RADIUS handler, for the Cisco debit-card flow (Cisco's "RADIUS VSA
// Voice Implementation Guide"; tcl/README.md for the gateway's side):
//
//	// Access-Request #1 (account, PIN):
//	auth, err := svc.Authenticate(ctx, account, pin)
//	// auth.ReturnCode → h323-return-code; on CodeSuccess send
//	// auth.Account.Available() as h323-credit-amount, Currency, Language.
//
//	// Access-Request #2 (account, PIN, destination): check the PIN (from
//	// memory once verified), then decide the call in a batch shared with
//	// the other calls in flight (cards := svc.NewCardBatcher(...)):
//	pinHash, code, err := svc.CheckPIN(ctx, account, pin)
//	cards.Submit(limits.CardCall{Number: account, PINHash: pinHash, Tariff: snapshot,
//		Call: limits.CallRequest{ConfID: confID, Called: normalisedCalled, Direction: rating.Outgoing}},
//		func(a limits.Authorization, err error) {
//			// a.ReturnCode → h323-return-code; a.CreditSeconds → h323-credit-time.
//		})
//	// AuthorizeCard(ctx, account, call, snapshot) decides one call alone.
//
//	// An enterprise call, by calling number:
//	a, err := svc.AuthorizeUser(ctx, callingNumber, request, snapshot)
//	// a.Unlimited: accept without h323-credit-time.
//
// The CDR writer, in the transaction that stores the billed legs' CDRs, so
// that each CDR and its debit commit together or not at all — all the
// batch's card Stops at once:
//
//	// tx is a store.Tx: on MySQL the writer's transactions are Together,
//	// and the card settlement sends its three reads, then its three
//	// writes, in one round trip each.
//	settled, err := svc.SettleCardsTx(ctx, tx, []limits.CardCharge{{Number: account,
//		Charge: limits.CallCharge{Reference: dedupKey, ConfID: confID, Cost: rating.Money(cost)}}})
//	settled, err := svc.SettleUserTx(ctx, tx.Tx, userID, charge)
//
// radiusd in the background: svc.SweepReservations every minute or so,
// and a notify.Sender's Run.
//
// The CLI: CreateAccount, Account, ListAccounts, AccountLedger, Post
// (top-up, refund, adjustment), SetAccountStatus (block, unblock);
// CreateUser, User, UserByNumber, ListUsers, SetUserLimit (including
// blocking: LimitBlocked), AddUserNumber, RemoveUserNumber, UserUsage.
//
// # Money
//
// Amounts are rating.Money: int64 micro-units, never floats. A card's
// balance_micros is a cache of the sum of its ledger_entry rows: every
// statement that appends an entry moves the balance by the same amount in
// the same transaction, and nothing updates or deletes ledger rows. Call
// debits are unique by (kind, reference), so a Stop settled twice — a
// gateway retry, two servers receiving broadcast accounting — debits once.
// Operator postings with a Reference are idempotent the same way.
//
// # Concurrency
//
// Several radiusd processes on one MariaDB behave as one, because every
// decision about a card's or user's money is made in a transaction that
// first locks that card's or user's row: SELECT … FOR UPDATE on MySQL
// (READ COMMITTED, so each later statement sees all committed work); on
// SQLite store.Open makes every transaction BEGIN IMMEDIATE, which holds
// the database's write lock. Under that lock an authorization reads the
// balance and the live reservations, and inserts its own reservation, so
// two authorizations of one card cannot both spend the same credit. The
// Service retries its own transactions when InnoDB picks them as deadlock
// victims; SettleCardsTx and SettleUserTx run in the caller's transaction,
// whose retry is the caller's (the CDR writer retries whole batches).
// AuthorizeCards and SettleCardsTx lock their cards in account-number
// order, so batches of either kind do not deadlock on shared cards.
//
// # Authorization and the floor
//
// AuthorizeCards finds, by binary search over the plan's own rating
// (rated cost never decreases with duration), the longest call whose cost
// fits the available credit — balance minus live reservations — honouring
// connect fee, minimum duration, increments, tiers, bands, rounding and
// cap, up to Options.MaxCreditTime; it grants those seconds and reserves
// exactly their cost. It never grants a second more than the credit pays
// for: the credit is not "one increment over".
//
// The floor of a card's balance is therefore 0, on these conditions:
//   - the gateway ends the call within the h323-credit-time granted;
//   - the call's Stop is settled before its reservation expires
//     (authorization + credit time + Options.ReservationSlack);
//   - the rating at the Stop does not price the call higher than at
//     authorization (same tariff; authorization rates from "now", the call
//     is rated from its real connect time, which can fall in a dearer band).
//
// Proof: under the card's lock an authorization reserves r ≤ balance − Σ
// live reservations, so Σ live reservations ≤ balance holds after every
// authorization. Settling debits the call's cost c ≤ r (cost is monotone
// and the call lasted at most the credit time) and deletes r, so the
// balance stays ≥ Σ remaining reservations ≥ 0. An operator's debit
// posting may take at most the available credit. When a condition fails
// the debit is still recorded in full — money owed is never dropped — the
// balance may go below 0, and the card is refused (CodeZeroBalance) until
// it is topped up. Expired reservations hold nothing: authorizations ignore
// them and SweepReservations deletes them.
//
// # Enterprise users
//
// A user is found by any of its numbers (enterprise_user_number). The
// limit applies per period, from the reset day's local midnight in the
// user's plan's time zone to the next (day 31 means the month's last day).
// The period's spend is the sum of the user's call debits settled in it
// (ledger created_at, i.e. when the Stop was settled). LimitNormal works
// like a card whose balance is limit − spend, with reservations; the
// other types take no reservation. A settle that brings the spend to
// WarningPercent of the limit, or to the limit, inserts a
// limit_notification row (unique per user, period and threshold) in the
// same transaction; notify.Sender mails it later.
//
// # Return codes
//
// ReturnCode values are Cisco's h323-return-code numbers; see each
// function for the codes it returns and the h323-return-code table of
// Cisco's "RADIUS VSA Voice Implementation Guide" for their meaning. Gateways that number differently are the RADIUS
// handler's business.
package limits
