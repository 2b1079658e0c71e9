-- The read side: projection checkpoints, parked events, the views and the audit log.
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Lets read-your-writes find an event's (tx_id, global_seq) from its position. BRIN: global_seq
-- follows the physical order of an append-only table, so the index costs inserts next to nothing.
CREATE INDEX IF NOT EXISTS events_global_seq_brin ON events USING brin (global_seq)
    WITH (pages_per_range = 8);

-- Where each projection stands: the last message applied, as a stream sequence and as the
-- (tx_id, global_seq) cursor the relay publishes in. Updated in the same transaction as the rows.
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection text        PRIMARY KEY,
    stream_seq bigint      NOT NULL,
    tx_id      xid8        NOT NULL,
    global_seq bigint      NOT NULL,
    applied    bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Events a projection could not apply after its retries: parked, never skipped silently.
CREATE TABLE IF NOT EXISTS projection_failed_events (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection     text        NOT NULL,
    -- 'stream' (a live worker) or 'replay' (a rebuild; no stream sequence).
    source         text        NOT NULL DEFAULT 'stream',
    stream_seq     bigint,
    msg_id         text,
    event_type     text,
    aggregate_type text,
    aggregate_id   text,
    sequence       bigint,
    position       bigint,
    error          text        NOT NULL,
    attempts       integer     NOT NULL,
    envelope       jsonb,
    parked_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (projection, stream_seq)
);

-- Current users. `doc` is the whole view; the other columns serve filters and paging.
CREATE TABLE IF NOT EXISTS view_users (
    user_id        uuid        PRIMARY KEY,
    account_id     uuid        NOT NULL,
    email_lower    text        NOT NULL,
    username_lower text,
    status         text        NOT NULL,
    roles          text[]      NOT NULL,
    teams          uuid[]      NOT NULL,
    search         text        NOT NULL,
    last_sequence  bigint      NOT NULL,
    last_position  bigint      NOT NULL,
    doc            jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS view_users_account ON view_users (account_id, user_id);
CREATE INDEX IF NOT EXISTS view_users_teams ON view_users USING gin (teams);
CREATE INDEX IF NOT EXISTS view_users_search ON view_users USING gin (search gin_trgm_ops);

CREATE TABLE IF NOT EXISTS view_devices (
    device_id     uuid   PRIMARY KEY,
    user_id       uuid   NOT NULL,
    account_id    uuid   NOT NULL,
    last_sequence bigint NOT NULL,
    doc           jsonb  NOT NULL
);
CREATE INDEX IF NOT EXISTS view_devices_user ON view_devices (user_id);

CREATE TABLE IF NOT EXISTS view_teams (
    team_id       uuid    PRIMARY KEY,
    account_id    uuid    NOT NULL,
    deleted       boolean NOT NULL,
    last_sequence bigint  NOT NULL,
    doc           jsonb   NOT NULL
);
CREATE INDEX IF NOT EXISTS view_teams_account ON view_teams (account_id, team_id);

CREATE TABLE IF NOT EXISTS view_accounts (
    account_id    uuid   PRIMARY KEY,
    last_sequence bigint NOT NULL,
    doc           jsonb  NOT NULL
);

-- The audit log: one entry per event, idempotent by the event's identity.
CREATE TABLE IF NOT EXISTS audit_log (
    aggregate_type  text        NOT NULL,
    aggregate_id    uuid        NOT NULL,
    sequence        bigint      NOT NULL,
    position        bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    account_id      uuid        NOT NULL,
    at              timestamptz NOT NULL,
    event_type      text        NOT NULL,
    item            text        NOT NULL,
    action          text        NOT NULL,
    outcome         text        NOT NULL,
    description     text        NOT NULL,
    actor_kind      text        NOT NULL,
    actor_id        uuid,
    username        text,
    target_id       uuid,
    target_username text,
    ip              text,
    user_agent      text,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (account_id, at DESC, position DESC);
CREATE INDEX IF NOT EXISTS audit_log_username
    ON audit_log (account_id, lower(username), at DESC, position DESC);
CREATE INDEX IF NOT EXISTS audit_log_target_username
    ON audit_log (account_id, lower(target_username), at DESC, position DESC);
CREATE INDEX IF NOT EXISTS audit_log_ip ON audit_log (account_id, ip, at DESC, position DESC);
CREATE INDEX IF NOT EXISTS audit_log_description
    ON audit_log USING gin (account_id, description gin_trgm_ops);

-- What the audit log knows of users and API keys, to name actors and targets.
CREATE TABLE IF NOT EXISTS audit_principals (
    principal_id  uuid   PRIMARY KEY,
    last_sequence bigint NOT NULL,
    doc           jsonb  NOT NULL
);
