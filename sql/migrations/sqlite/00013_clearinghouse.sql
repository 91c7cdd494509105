-- +goose Up
-- The clearinghouse: partner networks, their gateways and the four rate
-- types' plans, routing by origin, the charges of every billable leg under
-- each rate type that applies to it, and settlement statements. Documented
-- in sql/SCHEMA.md.

CREATE TABLE partner (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL UNIQUE,
    currency          TEXT    NOT NULL,
    contact           TEXT    NOT NULL DEFAULT '',
    role              TEXT    NOT NULL DEFAULT 'both' CHECK (role IN ('originating', 'terminating', 'both')),
    state             TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked')),
    own               INTEGER NOT NULL DEFAULT 0,
    strategy          TEXT    NOT NULL DEFAULT 'least_cost' CHECK (strategy IN ('least_cost', 'quality', 'priority', 'load_share')),
    priority          INTEGER NOT NULL DEFAULT 0,
    share             INTEGER NOT NULL DEFAULT 1,
    capacity          INTEGER NOT NULL DEFAULT 0,
    max_cost_micros   INTEGER NOT NULL DEFAULT 0,
    min_margin_micros INTEGER NOT NULL DEFAULT 0,
    refuse_loss       INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL
);

CREATE TABLE partner_gateway (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id INTEGER NOT NULL REFERENCES partner (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('nas', 'remote', 'avpair')),
    selector   TEXT    NOT NULL,
    address    TEXT    NOT NULL DEFAULT '',
    UNIQUE (kind, selector)
);
CREATE INDEX partner_gateway_partner ON partner_gateway (partner_id);

CREATE TABLE partner_rate (
    partner_id INTEGER NOT NULL REFERENCES partner (id),
    rate_type  TEXT    NOT NULL CHECK (rate_type IN ('base', 'incoming', 'egress', 'outgoing')),
    plan_id    INTEGER NOT NULL REFERENCES tariff_plan (id),
    PRIMARY KEY (partner_id, rate_type)
);

CREATE TABLE partner_route (
    origin_id      INTEGER NOT NULL REFERENCES partner (id),
    destination_id INTEGER NOT NULL REFERENCES partner (id),
    priority       INTEGER NOT NULL DEFAULT 0,
    share          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (origin_id, destination_id)
);

CREATE TABLE leg_charge (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key      TEXT    NOT NULL,
    conf_id        TEXT    NOT NULL DEFAULT '',
    call_time      TEXT    NOT NULL,
    partner_id     INTEGER NOT NULL REFERENCES partner (id),
    rate_type      TEXT    NOT NULL,
    hop            TEXT    NOT NULL DEFAULT 'inbound' CHECK (hop IN ('inbound', 'egress', 'proxy')),
    plan_id        INTEGER NOT NULL,
    zone           TEXT    NOT NULL DEFAULT '',
    band           TEXT    NOT NULL DEFAULT '',
    duration_s     INTEGER NOT NULL DEFAULT 0,
    billed_seconds INTEGER NOT NULL DEFAULT 0,
    amount_micros  INTEGER,
    currency       TEXT    NOT NULL,
    rating_status  TEXT    NOT NULL,
    statement_id   INTEGER,
    UNIQUE (dedup_key, rate_type)
);
CREATE INDEX leg_charge_period ON leg_charge (partner_id, call_time);
CREATE INDEX leg_charge_conf ON leg_charge (conf_id);

CREATE TABLE route_offer (
    conf_id          TEXT    NOT NULL PRIMARY KEY,
    created_at       TEXT    NOT NULL,
    origin_id        INTEGER,
    first_partner_id INTEGER NOT NULL,
    first_cost_micros INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    routes           TEXT    NOT NULL
);
CREATE INDEX route_offer_created ON route_offer (created_at);

CREATE TABLE settlement_statement (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id   INTEGER NOT NULL REFERENCES partner (id),
    period       TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'closed')),
    receivable_micros INTEGER NOT NULL,
    payable_micros    INTEGER NOT NULL,
    content_hash TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    closed_at    TEXT,
    UNIQUE (partner_id, period, currency)
);

CREATE TABLE settlement_line (
    statement_id   INTEGER NOT NULL REFERENCES settlement_statement (id) ON DELETE CASCADE,
    line           INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('usage', 'adjustment')),
    rate_type      TEXT    NOT NULL,
    zone           TEXT    NOT NULL,
    band           TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    billed_seconds INTEGER NOT NULL,
    amount_micros  INTEGER NOT NULL,
    refers_to      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (statement_id, line)
);

-- +goose Down
DROP TABLE settlement_line;
DROP TABLE settlement_statement;
DROP TABLE route_offer;
DROP TABLE leg_charge;
DROP TABLE partner_route;
DROP TABLE partner_rate;
DROP TABLE partner_gateway;
DROP TABLE partner;
