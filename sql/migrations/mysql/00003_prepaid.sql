-- +goose Up
-- Prepaid cards, enterprise users and their limits, the money ledger, credit
-- reserved by calls in progress, and limit notifications. Documented in
-- sql/SCHEMA.md ("Prepaid accounts, users and limits"). Numbers, conf-ids and
-- references are VARBINARY so they compare byte for byte, as in SQLite.

CREATE TABLE prepaid_account (
    id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_number       VARBINARY(64)   NOT NULL COMMENT 'digits the caller types; unique',
    pin_hash             VARCHAR(100)    NOT NULL COMMENT 'bcrypt hash of the PIN',
    balance_micros       BIGINT          NOT NULL DEFAULT 0 COMMENT 'cached sum of the account''s ledger_entry rows, changed in the same transaction',
    currency             CHAR(3)         NOT NULL COMMENT 'ISO 4217; equals the plan''s currency',
    plan_id              BIGINT UNSIGNED NOT NULL COMMENT 'tariff plan that prices the card''s calls',
    status               VARCHAR(8)      NOT NULL DEFAULT 'active' COMMENT 'active or blocked',
    expires_at           DATETIME(3)     NULL COMMENT 'UTC; the card is refused from this instant; NULL: never',
    max_concurrent_calls INT             NOT NULL DEFAULT 1 COMMENT 'most calls in progress (live reservations) at once',
    language             VARCHAR(16)     NOT NULL DEFAULT 'en' COMMENT 'h323-preferred-lang for prompts',
    created_at           DATETIME(3)     NOT NULL,
    UNIQUE KEY prepaid_account_number (account_number),
    CONSTRAINT prepaid_account_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id),
    CONSTRAINT prepaid_account_status_check CHECK (status IN ('active', 'blocked')),
    CONSTRAINT prepaid_account_calls_check CHECK (max_concurrent_calls >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='prepaid (debit) cards';

CREATE TABLE enterprise_user (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name            VARCHAR(255)    NOT NULL,
    email           VARCHAR(255)    NOT NULL DEFAULT '' COMMENT 'where limit notifications go',
    branch          VARCHAR(255)    NOT NULL DEFAULT '',
    department      VARCHAR(255)    NOT NULL DEFAULT '',
    plan_id         BIGINT UNSIGNED NOT NULL COMMENT 'tariff plan that prices the user''s calls; its time zone places the period',
    limit_type      VARCHAR(16)     NOT NULL DEFAULT 'normal' COMMENT 'normal, notification, unrestricted or blocked',
    limit_micros    BIGINT          NOT NULL DEFAULT 0 COMMENT 'spending limit per period',
    warning_percent INT             NOT NULL DEFAULT 80 COMMENT 'warning e-mail when the period''s spend reaches this percent of the limit',
    reset_day       INT             NOT NULL DEFAULT 1 COMMENT 'day of month a period starts (local midnight); clamped to the month''s last day',
    created_at      DATETIME(3)     NOT NULL,
    CONSTRAINT enterprise_user_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id),
    CONSTRAINT enterprise_user_type_check CHECK (limit_type IN ('normal', 'notification', 'unrestricted', 'blocked')),
    CONSTRAINT enterprise_user_limit_check CHECK (limit_micros >= 0),
    CONSTRAINT enterprise_user_warning_check CHECK (warning_percent BETWEEN 1 AND 100),
    CONSTRAINT enterprise_user_reset_check CHECK (reset_day BETWEEN 1 AND 31)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='enterprise users with a spending limit per period';

CREATE TABLE enterprise_user_number (
    number  VARBINARY(64)   NOT NULL PRIMARY KEY COMMENT 'calling number or extension that identifies the user',
    user_id BIGINT UNSIGNED NOT NULL,
    KEY enterprise_user_number_user (user_id),
    CONSTRAINT enterprise_user_number_user_fk FOREIGN KEY (user_id) REFERENCES enterprise_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ledger_entry (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id    BIGINT UNSIGNED NULL COMMENT 'the card; exactly one of account_id, user_id is set',
    user_id       BIGINT UNSIGNED NULL COMMENT 'the enterprise user',
    kind          VARCHAR(16)     NOT NULL COMMENT 'topup, call_debit, refund or adjustment',
    amount_micros BIGINT          NOT NULL COMMENT 'signed: credits positive, debits negative',
    reason        VARCHAR(255)    NOT NULL DEFAULT '',
    reference     VARBINARY(255)  NULL COMMENT 'what the entry is for (CDR dedup key, conf-id, payment id); unique per kind',
    created_at    DATETIME(3)     NOT NULL,
    UNIQUE KEY ledger_entry_kind_reference (kind, reference),
    KEY ledger_entry_account (account_id, id),
    KEY ledger_entry_user_spend (user_id, kind, created_at),
    CONSTRAINT ledger_entry_account_fk FOREIGN KEY (account_id) REFERENCES prepaid_account (id),
    CONSTRAINT ledger_entry_user_fk FOREIGN KEY (user_id) REFERENCES enterprise_user (id),
    CONSTRAINT ledger_entry_kind_check CHECK (kind IN ('topup', 'call_debit', 'refund', 'adjustment')),
    CONSTRAINT ledger_entry_owner_check CHECK ((account_id IS NULL) <> (user_id IS NULL)),
    CONSTRAINT ledger_entry_debit_reference_check CHECK (kind <> 'call_debit' OR reference IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='append-only money movements of cards and users';

CREATE TABLE credit_reservation (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id     BIGINT UNSIGNED NULL COMMENT 'the card; exactly one of account_id, user_id is set',
    user_id        BIGINT UNSIGNED NULL COMMENT 'the enterprise user (normal limit type)',
    conf_id        VARBINARY(255)  NOT NULL COMMENT 'h323-conf-id of the authorized call',
    amount_micros  BIGINT          NOT NULL COMMENT 'cost of credit_seconds, held until the Stop settles or expires_at',
    credit_seconds INT             NOT NULL COMMENT 'h323-credit-time granted',
    created_at     DATETIME(3)     NOT NULL,
    expires_at     DATETIME(3)     NOT NULL COMMENT 'UTC; after it the reservation no longer holds credit',
    UNIQUE KEY credit_reservation_account_call (account_id, conf_id),
    UNIQUE KEY credit_reservation_user_call (user_id, conf_id),
    KEY credit_reservation_expires (expires_at),
    CONSTRAINT credit_reservation_account_fk FOREIGN KEY (account_id) REFERENCES prepaid_account (id),
    CONSTRAINT credit_reservation_user_fk FOREIGN KEY (user_id) REFERENCES enterprise_user (id),
    CONSTRAINT credit_reservation_owner_check CHECK ((account_id IS NULL) <> (user_id IS NULL)),
    CONSTRAINT credit_reservation_amount_check CHECK (amount_micros >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='credit held by authorized calls in progress';

CREATE TABLE limit_notification (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id           BIGINT UNSIGNED NOT NULL,
    period_start      CHAR(10)        NOT NULL COMMENT 'YYYY-MM-DD, first day of the period (plan''s local time)',
    period_end        CHAR(10)        NOT NULL COMMENT 'YYYY-MM-DD, first day of the next period (exclusive)',
    threshold         VARCHAR(8)      NOT NULL COMMENT 'warning or limit',
    threshold_percent INT             NOT NULL COMMENT 'percent of the limit the threshold stands for (warning_percent or 100)',
    spend_micros      BIGINT          NOT NULL COMMENT 'spend in the period when the threshold was crossed',
    limit_micros      BIGINT          NOT NULL COMMENT 'the limit then',
    currency          CHAR(3)         NOT NULL,
    status            VARCHAR(8)      NOT NULL DEFAULT 'pending' COMMENT 'pending, sent or failed',
    attempts          INT             NOT NULL DEFAULT 0 COMMENT 'delivery attempts started',
    next_attempt_at   DATETIME(3)     NULL COMMENT 'UTC; when a sender may try (next); NULL once sent or given up',
    last_error        VARCHAR(1000)   NOT NULL DEFAULT '' COMMENT 'error of the latest failed attempt',
    created_at        DATETIME(3)     NOT NULL,
    sent_at           DATETIME(3)     NULL,
    UNIQUE KEY limit_notification_once (user_id, period_start, threshold),
    KEY limit_notification_due (status, next_attempt_at),
    CONSTRAINT limit_notification_user_fk FOREIGN KEY (user_id) REFERENCES enterprise_user (id),
    CONSTRAINT limit_notification_threshold_check CHECK (threshold IN ('warning', 'limit')),
    CONSTRAINT limit_notification_status_check CHECK (status IN ('pending', 'sent', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='one e-mail per user, period and threshold';

-- +goose Down
DROP TABLE limit_notification;
DROP TABLE credit_reservation;
DROP TABLE ledger_entry;
DROP TABLE enterprise_user_number;
DROP TABLE enterprise_user;
DROP TABLE prepaid_account;
