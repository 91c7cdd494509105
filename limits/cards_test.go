package limits_test

import (
	"context"
	"crypto/md5"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

// TestAuthorizeCardsDecidesAsOneByOne gives the same calls to
// AuthorizeCards as one batch and to AuthorizeCard one at a time, on twin
// cards: the decisions and the reservations left must be the same — a
// card's later calls in a batch see the credit its earlier ones took, a
// call authorized twice keeps one reservation, and a refused call (unknown
// card, no conf-id) fails alone.
func TestAuthorizeCardsDecidesAsOneByOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		// A call gets at most 5 min, which cost 1.40 (0.40 to connect, 0.20
		// a minute): 4.00 pays for two such calls and a third of 4 min.
		e := newEnv(t, b, limits.Options{MaxCreditTime: 5 * time.Minute})
		ctx := context.Background()
		for _, twin := range []string{"1", "2"} {
			e.card(t, twin+"01", 4_000_000, func(n *limits.NewAccount) { n.MaxConcurrentCalls = 3 })
			e.card(t, twin+"02", 1_500_000, func(n *limits.NewAccount) { n.MaxConcurrentCalls = 1 })
		}
		// An earlier call of x01 holds a reservation that the batch renews.
		for _, twin := range []string{"1", "2"} {
			expectCode(t, "before the batch", e.authorizeCard(t, twin+"01", e.call(twin+"renewed")), limits.CodeSuccess)
		}
		calls := func(twin string) []limits.CardCall {
			call := func(number, confID string) limits.CardCall {
				return limits.CardCall{Number: twin + number, Call: e.call(twin + confID), Tariff: e.tariff.Snapshot}
			}
			noConfID := call("01", "")
			noConfID.Call.ConfID = ""
			return []limits.CardCall{
				call("01", "a"), call("02", "b"), call("01", "c"), call("01", "a"), // a again: replaces its grant
				call("01", "d"),       // the fourth call while three are in progress
				call("02", "e"),       // x02 allows one call
				call("99", "f"),       // no such card
				noConfID,              // invalid
				call("01", "renewed"), // replaces the reservation made before the batch
			}
		}
		batched, err := e.svc.AuthorizeCards(ctx, calls("1"))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range calls("2") {
			alone, err := e.svc.AuthorizeCard(ctx, c.Number, c.Call, c.Tariff)
			if err != nil {
				t.Fatal(err)
			}
			got := batched[i]
			if got.ReturnCode != alone.ReturnCode || got.CreditSeconds != alone.CreditSeconds || got.Reserved != alone.Reserved || got.Available != alone.Available {
				t.Errorf("call %d: batched %+v, one by one %+v", i, got, alone)
			}
		}
		wantCodes := []limits.ReturnCode{limits.CodeSuccess, limits.CodeSuccess, limits.CodeSuccess, limits.CodeSuccess,
			limits.CodeAccountInUse, limits.CodeAccountInUse, limits.CodeInvalidAccount, limits.CodeInvalidArgument, limits.CodeSuccess}
		for i, want := range wantCodes {
			expectCode(t, "call "+calls("1")[i].Call.ConfID, batched[i], want)
		}
		if batched[2].Available >= batched[0].Available || batched[2].Reserved == 0 {
			t.Errorf("the second call of a card saw %s available after the first took %s", batched[2].Available, batched[0].Reserved)
		}
		for _, suffix := range []string{"01", "02"} {
			type held struct {
				Calls  int   `db:"calls"`
				Amount int64 `db:"amount"`
			}
			read := func(number string) held {
				var h held
				err := e.db.Get(&h, "SELECT COUNT(*) AS calls, COALESCE(SUM(r.amount_micros), 0) AS amount FROM credit_reservation r "+
					"JOIN prepaid_account a ON a.id = r.account_id WHERE a.account_number = ?", number)
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			if one, two := read("1"+suffix), read("2"+suffix); one != two {
				t.Errorf("card x%s holds %+v after the batch, %+v after one by one", suffix, one, two)
			}
		}
		account, err := e.svc.Account(ctx, "101")
		if err != nil {
			t.Fatal(err)
		}
		if account.LiveCalls != 3 || account.Available() < 0 {
			t.Errorf("card 101: %d live calls, %s available; want 3 and at least 0", account.LiveCalls, account.Available())
		}
	})
}

