-- +goose Up
-- CHAP needs the clear PIN on the server: cards may keep it sealed
-- (AES-256-GCM under the key of authorize.pin_key_file). Documented in
-- sql/SCHEMA.md ("Prepaid accounts, users and limits").
ALTER TABLE prepaid_account ADD COLUMN pin_sealed BLOB;

-- +goose Down
ALTER TABLE prepaid_account DROP COLUMN pin_sealed;
