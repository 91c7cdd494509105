-- +goose Up
-- Billed legs per day, branch and direction: the dashboard's cost per day
-- and today's figures read a few hundred rows of it, where cdr_daily
-- holds a row per user, zone and gateway of the day.
CREATE TABLE cdr_daily_branch (
    day            DATE            NOT NULL COMMENT 'UTC day of call_time',
    branch_id      BIGINT UNSIGNED NOT NULL,
    direction      VARCHAR(8)      NOT NULL,
    currency       CHAR(3)         NOT NULL,
    calls          BIGINT          NOT NULL,
    answered       BIGINT          NOT NULL,
    unrated        BIGINT          NOT NULL,
    billed_seconds BIGINT          NOT NULL,
    cost_micros    BIGINT          NOT NULL,
    shard          SMALLINT        NOT NULL DEFAULT 0 COMMENT 'the figures of a group are the sum of its shards',
    PRIMARY KEY (day, branch_id, direction, currency, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='billed legs per day, branch and direction';

INSERT INTO cdr_daily_branch
    SELECT day, branch_id, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE cdr_daily_branch;
