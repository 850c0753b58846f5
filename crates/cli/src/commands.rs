//! What each subcommand does.

use crate::config::Config;
use crate::keys;
use crate::worker_name;
use anyhow::Context;
use clap::Subcommand;
use convene_core::{EmailAddress, FeatureFlag, TeamId};
use convene_server::calendars::refresh;
use convene_server::email::worker::{self, RunMode};
use convene_server::email::{EmailSettings, TransportConfig};
use convene_server::routing_forms::no_event;
use convene_server::webhooks::{self, WebhookSettings};
use convene_server::{AppState, Application, ServerSettings, tenancy};
use convene_store::{Db, users};
use secrecy::ExposeSecret;
use std::sync::Arc;

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONVENE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url()?;
    let db = Db::connect(&url)
        .await
        .context("opening the database (database_url / CONVENE_DATABASE_URL)")?;
    db.migrate().await.context("migrating the database")?;
    Ok(db)
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    open_database(config).await?;
    println!("convene: database is up to date");
    Ok(())
}

pub async fn serve(config: &Config, demo: bool) -> anyhow::Result<()> {
    // Before the database: a missing key must stop the start even when the database is unreachable.
    let keyring = Arc::new(keys::load(config)?);
    let db = open_database(config).await?;
    let admin_password = config.admin_password.as_ref().map(|p| p.expose_secret().to_owned());
    if let Some(admin) = tenancy::bootstrap_instance_admin(&db, config.admin_email.as_deref(), admin_password).await? {
        let password_line = if config.admin_password.is_some() {
            "(from CONVENE_ADMIN_PASSWORD)".to_owned()
        } else {
            admin.password.clone()
        };
        println!(
            "\n=== convene: created the instance admin (shown only this once) ===\n  email:    {}\n  password: {}\n  API key:  {}\n  try:      curl -H \"Authorization: Bearer {}\" http://{}/v2/me\n",
            admin.user.email, password_line, admin.api_key, admin.api_key, config.listen
        );
    }
    if demo
        && let Some(seeded) = convene_server::demo::seed(&db, &keyring, &config.email_settings()?.public_url).await?
    {
        let data = &seeded.data;
        println!(
            "=== convene: demo organization \"{}\" (id {}) with team \"{}\" (id {}) ===",
            data.organization.name, data.organization.id, data.team.name, data.team.id
        );
        for (role, account) in &data.accounts {
            println!(
                "  {:<6} {:<32} password {}  API key {}",
                role.as_str(),
                account.user.email,
                account.password,
                account.api_key
            );
        }
        println!("  booking page: {}", seeded.booking_page);
        println!(
            "  sign in at /auth/login as the OWNER above, then open: {}",
            seeded.app_pages.join("  ")
        );
        println!();
    }
    let name = worker_name::reserve(config)?;
    let settings = ServerSettings {
        rate_limit_per_minute: config.rate_limit(),
        max_body_bytes: config.max_body_bytes,
        secure_cookies: config.secure_cookies,
        open_signup: config.signup == "open",
        limits: config.limit_settings()?,
        slot_work: config.slot_work()?,
        ..worker_settings(config, &name)?
    };
    announce_transport(&settings.email);
    let state = AppState::new(db.clone(), settings, keyring);
    let app = Application::build(state.clone(), config.listen)
        .await
        .with_context(|| format!("listening on {} (listen / CONVENE_LISTEN)", config.listen))?;
    let addr = app.local_addr()?;
    // One signal stops both at once: the workers stop claiming while the HTTP side finishes its requests.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let worker = webhooks::spawn_worker(state.clone(), stopping.clone());
    let form_sweeper = no_event::spawn_sweeper(db.clone(), stopping.clone());
    let refresher = refresh::spawn_refresher(state.calendars.clone(), stopping.clone());
    let mail_worker = worker::spawn_worker(state, stopping.clone(), RunMode::Forever);
    println!("convene listening on http://{addr}");
    tracing::info!(%addr, backend = ?db.backend(), worker = %name.name, "convene started");
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let mut http_stop = stopping;
    let served = app
        .run_until(async move {
            let _ = http_stop.wait_for(|stop| *stop).await;
        })
        .await;
    // The workers finish what is in flight (bounded by shutdown_grace) before the pool closes under them.
    if let Err(e) = worker.await {
        tracing::error!(error = %e, "the webhook worker ended abnormally");
    }
    if let Err(e) = mail_worker.await {
        tracing::error!(error = %e, "the email worker ended abnormally");
    }
    if let Err(e) = form_sweeper.await {
        tracing::error!(error = %e, "the routing form sweep ended abnormally");
    }
    if let Err(e) = refresher.await {
        tracing::error!(error = %e, "the calendar refresher ended abnormally");
    }
    served?;
    db.close().await;
    tracing::info!("convene stopped");
    Ok(())
}

/// What both `serve` and `worker` configure: the workers' name, email and webhook settings, and the stop grace.
fn worker_settings(config: &Config, name: &worker_name::WorkerName) -> anyhow::Result<ServerSettings> {
    let email = config.email_settings()?;
    Ok(ServerSettings {
        webhooks: WebhookSettings {
            allow_private_targets: config.allow_private_webhook_targets,
            ..WebhookSettings::default()
        },
        calendars: config.calendar_settings(&email)?,
        email,
        worker_id: Some(name.name.clone()),
        shutdown_grace: config.shutdown_grace(),
        ..ServerSettings::default()
    })
}

