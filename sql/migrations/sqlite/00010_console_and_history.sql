-- +goose Up
-- The web console's users, sessions and API tokens, the audit log, the
-- history of every administrator's change (a snapshot per version, written
-- in the change's transaction), and users deleted softly so their past
-- calls, ledger and e-mails keep their owner. Documented in sql/SCHEMA.md.

CREATE TABLE entity_version (
    id         INTEGER PRIMARY KEY,
    entity     TEXT    NOT NULL,
    entity_key TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    operation  TEXT    NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    snapshot   TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    UNIQUE (entity, entity_key, version)
);
CREATE INDEX entity_version_created ON entity_version (created_at);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_created ON audit_log (created_at);

CREATE TABLE console_user (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'billing', 'branch_manager', 'auditor')),
    can_edit      INTEGER NOT NULL DEFAULT 0,
    language      TEXT    NOT NULL DEFAULT 'en',
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT    NOT NULL
);

CREATE TABLE console_user_branch (
    user_id   INTEGER NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    branch_id INTEGER NOT NULL REFERENCES branch (id),
    PRIMARY KEY (user_id, branch_id)
);

CREATE TABLE console_session (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    address      TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL
);

CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'billing', 'branch_manager', 'auditor')),
    user_id      INTEGER NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);

ALTER TABLE enterprise_user ADD COLUMN deleted_at TEXT;

-- +goose Down
ALTER TABLE enterprise_user DROP COLUMN deleted_at;
DROP TABLE api_token;
DROP TABLE console_session;
DROP TABLE console_user_branch;
DROP TABLE console_user;
DROP INDEX audit_log_created;
DROP TABLE audit_log;
DROP INDEX entity_version_created;
DROP TABLE entity_version;
