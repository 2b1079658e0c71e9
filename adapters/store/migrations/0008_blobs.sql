-- Blobs: images the events refer to by digest (an account's logo), kept by the store beside the
-- events. Written before the event that names them, never changed or deleted (a blob no event
-- names any more stays, as the events it was named in do), so replaying the events finds every
-- image they name.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS blobs (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type text NOT NULL,
    bytes      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
