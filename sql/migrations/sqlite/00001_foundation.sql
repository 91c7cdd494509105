-- +goose Up
-- Times are UTC text 'YYYY-MM-DD HH:MM:SS.mmm' so they sort and compare as strings.
-- Money is integer micro-units (1 = 0.000001 of the currency). See sql/SCHEMA.md.

CREATE TABLE cdr (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key        TEXT    NOT NULL,
    leg_key          TEXT    NOT NULL,
    received_at      TEXT    NOT NULL,
    call_time        TEXT    NOT NULL,
    client_name      TEXT    NOT NULL,
    nas_ip           TEXT    NOT NULL,
    nas_identifier   TEXT    NOT NULL DEFAULT '',
    acct_session_id  TEXT    NOT NULL,
    conf_id          TEXT    NOT NULL DEFAULT '',
    incoming_conf_id TEXT    NOT NULL DEFAULT '',
    call_origin      TEXT    NOT NULL DEFAULT '',
    call_type        TEXT    NOT NULL DEFAULT '',
    user_name        TEXT    NOT NULL DEFAULT '',
    calling_number   TEXT    NOT NULL DEFAULT '',
    called_number    TEXT    NOT NULL DEFAULT '',
    setup_time       TEXT,
    connect_time     TEXT,
    disconnect_time  TEXT,
    duration_s       INTEGER,
    disconnect_cause INTEGER,
    terminate_cause  INTEGER,
    voice_quality    INTEGER,
    remote_address   TEXT    NOT NULL DEFAULT '',
    gw_id            TEXT    NOT NULL DEFAULT '',
    acct_delay_s     INTEGER,
    clock_unsynced   INTEGER NOT NULL DEFAULT 0,
    parse_errors     TEXT    NOT NULL DEFAULT '',
    raw              TEXT    NOT NULL,
    zone             TEXT,
    cost_micros      INTEGER,
    currency         TEXT,
    rated_at         TEXT,
    rating_status    TEXT    NOT NULL DEFAULT 'unrated'
);
CREATE UNIQUE INDEX cdr_dedup_key ON cdr (dedup_key);
CREATE INDEX cdr_call_time ON cdr (call_time);
CREATE INDEX cdr_called_number ON cdr (called_number);
CREATE INDEX cdr_calling_number ON cdr (calling_number);
CREATE INDEX cdr_conf_id ON cdr (conf_id);
CREATE INDEX cdr_leg_key ON cdr (leg_key);

CREATE TABLE active_call (
    leg_key          TEXT    PRIMARY KEY,
    client_name      TEXT    NOT NULL,
    nas_ip           TEXT    NOT NULL,
    acct_session_id  TEXT    NOT NULL,
    conf_id          TEXT    NOT NULL DEFAULT '',
    incoming_conf_id TEXT    NOT NULL DEFAULT '',
    call_origin      TEXT    NOT NULL DEFAULT '',
    call_type        TEXT    NOT NULL DEFAULT '',
    user_name        TEXT    NOT NULL DEFAULT '',
    calling_number   TEXT    NOT NULL DEFAULT '',
    called_number    TEXT    NOT NULL DEFAULT '',
    setup_time       TEXT,
    connect_time     TEXT,
    session_time_s   INTEGER,
    status           TEXT    NOT NULL,
    started_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX active_call_nas_ip ON active_call (nas_ip);
CREATE INDEX active_call_conf_id ON active_call (conf_id);

-- +goose Down
DROP TABLE active_call;
DROP TABLE cdr;
