//! `/metrics` in the Prometheus text format, written by the `metrics` crate's Prometheus exporter.
//! The counters live where the work happens (the relay's and the workers' stats, the login and
//! edge counters); each scrape copies them into this process's recorder and renders it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chronid_views::{query, Stage};
use metrics::{counter, describe_counter, describe_gauge, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use crate::problem::ApiError;
use crate::HttpState;

/// This process's Prometheus recorder (one per server, not a global one: tests run several
/// servers in one process).
#[derive(Clone)]
pub struct Metrics(Arc<PrometheusRecorder>);

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        metrics::with_local_recorder(&recorder, describe);
        Self(Arc::new(recorder))
    }
}

/// The help text of every metric, given once to a new recorder.
fn describe() {
    describe_counter!(
        "chronid_login_refused_total",
        "Logins refused without a write because the user may not log in (locked or disabled)."
    );
    describe_counter!(
        "chronid_rate_limited_total",
        "Unauthenticated requests refused for their address's rate (429 RATE-LIMITED)."
    );
    describe_gauge!(
        "chronid_relay_active",
        "1 when this process's relay holds the lock."
    );
    describe_counter!(
        "chronid_relay_published_total",
        "Events published to JetStream."
    );
    describe_counter!(
        "chronid_relay_duplicates_total",
        "Publishes JetStream reported as duplicates."
    );
    describe_counter!(
        "chronid_relay_errors_total",
        "Relay steps that failed and were retried."
    );
    describe_gauge!(
        "chronid_relay_position",
        "Position of the last event published."
    );
    describe_gauge!(
        "chronid_projection_active",
        "1 when this process's worker holds the projection lock."
    );
    describe_counter!(
        "chronid_projection_applied_total",
        "Events that changed a view."
    );
    describe_counter!(
        "chronid_projection_stale_total",
        "Redelivered events a view had already applied."
    );
    describe_counter!(
        "chronid_projection_batches_total",
        "Transactions committed."
    );
    describe_counter!(
        "chronid_projection_retries_total",
        "Retries of events that failed."
    );
    describe_counter!(
        "chronid_projection_parked_total",
        "Events parked by this process."
    );
    describe_counter!(
        "chronid_projection_errors_total",
        "Worker errors (stream, database, lock)."
    );
    describe_counter!(
        "chronid_projection_messages_total",
        "Messages taken in batches that committed."
    );
    describe_counter!(
        "chronid_projection_stage_seconds_count",
        "Times a worker went through a stage: wait (each message, stored in the stream to taken in a batch), apply (each batch's transaction), ack (each batch's acks)."
    );
    describe_gauge!(
        "chronid_projection_stage_seconds_sum",
        "Seconds spent in each stage, summed over chronid_projection_stage_seconds_count."
    );
    describe_gauge!(
        "chronid_append_writers_running",
        "Append writer tasks running in this process (4 when all are up)."
    );
    describe_counter!(
        "chronid_append_writer_restarts_total",
        "Append writer tasks that ended abnormally and were started again."
    );
    describe_gauge!(
        "chronid_task_running",
        "Copies of each background task running in this process."
    );
    describe_gauge!(
        "chronid_task_up",
        "1 when every copy of the background task meant to run is running, else 0."
    );
    describe_counter!(
        "chronid_task_restarts_total",
        "Times a background task failed or panicked and was started again."
    );
    describe_gauge!(
        "chronid_projection_failed_events",
        "Events parked in projection_failed_events."
    );
    describe_gauge!(
        "chronid_projection_checkpoint_position",
        "Position of the last event the projection applied."
    );
}

impl Metrics {
    /// Records with `record` into this recorder, then renders every metric it holds.
    fn render(&self, record: impl FnOnce()) -> String {
        metrics::with_local_recorder(self.0.as_ref(), record);
        self.0.handle().render()
    }
}

/// Prometheus metrics: the relay and projection workers of this process, and every
/// projection's checkpoint and parked events from the database.
pub async fn metrics(State(state): State<HttpState>) -> Result<Response, ApiError> {
    let checkpoints = query::checkpoint_positions(state.app.executor().pool())
        .await
        .map_err(crate::routes::views::internal)?;
    let text = state.metrics.render(|| {
        let auth = state.app.auth_metrics();
        counter!("chronid_login_refused_total", "reason" => "locked")
            .absolute(auth.refused_locked.load(Ordering::Relaxed));
        counter!("chronid_login_refused_total", "reason" => "disabled")
            .absolute(auth.refused_disabled.load(Ordering::Relaxed));
        counter!("chronid_rate_limited_total").absolute(state.edge.refused());
        if let Some(writers) = state.app.executor().append_writers() {
            gauge!("chronid_append_writers_running").set(writers.running() as f64);
            counter!("chronid_append_writer_restarts_total").absolute(writers.restarts());
        }
        for task in state.tasks() {
            let name = task.name().to_string();
            gauge!("chronid_task_running", "task" => name.clone()).set(task.running() as f64);
            gauge!("chronid_task_up", "task" => name.clone())
                .set(f64::from(u8::from(task.is_up())));
            counter!("chronid_task_restarts_total", "task" => name).absolute(task.restarts());
        }

        if let Some(relay) = &state.read.relay {
            gauge!("chronid_relay_active").set(f64::from(u8::from(relay.is_active())));
            counter!("chronid_relay_published_total").absolute(relay.published());
            counter!("chronid_relay_duplicates_total").absolute(relay.duplicates());
            counter!("chronid_relay_errors_total").absolute(relay.errors());
            gauge!("chronid_relay_position").set(relay.last_position() as f64);
        }

        for (projection, s) in &state.read.projections {
            let name = projection.name();
            gauge!("chronid_projection_active", "projection" => name)
                .set(f64::from(u8::from(s.is_active())));
            counter!("chronid_projection_applied_total", "projection" => name)
                .absolute(s.applied());
            counter!("chronid_projection_stale_total", "projection" => name).absolute(s.stale());
            counter!("chronid_projection_batches_total", "projection" => name)
                .absolute(s.batches());
            counter!("chronid_projection_retries_total", "projection" => name)
                .absolute(s.retries());
            counter!("chronid_projection_parked_total", "projection" => name).absolute(s.parked());
            counter!("chronid_projection_errors_total", "projection" => name).absolute(s.errors());
            counter!("chronid_projection_messages_total", "projection" => name)
                .absolute(s.messages());
            for (stage, label) in [
                (Stage::Wait, "wait"),
                (Stage::Apply, "apply"),
                (Stage::Ack, "ack"),
            ] {
                let times = s.stage(stage);
                counter!("chronid_projection_stage_seconds_count", "projection" => name, "stage" => label)
                    .absolute(times.count());
                gauge!("chronid_projection_stage_seconds_sum", "projection" => name, "stage" => label)
                    .set(times.total_seconds());
            }
        }

        for (projection, position, failed) in &checkpoints {
            let name = projection.name();
            gauge!("chronid_projection_failed_events", "projection" => name).set(*failed as f64);
            gauge!("chronid_projection_checkpoint_position", "projection" => name)
                .set(position.unwrap_or(0) as f64);
        }
    });
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
