-- +goose Up
-- Branches and departments as entities (enterprise_user's free-text
-- columns move into them), numbers owned by a department, gateways in a
-- branch, each CDR's department and branch at call time, and the summaries
-- reports read instead of cdr. Documented in sql/SCHEMA.md.

CREATE TABLE branch (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

CREATE TABLE department (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    branch_id  INTEGER NOT NULL REFERENCES branch (id),
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (branch_id, name)
);

-- A user with a department but no branch gets branch '(no branch)'; one
-- with a branch but no department gets that branch's department 'General'.
INSERT INTO branch (name, created_at)
    SELECT DISTINCT CASE WHEN branch = '' THEN '(no branch)' ELSE branch END, strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM enterprise_user WHERE branch <> '' OR department <> '';
INSERT INTO department (branch_id, name, created_at)
    SELECT DISTINCT b.id, CASE WHEN u.department = '' THEN 'General' ELSE u.department END, strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM enterprise_user u JOIN branch b ON b.name = CASE WHEN u.branch = '' THEN '(no branch)' ELSE u.branch END;

ALTER TABLE enterprise_user ADD COLUMN department_id INTEGER REFERENCES department (id);
UPDATE enterprise_user SET department_id = (
    SELECT d.id FROM department d JOIN branch b ON b.id = d.branch_id
    WHERE b.name = CASE WHEN enterprise_user.branch = '' THEN '(no branch)' ELSE enterprise_user.branch END
      AND d.name = CASE WHEN enterprise_user.department = '' THEN 'General' ELSE enterprise_user.department END)
WHERE branch <> '' OR department <> '';
ALTER TABLE enterprise_user DROP COLUMN branch;
ALTER TABLE enterprise_user DROP COLUMN department;
CREATE INDEX enterprise_user_department ON enterprise_user (department_id);

-- A number identifies a user, or belongs directly to a department (shared
-- phones, fax, reception): exactly one of the two.
CREATE TABLE enterprise_user_number_new (
    number        TEXT    PRIMARY KEY,
    user_id       INTEGER REFERENCES enterprise_user (id),
    department_id INTEGER REFERENCES department (id),
    CHECK ((user_id IS NULL) <> (department_id IS NULL))
);
INSERT INTO enterprise_user_number_new (number, user_id) SELECT number, user_id FROM enterprise_user_number;
DROP TABLE enterprise_user_number;
ALTER TABLE enterprise_user_number_new RENAME TO enterprise_user_number;
CREATE INDEX enterprise_user_number_user ON enterprise_user_number (user_id);
CREATE INDEX enterprise_user_number_department ON enterprise_user_number (department_id);

ALTER TABLE gateway ADD COLUMN branch_id INTEGER REFERENCES branch (id);

ALTER TABLE cdr ADD COLUMN department_id INTEGER;
ALTER TABLE cdr ADD COLUMN branch_id INTEGER;
UPDATE cdr SET department_id = (SELECT department_id FROM enterprise_user WHERE id = cdr.user_id) WHERE user_id IS NOT NULL;
UPDATE cdr SET branch_id = (SELECT branch_id FROM department WHERE id = cdr.department_id) WHERE department_id IS NOT NULL;

-- Summaries of billed legs. 0 and '' stand for "none" so that every group
-- has a primary key. Kept by the writer in each batch's transaction and by
-- rerate; radbill report rebuild recomputes them from cdr. A group's
-- figures are the sum of its shards' rows: consecutive batches add to
-- different shards, so that one need not wait for the other's commit.
CREATE TABLE cdr_daily (
    day            TEXT    NOT NULL,
    branch_id      INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    zone           TEXT    NOT NULL,
    gateway        TEXT    NOT NULL,
    direction      TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    unrated        INTEGER NOT NULL,
    billed_seconds INTEGER NOT NULL,
    cost_micros    INTEGER NOT NULL,
    shard          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, branch_id, department_id, user_id, zone, gateway, direction, currency, shard)
) WITHOUT ROWID;

CREATE TABLE cdr_monthly_owner (
    month          TEXT    NOT NULL,
    branch_id      INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    direction      TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    unrated        INTEGER NOT NULL,
    billed_seconds INTEGER NOT NULL,
    cost_micros    INTEGER NOT NULL,
    shard          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, branch_id, department_id, user_id, direction, currency, shard)
) WITHOUT ROWID;

CREATE TABLE cdr_monthly_route (
    month          TEXT    NOT NULL,
    branch_id      INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    zone           TEXT    NOT NULL,
    gateway        TEXT    NOT NULL,
    direction      TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    unrated        INTEGER NOT NULL,
    billed_seconds INTEGER NOT NULL,
    cost_micros    INTEGER NOT NULL,
    shard          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, branch_id, department_id, zone, gateway, direction, currency, shard)
) WITHOUT ROWID;

INSERT INTO cdr_daily
    SELECT substr(call_time, 1, 10), COALESCE(branch_id, 0), COALESCE(department_id, 0), COALESCE(user_id, 0),
           COALESCE(zone, ''), client_name, direction, COALESCE(currency, ''),
           COUNT(*), SUM(CASE WHEN duration_s > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END),
           SUM(COALESCE(billed_seconds, 0)), SUM(COALESCE(cost_micros, 0)), 0
    FROM cdr WHERE billed = 1 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO cdr_monthly_owner
    SELECT substr(day, 1, 7) || '-01', branch_id, department_id, user_id, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO cdr_monthly_route
    SELECT substr(day, 1, 7) || '-01', branch_id, department_id, zone, gateway, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- +goose Down
DROP TABLE cdr_monthly_route;
DROP TABLE cdr_monthly_owner;
DROP TABLE cdr_daily;
ALTER TABLE cdr DROP COLUMN branch_id;
ALTER TABLE cdr DROP COLUMN department_id;
ALTER TABLE gateway DROP COLUMN branch_id;
CREATE TABLE enterprise_user_number_old (
    number  TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enterprise_user (id)
);
INSERT INTO enterprise_user_number_old (number, user_id) SELECT number, user_id FROM enterprise_user_number WHERE user_id IS NOT NULL;
DROP TABLE enterprise_user_number;
ALTER TABLE enterprise_user_number_old RENAME TO enterprise_user_number;
CREATE INDEX enterprise_user_number_user ON enterprise_user_number (user_id);
ALTER TABLE enterprise_user ADD COLUMN branch TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprise_user ADD COLUMN department TEXT NOT NULL DEFAULT '';
UPDATE enterprise_user SET
    branch = COALESCE((SELECT b.name FROM department d JOIN branch b ON b.id = d.branch_id WHERE d.id = enterprise_user.department_id), ''),
    department = COALESCE((SELECT d.name FROM department d WHERE d.id = enterprise_user.department_id), '');
DROP INDEX enterprise_user_department;
ALTER TABLE enterprise_user DROP COLUMN department_id;
DROP TABLE department;
DROP TABLE branch;
