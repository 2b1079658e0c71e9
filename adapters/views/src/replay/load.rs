//! The rebuild's audit writer. The entries go into the fresh table by COPY (binary), which has
//! no index yet (its key and indexes are built once it is full); the account's distinct
//! descriptions and the hourly login counts, which the live worker writes with each batch, are
//! gathered as the entries pass and written once at the end. An entry whose aggregate sequence
//! is not above the last one seen for its aggregate is a repeat (a stream redelivery) and is
//! left out, as the live worker's `ON CONFLICT DO NOTHING` would leave it.

use std::collections::{HashMap, HashSet};

use chronid_projections::audit::{AuditRecord, Outcome};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::tables::Tables;

/// Rows per statement when the gathered descriptions and hours are written.
const CHUNK: usize = 10_000;
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

#[derive(Default)]
pub(super) struct AuditLoader {
    /// The last sequence written per aggregate.
    last: HashMap<(String, Uuid), i64>,
    texts: HashMap<Uuid, HashSet<String>>,
    /// (account, hour as Unix seconds) -> (succeeded, failed) logins.
    hours: HashMap<(Uuid, i64), (i64, i64)>,
    buf: Vec<u8>,
}

impl AuditLoader {
    /// Loads `records` into `tables.audit`; returns how many were written.
    pub(super) async fn load(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        records: Vec<AuditRecord>,
    ) -> Result<u64, sqlx::Error> {
        self.buf.clear();
        self.buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        self.buf.extend_from_slice(&[0; 8]); // flags, header extension length
        let mut written = 0u64;
        for r in records {
            let seen = self
                .last
                .entry((r.aggregate_type.clone(), r.aggregate_id))
                .or_insert(i64::MIN);
            if *seen >= r.sequence {
                continue;
            }
            *seen = r.sequence;
            self.gather(&r);
            encode(&mut self.buf, &r);
            written += 1;
        }
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        if written == 0 {
            return Ok(0);
        }
        let mut copy = conn
            .copy_in_raw(&format!(
                "COPY {} (aggregate_type, aggregate_id, sequence, position, event_id, account_id,
                          at, event_type, item, action, outcome, description, actor_kind,
                          actor_id, username, target_id, target_username, ip, user_agent)
                 FROM STDIN (FORMAT binary)",
                tables.audit
            ))
            .await?;
        copy.send(self.buf.as_slice()).await?;
        copy.finish().await?;
        Ok(written)
    }

    fn gather(&mut self, r: &AuditRecord) {
        let texts = self.texts.entry(r.account_id).or_default();
        if !texts.contains(r.description.as_str()) {
            texts.insert(r.description.clone());
        }
        if r.item == "User" && r.action == "Login" {
            let hour = r.at.timestamp() - r.at.timestamp().rem_euclid(3600);
            let counts = self.hours.entry((r.account_id, hour)).or_default();
            match r.outcome {
                Outcome::Success => counts.0 += 1,
                Outcome::Failed => counts.1 += 1,
            }
        }
    }

    /// Writes the gathered descriptions and hourly login counts.
    pub(super) async fn finish(
        self,
        conn: &mut PgConnection,
        tables: &Tables,
    ) -> Result<(), sqlx::Error> {
        let texts: Vec<(Uuid, String)> = self
            .texts
            .into_iter()
            .flat_map(|(account, set)| set.into_iter().map(move |d| (account, d)))
            .collect();
        for chunk in texts.chunks(CHUNK) {
            let (accounts, descriptions): (Vec<Uuid>, Vec<&str>) =
                chunk.iter().map(|(a, d)| (*a, d.as_str())).unzip();
            sqlx::query(&format!(
                "INSERT INTO {} (account_id, digest, description)
                 SELECT a, sha256(convert_to(d, 'UTF8')), d FROM UNNEST($1::uuid[], $2::text[]) AS t(a, d)
                     ON CONFLICT (account_id, digest) DO NOTHING",
                tables.texts
            ))
            .bind(accounts)
            .bind(descriptions)
            .execute(&mut *conn)
            .await?;
        }
        let hours: Vec<_> = self.hours.into_iter().collect();
        for chunk in hours.chunks(CHUNK) {
            let mut accounts = Vec::with_capacity(chunk.len());
            let mut at = Vec::with_capacity(chunk.len());
            let mut succeeded = Vec::with_capacity(chunk.len());
            let mut failed = Vec::with_capacity(chunk.len());
            for ((account, hour), (s, f)) in chunk {
                accounts.push(*account);
                at.push(DateTime::<Utc>::from_timestamp(*hour, 0).unwrap_or_default());
                succeeded.push(*s);
                failed.push(*f);
            }
            sqlx::query(&format!(
                "INSERT INTO {} AS h (account_id, hour, succeeded, failed)
                 SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::bigint[], $4::bigint[])
                     ON CONFLICT (account_id, hour) DO UPDATE
                        SET succeeded = h.succeeded + EXCLUDED.succeeded,
                            failed = h.failed + EXCLUDED.failed",
                tables.login_hours
            ))
            .bind(accounts)
            .bind(at)
            .bind(succeeded)
            .bind(failed)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// Appends one row of COPY's binary format: the field count, then each field's length (-1 for
/// NULL) and bytes, in the column order of [`AuditLoader::load`].
fn encode(buf: &mut Vec<u8>, r: &AuditRecord) {
    buf.extend_from_slice(&19i16.to_be_bytes());
    text(buf, Some(&r.aggregate_type));
    uuid(buf, Some(r.aggregate_id));
    int8(buf, r.sequence);
    int8(buf, r.position);
    uuid(buf, Some(r.event_id));
    uuid(buf, Some(r.account_id));
    int8(buf, r.at.timestamp_micros() - PG_EPOCH_MICROS);
    text(buf, Some(&r.event_type));
    text(buf, Some(&r.item));
    text(buf, Some(&r.action));
    text(buf, Some(r.outcome.as_str()));
    text(buf, Some(&r.description));
    text(buf, Some(r.actor_kind.as_str()));
    uuid(buf, r.actor_id);
    text(buf, r.username.as_deref());
    uuid(buf, r.target_id);
    text(buf, r.target_username.as_deref());
    text(buf, r.ip.as_deref());
    text(buf, r.user_agent.as_deref());
}

fn text(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(v) => {
            buf.extend_from_slice(&(v.len() as i32).to_be_bytes());
            buf.extend_from_slice(v.as_bytes());
        }
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

fn uuid(buf: &mut Vec<u8>, value: Option<Uuid>) {
    match value {
        Some(v) => {
            buf.extend_from_slice(&16i32.to_be_bytes());
            buf.extend_from_slice(v.as_bytes());
        }
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

fn int8(buf: &mut Vec<u8>, value: i64) {
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&value.to_be_bytes());
}
