-- +goose Up
-- Authorizations read an owner's live reservations: these indexes cover
-- that read. Documented in sql/SCHEMA.md.
CREATE INDEX credit_reservation_account_live ON credit_reservation (account_id, expires_at, amount_micros, conf_id);
CREATE INDEX credit_reservation_user_live ON credit_reservation (user_id, expires_at, amount_micros, conf_id);

-- +goose Down
DROP INDEX credit_reservation_account_live;
DROP INDEX credit_reservation_user_live;
