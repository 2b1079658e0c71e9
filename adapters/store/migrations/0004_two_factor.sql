-- Two-factor challenges waiting for their code: which user a challenge id belongs to, and the
-- language chosen on the login page. Not an event: the challenge itself lives on the User
-- (TwoFactorChallengeIssued); this row only routes `POST /v1/login/challenges/{id}` to it.
-- Rows older than a day are pruned by the sweeper.
CREATE TABLE IF NOT EXISTS login_challenges (
    challenge_id uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    language     text,
    created_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS login_challenges_created ON login_challenges (created_at);
CREATE INDEX IF NOT EXISTS session_activity_seen ON session_activity (last_seen_at);
