-- SAML AuthnRequests outstanding: the id of each request chronid sent an IdP, the configuration
-- it was for and a digest of the browser it was sent from. A Response is taken only in answer
-- to one of them, once (`used_at`), from the same browser, while it is fresh.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS saml_requests (
    request_id     text PRIMARY KEY,
    config_id      uuid NOT NULL,
    browser_digest text NOT NULL,
    created_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX IF NOT EXISTS saml_requests_created ON saml_requests (created_at);
