-- +goose Up
-- The batches add their legs to cdr_daily only; cdr_daily_branch and the
-- monthly tables are rolled up from it for the days before rolled_up_to
-- (radiusd moves it to the day before yesterday, UTC). A leg that arrives
-- later than that is added to them by its own batch, which writes this
-- row first (late_legs), so that a roll-up and the batch take turns, on
-- Galera too (both write the row: certification orders them).
CREATE TABLE summary_rollup (
    id           TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    rolled_up_to DATE             NOT NULL COMMENT 'cdr_daily_branch, cdr_monthly_* hold every billed leg of the days before',
    late_legs    BIGINT           NOT NULL DEFAULT 0 COMMENT 'legs stored over a day after their day (they take the lock)'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='how far the summaries are rolled up from cdr_daily';

-- The rolled-up tables keep the months before this one; this month's days
-- are read from cdr_daily until radiusd rolls them up.
INSERT INTO summary_rollup (id, rolled_up_to) VALUES (1, DATE_FORMAT(UTC_DATE(), '%Y-%m-01'));
DELETE FROM cdr_daily_branch WHERE day >= DATE_FORMAT(UTC_DATE(), '%Y-%m-01');
DELETE FROM cdr_monthly_owner WHERE month >= DATE_FORMAT(UTC_DATE(), '%Y-%m-01');
DELETE FROM cdr_monthly_route WHERE month >= DATE_FORMAT(UTC_DATE(), '%Y-%m-01');

-- +goose Down
DROP TABLE summary_rollup;
