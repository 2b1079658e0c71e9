//! `/metrics` in the Prometheus text format.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chronid_views::query::{self};
use chronid_views::Projection;

use super::*;
use crate::problem::ApiError;
use crate::HttpState;

/// Prometheus metrics: the relay and projection workers of this process, and every
/// projection's checkpoint and parked events from the database.
pub async fn metrics(State(state): State<HttpState>) -> Result<Response, ApiError> {
    let mut out = String::with_capacity(2048);
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let auth = state.app.auth_metrics();
    metric(
        "chronid_login_refused_total",
        "counter",
        "Logins refused without a write because the user may not log in (locked or disabled).",
        &[
            (
                "{reason=\"locked\"}".to_string(),
                auth.refused_locked
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            ),
            (
                "{reason=\"disabled\"}".to_string(),
                auth.refused_disabled
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            ),
        ],
    );
    metric(
        "chronid_rate_limited_total",
        "counter",
        "Unauthenticated requests refused for their address's rate (429 RATE-LIMITED).",
        &[(String::new(), state.edge.refused().to_string())],
    );
    if let Some(relay) = &state.read.relay {
        metric(
            "chronid_relay_active",
            "gauge",
            "1 when this process's relay holds the lock.",
            &[(String::new(), u8::from(relay.is_active()).to_string())],
        );
        metric(
            "chronid_relay_published_total",
            "counter",
            "Events published to JetStream.",
            &[(String::new(), relay.published().to_string())],
        );
        metric(
            "chronid_relay_duplicates_total",
            "counter",
            "Publishes JetStream reported as duplicates.",
            &[(String::new(), relay.duplicates().to_string())],
        );
        metric(
            "chronid_relay_errors_total",
            "counter",
            "Relay steps that failed and were retried.",
            &[(String::new(), relay.errors().to_string())],
        );
        metric(
            "chronid_relay_position",
            "gauge",
            "Position of the last event published.",
            &[(String::new(), relay.last_position().to_string())],
        );
    }
    let label = |p: Projection| format!("{{projection=\"{}\"}}", p.name());
    let workers: Vec<_> = state
        .read
        .projections
        .iter()
        .map(|(p, s)| (*p, s.clone()))
        .collect();
    if !workers.is_empty() {
        let series =
            |f: &dyn Fn(&chronid_views::ProjectionStats) -> String| -> Vec<(String, String)> {
                workers.iter().map(|(p, s)| (label(*p), f(s))).collect()
            };
        metric(
            "chronid_projection_active",
            "gauge",
            "1 when this process's worker holds the projection lock.",
            &series(&|s| u8::from(s.is_active()).to_string()),
        );
        metric(
            "chronid_projection_applied_total",
            "counter",
            "Events that changed a view.",
            &series(&|s| s.applied().to_string()),
        );
        metric(
            "chronid_projection_stale_total",
            "counter",
            "Redelivered events a view had already applied.",
            &series(&|s| s.stale().to_string()),
        );
        metric(
            "chronid_projection_batches_total",
            "counter",
            "Transactions committed.",
            &series(&|s| s.batches().to_string()),
        );
        metric(
            "chronid_projection_retries_total",
            "counter",
            "Retries of events that failed.",
            &series(&|s| s.retries().to_string()),
        );
        metric(
            "chronid_projection_parked_total",
            "counter",
            "Events parked by this process.",
            &series(&|s| s.parked().to_string()),
        );
        metric(
            "chronid_projection_errors_total",
            "counter",
            "Worker errors (stream, database, lock).",
            &series(&|s| s.errors().to_string()),
        );
    }
    let rows = query::checkpoint_positions(state.app.executor().pool())
        .await
        .map_err(internal)?;
    let by = |f: &dyn Fn(&CheckpointRow) -> String| -> Vec<(String, String)> {
        rows.iter().map(|r| (label(r.0), f(r))).collect()
    };
    metric(
        "chronid_projection_failed_events",
        "gauge",
        "Events parked in projection_failed_events.",
        &by(&|r| r.2.to_string()),
    );
    metric(
        "chronid_projection_checkpoint_position",
        "gauge",
        "Position of the last event the projection applied.",
        &by(&|r| r.1.unwrap_or(0).to_string()),
    );
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
