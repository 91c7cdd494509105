-- +goose Up
-- The clearinghouse: partner networks, their gateways and the four rate
-- types' plans, routing by origin, the charges of every billable leg under
-- each rate type that applies to it, and settlement statements. Documented
-- in sql/SCHEMA.md.

CREATE TABLE partner (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name              VARCHAR(255)    NOT NULL,
    currency          CHAR(3)         NOT NULL,
    contact           VARCHAR(1000)   NOT NULL DEFAULT '',
    role              ENUM('originating', 'terminating', 'both') NOT NULL DEFAULT 'both',
    state             ENUM('active', 'blocked') NOT NULL DEFAULT 'active',
    own               TINYINT         NOT NULL DEFAULT 0,
    strategy          ENUM('least_cost', 'quality', 'priority', 'load_share') NOT NULL DEFAULT 'least_cost',
    priority          INT             NOT NULL DEFAULT 0,
    share             INT             NOT NULL DEFAULT 1,
    capacity          INT             NOT NULL DEFAULT 0,
    max_cost_micros   BIGINT          NOT NULL DEFAULT 0,
    min_margin_micros BIGINT          NOT NULL DEFAULT 0,
    refuse_loss       TINYINT         NOT NULL DEFAULT 0,
    created_at        DATETIME(3)     NOT NULL,
    UNIQUE KEY partner_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='member networks and carriers of the clearinghouse';

CREATE TABLE partner_gateway (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    partner_id BIGINT UNSIGNED NOT NULL,
    kind       ENUM('nas', 'remote', 'avpair') NOT NULL,
    selector   VARCHAR(255)    NOT NULL,
    address    VARCHAR(255)    NOT NULL DEFAULT '',
    UNIQUE KEY partner_gateway_selector (kind, selector),
    KEY partner_gateway_partner (partner_id),
    CONSTRAINT partner_gateway_partner_fk FOREIGN KEY (partner_id) REFERENCES partner (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='how a leg is known to be a partner''s, and where to route to it';

CREATE TABLE partner_rate (
    partner_id BIGINT UNSIGNED NOT NULL,
    rate_type  ENUM('base', 'incoming', 'egress', 'outgoing') NOT NULL,
    plan_id    BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (partner_id, rate_type),
    CONSTRAINT partner_rate_partner_fk FOREIGN KEY (partner_id) REFERENCES partner (id),
    CONSTRAINT partner_rate_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='the plan of each rate type of a partner';

CREATE TABLE partner_route (
    origin_id      BIGINT UNSIGNED NOT NULL,
    destination_id BIGINT UNSIGNED NOT NULL,
    priority       INT             NOT NULL DEFAULT 0,
    share          INT             NOT NULL DEFAULT 1,
    PRIMARY KEY (origin_id, destination_id),
    CONSTRAINT partner_route_origin_fk FOREIGN KEY (origin_id) REFERENCES partner (id),
    CONSTRAINT partner_route_destination_fk FOREIGN KEY (destination_id) REFERENCES partner (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='routing by origin: the terminating partners an originating partner''s calls may take';

CREATE TABLE leg_charge (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    dedup_key      VARCHAR(64)     NOT NULL,
    conf_id        VARCHAR(64)     NOT NULL DEFAULT '',
    call_time      DATETIME(3)     NOT NULL,
    partner_id     BIGINT UNSIGNED NOT NULL,
    rate_type      VARCHAR(16)     NOT NULL,
    hop            ENUM('inbound', 'egress', 'proxy') NOT NULL DEFAULT 'inbound',
    plan_id        BIGINT UNSIGNED NOT NULL,
    zone           VARCHAR(64)     NOT NULL DEFAULT '',
    band           VARCHAR(64)     NOT NULL DEFAULT '',
    duration_s     BIGINT          NOT NULL DEFAULT 0,
    billed_seconds BIGINT          NOT NULL DEFAULT 0,
    amount_micros  BIGINT          NULL,
    currency       CHAR(3)         NOT NULL,
    rating_status  VARCHAR(32)     NOT NULL,
    statement_id   BIGINT UNSIGNED NULL,
    UNIQUE KEY leg_charge_key (dedup_key, rate_type),
    KEY leg_charge_period (partner_id, call_time),
    KEY leg_charge_conf (conf_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a billable leg rated under one rate type of one partner';

CREATE TABLE route_offer (
    conf_id           VARCHAR(64)     NOT NULL PRIMARY KEY,
    created_at        DATETIME(3)     NOT NULL,
    origin_id         BIGINT UNSIGNED NULL,
    first_partner_id  BIGINT UNSIGNED NOT NULL,
    first_cost_micros BIGINT          NOT NULL,
    currency          CHAR(3)         NOT NULL,
    routes            VARCHAR(2000)   NOT NULL,
    KEY route_offer_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='the ranked route list a call was authorized with';

CREATE TABLE settlement_statement (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    partner_id        BIGINT UNSIGNED NOT NULL,
    period            DATE            NOT NULL,
    currency          CHAR(3)         NOT NULL,
    state             ENUM('draft', 'closed') NOT NULL DEFAULT 'draft',
    receivable_micros BIGINT          NOT NULL,
    payable_micros    BIGINT          NOT NULL,
    content_hash      CHAR(64)        NOT NULL DEFAULT '',
    created_at        DATETIME(3)     NOT NULL,
    closed_at         DATETIME(3)     NULL,
    UNIQUE KEY settlement_statement_key (partner_id, period, currency),
    CONSTRAINT settlement_statement_partner_fk FOREIGN KEY (partner_id) REFERENCES partner (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='what a partner owes and is owed for a period';

CREATE TABLE settlement_line (
    statement_id   BIGINT UNSIGNED NOT NULL,
    line           INT             NOT NULL,
    kind           ENUM('usage', 'adjustment') NOT NULL,
    rate_type      VARCHAR(16)     NOT NULL,
    zone           VARCHAR(64)     NOT NULL,
    band           VARCHAR(64)     NOT NULL,
    calls          BIGINT          NOT NULL,
    billed_seconds BIGINT          NOT NULL,
    amount_micros  BIGINT          NOT NULL,
    refers_to      VARCHAR(64)     NOT NULL DEFAULT '',
    PRIMARY KEY (statement_id, line),
    CONSTRAINT settlement_line_statement_fk FOREIGN KEY (statement_id) REFERENCES settlement_statement (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a statement''s lines: usage per rate type, zone and band; late legs as adjustments';

-- +goose Down
DROP TABLE settlement_line;
DROP TABLE settlement_statement;
DROP TABLE route_offer;
DROP TABLE leg_charge;
DROP TABLE partner_route;
DROP TABLE partner_rate;
DROP TABLE partner_gateway;
DROP TABLE partner;
