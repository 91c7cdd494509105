-- +goose Up
-- Disconnect-Requests (RFC 5176) to send: one per call in progress that an
-- administrator's change ended (a blocked card or user, a balance cut
-- below what its calls reserved), queued in that change's transaction and
-- sent by radiusd until the gateway answers. Documented in sql/SCHEMA.md.
CREATE TABLE disconnect_request (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_name     VARCHAR(64)     NOT NULL,
    nas_ip          VARCHAR(45)     NOT NULL,
    acct_session_id VARBINARY(255)  NOT NULL,
    conf_id         VARBINARY(64)   NOT NULL DEFAULT '',
    user_name       VARBINARY(253)  NOT NULL DEFAULT '',
    reason          VARCHAR(255)    NOT NULL,
    status          ENUM('pending', 'acked', 'nacked', 'failed') NOT NULL DEFAULT 'pending',
    attempts        INT             NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)     NULL,
    last_error      VARCHAR(1000)   NOT NULL DEFAULT '',
    created_at      DATETIME(3)     NOT NULL,
    done_at         DATETIME(3)     NULL,
    UNIQUE KEY disconnect_request_call (nas_ip, acct_session_id, conf_id),
    KEY disconnect_request_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Disconnect-Requests to send for calls an administrator ended';

-- +goose Down
DROP TABLE disconnect_request;
