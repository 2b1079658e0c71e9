-- Logins and failed logins per account and hour, kept by the audit projection in the same
-- transaction as the entries it counts (only entries it newly inserts are counted, so a
-- redelivered event counts once). The console's chart reads at most 336 rows of it (14 days)
-- instead of every login entry of the range.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS audit_login_hours (
    account_id uuid NOT NULL,
    hour timestamptz NOT NULL,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour)
);

-- What the log holds already (through the index 0014 made for the chart, dropped after).
INSERT INTO audit_login_hours (account_id, hour, succeeded, failed)
SELECT account_id, date_trunc('hour', at, 'UTC'),
       count(*) FILTER (WHERE outcome = 'success'),
       count(*) FILTER (WHERE outcome = 'failed')
  FROM audit_log
 WHERE item = 'User' AND action = 'Login'
 GROUP BY 1, 2
    ON CONFLICT (account_id, hour) DO NOTHING;

DROP INDEX IF EXISTS audit_log_logins;
