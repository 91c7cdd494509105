package billing

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Settler is the charge phase, a store.Settler: in the transaction that
// stores a batch's CDRs it debits each prepaid card's leg to the card
// (releasing the credit its authorization reserved) and charges each
// enterprise user's leg to the user's period spend, queueing the user's
// limit e-mails there too.
type Settler struct {
	Limits *limits.Service
	Log    *zap.Logger
}

// SettleTx charges the owed legs inside tx.
func (o Settler) SettleTx(ctx context.Context, tx store.Tx, owed []store.Owed) error {
	charge := func(x store.Owed) limits.CallCharge {
		rec := x.Record
		return limits.CallCharge{Reference: x.DedupKey, ConfID: rec.ConfID, Cost: rating.Money(*rec.Rating.CostMicros),
			Reason: fmt.Sprintf("call to %s, %s", rec.Rating.CalledNorm, rec.Rating.Zone)}
	}
	var cards []limits.CardCharge
	for _, x := range owed {
		if x.Record.Rating.Account != "" {
			cards = append(cards, limits.CardCharge{Number: x.Record.Rating.Account, Charge: charge(x)})
		}
	}
	settled, err := o.Limits.SettleCardsTx(ctx, tx, cards)
	if err != nil {
		return err
	}
	for i, s := range settled {
		if s.UnknownOwner {
			o.notCharged(cards[i].Number, 0, cards[i].Charge.Reference)
		}
	}
	var users []limits.UserCharge
	for _, x := range owed {
		if x.Record.Rating.Account == "" {
			users = append(users, limits.UserCharge{UserID: x.Record.Rating.UserID, Charge: charge(x)})
		}
	}
	settledUsers, err := o.Limits.SettleUsersTx(ctx, tx, users)
	if err != nil {
		return err
	}
	for i, s := range settledUsers {
		if s.UnknownOwner {
			o.notCharged("", users[i].UserID, users[i].Charge.Reference)
		}
	}
	return nil
}

// notCharged logs a leg whose card or user went away after the tables
// were loaded: the CDR keeps the cost; there is no one to charge.
func (o Settler) notCharged(account string, userID int64, dedupKey string) {
	o.Log.Warn("leg's owner no longer exists, not charged", zap.String("account", account),
		zap.Int64("user_id", userID), zap.String("dedup_key", dedupKey))
}
