-- SAML assertions accepted: each assertion ID once, across every node, until it could no longer
-- be accepted anyway (its NotOnOrAfter); then pruned.
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS saml_assertions (
    assertion_id text NOT NULL,
    issuer       text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
);
CREATE INDEX IF NOT EXISTS saml_assertions_expires ON saml_assertions (expires_at);
