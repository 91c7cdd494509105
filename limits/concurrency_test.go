package limits_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/limits/internal/fixture"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// server stands in for one radiusd process: its own connection pool,
// Service and CardBatcher on the shared database.
type server struct {
	db    *store.DB
	svc   *limits.Service
	cards *limits.CardBatcher
}

// authorize decides a call through the server's batcher, as radiusd does.
func (s server) authorize(card string, call limits.CallRequest, tariff *rating.Snapshot) (limits.Authorization, error) {
	type decision struct {
		a   limits.Authorization
		err error
	}
	decided := make(chan decision, 1)
	s.cards.Submit(limits.CardCall{Number: card, Call: call, Tariff: tariff}, func(a limits.Authorization, err error) { decided <- decision{a, err} })
	d := <-decided
	return d.a, d.err
}

// TestConcurrentCardsStayAboveFloor runs many goroutines spread over
// several servers authorizing (in batches, several calls of a card in one), settling (a quarter of the Stops twice, at
// two servers at once), topping up and debiting a few cards. Calls last at
// most their credit time, so no balance may go below 0, the floor of
// doc.go; every balance must equal its ledger, and each Stop be debited
// exactly once.
func TestConcurrentCardsStayAboveFloor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		const cards, servers, workers, stepsPerWorker = 4, 3, 16, 25
		const initial rating.Money = 8_000_000
		ctx := context.Background()
		fleet := make([]server, servers)
		for i := range fleet {
			db := testdb.Open(t, b)
			// Credit time capped at 5 min, which costs 1.00, so several calls
			// share a card's balance.
			svc := limits.New(db, limits.Options{PINCost: bcrypt.MinCost, MaxCreditTime: 5 * time.Minute})
			// Under the race detector on a loaded CI machine, three pools
			// queueing for SQLite's write lock can take longer than the
			// default 2 s a batch gets; this test is about money, not time.
			fleet[i] = server{db: db, svc: svc, cards: svc.NewCardBatcher(limits.BatcherConfig{Timeout: 10 * time.Second})}
			t.Cleanup(fleet[i].cards.Close)
		}
		tariff := fixture.ImportTariff(t, fleet[0].db)
		numbers := make([]string, cards)
		for i := range numbers {
			numbers[i] = fmt.Sprintf("4000%d", i)
			_, err := fleet[0].svc.CreateAccount(ctx, limits.NewAccount{Number: numbers[i], PIN: "1234", PlanID: tariff.ExactPlan,
				InitialBalance: initial, MaxConcurrentCalls: 4})
			if err != nil {
				t.Fatal(err)
			}
		}

		var mu sync.Mutex
		moved := map[string]rating.Money{} // expected balance change per card
		debits := map[string]int{}         // Stops settled per card
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 42))
				for step := range stepsPerWorker {
					card := numbers[rng.IntN(cards)]
					here := fleet[rng.IntN(servers)]
					if rng.IntN(10) == 0 {
						// Operators move money meanwhile.
						p := limits.Posting{Kind: limits.KindTopUp, Amount: 1_000_000, Reference: fmt.Sprintf("pay-%d-%d", w, step)}
						if rng.IntN(2) == 0 {
							p = limits.Posting{Kind: limits.KindAdjustment, Amount: -300_000, Reason: "correction"}
						}
						_, err := here.svc.Post(ctx, card, p)
						if errors.Is(err, limits.ErrInsufficientCredit) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						moved[card] += p.Amount
						mu.Unlock()
						continue
					}
					confID := fmt.Sprintf("%08X %08X", w, step)
					call := limits.CallRequest{ConfID: confID, Called: tariff.MobileNumber, Direction: rating.Outgoing}
					a, err := here.authorize(card, call, tariff.Snapshot)
					if err != nil {
						t.Error(err)
						return
					}
					switch a.ReturnCode {
					case limits.CodeSuccess:
					case limits.CodeAccountInUse, limits.CodeZeroBalance, limits.CodeInsufficientBalance:
						continue
					default:
						t.Errorf("card %s: unexpected code %d (%s)", card, a.ReturnCode, a.Reason)
						return
					}
					if rng.IntN(50) == 0 {
						continue // the Stop is lost: the reservation holds until it expires
					}
					var duration int64 // unanswered: a zero-second Stop
					switch rng.IntN(4) {
					case 0:
						duration = a.CreditSeconds // talked until the gateway cut the call
					case 1, 2:
						duration = 1 + rng.Int64N(a.CreditSeconds)
					}
					cost := tariff.Snapshot.Rate(rating.Call{PlanID: tariff.ExactPlan, Called: tariff.MobileNumber,
						ConnectTime: time.Now(), DurationSeconds: duration, Direction: rating.Outgoing}).Cost
					if cost > a.Reserved {
						t.Errorf("a %d s call costs %s, more than the %s reserved for %d s", duration, cost, a.Reserved, a.CreditSeconds)
						return
					}
					stop := limits.CallCharge{Reference: "cdr " + confID, ConfID: confID, Cost: cost}
					copies := 1
					if rng.IntN(4) == 0 {
						copies = 2
					}
					results := make(chan limits.Settled, copies)
					var settling sync.WaitGroup
					for c := range copies {
						at := fleet[(step+c)%servers]
						settling.Go(func() {
							settled, err := inTx(at.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
								return at.svc.SettleCardTx(ctx, tx, card, stop)
							})
							if err != nil {
								t.Error(err)
							}
							results <- settled
						})
					}
					settling.Wait()
					close(results)
					debited := 0
					for r := range results {
						if r.Debited {
							debited++
						}
					}
					if debited != 1 {
						t.Errorf("stop %q settled %d times by %d copies", confID, debited, copies)
						return
					}
					mu.Lock()
					moved[card] -= cost
					debits[card]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		calls := 0
		for _, number := range numbers {
			account, err := fleet[0].svc.Account(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			if account.Balance != initial+moved[number] {
				t.Errorf("card %s: balance %s, want %s", number, account.Balance, initial+moved[number])
			}
			if account.Balance < 0 || account.Available() < 0 {
				t.Errorf("card %s below the floor: balance %s, available %s", number, account.Balance, account.Available())
			}
			n := countRows(t, fleet[0].db, "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit' AND account_id = ?", account.ID)
			if n != debits[number] {
				t.Errorf("card %s: %d call debits in the ledger, %d Stops settled", number, n, debits[number])
			}
			calls += debits[number]
		}
		checkLedgers(t, fleet[0].db)
		if calls < workers {
			t.Errorf("only %d calls went through: the test exercised little", calls)
		}
		t.Logf("%d calls settled", calls)
	})
}
