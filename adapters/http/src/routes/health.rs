//! Liveness and readiness.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::body::Health;
use crate::HttpState;

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        postgres: None,
        nats: None,
        tasks: None,
    })
}

/// Ready only when PostgreSQL and NATS both answer and every background task is running.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(State(state): State<HttpState>) -> (StatusCode, Json<Health>) {
    let pg_ok = state
        .app
        .executor()
        .database_answers(Duration::from_secs(2))
        .await;
    let nats_ok = match &state.nats {
        Some(client) => {
            client.connection_state() == async_nats::connection::State::Connected
                && tokio::time::timeout(Duration::from_secs(2), client.flush())
                    .await
                    .is_ok_and(|r| r.is_ok())
        }
        None => false,
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" }.to_string();
    let tasks: Vec<_> = state
        .tasks()
        .map(|t| (t.name().to_string(), t.is_up()))
        .collect();
    let tasks_ok = tasks.iter().all(|(_, up)| *up);
    let ready = pg_ok && nats_ok && tasks_ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: word(ready),
            postgres: Some(word(pg_ok)),
            nats: Some(word(nats_ok)),
            tasks: Some(
                tasks
                    .into_iter()
                    .map(|(name, up)| (name, if up { "ok" } else { "down" }.to_string()))
                    .collect(),
            ),
        }),
    )
}
