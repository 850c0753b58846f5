//! The `convene` binary: a thin shell over the library crates.

mod commands;
mod config;
mod keys;
mod worker_name;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "convene",
    version,
    about = "Self-hostable scheduling server with organization-owned email"
)]
struct Cli {
    /// TOML configuration file (default: ./convene.toml when present). Also CONVENE_CONFIG.
    #[arg(long, global = true, env = "CONVENE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates the database first).
    Serve {
        /// Also seed a demo organization with an owner, an admin, a member and a team.
        #[arg(long)]
        demo: bool,
    },
    /// Run the server with the demo organization (same as `serve --demo`).
    Demo,
    /// Send queued emails and webhooks without serving HTTP (extra workers on a shared PostgreSQL).
    Worker {
        /// Exit once nothing is due instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand, name = "api-keys")]
    ApiKeys(commands::ApiKeysCommand),
    /// Manage per-organization feature flags.
    #[command(subcommand)]
    Features(commands::FeaturesCommand),
    /// Encryption keys for stored secrets.
    #[command(subcommand)]
    Keys(commands::KeysCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("convene: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    commands::init_logging(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("convene: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { demo } => commands::serve(&config, demo).await,
            Command::Demo => commands::serve(&config, true).await,
            Command::Worker { until_idle } => commands::worker(&config, until_idle).await,
            Command::Migrate => commands::migrate(&config).await,
            Command::ApiKeys(cmd) => commands::api_keys(&config, cmd).await,
            Command::Features(cmd) => commands::features(&config, cmd).await,
            Command::Keys(cmd) => commands::keys(&config, cmd).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convene: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
