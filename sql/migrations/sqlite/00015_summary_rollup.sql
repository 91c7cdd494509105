-- +goose Up
-- The batches add their legs to cdr_daily only; cdr_daily_branch and the
-- monthly tables are rolled up from it for the days before rolled_up_to
-- (radiusd moves it to the day before yesterday, UTC). A leg that arrives
-- later than that is added to them by its own batch, which writes this
-- row first (late_legs).
CREATE TABLE summary_rollup (
    id           INTEGER NOT NULL PRIMARY KEY,
    rolled_up_to TEXT    NOT NULL, -- YYYY-MM-DD: the rolled-up tables hold every billed leg of the days before
    late_legs    INTEGER NOT NULL DEFAULT 0
);

-- The rolled-up tables keep the months before this one; this month's days
-- are read from cdr_daily until radiusd rolls them up.
INSERT INTO summary_rollup (id, rolled_up_to) VALUES (1, date('now', 'start of month'));
DELETE FROM cdr_daily_branch WHERE day >= date('now', 'start of month');
DELETE FROM cdr_monthly_owner WHERE month >= date('now', 'start of month');
DELETE FROM cdr_monthly_route WHERE month >= date('now', 'start of month');

-- +goose Down
DROP TABLE summary_rollup;
