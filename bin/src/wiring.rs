//! Builds the adapters from configuration.

use std::sync::Arc;

use anyhow::Context;
use chronid_app::App;
use chronid_crypto::{AesGcmSealer, Argon2Hasher, OsRandom, RfcTotp, SystemClock, UuidV7Ids};
use chronid_domain::Services;
use chronid_store::CommandExecutor;
use chronid_store::PgPool;

use crate::config::{CryptoConfig, StoreConfig};

pub async fn connect_db(store: &StoreConfig) -> anyhow::Result<PgPool> {
    chronid_store::connect(&store.database_url, store.db_max_connections.max(2))
        .await
        .with_context(|| {
            format!(
                "cannot connect to PostgreSQL at --database-url / CHRONID_DATABASE_URL ({}); is it running? `scripts/services.sh start` starts it",
                chronid_store::redacted_url(&store.database_url, false)
            )
        })
}

/// The application over real ports. `need_key`: whether the sealing key must be configured
/// (`bootstrap` seals nothing and may run without it).
pub fn app(pool: PgPool, crypto: &CryptoConfig, need_key: bool) -> anyhow::Result<App> {
    let sealer = match crypto.secret_key() {
        Ok(key) => AesGcmSealer::new(key),
        Err(e) if need_key => return Err(e),
        Err(_) => AesGcmSealer::with_random_key(),
    };
    let (params, workers) = (crypto.argon2()?, crypto.workers());
    let hasher = match crypto.hash_queue {
        Some(queue) => Argon2Hasher::with_queue(params, workers, queue),
        None => Argon2Hasher::new(params, workers),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let services = Services {
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Ids),
        random: Arc::new(OsRandom),
        hasher: Arc::new(hasher),
        sealer: Arc::new(sealer),
        totp: Arc::new(RfcTotp),
    };
    Ok(App::new(CommandExecutor::new(pool, services)))
}

/// The SAML room's check of an IdP certificate, for the application to apply to every
/// configuration it is given.
pub fn certificate_check() -> chronid_app::CertificateCheck {
    std::sync::Arc::new(|der, now| {
        chronid_saml::inspect(der, now)
            .map(|_| ())
            .map_err(|problem| problem.to_string())
    })
}
