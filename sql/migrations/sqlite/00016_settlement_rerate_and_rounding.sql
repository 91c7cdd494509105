-- +goose Up
-- A re-rate of a leg whose charge a closed statement settled leaves the
-- charge as it was and records the difference here, for the next statement
-- run as an adjustment line naming the leg.
CREATE TABLE leg_charge_adjustment (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    charge_id      INTEGER NOT NULL REFERENCES leg_charge (id),
    created_at     TEXT    NOT NULL,
    plan_id        INTEGER NOT NULL,
    zone           TEXT    NOT NULL DEFAULT '',
    band           TEXT    NOT NULL DEFAULT '',
    billed_seconds INTEGER NOT NULL, -- the new billed seconds less what was settled
    amount_micros  INTEGER NOT NULL, -- the new amount less what was settled, in the charge's currency
    rating_status  TEXT    NOT NULL,
    statement_id   INTEGER NULL
);
CREATE INDEX leg_charge_adjustment_charge ON leg_charge_adjustment (charge_id);

-- How a statement rounds each line of this rate type: NULL keeps the
-- legs' own amounts (each rounded by its plan), 0..6 decimals round the
-- line's sum half away from zero.
ALTER TABLE partner_rate ADD COLUMN statement_decimals INTEGER NULL CHECK (statement_decimals BETWEEN 0 AND 6);

-- +goose Down
ALTER TABLE partner_rate DROP COLUMN statement_decimals;
DROP TABLE leg_charge_adjustment;
