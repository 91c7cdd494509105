package limits

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Reasons a call in progress is disconnected, as disconnect_request
// keeps them.
const (
	DisconnectCardBlocked = "card blocked"
	DisconnectUserBlocked = "user blocked"
	DisconnectCreditCut   = "balance cut below the calls' reservations"
)

// queueDisconnects queues a Disconnect-Request (package
// radiusd/disconnect sends them) for each call in progress of the card or
// user: the calls holding a reservation, and for a user also the legs
// started from one of its numbers; in tx, the change's transaction, so
// that a rolled back change disconnects nothing. A call already queued is
// not queued again.
func (s *Service) queueDisconnects(ctx context.Context, tx *sqlx.Tx, o owner, reason string) error {
	_, now := s.nowStamp()
	insert := "INSERT INTO disconnect_request (client_name, nas_ip, acct_session_id, conf_id, user_name, reason, next_attempt_at, created_at) " +
		"SELECT a.client_name, a.nas_ip, a.acct_session_id, a.conf_id, a.user_name, ?, ?, ? FROM active_call a WHERE "
	queued := s.onConflictDoNothing("disconnect_request", "nas_ip, acct_session_id, conf_id")
	if _, err := tx.ExecContext(ctx, insert+"a.conf_id <> '' AND a.conf_id IN (SELECT conf_id FROM credit_reservation WHERE "+o.column+" = ?)"+queued,
		reason, now, now, o.id); err != nil {
		return err
	}
	if o.column != "user_id" {
		return nil
	}
	_, err := tx.ExecContext(ctx, insert+"a.calling_number IN (SELECT number FROM enterprise_user_number WHERE user_id = ?)"+queued, reason, now, now, o.id)
	return err
}
