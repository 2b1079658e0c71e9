//! Rebuilding projections: every event, read from the store (the source of truth) or from the
//! stream, folded into fresh tables while the live ones keep serving; then, in one transaction,
//! the events the live worker applied meanwhile are applied to the fresh tables too and the
//! tables are swapped. `--until` folds only the events that occurred up to a time into tables of
//! their own (`*__until`), leaving the live ones alone.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chronid_domain::public::PublicEnvelope;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};

use super::tables::{retired_name, Tables};
use super::{Counts, Cursor, Projection, State};
use chronid_store::rows::{count_below_horizon, envelope, parse_xid8, rows_after};
use chronid_stream::{StreamConfig, HEADER_TX_ID};

const PAGE: i64 = 5000;
/// Audit entries are written whenever this many wait.
const FLUSH_EVERY: usize = 5000;
const INDEX_SUFFIX: &str = "__rb";

/// Where a rebuild reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Store,
    Stream,
}

/// Progress as a rebuild goes: events done and the total expected.
pub trait Progress: Send + Sync {
    fn update(&self, done: u64, total: u64);
    fn finish(&self, done: u64, elapsed: Duration);
}

/// What a rebuild did.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    pub events: u64,
    pub counts: Counts,
    /// Events that could not be applied (recorded in `projection_failed_events`).
    pub failed: u64,
    /// Events the live worker applied during the rebuild, applied before the swap.
    pub caught_up: u64,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stream: {0}")]
    Stream(String),
    #[error("stored event {position} cannot be read: {reason}")]
    Envelope { position: i64, reason: String },
}

/// Rebuilds `projections` and swaps them in (or, with `until`, builds `*__until` tables).
pub async fn rebuild(
    pool: &PgPool,
    js: Option<&jetstream::Context>,
    stream: &StreamConfig,
    projections: &[Projection],
    source: Source,
    until: Option<DateTime<Utc>>,
    progress: &dyn Progress,
) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    let tables = match until {
        Some(_) => Tables::until(),
        None => Tables::rebuild(),
    };
    let live = Tables::live();
    let mut conn = pool.acquire().await?.detach();
    for &p in projections {
        for (fresh, original) in tables.of(p).into_iter().zip(live.of(p)) {
            prepare_table(&mut conn, original, fresh).await?;
        }
    }
    let mut states: Vec<(Projection, State)> = projections
        .iter()
        .map(|&p| (p, State::rebuild(p)))
        .collect();
    // Audit entries are inserted by a writer on a connection of its own, so reading and folding
    // go on while PostgreSQL inserts.
    let (entries, writer) = spawn_writer(pool, tables.clone()).await?;
    let mut sink = Sink {
        conn: &mut conn,
        tables: &tables,
        entries,
    };
    let mut report = ReplayReport::default();
    let mut last = Cursor::default();
    let mut failures = Vec::new();
    match source {
        Source::Store => {
            let total = count_below_horizon(pool).await?;
            let mut next = fetch_page(pool.clone(), last);
            loop {
                let (page, cursor) = next
                    .await
                    .map_err(|e| ReplayError::Stream(e.to_string()))??;
                if page.is_empty() {
                    break;
                }
                last = cursor;
                next = fetch_page(pool.clone(), last);
                failures.extend(fold(&mut states, until, &page, &mut report));
                sink.flush(&mut states, false).await?;
                progress.update(report.events, total.max(report.events));
            }
        }
        Source::Stream => {
            let js = js.ok_or_else(|| ReplayError::Stream("no NATS connection".into()))?;
            last = read_stream(
                js,
                stream,
                &mut states,
                until,
                &mut report,
                &mut failures,
                progress,
                &mut sink,
            )
            .await?;
        }
    }
    sink.flush(&mut states, true).await?;
    drop(sink);
    writer
        .await
        .map_err(|e| ReplayError::Stream(format!("audit writer: {e}")))??;
    for &p in projections {
        for (fresh, original) in tables.of(p).into_iter().zip(live.of(p)) {
            finish_table(&mut conn, original, fresh).await?;
        }
    }
    report.failed = failures.len() as u64;
    record_failures(&mut conn, &failures).await?;
    if until.is_none() {
        for &p in projections {
            report.caught_up += swap(&mut conn, p, last, &tables, &live).await?;
        }
    }
    report.elapsed = started.elapsed();
    progress.finish(report.events, report.elapsed);
    let _ = conn.close().await;
    Ok(report)
}

