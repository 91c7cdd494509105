-- +goose Up
-- The web console's users, sessions and API tokens, the audit log, the
-- history of every administrator's change (a snapshot per version, written
-- in the change's transaction), and users deleted softly so their past
-- calls, ledger and e-mails keep their owner. Documented in sql/SCHEMA.md.

CREATE TABLE entity_version (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    entity     VARCHAR(64)     NOT NULL,
    entity_key VARCHAR(255)    NOT NULL,
    version    INT             NOT NULL,
    operation  ENUM('create', 'update', 'delete') NOT NULL,
    snapshot   LONGTEXT        NOT NULL,
    actor      VARCHAR(255)    NOT NULL,
    reason     VARCHAR(1000)   NOT NULL DEFAULT '',
    created_at DATETIME(3)     NOT NULL,
    UNIQUE KEY entity_version_key (entity, entity_key, version),
    KEY entity_version_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a snapshot of an entity per change, who made it and why';

CREATE TABLE audit_log (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created_at DATETIME(3)     NOT NULL,
    actor      VARCHAR(255)    NOT NULL,
    address    VARCHAR(64)     NOT NULL DEFAULT '',
    action     VARCHAR(64)     NOT NULL,
    detail     VARCHAR(2000)   NOT NULL DEFAULT '',
    KEY audit_log_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='logins, failed logins, permission denials and changes';

CREATE TABLE console_user (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(255)    NOT NULL,
    password_hash VARCHAR(255)    NOT NULL DEFAULT '',
    role          ENUM('admin', 'billing', 'branch_manager', 'auditor') NOT NULL,
    can_edit      TINYINT         NOT NULL DEFAULT 0,
    language      VARCHAR(16)     NOT NULL DEFAULT 'en',
    failed_logins INT             NOT NULL DEFAULT 0,
    locked_until  DATETIME(3)     NULL,
    created_at    DATETIME(3)     NOT NULL,
    UNIQUE KEY console_user_name (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='users of the web console and the admin API';

CREATE TABLE console_user_branch (
    user_id   BIGINT UNSIGNED NOT NULL,
    branch_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (user_id, branch_id),
    CONSTRAINT console_user_branch_user_fk FOREIGN KEY (user_id) REFERENCES console_user (id) ON DELETE CASCADE,
    CONSTRAINT console_user_branch_branch_fk FOREIGN KEY (branch_id) REFERENCES branch (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='the branches a branch manager sees';

CREATE TABLE console_session (
    token_hash   CHAR(64)        NOT NULL PRIMARY KEY,
    user_id      BIGINT UNSIGNED NOT NULL,
    csrf_token   CHAR(64)        NOT NULL,
    address      VARCHAR(64)     NOT NULL DEFAULT '',
    created_at   DATETIME(3)     NOT NULL,
    last_seen_at DATETIME(3)     NOT NULL,
    CONSTRAINT console_session_user_fk FOREIGN KEY (user_id) REFERENCES console_user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='server-side console sessions, by the hash of their cookie';

CREATE TABLE api_token (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name         VARCHAR(255)    NOT NULL,
    token_hash   CHAR(64)        NOT NULL,
    role         ENUM('admin', 'billing', 'branch_manager', 'auditor') NOT NULL,
    user_id      BIGINT UNSIGNED NOT NULL,
    created_at   DATETIME(3)     NOT NULL,
    revoked_at   DATETIME(3)     NULL,
    last_used_at DATETIME(3)     NULL,
    UNIQUE KEY api_token_hash (token_hash),
    CONSTRAINT api_token_user_fk FOREIGN KEY (user_id) REFERENCES console_user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='API tokens for scripts, hashed, scoped to a role';

ALTER TABLE enterprise_user ADD COLUMN deleted_at DATETIME(3) NULL COMMENT 'UTC; a deleted user keeps its row for its calls and ledger';

-- +goose Down
ALTER TABLE enterprise_user DROP COLUMN deleted_at;
DROP TABLE api_token;
DROP TABLE console_session;
DROP TABLE console_user_branch;
DROP TABLE console_user;
DROP TABLE audit_log;
DROP TABLE entity_version;
