//! The `tourney-server` binary: parses the command line, loads the settings, opens the
//! ports and serves until SIGTERM or ctrl-c. Everything else lives in the library.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use ocean::settings::MediaBackend;
use tourney_server::AppState;
use tourney_wiring::AppSettings;
use tourney_worker::Worker;
use tracing_subscriber::filter::{LevelFilter, ParseError, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// LocalPicTourney's HTTP server. Settings come from built-in defaults, then the file named
/// by `OCEAN_SETTINGS`, then `OCEAN__*` environment variables; `RUST_LOG` filters logs.
#[derive(Debug, Parser)]
#[command(
    name = "tourney-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Log JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    /// What to do (default: serve).
    #[command(subcommand)]
    command: Option<Command>,
    /// `serve`'s options, for when no command is given.
    #[command(flatten)]
    serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and run a worker in-process (the default when no command is given).
    Serve(ServeArgs),
    /// Create demo users with generated photos and votes, so boards have content at once.
    /// Run it while the server is stopped, or beside it on the same data directory.
    SeedDemo(SeedArgs),
}

/// Options of `seed-demo`.
#[derive(Debug, Args)]
struct SeedArgs {
    /// Photographers to create, one generated photo each.
    #[arg(long, default_value_t = 24)]
    users: u32,
    /// Judges to create; each votes on every match proposed to them.
    #[arg(long, default_value_t = 4)]
    judges: u32,
    /// Requests for matches per judge.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Seed of names, pictures and votes (default: the clock, so runs do not collide).
    #[arg(long)]
    seed: Option<u64>,
    /// Where the demo users live, as `lat,lon` (default: Los Angeles).
    #[arg(long, default_value = "34.0522,-118.2437")]
    location: String,
}

/// Options of `serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on, overriding the `app.listen` setting (port 0 picks a free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let outcome = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(&args),
        Command::SeedDemo(args) => seed_demo(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the log subscriber on stderr (stdout carries only the "serving on" line),
/// coloured only on a terminal, human or JSON lines. `RUST_LOG` picks levels by target
/// (`info`, `warn,tourney_server=debug`; default `info`).
fn init_logging(json: bool) {
    let (targets, bad_rust_log) = log_targets(std::env::var("RUST_LOG").ok().as_deref());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(targets);
    if json {
        registry.with(layer.json()).init();
    } else {
        registry.with(layer).init();
    }
    if let Some(error) = bad_rust_log {
        tracing::warn!(%error, "RUST_LOG is not a list of target=level directives; logging at info");
    }
}

/// The log levels `rust_log` asks for, or `info` (and why, when `rust_log` does not parse).
fn log_targets(rust_log: Option<&str>) -> (Targets, Option<ParseError>) {
    let default = || Targets::new().with_default(LevelFilter::INFO);
    match rust_log.map(str::parse::<Targets>) {
        None => (default(), None),
        Some(Ok(targets)) => (targets, None),
        Some(Err(error)) => (default(), Some(error)),
    }
}

/// `serve`: settings, listener, ports, then the server until a shutdown signal.
fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let mut settings = AppSettings::load().context("loading settings")?;
    let listen =
        match args.listen {
            Some(listen) => listen,
            None => settings.app.listen.parse().with_context(|| {
                format!("app.listen: {:?} is not an address", settings.app.listen)
            })?,
        };
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("binding the http listener to {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    point_default_media_url_at(&mut settings, listen, address);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let settings = Arc::new(settings);
        let ports = tourney_wiring::open(&settings)?;
        tourney_wiring::load_datasets(&ports, &settings).await?;
        let state = AppState::new(ports, Arc::clone(&settings))?;
        // One shutdown signal stops both the server (after requests in flight) and the
        // in-process worker (after its current step).
        let (stop_sender, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            tourney_worker::shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight and the worker's step");
            let _ = stop_sender.send(true);
        });
        let worker = Worker::new(
            state.game.clone(),
            Duration::from_secs(settings.app.score_interval_secs),
        );
        let worker_task = tokio::spawn({
            let stop = stop.clone();
            async move { worker.run(stopped(stop)).await }
        });
        let (address, server) = tourney_server::serve_on(state, listener, stopped(stop)).await?;
        let _ = writeln!(
            std::io::stdout(),
            "serving on http://{address} (docs at http://{address}/docs)"
        );
        server.await.context("the server task failed")?;
        worker_task.await.context("the worker task failed")
    })
}

