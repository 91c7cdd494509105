-- +goose Up
-- Tariffs (rate cards), number translation, per-gateway billing policy and
-- the rating columns of cdr. Documented in sql/SCHEMA.md.

CREATE TABLE tariff_plan (
    id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name                      VARCHAR(128) NOT NULL COMMENT 'unique name, used by the CSV files',
    currency                  CHAR(3)      NOT NULL COMMENT 'ISO 4217 code of every amount of the plan',
    time_zone                 VARCHAR(64)  NOT NULL DEFAULT 'UTC' COMMENT 'IANA zone of the plan''s bands and holidays',
    rounding                  VARCHAR(8)   NOT NULL DEFAULT 'half_up' COMMENT 'half_up, up or down: applied once to a call''s total',
    rounding_decimals         TINYINT      NOT NULL DEFAULT 2 COMMENT '0..6 decimals of the rounded total',
    band_policy               VARCHAR(8)   NOT NULL DEFAULT 'split' COMMENT 'split: each part of a call priced in its band; start: whole call in its start band',
    connect_fee_on_unanswered TINYINT(1)   NOT NULL DEFAULT 0 COMMENT '1: zero-second calls pay the connect fee',
    UNIQUE KEY tariff_plan_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='rate cards';

CREATE TABLE zone (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(128) NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    UNIQUE KEY zone_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='destinations, shared by all plans';

CREATE TABLE zone_prefix (
    id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    digits  VARCHAR(15)     NOT NULL COMMENT 'E.164 digits; the longest prefix of the called number wins',
    zone_id BIGINT UNSIGNED NOT NULL,
    UNIQUE KEY zone_prefix_digits (digits),
    KEY zone_prefix_zone (zone_id),
    CONSTRAINT zone_prefix_zone_fk FOREIGN KEY (zone_id) REFERENCES zone (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE time_band (
    id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    plan_id BIGINT UNSIGNED NOT NULL,
    name    VARCHAR(64)     NOT NULL COMMENT 'peak, off-peak, weekend, ...',
    UNIQUE KEY time_band_plan_name (plan_id, name),
    CONSTRAINT time_band_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE time_band_rule (
    id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    band_id   BIGINT UNSIGNED NOT NULL,
    days      VARCHAR(64)     NOT NULL COMMENT 'e.g. mon-fri, sat,sun',
    time_from CHAR(5)         NOT NULL COMMENT 'HH:MM local time of the plan',
    time_to   CHAR(5)         NOT NULL COMMENT 'HH:MM; not after time_from: runs past midnight; 24:00 allowed',
    CONSTRAINT time_band_rule_band_fk FOREIGN KEY (band_id) REFERENCES time_band (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE holiday (
    id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    plan_id BIGINT UNSIGNED NOT NULL,
    day     CHAR(10)        NOT NULL COMMENT 'YYYY-MM-DD, a whole local day of the plan',
    band_id BIGINT UNSIGNED NOT NULL COMMENT 'the band of that whole day',
    UNIQUE KEY holiday_plan_day (plan_id, day),
    CONSTRAINT holiday_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id),
    CONSTRAINT holiday_band_fk FOREIGN KEY (band_id) REFERENCES time_band (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE rate (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    plan_id            BIGINT UNSIGNED NOT NULL,
    zone_id            BIGINT UNSIGNED NOT NULL,
    band_id            BIGINT UNSIGNED NOT NULL,
    direction          VARCHAR(8)      NOT NULL DEFAULT 'outgoing' COMMENT 'outgoing or incoming',
    valid_from         DATETIME(3)     NULL COMMENT 'UTC; NULL: since always',
    valid_to           DATETIME(3)     NULL COMMENT 'UTC, exclusive; NULL: until further notice',
    connect_fee_micros BIGINT          NOT NULL DEFAULT 0,
    min_duration_s     INT             NOT NULL DEFAULT 0,
    first_increment_s  INT             NOT NULL DEFAULT 60,
    next_increment_s   INT             NOT NULL DEFAULT 60,
    max_cost_micros    BIGINT          NOT NULL DEFAULT 0 COMMENT '0: no cap',
    KEY rate_plan_zone (plan_id, zone_id),
    CONSTRAINT rate_plan_fk FOREIGN KEY (plan_id) REFERENCES tariff_plan (id),
    CONSTRAINT rate_zone_fk FOREIGN KEY (zone_id) REFERENCES zone (id),
    CONSTRAINT rate_band_fk FOREIGN KEY (band_id) REFERENCES time_band (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='price of calls per plan, zone, band and direction';

CREATE TABLE rate_tier (
    rate_id                 BIGINT UNSIGNED NOT NULL,
    from_second             INT             NOT NULL COMMENT 'elapsed call seconds from which this price applies; the first tier is 0',
    price_per_minute_micros BIGINT          NOT NULL,
    PRIMARY KEY (rate_id, from_second),
    CONSTRAINT rate_tier_rate_fk FOREIGN KEY (rate_id) REFERENCES rate (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE gateway (
    client_name         VARCHAR(64)     NOT NULL PRIMARY KEY COMMENT 'a configured NAS client name',
    default_plan_id     BIGINT UNSIGNED NULL COMMENT 'plan for legs with no owner',
    bill_voip_originate TINYINT(1)      NOT NULL DEFAULT 0 COMMENT '1: bill VoIP-originate legs (IP-to-IP gateway trunks)',
    description         VARCHAR(255)    NOT NULL DEFAULT '',
    CONSTRAINT gateway_plan_fk FOREIGN KEY (default_plan_id) REFERENCES tariff_plan (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE translation_rule (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    position     INT          NOT NULL DEFAULT 0 COMMENT 'rules are tried in ascending position, then id',
    gateway      VARCHAR(64)  NOT NULL DEFAULT '' COMMENT 'empty: every gateway; else a client name, NAS IP or h323-gw-id',
    direction    VARCHAR(8)   NOT NULL COMMENT 'calling or called',
    kind         VARCHAR(8)   NOT NULL COMMENT 'prefix or regex',
    match_text   VARCHAR(255) NOT NULL,
    replace_text VARCHAR(255) NOT NULL DEFAULT '',
    min_length   INT          NOT NULL DEFAULT 0,
    max_length   INT          NOT NULL DEFAULT 0,
    final        TINYINT(1)   NOT NULL DEFAULT 0,
    description  VARCHAR(255) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='number translation before rating';

CREATE TABLE tariff_version (
    id         TINYINT     NOT NULL PRIMARY KEY,
    version    BIGINT      NOT NULL,
    changed_at DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='bumped on every tariff change; servers reload when it moves';
INSERT INTO tariff_version (id, version, changed_at) VALUES (1, 1, UTC_TIMESTAMP(3));

ALTER TABLE cdr
    ADD COLUMN calling_number_norm VARBINARY(255) NOT NULL DEFAULT '' COMMENT 'calling number after translation rules',
    ADD COLUMN called_number_norm  VARBINARY(255) NOT NULL DEFAULT '' COMMENT 'called number after translation rules (E.164 digits when rated)',
    ADD COLUMN direction           VARCHAR(8)      NOT NULL DEFAULT '' COMMENT 'outgoing, incoming, or empty for legs not rated',
    ADD COLUMN billed              TINYINT(1)      NOT NULL DEFAULT 0 COMMENT '1 on the one leg of a call that is billed',
    ADD COLUMN plan_id             BIGINT UNSIGNED NULL COMMENT 'plan the leg was rated with',
    ADD COLUMN prefix              VARCHAR(15)     NULL COMMENT 'the zone prefix that matched',
    ADD COLUMN billed_seconds      INT UNSIGNED    NULL COMMENT 'seconds charged after minimum duration and increments',
    ADD COLUMN rating_detail       TEXT            NULL COMMENT 'JSON: the parts of the call by band with their amounts',
    ADD KEY cdr_called_number_norm (called_number_norm);

-- +goose Down
ALTER TABLE cdr DROP KEY cdr_called_number_norm, DROP COLUMN rating_detail, DROP COLUMN billed_seconds,
    DROP COLUMN prefix, DROP COLUMN plan_id, DROP COLUMN billed, DROP COLUMN direction,
    DROP COLUMN called_number_norm, DROP COLUMN calling_number_norm;
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
