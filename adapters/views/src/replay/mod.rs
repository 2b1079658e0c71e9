//! Rebuilding projections: every event, read from the store (the source of truth) or from the
//! stream, folded into fresh tables while the live ones keep serving; then, in one transaction,
//! the events the live worker applied meanwhile are applied to the fresh tables too and the
//! tables are swapped. `--until` folds only the events that occurred up to a time into tables of
//! their own (`*__until`), leaving the live ones alone.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chronid_domain::public::PublicEnvelope;
use chronid_store::rows::{count_below_horizon, envelope, parse_xid8, rows_after};
use chronid_stream::{StreamConfig, HEADER_TX_ID};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};

use crate::tables::Tables;
use crate::{Counts, Cursor, Projection, State};

mod load;
mod swap;
use swap::*;

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
            prepare_table(&mut conn, original, fresh, fresh != tables.audit).await?;
        }
    }
    let mut states: Vec<(Projection, State)> = projections
        .iter()
        .map(|&p| (p, State::rebuild(p)))
        .collect();
    // Audit entries are loaded by a writer on a connection of its own, so reading and folding go
    // on while PostgreSQL writes.
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
            finish_table(&mut conn, original, fresh, fresh != tables.audit).await?;
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
        let mut loader = load::AuditLoader::default();
        while let Some(records) = rx.recv().await {
            loader.load(&mut conn, &tables, records).await?;
        }
        loader.finish(&mut conn, &tables).await?;
        let _ = conn.close().await;
        Ok(())
    });
    Ok((tx, writer))
}