type Failure = (Projection, PublicEnvelope, String);

/// Folds a batch into every state; returns the events that could not be applied.
fn fold(
    states: &mut [(Projection, State)],
    until: Option<DateTime<Utc>>,
    batch: &[PublicEnvelope],
    report: &mut ReplayReport,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    for env in batch {
        if until.is_some_and(|t| env.occurred_at > t) {
            continue;
        }
        for (p, state) in states.iter_mut() {
            if let Err(e) = state.apply(env, &mut report.counts) {
                failures.push((*p, env.clone(), e.to_string()));
            }
        }
    }
    report.events += batch.len() as u64;
    failures
}

/// Reads, in the relay's order, the page of events after `after`: up to `upto` when given,
/// else up to the commit horizon.
async fn read_page<'e, E: sqlx::PgExecutor<'e>>(
    exec: E,
    after: Cursor,
    upto: Option<Cursor>,
) -> Result<(Vec<PublicEnvelope>, Cursor), ReplayError> {
    let rows = rows_after(exec, after, upto, PAGE).await?;
    let mut last = after;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let position = row.global_seq;
        last = Cursor {
            tx_id: parse_xid8(&row.tx_text).unwrap_or(0),
            global_seq: position,
        };
        out.push(envelope(row).map_err(|reason| ReplayError::Envelope { position, reason })?);
    }
    Ok((out, last))
}

/// [`read_page`] up to the horizon, on a task of its own: the next page is read while this one
/// is folded.
fn fetch_page(
    pool: PgPool,
    after: Cursor,
) -> tokio::task::JoinHandle<Result<(Vec<PublicEnvelope>, Cursor), ReplayError>> {
    tokio::spawn(async move { read_page(&pool, after, None).await })
}

/// Reads the stream from its first message to the last one there when the rebuild started.
// The rebuild's whole state passes through; bundling it would only rename the arguments.
#[allow(clippy::too_many_arguments)]
async fn read_stream(
    js: &jetstream::Context,
    cfg: &StreamConfig,
    states: &mut [(Projection, State)],
    until: Option<DateTime<Utc>>,
    report: &mut ReplayReport,
    failures: &mut Vec<Failure>,
    progress: &dyn Progress,
    sink: &mut Sink<'_>,
) -> Result<Cursor, ReplayError> {
    let err = |e: &dyn std::fmt::Display| ReplayError::Stream(e.to_string());
    let mut handle = js.get_stream(&cfg.stream).await.map_err(|e| err(&e))?;
    let info = handle.info().await.map_err(|e| err(&e))?;
    let last_seq = info.state.last_sequence;
    let total = info.state.messages;
    let mut cursor = Cursor::default();
    if total == 0 {
        return Ok(cursor);
    }
    let consumer = handle
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            filter_subject: format!("{}.>", cfg.subject_prefix),
            ..Default::default()
        })
        .await
        .map_err(|e| err(&e))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| err(&e))?
        .ready_chunks(PAGE as usize);
    let mut seen = 0u64;
    while seen < last_seq {
        let chunk = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .map_err(|_| ReplayError::Stream("timed out reading the stream".into()))?
            .ok_or_else(|| ReplayError::Stream("the stream ended early".into()))?;
        let mut batch = Vec::with_capacity(chunk.len());
        for msg in chunk {
            let msg = msg.map_err(|e| err(&e))?;
            let seq = msg.info().map_err(|e| err(&e))?.stream_sequence;
            if seq <= seen || seq > last_seq {
                continue;
            }
            seen = seq;
            let env: PublicEnvelope = serde_json::from_slice(&msg.payload).map_err(|e| {
                ReplayError::Stream(format!("message {seq} is not an envelope: {e}"))
            })?;
            let tx_id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(HEADER_TX_ID))
                .and_then(|v| v.as_str().parse::<u64>().ok())
                .ok_or_else(|| {
                    ReplayError::Stream(format!("message {seq} has no {HEADER_TX_ID}"))
                })?;
            cursor = cursor.max(Cursor {
                tx_id,
                global_seq: env.position,
            });
            batch.push(env);
        }
        failures.extend(fold(states, until, &batch, report));
        sink.flush(states, false).await?;
        progress.update(seen, last_seq);
    }
    Ok(cursor)
}

