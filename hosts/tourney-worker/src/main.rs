//! `tourney-worker`: runs the worker on its own (the server also runs one in-process).

use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tourney_wiring::AppSettings;
use tourney_worker::{Worker, shutdown_signal};

/// LocalPicTourney's background worker: processes uploads and scores votes.
///
/// Settings come from the built-in defaults, the file named by OCEAN_SETTINGS
/// (settings/<name>.toml) and OCEAN__* environment variables.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Log JSON lines instead of human-readable text (also `app.log_format = "json"`).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run steps until SIGTERM or Ctrl-C (the default); the current step finishes first.
    Run,
    /// Run steps until there is nothing left to do, then exit.
    Drain,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let settings = AppSettings::load().context("loading settings")?;
    let _observability = tourney_wiring::observability::init(&settings, cli.log_json)?;
    let ports = tourney_wiring::open(&settings).await?;
    tourney_wiring::load_datasets(&ports, &settings).await?;
    let game = tourney_wiring::game(&ports, &settings)?;
    let worker = Worker::new(game, Duration::from_secs(settings.app.score_interval_secs));
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => worker.run(shutdown_signal()).await,
        Command::Drain => {
            let steps = worker.drain().await?;
            tracing::info!(steps, "drained: nothing left to do");
        }
    }
    Ok(())
}
