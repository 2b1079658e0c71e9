-- The append-only event store (postgres-es layout) with chronid's three extra columns.
SET LOCAL client_min_messages = warning;
CREATE TABLE IF NOT EXISTS events (
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 1),
    event_type     text   NOT NULL,
    event_version  text   NOT NULL,
    payload        jsonb  NOT NULL,
    metadata       jsonb  NOT NULL,
    global_seq     bigint GENERATED ALWAYS AS IDENTITY,
    tx_id          xid8   NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- The relay reads in (tx_id, global_seq) order. (global_seq is unique by construction; a second
-- index on it alone would cost every insert and serve no query of the write path.)
CREATE UNIQUE INDEX IF NOT EXISTS events_tx_id_global_seq ON events (tx_id, global_seq);

-- Events are immutable: UPDATE, DELETE and TRUNCATE are refused.
CREATE OR REPLACE FUNCTION chronid_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chronid events are immutable: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS events_immutable_rows ON events;
CREATE TRIGGER events_immutable_rows BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION chronid_events_immutable();
DROP TRIGGER IF EXISTS events_immutable_truncate ON events;
CREATE TRIGGER events_immutable_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION chronid_events_immutable();

-- No NOTIFY trigger here: PostgreSQL serialises the commits of every transaction that issued
-- NOTIFY, which capped the store at a fifth of its insert rate. The writer notifies after commit
-- instead (adapters/src/store/wakeup.rs, docs/decisions/0002-relay-wakeup-outside-the-transaction.md).

-- Snapshots written by chronid's own snapshotting store (never cqrs-es's).
CREATE TABLE IF NOT EXISTS snapshots (
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          jsonb  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Where the relay stands, per stream: the last (tx_id, global_seq) whose publish was acked.
CREATE TABLE IF NOT EXISTS relay_checkpoints (
    stream     text        PRIMARY KEY,
    tx_id      xid8        NOT NULL,
    global_seq bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