// TestCheckPINAndChangedPIN: CheckPIN answers a verified PIN from memory;
// after the PIN changes the remembered check no longer authorizes a call,
// the old PIN fails and the new one works.
func TestCheckPINAndChangedPIN(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{})
		ctx := context.Background()
		e.card(t, "700", 5_000_000, nil) // PIN 4321
		check := func(pin string, want limits.ReturnCode) string {
			t.Helper()
			hash, code, err := e.svc.CheckPIN(ctx, "700", limits.PAP(pin))
			if err != nil {
				t.Fatal(err)
			}
			if code != want {
				t.Fatalf("PIN %s: code %v, want %v", pin, code, want)
			}
			return hash
		}
		if _, code, err := e.svc.CheckPIN(ctx, "799", limits.PAP("4321")); err != nil || code != limits.CodeInvalidAccount {
			t.Fatalf("unknown card: code %v, %v", code, err)
		}
		check("1111", limits.CodeInvalidPIN)
		oldHash := check("4321", limits.CodeSuccess)

		newHash, err := bcrypt.GenerateFromPassword([]byte("9876"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Exec("UPDATE prepaid_account SET pin_hash = ? WHERE account_number = '700'", string(newHash)); err != nil {
			t.Fatal(err)
		}
		// The old PIN is still remembered, but the batch sees the new hash.
		remembered := check("4321", limits.CodeSuccess)
		if remembered != oldHash {
			t.Fatalf("remembered hash changed without a check")
		}
		decided, err := e.svc.AuthorizeCards(ctx, []limits.CardCall{
			{Number: "700", PINHash: remembered, Call: e.call("old-pin"), Tariff: e.tariff.Snapshot},
		})
		if err != nil {
			t.Fatal(err)
		}
		expectCode(t, "old PIN after the change", decided[0], limits.CodeInvalidPIN)

		if got := check("9876", limits.CodeSuccess); got != string(newHash) {
			t.Fatalf("new PIN checked against %q", got)
		}
		decided, err = e.svc.AuthorizeCards(ctx, []limits.CardCall{
			{Number: "700", PINHash: string(newHash), Call: e.call("new-pin"), Tariff: e.tariff.Snapshot},
		})
		if err != nil {
			t.Fatal(err)
		}
		expectCode(t, "new PIN", decided[0], limits.CodeSuccess)
		if a, err := e.svc.Authenticate(ctx, "700", limits.PAP("4321")); err != nil || a.ReturnCode != limits.CodeInvalidPIN {
			t.Fatalf("stage 1 with the old PIN: %v, %v", a.ReturnCode, err)
		}
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM credit_reservation"); n != 1 {
			t.Fatalf("%d reservations, want the new PIN's call only", n)
		}
	})
}

