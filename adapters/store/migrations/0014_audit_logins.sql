-- The console's chart of logins and failed logins per hour reads this index alone.
SET LOCAL client_min_messages = warning;

CREATE INDEX IF NOT EXISTS audit_log_logins ON audit_log (account_id, at) INCLUDE (outcome)
    WHERE item = 'User' AND action = 'Login';
