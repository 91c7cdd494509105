-- +goose Up
-- Prepaid cards, enterprise users and their limits, the money ledger, credit
-- reserved by calls in progress, and limit notifications. Documented in
-- sql/SCHEMA.md ("Prepaid accounts, users and limits").

CREATE TABLE prepaid_account (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    account_number       TEXT    NOT NULL UNIQUE,
    pin_hash             TEXT    NOT NULL,
    balance_micros       INTEGER NOT NULL DEFAULT 0,
    currency             TEXT    NOT NULL,
    plan_id              INTEGER NOT NULL REFERENCES tariff_plan (id),
    status               TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    expires_at           TEXT,
    max_concurrent_calls INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent_calls >= 1),
    language             TEXT    NOT NULL DEFAULT 'en',
    created_at           TEXT    NOT NULL
);

CREATE TABLE enterprise_user (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    branch          TEXT    NOT NULL DEFAULT '',
    department      TEXT    NOT NULL DEFAULT '',
    plan_id         INTEGER NOT NULL REFERENCES tariff_plan (id),
    limit_type      TEXT    NOT NULL DEFAULT 'normal'
                            CHECK (limit_type IN ('normal', 'notification', 'unrestricted', 'blocked')),
    limit_micros    INTEGER NOT NULL DEFAULT 0 CHECK (limit_micros >= 0),
    warning_percent INTEGER NOT NULL DEFAULT 80 CHECK (warning_percent BETWEEN 1 AND 100),
    reset_day       INTEGER NOT NULL DEFAULT 1 CHECK (reset_day BETWEEN 1 AND 31),
    created_at      TEXT    NOT NULL
);

CREATE TABLE enterprise_user_number (
    number  TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enterprise_user (id)
);
CREATE INDEX enterprise_user_number_user ON enterprise_user_number (user_id);

CREATE TABLE ledger_entry (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER REFERENCES prepaid_account (id),
    user_id       INTEGER REFERENCES enterprise_user (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('topup', 'call_debit', 'refund', 'adjustment')),
    amount_micros INTEGER NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    reference     TEXT,
    created_at    TEXT    NOT NULL,
    CHECK ((account_id IS NULL) <> (user_id IS NULL)),
    CHECK (kind <> 'call_debit' OR reference IS NOT NULL)
);
CREATE UNIQUE INDEX ledger_entry_kind_reference ON ledger_entry (kind, reference);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id);
CREATE INDEX ledger_entry_user_spend ON ledger_entry (user_id, kind, created_at);

CREATE TABLE credit_reservation (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER REFERENCES prepaid_account (id),
    user_id        INTEGER REFERENCES enterprise_user (id),
    conf_id        TEXT    NOT NULL,
    amount_micros  INTEGER NOT NULL CHECK (amount_micros >= 0),
    credit_seconds INTEGER NOT NULL,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    CHECK ((account_id IS NULL) <> (user_id IS NULL)),
    UNIQUE (account_id, conf_id),
    UNIQUE (user_id, conf_id)
);
CREATE INDEX credit_reservation_expires ON credit_reservation (expires_at);

CREATE TABLE limit_notification (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES enterprise_user (id),
    period_start      TEXT    NOT NULL,
    period_end        TEXT    NOT NULL,
    threshold         TEXT    NOT NULL CHECK (threshold IN ('warning', 'limit')),
    threshold_percent INTEGER NOT NULL,
    spend_micros      INTEGER NOT NULL,
    limit_micros      INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT,
    last_error        TEXT    NOT NULL DEFAULT '',
    created_at        TEXT    NOT NULL,
    sent_at           TEXT,
    UNIQUE (user_id, period_start, threshold)
);
CREATE INDEX limit_notification_due ON limit_notification (status, next_attempt_at);

-- +goose Down
DROP TABLE limit_notification;
DROP TABLE credit_reservation;
DROP TABLE ledger_entry;
DROP TABLE enterprise_user_number;
DROP TABLE enterprise_user;
DROP TABLE prepaid_account;