/// Where folded rows go: audit entries to the writer as they accumulate, views at the end.
struct Sink<'a> {
    conn: &'a mut PgConnection,
    tables: &'a Tables,
    entries: tokio::sync::mpsc::Sender<Vec<chronid_projections::audit::AuditRecord>>,
}

impl Sink<'_> {
    async fn flush(
        &mut self,
        states: &mut [(Projection, State)],
        end: bool,
    ) -> Result<(), ReplayError> {
        for (_, state) in states.iter_mut() {
            match state {
                State::Audit(s) if end || s.pending() >= FLUSH_EVERY => {
                    let records = s.take_records();
                    if self.entries.send(records).await.is_err() {
                        return Err(ReplayError::Stream("the audit writer stopped".into()));
                    }
                    if end {
                        state.save(self.conn, self.tables).await?;
                    }
                }
                State::Users(_) if end => state.save(self.conn, self.tables).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

type Writer = tokio::task::JoinHandle<Result<(), ReplayError>>;

async fn spawn_writer(
    pool: &PgPool,
    tables: Tables,
) -> Result<
    (
        tokio::sync::mpsc::Sender<Vec<chronid_projections::audit::AuditRecord>>,
        Writer,
    ),
    ReplayError,
> {
    let mut conn = pool.acquire().await?.detach();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<Vec<chronid_projections::audit::AuditRecord>>(4);
    let writer = tokio::spawn(async move {
        while let Some(records) = rx.recv().await {
            super::audit::insert_records(&mut conn, &tables, records).await?;
        }
        let _ = conn.close().await;
        Ok(())
    });
    Ok((tx, writer))
}

/// Creates `fresh` empty, shaped like `original`, with only its primary key (the other indexes
/// are built once the rows are in, which is several times faster than maintaining them).
async fn prepare_table(
    conn: &mut PgConnection,
    original: &str,
    fresh: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DROP TABLE IF EXISTS {fresh}"))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE {fresh} (LIKE {original} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    ))
    .execute(&mut *conn)
    .await?;
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
    )
    .bind(original)
    .fetch_all(&mut *conn)
    .await?;
    for (name, def) in keys {
        sqlx::query(&format!(
            "ALTER TABLE {fresh} ADD CONSTRAINT {} {def}",
            rebuilt_name(&name, fresh)
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Builds on `fresh` the secondary indexes `original` has.
async fn finish_table(
    conn: &mut PgConnection,
    original: &str,
    fresh: &str,
) -> Result<(), sqlx::Error> {
    for (name, def) in secondary_indexes(conn, original).await? {
        let def = def
            .replacen(
                &format!("INDEX {name} ON "),
                &format!("INDEX {} ON ", rebuilt_name(&name, fresh)),
                1,
            )
            .replacen(&format!(".{original} "), &format!(".{fresh} "), 1);
        sqlx::query(&def).execute(&mut *conn).await?;
    }
    sqlx::query(&format!("ANALYZE {fresh}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The indexes of a table that do not back a constraint: (name, definition).
async fn secondary_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i
          WHERE i.tablename = $1 AND i.schemaname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)",
    )
    .bind(table)
    .fetch_all(conn)
    .await
}

/// The name of a fresh table's copy of a constraint or index (names are unique per schema).
fn rebuilt_name(name: &str, fresh: &str) -> String {
    if fresh.ends_with(super::tables::UNTIL_SUFFIX) {
        format!("{name}__ut")
    } else {
        format!("{name}{INDEX_SUFFIX}")
    }
}

async fn record_failures(conn: &mut PgConnection, failures: &[Failure]) -> Result<(), sqlx::Error> {
    for (p, env, error) in failures {
        sqlx::query(
            "INSERT INTO projection_failed_events (projection, source, event_type, aggregate_type,
                    aggregate_id, sequence, position, error, attempts, envelope)
             VALUES ($1, 'replay', $2, $3, $4, $5, $6, $7, 1, $8)",
        )
        .bind(p.name())
        .bind(&env.event_type)
        .bind(&env.aggregate_type)
        .bind(env.aggregate_id.to_string())
        .bind(env.sequence)
        .bind(env.position)
        .bind(error)
        .bind(serde_json::to_value(env).ok())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// In one transaction: stops the live worker (table locks), applies to the fresh tables what it
/// applied after `rebuilt` (the rebuild's last cursor), and swaps the tables. Returns how many
/// events were caught up.
async fn swap(
    conn: &mut PgConnection,
    projection: Projection,
    rebuilt: Cursor,
    fresh: &Tables,
    live: &Tables,
) -> Result<u64, ReplayError> {
    let mut tx = conn.begin().await?;
    let live_tables = live.of(projection);
    // Table locks first, then the checkpoint row: the worker takes them in that order too
    // (rows, then checkpoint), so the two never deadlock.
    sqlx::query(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        live_tables.join(", ")
    ))
    .execute(&mut *tx)
    .await?;
    let checkpoint: Option<(String, i64)> = sqlx::query_as(
        "SELECT tx_id::text, global_seq FROM projection_checkpoints WHERE projection = $1 FOR UPDATE",
    )
    .bind(projection.name())
    .fetch_optional(&mut *tx)
    .await?;
    let mut caught_up = 0;
    if let Some((tx_text, global_seq)) = checkpoint {
        let upto = Cursor {
            tx_id: parse_xid8(&tx_text).unwrap_or(0),
            global_seq,
        };
        let mut after = rebuilt;
        while after < upto {
            let (page, last) = read_page(&mut *tx, after, Some(upto)).await?;
            if page.is_empty() {
                break;
            }
            let mut state = State::live(projection);
            state.load(&mut tx, fresh, &page).await?;
            let mut counts = Counts::default();
            for env in &page {
                // A failure here was parked by the live worker already.
                let _ = state.apply(env, &mut counts);
            }
            state.save(&mut tx, fresh).await?;
            caught_up += page.len() as u64;
            after = last;
        }
    }
    for (fresh_name, live_name) in fresh.of(projection).into_iter().zip(live_tables) {
        let retired = retired_name(live_name);
        let indexes = secondary_indexes(&mut tx, fresh_name).await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
        )
        .bind(fresh_name)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(&format!("ALTER TABLE {live_name} RENAME TO {retired}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {fresh_name} RENAME TO {live_name}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP TABLE {retired}"))
            .execute(&mut *tx)
            .await?;
        for name in keys {
            if let Some(original) = name.strip_suffix(INDEX_SUFFIX) {
                sqlx::query(&format!(
                    "ALTER TABLE {live_name} RENAME CONSTRAINT {name} TO {original}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        for (name, _) in indexes {
            if let Some(original) = name.strip_suffix(INDEX_SUFFIX) {
                sqlx::query(&format!("ALTER INDEX {name} RENAME TO {original}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(caught_up)
}
