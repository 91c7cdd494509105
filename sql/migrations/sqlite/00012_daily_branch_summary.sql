-- +goose Up
-- Billed legs per day, branch and direction: the dashboard's cost per day
-- and today's figures read a few hundred rows of it, where cdr_daily
-- holds a row per user, zone and gateway of the day.
CREATE TABLE cdr_daily_branch (
    day            TEXT    NOT NULL,
    branch_id      INTEGER NOT NULL,
    direction      TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    unrated        INTEGER NOT NULL,
    billed_seconds INTEGER NOT NULL,
    cost_micros    INTEGER NOT NULL,
    shard          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, branch_id, direction, currency, shard)
) WITHOUT ROWID;

INSERT INTO cdr_daily_branch
    SELECT day, branch_id, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE cdr_daily_branch;
