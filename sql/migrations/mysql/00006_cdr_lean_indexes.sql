-- +goose Up
-- Every secondary index costs each CDR insert a B-tree write; these four cost
-- MariaDB about 4 µs of CPU each per row, a third of the row's cost (SCHEMA.md,
-- "Indexes"). Queries on cdr bound call_time, which stays indexed.
ALTER TABLE cdr DROP INDEX cdr_conf_id, DROP INDEX cdr_calling_number,
    DROP INDEX cdr_called_number, DROP INDEX cdr_called_number_norm;

-- +goose Down
ALTER TABLE cdr ADD INDEX cdr_conf_id (conf_id), ADD INDEX cdr_calling_number (calling_number),
    ADD INDEX cdr_called_number (called_number), ADD INDEX cdr_called_number_norm (called_number_norm);
