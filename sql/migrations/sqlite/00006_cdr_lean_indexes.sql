-- +goose Up
-- Every secondary index costs each CDR insert a B-tree write (SCHEMA.md,
-- "Indexes"). Queries on cdr bound call_time, which stays indexed.
DROP INDEX cdr_conf_id;
DROP INDEX cdr_calling_number;
DROP INDEX cdr_called_number;
DROP INDEX cdr_called_number_norm;

-- +goose Down
CREATE INDEX cdr_conf_id ON cdr (conf_id);
CREATE INDEX cdr_calling_number ON cdr (calling_number);
CREATE INDEX cdr_called_number ON cdr (called_number);
CREATE INDEX cdr_called_number_norm ON cdr (called_number_norm);
