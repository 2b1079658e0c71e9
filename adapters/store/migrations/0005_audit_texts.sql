-- Searching the audit log by description text through a dictionary of the distinct descriptions.
--
-- A trigram index over every entry's description could not serve a rare pattern quickly: a
-- pattern such as `user1234@bench` holds trigrams (`use`, `ser`, `ben`) whose posting lists
-- have millions of entries, so the bitmap scan alone took 170 to 210 ms over 10,000,000 entries.
-- Descriptions repeat (a template with a name or an address), so each distinct description of an
-- account is kept once here, with the trigram index; a text search finds the matching
-- descriptions in this small table and then reads their entries by a hash of the description
-- (`audit_log_text`), rechecking the text itself, so a hash collision can only add rows that the
-- recheck drops. Decision 0008 records the choice.
CREATE TABLE IF NOT EXISTS audit_texts (
    account_id  uuid  NOT NULL,
    digest      bytea NOT NULL,
    description text  NOT NULL,
    PRIMARY KEY (account_id, digest)
);
CREATE INDEX IF NOT EXISTS audit_texts_description
    ON audit_texts USING gin (account_id, description gin_trgm_ops);

INSERT INTO audit_texts (account_id, digest, description)
SELECT DISTINCT account_id, sha256(convert_to(description, 'UTF8')), description
  FROM audit_log
    ON CONFLICT (account_id, digest) DO NOTHING;

CREATE INDEX IF NOT EXISTS audit_log_text
    ON audit_log (account_id, hashtextextended(description, 0), at DESC, position DESC);
DROP INDEX IF EXISTS audit_log_description;