// TestCHAPProof checks CHAP responses against PINs sealed under the PIN
// key: the right PIN with the request's challenge passes, another PIN or
// challenge does not, and a sealed PIN copied to another card does not
// open there (it is bound to its account number).
func TestCHAPProof(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		key, err := limits.ParsePINKey([]byte(strings.Repeat("ab", 32) + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := limits.ParsePINKey([]byte("abcd")); err == nil {
			t.Fatal("a short PIN key was accepted")
		}
		e := newEnv(t, b, limits.Options{PINKey: key})
		ctx := context.Background()
		e.card(t, "710", 5_000_000, nil) // PIN 4321
		e.card(t, "711", 5_000_000, func(n *limits.NewAccount) { n.PIN = "5555" })
		response := func(id byte, pin, challenge string) limits.Proof {
			sum := md5.Sum(append(append([]byte{id}, pin...), challenge...))
			return limits.Proof{CHAP: &limits.CHAPResponse{ID: id, Response: sum[:], Challenge: []byte(challenge)}}
		}
		cases := []struct {
			name   string
			number string
			proof  limits.Proof
			want   limits.ReturnCode
		}{
			{"right PIN", "710", response(7, "4321", "challenge-1"), limits.CodeSuccess},
			{"wrong PIN", "710", response(7, "4320", "challenge-1"), limits.CodeInvalidPIN},
			{"other challenge", "710", limits.Proof{CHAP: &limits.CHAPResponse{ID: 7, Response: response(7, "4321", "challenge-1").CHAP.Response, Challenge: []byte("challenge-2")}}, limits.CodeInvalidPIN},
			{"other card's PIN", "711", response(9, "4321", "c"), limits.CodeInvalidPIN},
			{"its own PIN", "711", response(9, "5555", "c"), limits.CodeSuccess},
		}
		for _, c := range cases {
			if a, err := e.svc.Authenticate(ctx, c.number, c.proof); err != nil || a.ReturnCode != c.want {
				t.Errorf("%s: Authenticate %v, %v; want %v", c.name, a.ReturnCode, err, c.want)
			}
			if _, code, err := e.svc.CheckPIN(ctx, c.number, c.proof); err != nil || code != c.want {
				t.Errorf("%s: CheckPIN %v, %v; want %v", c.name, code, err, c.want)
			}
		}
		if _, err := e.db.Exec("UPDATE prepaid_account SET pin_sealed = (SELECT pin_sealed FROM (SELECT pin_sealed FROM prepaid_account WHERE account_number = '710') AS copy) WHERE account_number = '711'"); err != nil {
			t.Fatal(err)
		}
		if a, err := e.svc.Authenticate(ctx, "711", response(9, "4321", "c")); err != nil || a.ReturnCode != limits.CodeInvalidPIN {
			t.Errorf("a sealed PIN copied from another card: %v, %v", a.ReturnCode, err)
		}
	})
}

// TestCardBatchWhoseWriteFailsLeavesNothing makes the reservations' write
// of a card batch fail (a trigger refuses it): the batch reports the
// error, reserves nothing, and holds no lock on the card afterwards — on
// MySQL the write shares its round trip with COMMIT, so the transaction
// must be rolled back before its connection is used again.
func TestCardBatchWhoseWriteFailsLeavesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.card(t, "720", 5_000_000, nil)
		refuse := "CREATE TRIGGER refuse_reservation BEFORE INSERT ON credit_reservation BEGIN SELECT RAISE(ABORT, 'refused'); END"
		if b.Driver == store.MySQL {
			refuse = "CREATE TRIGGER refuse_reservation BEFORE INSERT ON credit_reservation FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'"
			e.db.MultiStatement.SetMaxOpenConns(1) // the next batch must reuse the failed one's connection
		}
		if _, err := e.db.Exec(refuse); err != nil {
			t.Fatal(err)
		}
		call := func(confID string) []limits.CardCall {
			return []limits.CardCall{{Number: "720", Call: e.call(confID), Tariff: e.tariff.Snapshot}}
		}
		if _, err := e.svc.AuthorizeCards(ctx, call("refused")); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("batch whose write fails: %v, want the trigger's error", err)
		}
		conn, err := e.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if b.Driver == store.MySQL {
			if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 2"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.ExecContext(ctx, "UPDATE prepaid_account SET language = language WHERE account_number = '720'"); err != nil {
			t.Fatalf("the card is still locked after the failed batch: %v", err)
		}
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM credit_reservation"); n != 0 {
			t.Fatalf("%d reservations after the failed batch", n)
		}
		if _, err := e.db.Exec("DROP TRIGGER refuse_reservation"); err != nil {
			t.Fatal(err)
		}
		decided, err := e.svc.AuthorizeCards(ctx, call("next"))
		if err != nil {
			t.Fatal(err)
		}
		expectCode(t, "the next batch", decided[0], limits.CodeSuccess)
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM credit_reservation WHERE conf_id = ?", e.call("next").ConfID); n != 1 {
			t.Fatalf("%d reservations of the next batch's call, want 1", n)
		}
	})
}
