-- +goose Up
-- Free-form values from gateways are VARBINARY so that any byte string a NAS sends
-- (invalid UTF-8 included) is stored verbatim. Times are UTC DATETIME(3).
-- Money is integer micro-units (1 = 0.000001 of the currency). See sql/SCHEMA.md.

CREATE TABLE cdr (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    dedup_key        CHAR(32)        NOT NULL COMMENT 'hash of NAS, Acct-Session-Id, conf-id, origin, type, status: one row per Stop',
    leg_key          CHAR(32)        NOT NULL COMMENT 'hash of NAS, Acct-Session-Id, conf-id, origin, type: the call leg',
    received_at      DATETIME(3)     NOT NULL COMMENT 'when radbill received the Stop (UTC)',
    call_time        DATETIME(3)     NOT NULL COMMENT 'connect time, else setup time, else received_at (UTC): the time the call is filed under',
    client_name      VARCHAR(64)     NOT NULL COMMENT 'configured NAS client the packet came from',
    nas_ip           VARCHAR(45)     NOT NULL COMMENT 'NAS-IP-Address, else the source address',
    nas_identifier   VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'NAS-Identifier',
    acct_session_id  VARBINARY(255)  NOT NULL COMMENT 'Acct-Session-Id (per-leg counter on the gateway)',
    conf_id          VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'h323-conf-id, canonical upper-case zero-padded form',
    incoming_conf_id VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'h323-incoming-conf-id from Cisco-AVPair: shared by all legs of a call',
    call_origin      VARBINARY(32)   NOT NULL DEFAULT '' COMMENT 'h323-call-origin: answer, originate, callback',
    call_type        VARBINARY(32)   NOT NULL DEFAULT '' COMMENT 'h323-call-type: Telephony, VoIP, ...',
    user_name        VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'User-Name',
    calling_number   VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'Calling-Station-Id as received',
    called_number    VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'Called-Station-Id as received',
    setup_time       DATETIME(3)     NULL COMMENT 'h323-setup-time (UTC)',
    connect_time     DATETIME(3)     NULL COMMENT 'h323-connect-time (UTC); NULL when unanswered or unparsable',
    disconnect_time  DATETIME(3)     NULL COMMENT 'h323-disconnect-time (UTC)',
    duration_s       INT UNSIGNED    NULL COMMENT 'Acct-Session-Time: connected seconds',
    disconnect_cause SMALLINT        NULL COMMENT 'h323-disconnect-cause as a decimal Q.850 cause (16 normal clearing)',
    terminate_cause  INT UNSIGNED    NULL COMMENT 'Acct-Terminate-Cause',
    voice_quality    INT             NULL COMMENT 'h323-voice-quality (ICPIF)',
    remote_address   VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'h323-remote-address: the peer gateway',
    gw_id            VARBINARY(255)  NOT NULL DEFAULT '' COMMENT 'h323-gw-id: the gateway name',
    acct_delay_s     INT UNSIGNED    NULL COMMENT 'Acct-Delay-Time of the stored copy',
    clock_unsynced   TINYINT(1)      NOT NULL DEFAULT 0 COMMENT '1 when a time was marked * or . (gateway clock not authoritative) or had an unknown zone',
    parse_errors     TEXT            NOT NULL COMMENT 'attributes whose value did not parse, kept raw in raw; empty when none',
    raw              MEDIUMTEXT      NOT NULL COMMENT 'every attribute of the packet as JSON [[name, value], ...]',
    zone             VARCHAR(128)    NULL COMMENT 'rated destination zone',
    cost_micros      BIGINT          NULL COMMENT 'rated cost in micro-units of currency; NULL when not rated',
    currency         CHAR(3)         NULL COMMENT 'ISO 4217 currency of cost_micros',
    rated_at         DATETIME(3)     NULL COMMENT 'when the cost was computed (UTC)',
    rating_status    VARCHAR(32)     NOT NULL DEFAULT 'unrated' COMMENT 'unrated, ok, or why no cost was computed',
    UNIQUE KEY cdr_dedup_key (dedup_key),
    KEY cdr_call_time (call_time),
    KEY cdr_called_number (called_number),
    KEY cdr_calling_number (calling_number),
    KEY cdr_conf_id (conf_id),
    KEY cdr_leg_key (leg_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='one row per accounting Stop (one per call leg)';

CREATE TABLE active_call (
    leg_key          CHAR(32)        NOT NULL PRIMARY KEY COMMENT 'same leg_key as the cdr row its Stop will create',
    client_name      VARCHAR(64)     NOT NULL,
    nas_ip           VARCHAR(45)     NOT NULL,
    acct_session_id  VARBINARY(255)  NOT NULL,
    conf_id          VARBINARY(255)  NOT NULL DEFAULT '',
    incoming_conf_id VARBINARY(255)  NOT NULL DEFAULT '',
    call_origin      VARBINARY(32)   NOT NULL DEFAULT '',
    call_type        VARBINARY(32)   NOT NULL DEFAULT '',
    user_name        VARBINARY(255)  NOT NULL DEFAULT '',
    calling_number   VARBINARY(255)  NOT NULL DEFAULT '',
    called_number    VARBINARY(255)  NOT NULL DEFAULT '',
    setup_time       DATETIME(3)     NULL,
    connect_time     DATETIME(3)     NULL,
    session_time_s   INT UNSIGNED    NULL COMMENT 'Acct-Session-Time of the latest Interim-Update',
    status           VARCHAR(16)     NOT NULL COMMENT 'start or interim: the latest packet seen',
    started_at       DATETIME(3)     NOT NULL COMMENT 'when the first packet of the leg was received',
    updated_at       DATETIME(3)     NOT NULL COMMENT 'when the latest packet of the leg was received',
    KEY active_call_nas_ip (nas_ip),
    KEY active_call_conf_id (conf_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='call legs started and not yet stopped';

-- +goose Down
DROP TABLE active_call;
DROP TABLE cdr;
