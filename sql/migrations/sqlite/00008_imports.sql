-- +goose Up
-- CDR importers (CUCM flat files, Asterisk Master.csv and cdr table): the
-- source of each leg, the files imported, the rows refused, and how far a
-- database source has been read. Documented in sql/SCHEMA.md.
ALTER TABLE cdr ADD COLUMN source TEXT NOT NULL DEFAULT 'radius';

CREATE TABLE import_file (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    rows_read   INTEGER NOT NULL,
    stored      INTEGER NOT NULL,
    duplicate   INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    imported_at TEXT    NOT NULL
);
CREATE INDEX import_file_sha256 ON import_file (sha256);

CREATE TABLE import_reject (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    line       INTEGER NOT NULL,
    raw        TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

CREATE TABLE import_watermark (
    source     TEXT PRIMARY KEY,
    position   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE import_watermark;
DROP TABLE import_reject;
DROP INDEX import_file_sha256;
DROP TABLE import_file;
ALTER TABLE cdr DROP COLUMN source;
