//! `chronid serve`: migrations, then the API, the relay, the projection workers and the notifier side by side until SIGINT / SIGTERM,
//! then a graceful stop (in-flight requests finish, the relay finishes its batch).

use std::net::SocketAddr;

use anyhow::Context;
use chronid_http::{metrics_router, router_with, HttpState, ReadSide};
use chronid_notify::Notifier;
use chronid_store::supervise::{never_fails, supervised, TaskHealth};
use chronid_stream::ensure_stream;
use chronid_stream::relay::{Relay, RelayOptions};
use chronid_views::{Projection, ProjectionOptions, ProjectionWorker};
use tokio::sync::watch;

use crate::config::{Component, CryptoConfig, NatsConfig, ServeConfig, StoreConfig};
use crate::usage::usage;
use crate::wiring;

pub async fn run(
    store: StoreConfig,
    nats: NatsConfig,
    crypto: CryptoConfig,
    serve: ServeConfig,
) -> anyhow::Result<()> {
    // Every flag is checked before anything connects, so a wrong one fails at once, naming it.
    let stream = nats.stream_config()?;
    crypto.secret_key()?;
    crypto.argon2()?;
    let session_policy = serve.session_policy()?;
    let device_trust = serve.device_trust()?;
    let standby_poll = serve.standby_poll()?;
    let edge = serve.edge()?;
    let notifier_config = serve.notifier()?;
    let web_config = serve.web()?;
    // Checked at start, so a wrong setting stops the process naming it.
    let providers = serve.providers()?;
    tracing::info!(
        google = providers.google.is_some(),
        github = providers.github.is_some(),
        "login providers"
    );
    if serve.components.is_empty() {
        return Err(usage!(
            "--components / CHRONID_COMPONENTS names nothing to run"
        ));
    }
    let pool = wiring::connect_db(&store).await?;
    chronid_store::migrate(&pool)
        .await
        .context("migration failed")?;
    let (client, nats_options) = nats.connect().await?;
    let js = nats_options.jetstream(client.clone());
    ensure_stream(&js, &stream)
        .await
        .context("cannot create or update the JetStream stream")?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();

    // One application (hashing pool, aggregate cache) for the API and the notifier alike, made
    // only by processes that run either.
    let needs_app = [Component::Api, Component::Notifier]
        .iter()
        .any(|c| serve.components.contains(c));
    let app = match needs_app {
        true => Some(
            wiring::app(pool.clone(), &crypto, true)?
                .with_session_policy(session_policy)
                .with_device_trust(device_trust)
                .with_public_url(web_config.public_url.clone())
                .with_certificate_check(wiring::certificate_check()),
        ),
        false => None,
    };
    let mut read = ReadSide::default();
    if serve.components.contains(&Component::Relay) {
        let relay = Relay::new(
            pool.clone(),
            js.clone(),
            stream.clone(),
            RelayOptions {
                poll_interval: standby_poll,
                ..RelayOptions::default()
            },
        );
        read.relay = Some(relay.stats());
        let rx = stop_rx.clone();
        tasks.spawn(supervise(&mut read, "relay", move || {
            relay.clone().run(rx.clone())
        }));
        tracing::info!(stream = %stream.stream, "relay started");
    }
    if serve.components.contains(&Component::Projections) {
        for projection in Projection::ALL {
            let worker = ProjectionWorker::new(
                pool.clone(),
                js.clone(),
                stream.clone(),
                projection,
                ProjectionOptions {
                    standby_poll,
                    ..ProjectionOptions::default()
                },
            );
            read.projections.push((projection, worker.stats()));
            let rx = stop_rx.clone();
            let name = format!("projection {}", projection.name());
            tasks.spawn(supervise(&mut read, name, move || {
                never_fails(worker.clone().run(rx.clone()))
            }));
        }
        tracing::info!("projection workers started");
    }
    if let (true, Some(app)) = (serve.components.contains(&Component::Notifier), &app) {
        if notifier_config.mailer.is_none() {
            tracing::warn!("no --smtp-url / CHRONID_SMTP_URL: reset links and emailed codes will be recorded as failed deliveries");
        }
        let notifier = Notifier::new(app.clone(), js.clone(), stream.clone(), notifier_config)
            .map_err(|e| anyhow::anyhow!("the notifier's message catalogues: {e}"))?;
        let rx = stop_rx.clone();
        tasks.spawn(supervise(&mut read, "notifier", move || {
            never_fails(notifier.clone().run(rx.clone()))
        }));
        tracing::info!("notifier started");
    }
    if let (true, Some(app)) = (serve.components.contains(&Component::Api), app) {
        let sweeper = app.clone();
        let every = std::time::Duration::from_secs(60 * u64::from(serve.sweep_minutes.max(1)));
        let rx = stop_rx.clone();
        tasks.spawn(supervise(&mut read, "sweeper", move || {
            let (sweeper, mut rx) = (sweeper.clone(), rx.clone());
            never_fails(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = rx.wait_for(|stop| *stop) => return,
                        _ = tick.tick() => {}
                    }
                    if let Err(error) = sweeper.sweep_inactive().await {
                        tracing::warn!(%error, "inactivity sweep failed; next one in due course");
                    }
                }
            })
        }));
        let public_host = web_config.public_host();
        let saml_app = app.clone();
        // Google's discovery document is read now: a provider that cannot be reached at start
        // stops the process naming it, rather than failing each login.
        let oauth = chronid_oauth::Clients::connect(&providers, &web_config.public_url)
            .await
            .map_err(|e| anyhow::anyhow!("--google-issuer / CHRONID_GOOGLE_ISSUER: {e}"))?;
        let pages = chronid_web::WebState::new(app.clone(), web_config, &crypto.secret_key()?)
            .map_err(|e| anyhow::anyhow!("the pages' language catalogues: {e}"))?
            .with_oauth(oauth);
        let state = HttpState::new(app, Some(client.clone()), read)
            .with_edge(edge)
            .with_public_host(public_host)
            .with_page_fallback(chronid_web::not_found(pages.clone()));
        tasks.spawn({
            let (edge, rx) = (state.edge(), stop_rx.clone());
            async move {
                chronid_http::edge::prune_until(edge, rx).await;
                Ok(())
            }
        });
        let metrics = tokio::net::TcpListener::bind(serve.metrics_listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on --metrics-listen / CHRONID_METRICS_LISTEN ({})",
                    serve.metrics_listen
                )
            })?;
        tracing::info!(listen = %serve.metrics_listen, "metrics listening");
        let metrics_app = metrics_router(state.clone());
        let mut rx_metrics = stop_rx.clone();
        tasks.spawn(async move {
            axum::serve(metrics, metrics_app)
                .with_graceful_shutdown(async move {
                    let _ = rx_metrics.wait_for(|stop| *stop).await;
                })
                .await
                .context("metrics server failed")
        });
        let listener = tokio::net::TcpListener::bind(serve.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on --listen / CHRONID_LISTEN ({})",
                    serve.listen
                )
            })?;
        tracing::info!(listen = %serve.listen, "API listening");
        let mut rx = stop_rx.clone();
        tasks.spawn(async move {
            axum::serve(
                listener,
                router_with(
                    state,
                    chronid_web::routes(pages).merge(chronid_saml::routes(saml_app)),
                )
                .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await
            .context("HTTP server failed")
        });
    }
    if tasks.is_empty() {
        anyhow::bail!("--components / CHRONID_COMPONENTS names nothing to run");
    }

    tokio::select! {
        _ = shutdown_signal() => tracing::info!("shutting down"),
        Some(result) = tasks.join_next() => {
            let _ = stop_tx.send(true);
            result.context("a component panicked")??;
            anyhow::bail!("a component stopped unexpectedly");
        }
    }
    let _ = stop_tx.send(true);
    while let Some(result) = tasks.join_next().await {
        result.context("a component panicked")??;
    }
    Ok(())
}

/// Registers a supervised background task for `/ready` and `/metrics` and returns the future that
/// runs it (restarting it when it fails or panics) until it finishes its work.
fn supervise<F, Fut, E>(
    read: &mut ReadSide,
    name: impl Into<String>,
    make: F,
) -> impl std::future::Future<Output = anyhow::Result<()>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let health = std::sync::Arc::new(TaskHealth::new(name, 1));
    read.tasks.push(std::sync::Arc::clone(&health));
    async move {
        supervised(health, make).await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
