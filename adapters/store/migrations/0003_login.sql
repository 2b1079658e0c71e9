-- Login: finding users by email or username, and session idle time.
SET LOCAL client_min_messages = warning;

-- A login names an email or username, and without an account id it may be held in several
-- accounts. The reservations in the store (email:<account>:<value>, username:<account>:<value>)
-- say who holds it, with no projection lag; this index finds them by value. The value starts 38
-- characters after the first colon (36 for the account id, one for the second colon).
CREATE INDEX IF NOT EXISTS events_reserved_login
    ON events ((substr(aggregate_id, strpos(aggregate_id, ':') + 38)))
    WHERE aggregate_type = 'reservation' AND event_type = 'ReservationClaimed';

-- When each session was last used, for the idle timeout. Not an event: it changes with every
-- request (written at most every half minute per session) and matters only while the session
-- lives; the session itself (opened, logged out, revoked, ended) is in the User's events.
CREATE TABLE IF NOT EXISTS session_activity (
    session_id   uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_activity_user ON session_activity (user_id);
