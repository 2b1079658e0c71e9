//! The read side's commands: `replay`, `audit`, `history user`, `projections status`.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use chronid_views::export::{audit_csv_line, AUDIT_CSV_HEADER};
use chronid_views::query::{self, FilterError};
use chronid_views::replay::{self, Progress, Source};
use chronid_views::Projection;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use uuid::Uuid;

use crate::config::{NatsConfig, StoreConfig};
use crate::usage::usage;
use crate::wiring;

/// A progress bar on stderr (hidden when stderr is not a terminal): done / total, events per
/// second, time left.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr_with_hz(5),
        );
        let style = indicatif::ProgressStyle::with_template(
            "[{bar:30}] {percent:>3}% {pos}/{len} events  {per_sec}  ETA {eta}",
        )
        .map(|s| s.progress_chars("#> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Self(bar)
    }
}

impl Progress for Bar {
    fn update(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }

    fn finish(&self, done: u64, elapsed: Duration) {
        self.0.finish_and_clear();
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
        eprintln!(
            "{done} events in {:.1} s ({rate:.0} ev/s)",
            elapsed.as_secs_f64()
        );
    }
}

pub async fn replay(
    store: StoreConfig,
    nats: NatsConfig,
    projection: String,
    source: String,
    until: Option<String>,
) -> anyhow::Result<()> {
    let projections: Vec<Projection> = match projection.as_str() {
        "all" => Projection::ALL.to_vec(),
        name => vec![Projection::parse(name).ok_or_else(|| {
            usage!("--projection: unknown projection '{name}'; expected users, audit or all")
        })?],
    };
    let source = match source.as_str() {
        "store" => Source::Store,
        "stream" => Source::Stream,
        other => return Err(usage!("--source: expected store or stream, got '{other}'")),
    };
    let until = until
        .map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| usage!("--until: '{raw}' is not an RFC 3339 time"))
        })
        .transpose()?;
    let stream = nats.stream_config()?;
    let pool = wiring::connect_db(&store).await?;
    chronid_store::migrate(&pool)
        .await
        .context("migration failed")?;
    let js = match source {
        Source::Store => None,
        Source::Stream => {
            let (client, options) = nats.connect().await?;
            Some(options.jetstream(client))
        }
    };
    let report = replay::rebuild(
        &pool,
        js.as_ref(),
        &stream,
        &projections,
        source,
        until,
        &Bar::new(),
    )
    .await?;
    let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
    println!(
        "{}",
        serde_json::json!({
            "projections": names,
            "events": report.events,
            "changed": report.counts.changed,
            "failed": report.failed,
            "caught_up": report.caught_up,
            "seconds": report.elapsed.as_secs_f64(),
            "tables": if until.is_some() { "*__until (the live views are unchanged)" } else { "swapped in" },
        })
    );
    if report.failed > 0 {
        eprintln!(
            "{} events could not be applied; see `chronid projections status`",
            report.failed
        );
    }
    Ok(())
}

pub async fn audit(
    store: StoreConfig,
    account: String,
    filters: Vec<(&'static str, Option<String>)>,
    format: String,
) -> anyhow::Result<()> {
    let account =
        Uuid::parse_str(&account).map_err(|_| usage!("--account: '{account}' is not a UUID"))?;
    let csv = match format.as_str() {
        "csv" => true,
        "jsonl" => false,
        other => return Err(usage!("--format: expected csv or jsonl, got '{other}'")),
    };
    let params: HashMap<String, String> = filters
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
    let pool = wiring::connect_db(&store).await?;
    let filter = match query::resolve_audit_filter(&pool, account, &params, clock_now()).await {
        Ok(f) => f,
        Err(FilterError::Invalid(p)) => return Err(usage!("--{}: {}", p.field, p.message)),
        Err(FilterError::Db(e)) => return Err(e).context("reading the account"),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if csv {
        write!(out, "{AUDIT_CSV_HEADER}\r\n")?;
    }
    let mut entries = Box::pin(query::audit_all(pool, account, filter));
    while let Some(entry) = entries.next().await {
        let entry = entry.context("reading the audit log")?;
        if csv {
            out.write_all(audit_csv_line(&entry).as_bytes())?;
        } else {
            serde_json::to_writer(&mut out, &entry)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

pub async fn history_user(
    store: StoreConfig,
    account: String,
    user: String,
    as_of: Option<String>,
) -> anyhow::Result<()> {
    let account =
        Uuid::parse_str(&account).map_err(|_| usage!("--account: '{account}' is not a UUID"))?;
    let user = Uuid::parse_str(&user).map_err(|_| usage!("ID: '{user}' is not a UUID"))?;
    let as_of = as_of
        .map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| usage!("--as-of: '{raw}' is not an RFC 3339 time"))
        })
        .transpose()?;
    let pool = wiring::connect_db(&store).await?;
    let events = query::user_history(&pool, account, user, query::HistoryPage::all(as_of)).await?;
    // Nothing up to `as_of`: an unknown user, or one registered later.
    if events.is_empty() {
        let first = query::HistoryPage {
            after_sequence: 0,
            limit: 1,
            until: None,
        };
        if query::user_history(&pool, account, user, first)
            .await?
            .is_empty()
        {
            anyhow::bail!("no user {user} in account {account}");
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in &events {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    if as_of.is_some() {
        let view = chronid_projections::user_view::fold(&events)?;
        serde_json::to_writer(&mut out, &serde_json::json!({ "user_as_of": view }))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[allow(clippy::type_complexity)]
pub async fn projections_status(store: StoreConfig, nats: NatsConfig) -> anyhow::Result<()> {
    let stream = nats.stream_config()?;
    let pool = wiring::connect_db(&store).await?;
    let js = match nats.connect().await {
        Ok((client, options)) => Some(options.jetstream(client)),
        // A setting that is wrong stops here; a server that does not answer does not.
        Err(e) if e.downcast_ref::<crate::usage::UsageError>().is_some() => return Err(e),
        Err(e) => {
            eprintln!("{e}; showing the database only");
            None
        }
    };
    let mut report = Vec::new();
    for p in Projection::ALL {
        let status = query::projection_status(&pool, p).await?;
        let pending = match &js {
            Some(js) => chronid_views::consumer_state(js, &stream, p).await,
            None => None,
        };
        report.push(serde_json::json!({
            "projection": p.name(),
            "checkpoint": status.checkpoint.map(|c| serde_json::json!({
                "stream_seq": c.stream_seq, "position": c.global_seq, "applied": c.applied,
                "updated_at": c.updated_at,
            })),
            "consumer": pending,
            "failed_events": status.failed.iter().map(|f| serde_json::json!({
                "id": f.id, "source": f.source, "stream_seq": f.stream_seq,
                "event_type": f.event_type, "aggregate_id": f.aggregate_id,
                "position": f.position, "error": f.error, "parked_at": f.parked_at,
            })).collect::<Vec<_>>(),
        }));
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

#[allow(clippy::disallowed_methods)]
fn clock_now() -> DateTime<Utc> {
    // The CLI's clock, for resolving a named range.
    Utc::now()
}
