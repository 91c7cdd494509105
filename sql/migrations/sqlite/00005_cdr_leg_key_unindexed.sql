-- +goose Up
-- A leg's CDR is found by its Stop's dedup_key (unique), so the index on
-- leg_key only cost every CDR insert a second random-key index write.
DROP INDEX cdr_leg_key;

-- +goose Down
CREATE INDEX cdr_leg_key ON cdr (leg_key);