/// Says where emails go, so a first run's operator knows to look in the spool folder.
fn announce_transport(settings: &EmailSettings) {
    match &settings.transport {
        TransportConfig::File(dir) => println!(
            "convene: emails are written as .eml files to {} (set CONVENE_EMAIL_TRANSPORT to send them)",
            dir.display()
        ),
        other => tracing::info!(transport = %other.describe(), "email transport"),
    }
}

/// `convene worker`: sends queued emails (and webhook deliveries) without serving HTTP, for running workers as
/// separate processes on a shared PostgreSQL database. `until_idle` stops once nothing is due.
pub async fn worker(config: &Config, until_idle: bool) -> anyhow::Result<()> {
    let keyring = Arc::new(keys::load(config)?);
    let db = open_database(config).await?;
    let name = worker_name::reserve(config)?;
    let settings = worker_settings(config, &name)?;
    announce_transport(&settings.email);
    let state = AppState::new(db.clone(), settings, keyring);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mode = if until_idle {
        RunMode::UntilIdle
    } else {
        RunMode::Forever
    };
    let mail = worker::spawn_worker(state.clone(), stopped.clone(), mode);
    if until_idle {
        mail.await.context("the email worker ended abnormally")?;
    } else {
        let refresher = refresh::spawn_refresher(state.calendars.clone(), stopped.clone());
        let hooks = webhooks::spawn_worker(state, stopped.clone());
        let forms = no_event::spawn_sweeper(db.clone(), stopped);
        tracing::info!(backend = ?db.backend(), worker = %name.name, "convene worker started");
        shutdown_signal().await;
        let _ = stop.send(true);
        mail.await.context("the email worker ended abnormally")?;
        hooks.await.context("the webhook worker ended abnormally")?;
        forms.await.context("the routing form sweep ended abnormally")?;
        refresher.await.context("the calendar refresher ended abnormally")?;
    }
    db.close().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[derive(Subcommand)]
pub enum ApiKeysCommand {
    /// Create an API key for a user and print it (once).
    Create {
        /// The user's email.
        #[arg(long)]
        user: String,
        /// Days until it expires (never when omitted).
        #[arg(long)]
        days: Option<i64>,
        /// A note to recognise the key by.
        #[arg(long)]
        note: Option<String>,
    },
}

pub async fn api_keys(config: &Config, command: ApiKeysCommand) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    match command {
        ApiKeysCommand::Create { user, days, note } => {
            let email = EmailAddress::parse("--user", &user).map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = users::find_by_email(&db, email.as_str())
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            if days.is_some_and(|d| d < 1) {
                anyhow::bail!("--days must be at least 1");
            }
            let key = tenancy::issue_api_key(&db, user.user_id(), note.as_deref(), days).await?;
            println!("{key}");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum FeaturesCommand {
    /// Turn a flag on (or off with --off) for an organization.
    Set {
        #[arg(long)]
        org: i64,
        /// Flag name, e.g. custom-smtp.
        flag: String,
        #[arg(long)]
        off: bool,
    },
    /// Remove a flag (back to its default, off).
    Clear {
        #[arg(long)]
        org: i64,
        flag: String,
    },
}

pub async fn features(config: &Config, command: FeaturesCommand) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let parse = |flag: &str| {
        flag.parse::<FeatureFlag>()
            .map_err(|()| anyhow::anyhow!("unknown flag '{flag}'; known flags: {}", FeatureFlag::known_names()))
    };
    match command {
        FeaturesCommand::Set { org, flag, off } => {
            let flag = parse(&flag)?;
            tenancy::set_feature(&db, TeamId(org), flag.as_str(), Some(!off)).await?;
            println!(
                "{} is now {} for organization {org}",
                flag.as_str(),
                if off { "off" } else { "on" }
            );
        }
        FeaturesCommand::Clear { org, flag } => {
            let flag = parse(&flag)?;
            tenancy::set_feature(&db, TeamId(org), flag.as_str(), None).await?;
            println!("{} cleared for organization {org}", flag.as_str());
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Print a new random key as `kid:base64`, for encryption_keys (CONVENE_ENCRYPTION_KEYS). List it first to
    /// make it the active key; keep older keys listed after it until nothing sealed with them remains.
    Generate,
    /// Re-seal every stored secret (webhook secrets, SMTP credentials, provider API keys) under the active
    /// (first) key. Afterwards older keys can be removed from encryption_keys.
    Rotate,
}

pub async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate => println!("{}", keys::generate_entry()),
        KeysCommand::Rotate => {
            let keyring = keys::load(config)?;
            let db = open_database(config).await?;
            let done = convene_server::rotation::rotate(&db, &keyring).await?;
            println!(
                "convene: re-sealed {} secret(s) under key {}; {} already used it",
                done.resealed,
                keyring.active_key_id(),
                done.current
            );
            db.close().await;
        }
    }
    Ok(())
}
