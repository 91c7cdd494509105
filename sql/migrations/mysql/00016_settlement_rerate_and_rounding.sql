-- +goose Up
-- A re-rate of a leg whose charge a closed statement settled leaves the
-- charge as it was and records the difference here, for the next statement
-- run as an adjustment line naming the leg.
CREATE TABLE leg_charge_adjustment (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    charge_id      BIGINT UNSIGNED NOT NULL,
    created_at     DATETIME(3)     NOT NULL,
    plan_id        BIGINT UNSIGNED NOT NULL,
    zone           VARCHAR(64)     NOT NULL DEFAULT '',
    band           VARCHAR(64)     NOT NULL DEFAULT '',
    billed_seconds BIGINT          NOT NULL COMMENT 'the new billed seconds less what was settled',
    amount_micros  BIGINT          NOT NULL COMMENT 'the new amount less what was settled, in the charge''s currency',
    rating_status  VARCHAR(32)     NOT NULL,
    statement_id   BIGINT UNSIGNED NULL,
    KEY leg_charge_adjustment_charge (charge_id),
    CONSTRAINT leg_charge_adjustment_charge_fk FOREIGN KEY (charge_id) REFERENCES leg_charge (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a re-rated charge''s difference from what a closed statement settled';

-- How a statement rounds each line of this rate type: NULL keeps the
-- legs' own amounts (each rounded by its plan), 0..6 decimals round the
-- line's sum half away from zero.
ALTER TABLE partner_rate ADD COLUMN statement_decimals TINYINT NULL;

-- +goose Down
ALTER TABLE partner_rate DROP COLUMN statement_decimals;
DROP TABLE leg_charge_adjustment;
