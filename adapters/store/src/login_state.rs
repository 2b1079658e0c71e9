//! The two small tables beside the events that logins need and no event holds:
//!
//! * `login_challenges` routes a challenge id (all a client presents when it answers a code) to
//!   its user and the language the login asked for. A row is written once the challenge is
//!   issued, so a refused login leaves none behind; rows older than a day are pruned.
//! * `session_activity` keeps when each open session was last used, for the idle timeout. The
//!   session itself (opened, expires, revoked) is on the User; only its last use, which changes
//!   with every request, lives here.
//!
//! Also here: the lookup of the logins claimed by users (the reservations' events), which finds a
//! login's candidate users across accounts.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// The rows of `login_challenges`.
#[derive(Clone)]
pub struct LoginChallenges {
    pool: PgPool,
}

/// Where a challenge leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRoute {
    pub user_id: Uuid,
    pub language: Option<String>,
    /// For a Google or GitHub login: the provider (`google`, `github`) and its subject, linked
    /// to the user once the challenge is passed.
    pub external: Option<(String, String)>,
}

impl LoginChallenges {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn route(
        &self,
        challenge_id: Uuid,
        to: &ChallengeRoute,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO login_challenges
                 (challenge_id, user_id, language, created_at, provider, subject)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(challenge_id)
        .bind(to.user_id)
        .bind(to.language.as_deref())
        .bind(now)
        .bind(to.external.as_ref().map(|(p, _)| p.as_str()))
        .bind(to.external.as_ref().map(|(_, s)| s.as_str()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn unroute(&self, challenge_id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_challenges WHERE challenge_id = $1")
            .bind(challenge_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn find(&self, challenge_id: Uuid) -> Result<Option<ChallengeRoute>, sqlx::Error> {
        type Row = (Uuid, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT user_id, language, provider, subject FROM login_challenges
              WHERE challenge_id = $1",
        )
        .bind(challenge_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(user_id, language, provider, subject)| ChallengeRoute {
                user_id,
                language,
                external: provider.zip(subject),
            }),
        )
    }

    /// Drops the routes created before `before`.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM login_challenges WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// The rows of `session_activity`.
#[derive(Clone)]
pub struct SessionActivity {
    pool: PgPool,
}

impl SessionActivity {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Records a use of the session (its first, or a later one).
    pub async fn record(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO session_activity (session_id, user_id, last_seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (session_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a use at `at` if the session was last used after `idle_since`; false when it was
    /// idle too long or has no row.
    pub async fn touch(
        &self,
        session_id: Uuid,
        at: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let alive: Option<i32> = sqlx::query_scalar(
            "UPDATE session_activity SET last_seen_at = $2
              WHERE session_id = $1 AND last_seen_at > $3 RETURNING 1",
        )
        .bind(session_id)
        .bind(at)
        .bind(idle_since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(alive.is_some())
    }

    /// When each of the user's sessions was last used.
    pub async fn of_user(&self, user_id: Uuid) -> Result<Vec<(Uuid, DateTime<Utc>)>, sqlx::Error> {
        sqlx::query_as("SELECT session_id, last_seen_at FROM session_activity WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Drops the user's rows of sessions not in `open`; returns the sessions dropped.
    pub async fn keep_only(&self, user_id: Uuid, open: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar(
            "DELETE FROM session_activity WHERE user_id = $1 AND NOT (session_id = ANY($2))
             RETURNING session_id",
        )
        .bind(user_id)
        .bind(open)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn forget(&self, session_id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM session_activity WHERE session_id = $1")
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops the rows of sessions last used before `before`.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM session_activity WHERE last_seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// The reservation ids (`email:<account>:<value>`, `username:<account>:<value>`) claimed in any
/// account for one of `values` (normalised emails or usernames), at most `limit`, in id order.
/// Written with the expression and predicate of the partial index `events_reserved_login`
/// (migration 0003), literals included, so the planner uses it.
pub async fn claimed_logins(
    pool: &PgPool,
    values: &[String],
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT aggregate_id FROM events
          WHERE aggregate_type = 'reservation' AND event_type = 'ReservationClaimed'
            AND substr(aggregate_id, strpos(aggregate_id, ':') + 38) = ANY($1)
            AND (aggregate_id LIKE 'email:%' OR aggregate_id LIKE 'username:%')
          ORDER BY aggregate_id LIMIT $2",
    )
    .bind(values)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The reservation ids of `identity:<account>:<provider>:<subject>` claimed in any account for
/// `value` (`<provider>:<subject>`, the subject lowercase), at most `limit`, in id order: the
/// users an external identity was linked to. Uses the index `events_reserved_login` as
/// `claimed_logins` does.
pub async fn claimed_identities(
    pool: &PgPool,
    value: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT aggregate_id FROM events
          WHERE aggregate_type = 'reservation' AND event_type = 'ReservationClaimed'
            AND substr(aggregate_id, strpos(aggregate_id, ':') + 38) = $1
            AND aggregate_id LIKE 'identity:%'
          ORDER BY aggregate_id LIMIT $2",
    )
    .bind(value)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What became of a checked Response (`SamlRequests::accept_response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// Its ticket was issued.
    Issued,
    /// Its assertion was accepted before.
    Replayed,
    /// The request it answers was answered already, or is too old, or was never sent.
    RequestGone,
}

/// A checked SSO assertion waiting for its browser (`sso_tickets`).
#[derive(Debug, Clone)]
pub struct SsoTicket {
    pub config_id: Uuid,
    /// The AuthnRequest it answers; `None` for an unsolicited response.
    pub request_id: Option<String>,
    pub assertion: serde_json::Value,
}

impl From<(Uuid, Option<String>, serde_json::Value)> for SsoTicket {
    fn from((config_id, request_id, assertion): (Uuid, Option<String>, serde_json::Value)) -> Self {
        Self {
            config_id,
            request_id,
            assertion,
        }
    }
}

/// The rows of `saml_requests`: AuthnRequests sent and not yet answered.
#[derive(Clone)]
pub struct SamlRequests {
    pool: PgPool,
}

impl SamlRequests {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Remembers request `request_id`, sent for `config_id` from the browser `browser_digest`.
    pub async fn remember(
        &self,
        request_id: &str,
        config_id: Uuid,
        browser_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO saml_requests (request_id, config_id, browser_digest, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(request_id)
        .bind(config_id)
        .bind(browser_digest)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everything a checked Response changes, in one statement: its assertion accepted once
    /// across all nodes, the request it answers taken (once, fresh, of this configuration), and
    /// the ticket issued for the browser that sent the request. Nothing is issued unless both
    /// the assertion is new and the request (if any) was outstanding; either is spent anyway.
    #[allow(clippy::too_many_arguments)]
    pub async fn accept_response(
        &self,
        config_id: Uuid,
        issuer: &str,
        assertion_id: &str,
        assertion_expires_at: DateTime<Utc>,
        request_id: Option<&str>,
        ticket_hash: &str,
        assertion: &serde_json::Value,
        now: DateTime<Utc>,
        max_age: chrono::Duration,
    ) -> Result<Acceptance, sqlx::Error> {
        let (accepted, taken, issued): (bool, bool, bool) = sqlx::query_as(
            "WITH taken AS (
                 UPDATE saml_requests SET used_at = $1
                  WHERE $2::text IS NOT NULL AND request_id = $2 AND config_id = $3
                    AND used_at IS NULL AND created_at > $4
                 RETURNING browser_digest),
             accepted AS (
                 INSERT INTO saml_assertions (issuer, assertion_id, expires_at)
                 VALUES ($5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1),
             ticket AS (
                 INSERT INTO sso_tickets
                        (ticket_hash, config_id, request_id, browser_digest, assertion, created_at)
                 SELECT $8, $3, $2, (SELECT browser_digest FROM taken), $9, $1
                  WHERE EXISTS (SELECT 1 FROM accepted)
                    AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM taken))
                 RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM accepted), EXISTS (SELECT 1 FROM taken),
                    EXISTS (SELECT 1 FROM ticket)",
        )
        .bind(now)
        .bind(request_id)
        .bind(config_id)
        .bind(now - max_age)
        .bind(issuer)
        .bind(assertion_id)
        .bind(assertion_expires_at)
        .bind(ticket_hash)
        .bind(assertion)
        .fetch_one(&self.pool)
        .await?;
        Ok(match (issued, accepted, taken) {
            (true, _, _) => Acceptance::Issued,
            (false, false, _) => Acceptance::Replayed,
            (false, true, _) => Acceptance::RequestGone,
        })
    }

    /// The fresh ticket of the browser `browser_digest`: one issued for it, or an unsolicited
    /// one no browser holds yet, which becomes its (only the first browser to present it gets
    /// it). Returns its configuration, request and assertion.
    pub async fn ticket_for(
        &self,
        ticket_hash: &str,
        browser_digest: &str,
        now: DateTime<Utc>,
        max_age: chrono::Duration,
    ) -> Result<Option<SsoTicket>, sqlx::Error> {
        let row: Option<(Uuid, Option<String>, serde_json::Value)> = sqlx::query_as(
            "UPDATE sso_tickets SET browser_digest = $2
              WHERE ticket_hash = $1 AND created_at > $3
                AND (browser_digest = $2 OR (browser_digest IS NULL AND request_id IS NULL))
             RETURNING config_id, request_id, assertion",
        )
        .bind(ticket_hash)
        .bind(browser_digest)
        .bind(now - max_age)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(SsoTicket::from))
    }

    /// The configuration of a ticket, whoever holds it.
    pub async fn ticket_config(&self, ticket_hash: &str) -> Result<Option<Uuid>, sqlx::Error> {
        sqlx::query_scalar("SELECT config_id FROM sso_tickets WHERE ticket_hash = $1")
            .bind(ticket_hash)
            .fetch_optional(&self.pool)
            .await
    }

    /// Spends a ticket: true for the one caller that deleted it.
    pub async fn spend_ticket(&self, ticket_hash: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sso_tickets WHERE ticket_hash = $1")
            .bind(ticket_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The configuration whose assertion consumer URL ends in `acs_path`.
    pub async fn config_by_acs(&self, acs_path: &str) -> Result<Option<Uuid>, sqlx::Error> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT aggregate_id FROM events
              WHERE aggregate_type = 'sso_config' AND event_type = 'SsoConfigCreated'
                AND payload -> 'SsoConfigCreated' -> 'settings' ->> 'sp_acs_path' = $1
              LIMIT 1",
        )
        .bind(acs_path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.and_then(|id| id.parse().ok()))
    }

    /// Forgets requests older than `before` (answered or not), tickets issued before it, and
    /// accepted assertions that expired before it.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let tickets = sqlx::query("DELETE FROM sso_tickets WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        let requests = sqlx::query("DELETE FROM saml_requests WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        let assertions = sqlx::query("DELETE FROM saml_assertions WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(requests.rows_affected() + assertions.rows_affected() + tickets.rows_affected())
    }
}
