-- +goose Up
-- CDR importers (CUCM flat files, Asterisk Master.csv and cdr table): the
-- source of each leg, the files imported, the rows refused, and how far a
-- database source has been read. Documented in sql/SCHEMA.md.
ALTER TABLE cdr ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'radius' COMMENT 'radius, cucm, asterisk-csv or asterisk-db';

CREATE TABLE import_file (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source      VARCHAR(16)     NOT NULL COMMENT 'cucm or asterisk-csv',
    name        VARBINARY(1024) NOT NULL COMMENT 'the file as given or found',
    size        BIGINT          NOT NULL,
    sha256      CHAR(64)        NOT NULL COMMENT 'of the whole file: a file seen again is known by it',
    rows_read   BIGINT          NOT NULL,
    stored      BIGINT          NOT NULL,
    duplicate   BIGINT          NOT NULL,
    skipped     BIGINT          NOT NULL,
    rejected    BIGINT          NOT NULL,
    imported_at DATETIME(3)     NOT NULL,
    KEY import_file_sha256 (sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='CDR files imported, with their outcome';

CREATE TABLE import_reject (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source     VARCHAR(16)     NOT NULL,
    file       VARBINARY(1024) NOT NULL COMMENT 'file, or the database source',
    line       BIGINT          NOT NULL COMMENT 'line of the file, or row number read',
    raw        MEDIUMBLOB      NOT NULL COMMENT 'the row as read',
    reason     TEXT            NOT NULL,
    created_at DATETIME(3)     NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='imported rows that did not parse or were refused (quarantine)';

CREATE TABLE import_watermark (
    source     VARCHAR(255) NOT NULL PRIMARY KEY COMMENT 'e.g. asterisk-db:host/db',
    position   VARCHAR(64)  NOT NULL COMMENT 'the latest calldate read',
    updated_at DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='how far an incremental source has been read';

-- +goose Down
DROP TABLE import_watermark;
DROP TABLE import_reject;
DROP TABLE import_file;
ALTER TABLE cdr DROP COLUMN source;
