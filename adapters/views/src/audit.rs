//! Storage of the `audit` projection: the audit log and the principals it names actors and
//! targets by. Entries are keyed by the event's identity and inserted with ON CONFLICT DO
//! NOTHING, so a redelivered event never makes a second entry.

use std::collections::{HashMap, HashSet};

use chronid_domain::public::PublicEnvelope;
use chronid_projections::audit::{self, AuditRecord, Principal};
use chronid_projections::{Applied, ProjectionError};
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::tables::Tables;
use super::Counts;

/// The in-memory state of the `audit` projection for a batch or a whole rebuild.
#[derive(Default)]
pub struct AuditState {
    /// Known principals with the sequence of the event that last changed them.
    principals: HashMap<Uuid, Option<(i64, Principal)>>,
    dirty: HashSet<Uuid>,
    records: Vec<AuditRecord>,
    complete: bool,
}

impl AuditState {
    pub fn complete() -> Self {
        Self {
            complete: true,
            ..Self::default()
        }
    }

    pub async fn load(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        batch: &[PublicEnvelope],
    ) -> Result<(), sqlx::Error> {
        if self.complete {
            return Ok(());
        }
        let mut ids: Vec<Uuid> = batch
            .iter()
            .flat_map(|env| {
                let mut ids = audit::principals_needed(env);
                if let Some((id, _)) = audit::principal_change(env, None) {
                    ids.push(id);
                }
                ids
            })
            .filter(|id| !self.principals.contains_key(id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.fetch(conn, tables, &ids).await?;
        // Then the owners of the devices just loaded, whom their events are about.
        let mut owners: Vec<Uuid> = found
            .into_iter()
            .filter_map(|p| p.owner)
            .filter(|id| !self.principals.contains_key(id))
            .collect();
        owners.sort_unstable();
        owners.dedup();
        if !owners.is_empty() {
            self.fetch(conn, tables, &owners).await?;
        }
        Ok(())
    }

    /// Loads the principals `ids` into the state (None for those not known); returns those found.
    async fn fetch(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        ids: &[Uuid],
    ) -> Result<Vec<Principal>, sqlx::Error> {
        let found: Vec<(Uuid, i64, Value)> = sqlx::query_as(&format!(
            "SELECT principal_id, last_sequence, doc FROM {} WHERE principal_id = ANY($1)",
            tables.principals
        ))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
        for id in ids {
            self.principals.insert(*id, None);
        }
        let mut principals = Vec::with_capacity(found.len());
        for (id, seq, doc) in found {
            let p: Principal =
                serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            principals.push(p.clone());
            self.principals.insert(id, Some((seq, p)));
        }
        Ok(principals)
    }

    pub fn apply(
        &mut self,
        env: &PublicEnvelope,
        counts: &mut Counts,
    ) -> Result<(), ProjectionError> {
        let current = audit::principal_change(env, None).and_then(|(id, _)| {
            self.principals
                .get(&id)
                .and_then(|p| p.as_ref())
                .map(|(_, p)| p.clone())
        });
        if let Some((id, principal)) = audit::principal_change(env, current.as_ref()) {
            let newer = match self.principals.get(&id) {
                Some(Some((seq, _))) => env.sequence > *seq,
                _ => true,
            };
            if newer {
                self.principals.insert(id, Some((env.sequence, principal)));
                self.dirty.insert(id);
            }
        }
        let principals = &self.principals;
        let lookup = |id: Uuid| {
            principals
                .get(&id)
                .and_then(|p| p.as_ref())
                .map(|(_, p)| p.clone())
        };
        self.records.push(audit::describe(env, &lookup));
        counts.record(Applied::Changed);
        Ok(())
    }

    /// How many entries wait to be written.
    pub fn pending(&self) -> usize {
        self.records.len()
    }

    /// The entries waiting to be written, for a writer of their own (a rebuild inserts them on
    /// another connection while it goes on reading).
    pub fn take_records(&mut self) -> Vec<AuditRecord> {
        std::mem::take(&mut self.records)
    }

    /// Writes the entries (existing ones are left alone) and the changed principals. Returns how
    /// many entries were new.
    pub async fn save(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
    ) -> Result<u64, sqlx::Error> {
        let inserted = insert_records(conn, tables, std::mem::take(&mut self.records)).await?;
        let principals: Vec<Value> = self
            .dirty
            .drain()
            .filter_map(|id| match self.principals.get(&id) {
                Some(Some((seq, p))) => Some(json!({"id": id, "seq": seq, "doc": p})),
                _ => None,
            })
            .collect();
        if !principals.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO {t} AS p (principal_id, last_sequence, doc)
                 SELECT id, seq, doc FROM jsonb_to_recordset($1) AS r(id uuid, seq bigint, doc jsonb)
                 ON CONFLICT (principal_id) DO UPDATE SET
                        last_sequence = EXCLUDED.last_sequence, doc = EXCLUDED.doc
                  WHERE p.last_sequence < EXCLUDED.last_sequence",
                t = tables.principals
            ))
            .bind(Value::Array(principals))
            .execute(&mut *conn)
            .await?;
        }
        Ok(inserted)
    }

    pub fn clear(&mut self) {
        if self.complete {
            self.records.clear();
        } else {
            *self = Self::default();
        }
    }
}