/// `seed-demo`: opens the ports as `serve` does and seeds them.
fn seed_demo(args: &SeedArgs) -> anyhow::Result<()> {
    let settings = AppSettings::load().context("loading settings")?;
    let location = tourney_core::Coordinates::parse(&args.location)
        .with_context(|| format!("--location {:?}", args.location))?;
    let seed = args
        .seed
        .unwrap_or_else(|| u64::try_from(tourney_worker::now().millis()).unwrap_or_default());
    let options = tourney_server::seed::SeedOptions {
        n_users: args.users,
        n_judges: args.judges,
        rounds: args.rounds,
        seed,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let ports = tourney_wiring::open(&settings)?;
        tourney_wiring::load_datasets(&ports, &settings).await?;
        let game = tourney_wiring::game(&ports, &settings)?;
        let report = tourney_server::seed::seed_demo(&game, location, options).await?;
        let _ = writeln!(
            std::io::stdout(),
            "seeded {} users, {} photos, {} votes (seed {seed}) in {}",
            report.users,
            report.photos,
            report.votes,
            settings.data_dir.display()
        );
        Ok(())
    })
}

/// Resolves once `stop` turns true.
async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// With `listen` on port 0, the default embedded media URL (port 8080) cannot be right:
/// point it at the port actually bound.
fn point_default_media_url_at(settings: &mut AppSettings, listen: SocketAddr, bound: SocketAddr) {
    let default_url = match MediaBackend::default() {
        MediaBackend::Embedded { public_url, .. } => public_url,
        MediaBackend::S3 { .. } => return,
    };
    if let MediaBackend::Embedded { public_url, .. } = &mut settings.media
        && listen.port() == 0
        && *public_url == default_url
    {
        *public_url = format!("http://{bound}");
        tracing::info!(public_url = %public_url, "media.public_url set to the bound address");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_defaults_to_info_and_reports_junk() {
        let (targets, error) = log_targets(None);
        assert_eq!(targets.default_level(), Some(LevelFilter::INFO));
        assert!(error.is_none());
        let (targets, error) = log_targets(Some("warn,tourney_server=debug"));
        assert_eq!(targets.default_level(), Some(LevelFilter::WARN));
        assert!(error.is_none());
        let (targets, error) = log_targets(Some("=bad="));
        assert_eq!(targets.default_level(), Some(LevelFilter::INFO));
        assert!(error.is_some());
    }

    #[test]
    fn port_zero_points_only_the_default_media_url_at_the_bound_port() {
        let any_port: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let fixed_port: SocketAddr = "127.0.0.1:8080".parse().expect("address");
        let bound: SocketAddr = "127.0.0.1:4567".parse().expect("address");
        let url_of = |settings: &AppSettings| match &settings.media {
            MediaBackend::Embedded { public_url, .. } => public_url.clone(),
            MediaBackend::S3 { .. } => String::new(),
        };

        let mut settings = AppSettings::default();
        point_default_media_url_at(&mut settings, any_port, bound);
        assert_eq!(url_of(&settings), "http://127.0.0.1:4567");

        let mut settings = AppSettings::default();
        point_default_media_url_at(&mut settings, fixed_port, bound);
        assert_eq!(
            url_of(&settings),
            "http://127.0.0.1:8080",
            "a fixed port keeps it"
        );

        let mut settings = AppSettings {
            media: MediaBackend::Embedded {
                public_url: "https://cdn.example".to_owned(),
                signing_key: None,
            },
            ..AppSettings::default()
        };
        point_default_media_url_at(&mut settings, any_port, bound);
        assert_eq!(
            url_of(&settings),
            "https://cdn.example",
            "a chosen url is kept"
        );
    }
}
