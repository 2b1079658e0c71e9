//! `chronid`: the binary. It only wires: configuration, logging, and the adapters behind each
//! subcommand (`serve`, `migrate`, `bootstrap`).

mod config;
mod serve;
mod wiring;

use std::io::Read;

use anyhow::Context;
use chronid_domain::values::{Email, Name, Password, Username};
use clap::{Parser, Subcommand, ValueEnum};

use config::{CryptoConfig, NatsConfig, ServeConfig, StoreConfig};

#[derive(Debug, Parser)]
#[command(name = "chronid", version, about = "Event-sourced identity engine")]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "CHRONID_LOG_FORMAT",
        global = true,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the store and view migrations.
    Migrate {
        #[command(flatten)]
        store: StoreConfig,
    },
    /// Create the first account, its admin and an API key; the password is read from stdin.
    /// Prints {"account_id","user_id","api_key"} as JSON.
    Bootstrap {
        #[command(flatten)]
        store: StoreConfig,
        #[command(flatten)]
        crypto: CryptoConfig,
        /// Name of the account.
        #[arg(long)]
        account_name: String,
        /// Email of the first administrator.
        #[arg(long)]
        admin_email: String,
        /// Username of the first administrator.
        #[arg(long)]
        admin_username: Option<String>,
    },
    /// Run the API and the relay (see --components).
    Serve {
        #[command(flatten)]
        store: StoreConfig,
        #[command(flatten)]
        nats: NatsConfig,
        #[command(flatten)]
        crypto: CryptoConfig,
        #[command(flatten)]
        serve: ServeConfig,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHRONID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Migrate { store } => {
            let pool = wiring::connect_db(&store).await?;
            let applied = chronid_adapters::store::migrate(&pool)
                .await
                .context("migration failed")?;
            eprintln!("migrations applied: {applied}");
            Ok(())
        }
        Command::Bootstrap {
            store,
            crypto,
            account_name,
            admin_email,
            admin_username,
        } => {
            let name = Name::parse("--account-name", &account_name).map_err(anyhow::Error::msg)?;
            let email = Email::parse(&admin_email)
                .map_err(|e| anyhow::anyhow!("--admin-email: {}", e.message))?;
            let username = admin_username
                .as_deref()
                .map(Username::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--admin-username: {}", e.message))?;
            let mut raw = String::new();
            std::io::stdin()
                .read_to_string(&mut raw)
                .context("could not read the password from stdin")?;
            let password = Password::parse(raw.trim_end_matches(['\n', '\r']))
                .map_err(|e| anyhow::anyhow!("password (stdin): {}", e.message))?;
            let pool = wiring::connect_db(&store).await?;
            chronid_adapters::store::migrate(&pool)
                .await
                .context("migration failed")?;
            let app = wiring::app(pool, &crypto, false)?;
            let out = app
                .bootstrap(name, email, username, password)
                .await
                .map_err(|e| anyhow::anyhow!("bootstrap failed: {} ({})", e.message, e.code))?;
            println!("{}", serde_json::to_string(&out)?);
            Ok(())
        }
        Command::Serve {
            store,
            nats,
            crypto,
            serve,
        } => serve::run(store, nats, crypto, serve).await,
    }
}
