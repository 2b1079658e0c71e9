-- SSO logins between the assertion consumer and the browser's next page. The assertion consumer
-- receives a cross-site POST that carries none of the browser's cookies, so it checks the
-- Response, keeps what it asserts here under a random ticket (its SHA-256 only) and sends the
-- browser to a same-site page with the ticket. That page binds the ticket to the browser that
-- sent the AuthnRequest (`browser_digest`), and the session is opened once: the row is deleted
-- in the statement that opens it.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS sso_tickets (
    ticket_hash    text PRIMARY KEY,
    config_id      uuid NOT NULL,
    request_id     text,
    assertion      jsonb NOT NULL,
    browser_digest text,
    created_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sso_tickets_created ON sso_tickets (created_at);

-- The configuration of an assertion consumer URL: its random path is drawn at creation and
-- never changes.
CREATE INDEX IF NOT EXISTS events_sso_acs_path
    ON events ((payload -> 'SsoConfigCreated' -> 'settings' ->> 'sp_acs_path'))
    WHERE aggregate_type = 'sso_config' AND event_type = 'SsoConfigCreated';
