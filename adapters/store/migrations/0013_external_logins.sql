-- Google and GitHub logins.
SET LOCAL client_min_messages = warning;

-- A challenge of a Google or GitHub login remembers the provider (the session it opens says
-- how the user logged in) and the provider's subject (linked to the user once the second
-- factor is passed, never before). NULL for a password login.
ALTER TABLE login_challenges ADD COLUMN IF NOT EXISTS provider text;
ALTER TABLE login_challenges ADD COLUMN IF NOT EXISTS subject text;
