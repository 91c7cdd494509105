-- +goose Up
-- Branches and departments as entities (enterprise_user's free-text
-- columns move into them), numbers owned by a department, gateways in a
-- branch, each CDR's department and branch at call time, and the summaries
-- reports read instead of cdr. Documented in sql/SCHEMA.md.

CREATE TABLE branch (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(255)    NOT NULL,
    created_at DATETIME(3)     NOT NULL,
    UNIQUE KEY branch_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='branches (sites) of the enterprise';

CREATE TABLE department (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id  BIGINT UNSIGNED NOT NULL,
    name       VARCHAR(255)    NOT NULL,
    created_at DATETIME(3)     NOT NULL,
    UNIQUE KEY department_name (branch_id, name),
    CONSTRAINT department_branch_fk FOREIGN KEY (branch_id) REFERENCES branch (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='departments (cost centres), each in a branch';

-- A user with a department but no branch gets branch '(no branch)'; one
-- with a branch but no department gets that branch's department 'General'.
INSERT INTO branch (name, created_at)
    SELECT DISTINCT CASE WHEN branch = '' THEN '(no branch)' ELSE branch END, UTC_TIMESTAMP(3)
    FROM enterprise_user WHERE branch <> '' OR department <> '';
INSERT INTO department (branch_id, name, created_at)
    SELECT DISTINCT b.id, CASE WHEN u.department = '' THEN 'General' ELSE u.department END, UTC_TIMESTAMP(3)
    FROM enterprise_user u JOIN branch b ON b.name = CASE WHEN u.branch = '' THEN '(no branch)' ELSE u.branch END;

ALTER TABLE enterprise_user ADD COLUMN department_id BIGINT UNSIGNED NULL COMMENT 'the user''s department (and through it branch)',
    ADD KEY enterprise_user_department (department_id),
    ADD CONSTRAINT enterprise_user_department_fk FOREIGN KEY (department_id) REFERENCES department (id);
UPDATE enterprise_user u
    JOIN branch b ON b.name = CASE WHEN u.branch = '' THEN '(no branch)' ELSE u.branch END
    JOIN department d ON d.branch_id = b.id AND d.name = CASE WHEN u.department = '' THEN 'General' ELSE u.department END
    SET u.department_id = d.id
    WHERE u.branch <> '' OR u.department <> '';
ALTER TABLE enterprise_user DROP COLUMN branch, DROP COLUMN department;

-- A number identifies a user, or belongs directly to a department (shared
-- phones, fax, reception): exactly one of the two.
ALTER TABLE enterprise_user_number MODIFY user_id BIGINT UNSIGNED NULL,
    ADD COLUMN department_id BIGINT UNSIGNED NULL COMMENT 'set for a number of a department, not of a user',
    ADD KEY enterprise_user_number_department (department_id),
    ADD CONSTRAINT enterprise_user_number_department_fk FOREIGN KEY (department_id) REFERENCES department (id),
    ADD CONSTRAINT enterprise_user_number_owner_check CHECK ((user_id IS NULL) <> (department_id IS NULL));

ALTER TABLE gateway ADD COLUMN branch_id BIGINT UNSIGNED NULL COMMENT 'the branch the gateway or trunk serves',
    ADD CONSTRAINT gateway_branch_fk FOREIGN KEY (branch_id) REFERENCES branch (id);

ALTER TABLE cdr ADD COLUMN department_id BIGINT UNSIGNED NULL COMMENT 'the owner''s department when stored',
    ADD COLUMN branch_id BIGINT UNSIGNED NULL COMMENT 'that department''s branch, else the gateway''s';
UPDATE cdr c JOIN enterprise_user u ON u.id = c.user_id SET c.department_id = u.department_id WHERE u.department_id IS NOT NULL;
UPDATE cdr c JOIN department d ON d.id = c.department_id SET c.branch_id = d.branch_id;

-- Summaries of billed legs. 0 and '' stand for "none" so that every group
-- has a primary key. Kept by the writer in each batch's transaction and by
-- rerate; radbill report rebuild recomputes them from cdr. A group's
-- figures are the sum of its shards' rows: consecutive batches add to
-- different shards, so that one need not wait for the other's commit.
CREATE TABLE cdr_daily (
    day            DATE            NOT NULL COMMENT 'UTC day of call_time',
    branch_id      BIGINT UNSIGNED NOT NULL,
    department_id  BIGINT UNSIGNED NOT NULL,
    user_id        BIGINT UNSIGNED NOT NULL,
    zone           VARCHAR(64)     NOT NULL,
    gateway        VARCHAR(64)     NOT NULL COMMENT 'cdr.client_name',
    direction      VARCHAR(8)      NOT NULL,
    currency       CHAR(3)         NOT NULL,
    calls          BIGINT          NOT NULL,
    answered       BIGINT          NOT NULL,
    unrated        BIGINT          NOT NULL,
    billed_seconds BIGINT          NOT NULL,
    cost_micros    BIGINT          NOT NULL,
    shard          SMALLINT        NOT NULL DEFAULT 0 COMMENT 'the figures of a group are the sum of its shards',
    PRIMARY KEY (day, branch_id, department_id, user_id, zone, gateway, direction, currency, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='billed legs per day and every report dimension';

CREATE TABLE cdr_monthly_owner (
    month          DATE            NOT NULL COMMENT 'first day of the UTC month',
    branch_id      BIGINT UNSIGNED NOT NULL,
    department_id  BIGINT UNSIGNED NOT NULL,
    user_id        BIGINT UNSIGNED NOT NULL,
    direction      VARCHAR(8)      NOT NULL,
    currency       CHAR(3)         NOT NULL,
    calls          BIGINT          NOT NULL,
    answered       BIGINT          NOT NULL,
    unrated        BIGINT          NOT NULL,
    billed_seconds BIGINT          NOT NULL,
    cost_micros    BIGINT          NOT NULL,
    shard          SMALLINT        NOT NULL DEFAULT 0,
    PRIMARY KEY (month, branch_id, department_id, user_id, direction, currency, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='billed legs per month and owner';

CREATE TABLE cdr_monthly_route (
    month          DATE            NOT NULL COMMENT 'first day of the UTC month',
    branch_id      BIGINT UNSIGNED NOT NULL,
    department_id  BIGINT UNSIGNED NOT NULL,
    zone           VARCHAR(64)     NOT NULL,
    gateway        VARCHAR(64)     NOT NULL,
    direction      VARCHAR(8)      NOT NULL,
    currency       CHAR(3)         NOT NULL,
    calls          BIGINT          NOT NULL,
    answered       BIGINT          NOT NULL,
    unrated        BIGINT          NOT NULL,
    billed_seconds BIGINT          NOT NULL,
    cost_micros    BIGINT          NOT NULL,
    shard          SMALLINT        NOT NULL DEFAULT 0,
    PRIMARY KEY (month, branch_id, department_id, zone, gateway, direction, currency, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='billed legs per month, destination and gateway';

INSERT INTO cdr_daily
    SELECT DATE(call_time), COALESCE(branch_id, 0), COALESCE(department_id, 0), COALESCE(user_id, 0),
           COALESCE(zone, ''), client_name, direction, COALESCE(currency, ''),
           COUNT(*), SUM(CASE WHEN duration_s > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END),
           SUM(COALESCE(billed_seconds, 0)), SUM(COALESCE(cost_micros, 0)), 0
    FROM cdr WHERE billed = 1 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO cdr_monthly_owner
    SELECT DATE_FORMAT(day, '%Y-%m-01'), branch_id, department_id, user_id, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO cdr_monthly_route
    SELECT DATE_FORMAT(day, '%Y-%m-01'), branch_id, department_id, zone, gateway, direction, currency,
           SUM(calls), SUM(answered), SUM(unrated), SUM(billed_seconds), SUM(cost_micros), 0
    FROM cdr_daily GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- +goose Down
DROP TABLE cdr_monthly_route;
DROP TABLE cdr_monthly_owner;
DROP TABLE cdr_daily;
ALTER TABLE cdr DROP COLUMN branch_id, DROP COLUMN department_id;
ALTER TABLE gateway DROP FOREIGN KEY gateway_branch_fk, DROP COLUMN branch_id;
DELETE FROM enterprise_user_number WHERE user_id IS NULL;
ALTER TABLE enterprise_user_number DROP CONSTRAINT enterprise_user_number_owner_check,
    DROP FOREIGN KEY enterprise_user_number_department_fk, DROP COLUMN department_id,
    MODIFY user_id BIGINT UNSIGNED NOT NULL;
ALTER TABLE enterprise_user ADD COLUMN branch VARCHAR(255) NOT NULL DEFAULT '', ADD COLUMN department VARCHAR(255) NOT NULL DEFAULT '';
UPDATE enterprise_user u JOIN department d ON d.id = u.department_id JOIN branch b ON b.id = d.branch_id
    SET u.branch = b.name, u.department = d.name;
ALTER TABLE enterprise_user DROP FOREIGN KEY enterprise_user_department_fk, DROP COLUMN department_id;
DROP TABLE department;
DROP TABLE branch;
