-- +goose Up
-- A CDR keeps the owner it was billed to (a re-rate never moves old calls to
-- a number's new owner); re-rating corrects the money with `rerate` ledger
-- entries that count in the period of the call's debit (accrued_at); a card
-- may cap one call's credit time; each radiusd reports the tables it has
-- loaded. Documented in sql/SCHEMA.md.
ALTER TABLE cdr ADD COLUMN account_id INTEGER;
ALTER TABLE cdr ADD COLUMN user_id INTEGER;
-- The owners of the calls debited before this migration are in the ledger.
UPDATE cdr SET
    account_id = (SELECT l.account_id FROM ledger_entry l WHERE l.kind = 'call_debit' AND l.reference = cdr.dedup_key),
    user_id = (SELECT l.user_id FROM ledger_entry l WHERE l.kind = 'call_debit' AND l.reference = cdr.dedup_key)
WHERE billed = 1;

-- SQLite cannot change a CHECK constraint in place.
CREATE TABLE ledger_entry_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER REFERENCES prepaid_account (id),
    user_id       INTEGER REFERENCES enterprise_user (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('topup', 'call_debit', 'refund', 'adjustment', 'rerate')),
    amount_micros INTEGER NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    reference     TEXT,
    created_at    TEXT    NOT NULL,
    accrued_at    TEXT    NOT NULL,
    CHECK ((account_id IS NULL) <> (user_id IS NULL)),
    CHECK (kind NOT IN ('call_debit', 'rerate') OR reference IS NOT NULL)
);
INSERT INTO ledger_entry_new (id, account_id, user_id, kind, amount_micros, reason, reference, created_at, accrued_at)
    SELECT id, account_id, user_id, kind, amount_micros, reason, reference, created_at, created_at FROM ledger_entry;
DROP TABLE ledger_entry;
ALTER TABLE ledger_entry_new RENAME TO ledger_entry;
CREATE UNIQUE INDEX ledger_entry_kind_reference ON ledger_entry (kind, reference);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id);
CREATE INDEX ledger_entry_user_spend ON ledger_entry (user_id, kind, accrued_at);

ALTER TABLE prepaid_account ADD COLUMN max_credit_seconds INTEGER CHECK (max_credit_seconds IS NULL OR max_credit_seconds >= 1);

CREATE TABLE radiusd_instance (
    id               TEXT    PRIMARY KEY,
    hostname         TEXT    NOT NULL,
    pid              INTEGER NOT NULL,
    started_at       TEXT    NOT NULL,
    seen_at          TEXT    NOT NULL,
    poll_interval_ms INTEGER NOT NULL,
    tables_version   INTEGER NOT NULL,
    reload_error     TEXT    NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE radiusd_instance;
ALTER TABLE prepaid_account DROP COLUMN max_credit_seconds;
CREATE TABLE ledger_entry_old (
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
-- Re-rate corrections become adjustments, so that balances stay the ledger's sum.
INSERT INTO ledger_entry_old (id, account_id, user_id, kind, amount_micros, reason, reference, created_at)
    SELECT id, account_id, user_id, CASE kind WHEN 'rerate' THEN 'adjustment' ELSE kind END, amount_micros, reason, reference, created_at
    FROM ledger_entry;
DROP TABLE ledger_entry;
ALTER TABLE ledger_entry_old RENAME TO ledger_entry;
CREATE UNIQUE INDEX ledger_entry_kind_reference ON ledger_entry (kind, reference);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id);
CREATE INDEX ledger_entry_user_spend ON ledger_entry (user_id, kind, created_at);
ALTER TABLE cdr DROP COLUMN user_id;
ALTER TABLE cdr DROP COLUMN account_id;