/// Inserts audit entries into `tables.audit` (existing ones are left alone), their new
/// descriptions into `tables.texts`, and adds the logins and failed logins among the entries
/// newly inserted to their hour in `tables.login_hours`, in one statement; returns how many
/// entries were new. The hours are locked in (account, hour) order, so two writers wait for
/// each other rather than deadlock.
pub async fn insert_records(
    conn: &mut PgConnection,
    tables: &Tables,
    records: Vec<AuditRecord>,
) -> Result<u64, sqlx::Error> {
    if records.is_empty() {
        return Ok(0);
    }
    let records = serde_json::to_value(records).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted: i64 = sqlx::query_scalar(&format!(
        "WITH r AS (
         SELECT * FROM jsonb_to_recordset($1) AS r(aggregate_type text, aggregate_id uuid,
                sequence bigint, position bigint, event_id uuid, account_id uuid,
                at timestamptz, event_type text, item text, action text, outcome text,
                description text, actor_kind text, actor_id uuid, username text,
                target_id uuid, target_username text, ip text, user_agent text)),
         texts AS (
         INSERT INTO {texts} (account_id, digest, description)
         SELECT DISTINCT account_id, sha256(convert_to(description, 'UTF8')), description FROM r
             ON CONFLICT (account_id, digest) DO NOTHING),
         new AS (
         INSERT INTO {table} (aggregate_type, aggregate_id, sequence, position, event_id,
                account_id, at, event_type, item, action, outcome, description,
                actor_kind, actor_id, username, target_id, target_username, ip, user_agent)
         SELECT aggregate_type, aggregate_id, sequence, position, event_id,
                account_id, at, event_type, item, action, outcome, description,
                actor_kind, actor_id, username, target_id, target_username, ip, user_agent
           FROM r
         ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING
         RETURNING account_id, at, item, action, outcome),
         hours AS (
         INSERT INTO {hours} AS h (account_id, hour, succeeded, failed)
         SELECT account_id, date_trunc('hour', at, 'UTC'),
                count(*) FILTER (WHERE outcome = 'success'),
                count(*) FILTER (WHERE outcome = 'failed')
           FROM new WHERE item = 'User' AND action = 'Login'
          GROUP BY 1, 2 ORDER BY 1, 2
         ON CONFLICT (account_id, hour) DO UPDATE
            SET succeeded = h.succeeded + EXCLUDED.succeeded, failed = h.failed + EXCLUDED.failed)
         SELECT count(*) FROM new",
        table = tables.audit,
        texts = tables.texts,
        hours = tables.login_hours,
    ))
    .bind(records)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(inserted).unwrap_or(0))
}
