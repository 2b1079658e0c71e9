-- SSO configurations by account: the configurations an account created or was added to, read
-- from the store (the configuration aggregate says whether it still serves the account).
SET LOCAL client_min_messages = warning;

CREATE INDEX IF NOT EXISTS events_sso_account
    ON events ((COALESCE(payload -> 'SsoConfigCreated' ->> 'account_id',
                         payload -> 'SsoAccountAdded' ->> 'account_id')))
    WHERE aggregate_type = 'sso_config'
      AND event_type IN ('SsoConfigCreated', 'SsoAccountAdded');
