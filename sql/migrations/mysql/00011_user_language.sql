-- +goose Up
-- The language of a user's limit e-mails; '' takes the mailer's default
-- (smtp.language).
ALTER TABLE enterprise_user ADD COLUMN language VARCHAR(16) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE enterprise_user DROP COLUMN language;
