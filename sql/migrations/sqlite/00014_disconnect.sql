-- +goose Up
-- Disconnect-Requests (RFC 5176) to send: one per call in progress that an
-- administrator's change ended (a blocked card or user, a balance cut
-- below what its calls reserved), queued in that change's transaction and
-- sent by radiusd until the gateway answers. Documented in sql/SCHEMA.md.
CREATE TABLE disconnect_request (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_name     TEXT    NOT NULL,
    nas_ip          TEXT    NOT NULL,
    acct_session_id TEXT    NOT NULL,
    conf_id         TEXT    NOT NULL DEFAULT '',
    user_name       TEXT    NOT NULL DEFAULT '',
    reason          TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acked', 'nacked', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    done_at         TEXT,
    UNIQUE (nas_ip, acct_session_id, conf_id)
);
CREATE INDEX disconnect_request_due ON disconnect_request (status, next_attempt_at);

-- +goose Down
DROP TABLE disconnect_request;
