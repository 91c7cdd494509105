-- +goose Up
-- CHAP needs the clear PIN on the server: cards may keep it sealed
-- (AES-256-GCM under the key of authorize.pin_key_file). Documented in
-- sql/SCHEMA.md ("Prepaid accounts, users and limits").
ALTER TABLE prepaid_account
    ADD COLUMN pin_sealed VARBINARY(128) NULL
        COMMENT 'PIN sealed with the server''s PIN key for CHAP (nonce, ciphertext, tag); NULL: PAP only'
        AFTER pin_hash;

-- +goose Down
ALTER TABLE prepaid_account DROP COLUMN pin_sealed;
