-- +goose Up
-- Tariffs (rate cards), number translation, per-gateway billing policy and
-- the rating columns of cdr. Documented in sql/SCHEMA.md.

CREATE TABLE tariff_plan (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    name                      TEXT    NOT NULL UNIQUE,
    currency                  TEXT    NOT NULL,
    time_zone                 TEXT    NOT NULL DEFAULT 'UTC',
    rounding                  TEXT    NOT NULL DEFAULT 'half_up',
    rounding_decimals         INTEGER NOT NULL DEFAULT 2,
    band_policy               TEXT    NOT NULL DEFAULT 'split',
    connect_fee_on_unanswered INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE zone (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE zone_prefix (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    digits  TEXT    NOT NULL UNIQUE,
    zone_id INTEGER NOT NULL REFERENCES zone (id)
);
CREATE INDEX zone_prefix_zone ON zone_prefix (zone_id);

CREATE TABLE time_band (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id INTEGER NOT NULL REFERENCES tariff_plan (id),
    name    TEXT    NOT NULL,
    UNIQUE (plan_id, name)
);

CREATE TABLE time_band_rule (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    band_id   INTEGER NOT NULL REFERENCES time_band (id),
    days      TEXT    NOT NULL,
    time_from TEXT    NOT NULL,
    time_to   TEXT    NOT NULL
);

CREATE TABLE holiday (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id INTEGER NOT NULL REFERENCES tariff_plan (id),
    day     TEXT    NOT NULL,
    band_id INTEGER NOT NULL REFERENCES time_band (id),
    UNIQUE (plan_id, day)
);

CREATE TABLE rate (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id            INTEGER NOT NULL REFERENCES tariff_plan (id),
    zone_id            INTEGER NOT NULL REFERENCES zone (id),
    band_id            INTEGER NOT NULL REFERENCES time_band (id),
    direction          TEXT    NOT NULL DEFAULT 'outgoing',
    valid_from         TEXT,
    valid_to           TEXT,
    connect_fee_micros INTEGER NOT NULL DEFAULT 0,
    min_duration_s     INTEGER NOT NULL DEFAULT 0,
    first_increment_s  INTEGER NOT NULL DEFAULT 60,
    next_increment_s   INTEGER NOT NULL DEFAULT 60,
    max_cost_micros    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rate_plan_zone ON rate (plan_id, zone_id);

CREATE TABLE rate_tier (
    rate_id                 INTEGER NOT NULL REFERENCES rate (id) ON DELETE CASCADE,
    from_second             INTEGER NOT NULL,
    price_per_minute_micros INTEGER NOT NULL,
    PRIMARY KEY (rate_id, from_second)
);

CREATE TABLE gateway (
    client_name         TEXT    PRIMARY KEY,
    default_plan_id     INTEGER REFERENCES tariff_plan (id),
    bill_voip_originate INTEGER NOT NULL DEFAULT 0,
    description         TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE translation_rule (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    position     INTEGER NOT NULL DEFAULT 0,
    gateway      TEXT    NOT NULL DEFAULT '',
    direction    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    match_text   TEXT    NOT NULL,
    replace_text TEXT    NOT NULL DEFAULT '',
    min_length   INTEGER NOT NULL DEFAULT 0,
    max_length   INTEGER NOT NULL DEFAULT 0,
    final        INTEGER NOT NULL DEFAULT 0,
    description  TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE tariff_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    changed_at TEXT    NOT NULL
);
INSERT INTO tariff_version (id, version, changed_at) VALUES (1, 1, strftime('%Y-%m-%d %H:%M:%f', 'now'));

ALTER TABLE cdr ADD COLUMN calling_number_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN called_number_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN direction TEXT NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN billed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdr ADD COLUMN plan_id INTEGER;
ALTER TABLE cdr ADD COLUMN prefix TEXT;
ALTER TABLE cdr ADD COLUMN billed_seconds INTEGER;
ALTER TABLE cdr ADD COLUMN rating_detail TEXT;
CREATE INDEX cdr_called_number_norm ON cdr (called_number_norm);

-- +goose Down
DROP INDEX cdr_called_number_norm;
ALTER TABLE cdr DROP COLUMN rating_detail;
ALTER TABLE cdr DROP COLUMN billed_seconds;
ALTER TABLE cdr DROP COLUMN prefix;
ALTER TABLE cdr DROP COLUMN plan_id;
ALTER TABLE cdr DROP COLUMN billed;
ALTER TABLE cdr DROP COLUMN direction;
ALTER TABLE cdr DROP COLUMN called_number_norm;
ALTER TABLE cdr DROP COLUMN calling_number_norm;
DROP TABLE tariff_version;
DROP TABLE translation_rule;
DROP TABLE gateway;
DROP TABLE rate_tier;
DROP TABLE rate;
DROP TABLE holiday;
DROP TABLE time_band_rule;
DROP TABLE time_band;
DROP TABLE zone_prefix;
DROP TABLE zone;
DROP TABLE tariff_plan;
