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

    /// The query that reads the principals `batch` needs and are not in memory yet, and the
    /// owners of the devices among them (None when nothing is needed), in one statement: a kind
    /// (0 asked for, 1 an owner), id, last sequence and row. The ids asked for are marked unknown
    /// until [`Self::absorb`] fills in those found. Only UUIDs are formatted into it, so the live
    /// batch can send it in the same message as its `BEGIN`.
    pub fn load_query(&mut self, tables: &Tables, batch: &[PublicEnvelope]) -> Option<String> {
        if self.complete {
            return None;
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
            return None;
        }
        let known: Vec<Uuid> = self.principals.keys().copied().collect();
        for id in &ids {
            self.principals.insert(*id, None);
        }
        let (t, asked) = (&tables.principals, super::uuid_array(&ids));
        // An owner already in memory or asked for in the first part is not read twice.
        Some(format!(
            "WITH p AS (SELECT principal_id, last_sequence, doc FROM {t}
                         WHERE principal_id = ANY({asked}))
             SELECT 0, principal_id, last_sequence, doc FROM p
             UNION ALL
             SELECT 1, o.principal_id, o.last_sequence, o.doc FROM {t} o
              WHERE o.principal_id IN (SELECT (doc->>'owner')::uuid FROM p)
                AND o.principal_id <> ALL({asked}) AND o.principal_id <> ALL({known})",
            known = super::uuid_array(&known)
        ))
    }

    /// Takes in the rows [`Self::load_query`] read: owners not found are marked unknown too.
    pub fn absorb(&mut self, rows: Vec<sqlx::postgres::PgRow>) -> Result<(), sqlx::Error> {
        use sqlx::Row;
        let mut owners = Vec::new();
        for row in rows {
            let kind: i32 = row.try_get(0)?;
            let id: Uuid = row.try_get(1)?;
            let seq: i64 = row.try_get(2)?;
            let doc: Value = row.try_get(3)?;
            let p: Principal =
                serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            if kind == 0 {
                owners.extend(p.owner);
            }
            self.principals.insert(id, Some((seq, p)));
        }
        for owner in owners {
            self.principals.entry(owner).or_insert(None);
        }
        Ok(())
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
        let principals = self.dirty_principals();
        if !principals.is_empty() {
            sqlx::query(&upsert_principals(&tables.principals, "$1"))
                .bind(Value::Array(principals))
                .execute(&mut *conn)
                .await?;
        }
        Ok(inserted)
    }

    /// Writes the changed principals, the entries and the checkpoint in one statement (the live
    /// batch: one round trip). The principals come first, the order a swap locks the tables.
    pub async fn save_with_checkpoint(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        checkpoint: &super::Checkpoint,
    ) -> Result<u64, sqlx::Error> {
        let records = serde_json::to_value(std::mem::take(&mut self.records))
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let principals = self.dirty_principals();
        let inserted: i64 = sqlx::query_scalar(&format!(
            "WITH p AS ({}), {}, c AS ({}) SELECT count(*) FROM new",
            upsert_principals(&tables.principals, "$1"),
            records_ctes(tables, "$2"),
            super::batch::checkpoint_upsert("$3")
        ))
        .bind(Value::Array(principals))
        .bind(records)
        .bind(checkpoint.json())
        .fetch_one(conn)
        .await?;
        Ok(u64::try_from(inserted).unwrap_or(0))
    }

    fn dirty_principals(&mut self) -> Vec<Value> {
        self.dirty
            .drain()
            .filter_map(|id| match self.principals.get(&id) {
                Some(Some((seq, p))) => Some(json!({"id": id, "seq": seq, "doc": p})),
                _ => None,
            })
            .collect()
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
        "WITH {} SELECT count(*) FROM new",
        records_ctes(tables, "$1")
    ))
    .bind(records)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(inserted).unwrap_or(0))
}

/// The common table expressions of [`insert_records`], the entries given as `rows`; `new` holds
/// the entries newly inserted.
fn records_ctes(tables: &Tables, rows: &str) -> String {
    format!(
        "r AS (
         SELECT * FROM jsonb_to_recordset({rows}::jsonb) AS r(aggregate_type text, aggregate_id uuid,
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
            SET succeeded = h.succeeded + EXCLUDED.succeeded, failed = h.failed + EXCLUDED.failed)",
        table = tables.audit,
        texts = tables.texts,
        hours = tables.login_hours,
    )
}

fn upsert_principals(t: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {t} AS p (principal_id, last_sequence, doc)
         SELECT id, seq, doc FROM jsonb_to_recordset({rows}::jsonb) AS r(id uuid, seq bigint, doc jsonb)
         ON CONFLICT (principal_id) DO UPDATE SET
                last_sequence = EXCLUDED.last_sequence, doc = EXCLUDED.doc
          WHERE p.last_sequence < EXCLUDED.last_sequence"
    )
}
