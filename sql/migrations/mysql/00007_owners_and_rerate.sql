-- +goose Up
-- A CDR keeps the owner it was billed to (a re-rate never moves old calls to
-- a number's new owner); re-rating corrects the money with `rerate` ledger
-- entries that count in the period of the call's debit (accrued_at); a card
-- may cap one call's credit time; each radiusd reports the tables it has
-- loaded. Documented in sql/SCHEMA.md.
ALTER TABLE cdr
    ADD COLUMN account_id BIGINT UNSIGNED NULL COMMENT 'the prepaid card the leg was billed to, kept when re-rated',
    ADD COLUMN user_id    BIGINT UNSIGNED NULL COMMENT 'the enterprise user the leg belongs to, kept when re-rated';
-- The owners of the calls debited before this migration are in the ledger.
UPDATE cdr JOIN ledger_entry l ON l.kind = 'call_debit' AND l.reference = cdr.dedup_key
    SET cdr.account_id = l.account_id, cdr.user_id = l.user_id
    WHERE cdr.billed = 1;

ALTER TABLE ledger_entry
    DROP CONSTRAINT ledger_entry_kind_check,
    DROP CONSTRAINT ledger_entry_debit_reference_check,
    ADD COLUMN accrued_at DATETIME(3) NULL COMMENT 'when the entry counts toward a user''s period spend' AFTER created_at;
UPDATE ledger_entry SET accrued_at = created_at;
ALTER TABLE ledger_entry
    MODIFY accrued_at DATETIME(3) NOT NULL COMMENT 'when the entry counts toward a user''s period spend',
    MODIFY kind VARCHAR(16) NOT NULL COMMENT 'topup, call_debit, refund, adjustment or rerate',
    ADD CONSTRAINT ledger_entry_kind_check CHECK (kind IN ('topup', 'call_debit', 'refund', 'adjustment', 'rerate')),
    ADD CONSTRAINT ledger_entry_debit_reference_check CHECK (kind NOT IN ('call_debit', 'rerate') OR reference IS NOT NULL),
    DROP KEY ledger_entry_user_spend,
    ADD KEY ledger_entry_user_spend (user_id, kind, accrued_at);

ALTER TABLE prepaid_account
    ADD COLUMN max_credit_seconds INT NULL COMMENT 'most credit time one call is granted; NULL: authorize.max_credit_time',
    ADD CONSTRAINT prepaid_account_credit_check CHECK (max_credit_seconds IS NULL OR max_credit_seconds >= 1);

CREATE TABLE radiusd_instance (
    id               VARCHAR(128) NOT NULL PRIMARY KEY COMMENT 'hostname/pid/start of one running radiusd',
    hostname         VARCHAR(255) NOT NULL,
    pid              INT          NOT NULL,
    started_at       DATETIME(3)  NOT NULL,
    seen_at          DATETIME(3)  NOT NULL COMMENT 'its latest poll of tariff_version',
    poll_interval_ms INT          NOT NULL COMMENT 'its rating.reload_interval',
    tables_version   BIGINT       NOT NULL COMMENT 'the tariff_version of the tables in force there',
    reload_error     TEXT         NOT NULL COMMENT 'why its latest reload was refused; empty when it succeeded'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='running radiusd processes and the tables each has loaded';

-- +goose Down
DROP TABLE radiusd_instance;
ALTER TABLE prepaid_account DROP CONSTRAINT prepaid_account_credit_check, DROP COLUMN max_credit_seconds;
UPDATE ledger_entry SET kind = 'adjustment' WHERE kind = 'rerate';
ALTER TABLE ledger_entry
    DROP CONSTRAINT ledger_entry_kind_check,
    DROP CONSTRAINT ledger_entry_debit_reference_check,
    DROP KEY ledger_entry_user_spend,
    ADD KEY ledger_entry_user_spend (user_id, kind, created_at),
    DROP COLUMN accrued_at;
ALTER TABLE ledger_entry
    ADD CONSTRAINT ledger_entry_kind_check CHECK (kind IN ('topup', 'call_debit', 'refund', 'adjustment')),
    ADD CONSTRAINT ledger_entry_debit_reference_check CHECK (kind <> 'call_debit' OR reference IS NOT NULL);
ALTER TABLE cdr DROP COLUMN user_id, DROP COLUMN account_id;
