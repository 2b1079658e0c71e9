//! `chronid`: the binary. It only wires: configuration, logging, and the adapters behind each
//! subcommand (`serve`, `migrate`, `bootstrap`, `replay`, `audit`, `history`, `projections`).

mod config;
mod read;
mod serve;
mod usage;
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
    /// Rebuild projections from the store (or the stream) into fresh tables, swapped in
    /// atomically while the old ones keep serving.
    Replay {
        #[command(flatten)]
        store: StoreConfig,
        #[command(flatten)]
        nats: NatsConfig,
        /// users, audit or all.
        #[arg(long, default_value = "all")]
        projection: String,
        /// Where to read the events: store (the source of truth) or stream.
        #[arg(long, default_value = "store")]
        source: String,
        /// Build the views as they stood at this time (RFC 3339) into `*__until` tables, beside
        /// the live ones.
        #[arg(long)]
        until: Option<String>,
    },
    /// Query or export the audit log, newest first.
    Audit {
        #[command(flatten)]
        store: StoreConfig,
        /// The account.
        #[arg(long)]
        account: String,
        /// Acting or target username (or email).
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        ip: Option<String>,
        /// Text in the description.
        #[arg(long)]
        q: Option<String>,
        /// last_15_minutes, today, yesterday, this_week or last_week.
        #[arg(long)]
        range: Option<String>,
        /// IANA time zone for --range (default: the account's).
        #[arg(long)]
        tz: Option<String>,
        /// From this time (RFC 3339, inclusive).
        #[arg(long)]
        from: Option<String>,
        /// Until this time (RFC 3339, exclusive).
        #[arg(long)]
        to: Option<String>,
        /// csv or jsonl.
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
    /// History of an aggregate.
    History {
        #[command(subcommand)]
        what: HistoryCommand,
    },
    /// Projection workers.
    Projections {
        #[command(subcommand)]
        what: ProjectionsCommand,
    },
    /// Run the API, the relay and the projection workers (see --components).
    Serve {
        #[command(flatten)]
        store: StoreConfig,
        #[command(flatten)]
        nats: NatsConfig,
        #[command(flatten)]
        crypto: CryptoConfig,
        #[command(flatten)]
        serve: Box<ServeConfig>,
    },
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// A user's events in order (JSON Lines), each with its time, actor, IP and public payload.
    User {
        #[command(flatten)]
        store: StoreConfig,
        /// The user's account.
        #[arg(long)]
        account: String,
        /// The user.
        id: String,
        /// Only the events up to this time, and the user as they were then.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Checkpoints, consumer backlog and parked events of every projection.
    Status {
        #[command(flatten)]
        store: StoreConfig,
        #[command(flatten)]
        nats: NatsConfig,
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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if usage::is_usage(&e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Migrate { store } => {
            let pool = wiring::connect_db(&store).await?;
            let applied = chronid_store::migrate(&pool)
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
            let name = Name::parse("--account-name", &account_name)
                .map_err(|e| usage::usage!("--account-name: {}", e.message))?;
            let email = Email::parse(&admin_email)
                .map_err(|e| usage::usage!("--admin-email: {}", e.message))?;
            let username = admin_username
                .as_deref()
                .map(Username::parse)
                .transpose()
                .map_err(|e| usage::usage!("--admin-username: {}", e.message))?;
            let mut raw = String::new();
            std::io::stdin()
                .read_to_string(&mut raw)
                .context("could not read the password from stdin")?;
            let password = Password::parse(raw.trim_end_matches(['\n', '\r']))
                .map_err(|e| usage::usage!("password (stdin): {}", e.message))?;
            let pool = wiring::connect_db(&store).await?;
            chronid_store::migrate(&pool)
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
        } => serve::run(store, nats, crypto, *serve).await,
        Command::Replay {
            store,
            nats,
            projection,
            source,
            until,
        } => read::replay(store, nats, projection, source, until).await,
        Command::Audit {
            store,
            account,
            username,
            ip,
            q,
            range,
            tz,
            from,
            to,
            format,
        } => {
            let filters = vec![
                ("username", username),
                ("ip", ip),
                ("q", q),
                ("range", range),
                ("tz", tz),
                ("from", from),
                ("to", to),
            ];
            read::audit(store, account, filters, format).await
        }
        Command::History {
            what:
                HistoryCommand::User {
                    store,
                    account,
                    id,
                    as_of,
                },
        } => read::history_user(store, account, id, as_of).await,
        Command::Projections {
            what: ProjectionsCommand::Status { store, nats },
        } => read::projections_status(store, nats).await,
    }
}
