//! The `tourney-server` binary: parses the command line, loads the settings, opens the
//! ports and serves until SIGTERM or ctrl-c. Everything else lives in the library.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use ocean::settings::MediaBackend;
use tourney_core::service::{Game, RescoreMode, Role};
use tourney_server::AppState;
use tourney_wiring::{AppSettings, Ports};
use tourney_worker::Worker;

/// LocalPicTourney's HTTP server. Settings come from built-in defaults, then the file named
/// by `OCEAN_SETTINGS`, then `OCEAN__*` environment variables; `RUST_LOG` filters logs.
#[derive(Debug, Parser)]
#[command(
    name = "tourney-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Log JSON lines instead of human-readable text (also `app.log_format = "json"`).
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
    /// Run only the background worker (uploads, scoring) until SIGTERM or ctrl-c, beside
    /// servers started with the worker turned off or on other machines.
    Worker(WorkerArgs),
    /// Create demo users with generated photos and votes, so boards have content at once.
    /// Run it while the server is stopped, or beside it on the same data directory.
    SeedDemo(SeedArgs),
    /// Create an admin (a new user with the admin role, named NAME) and print their id and
    /// token, or give an existing user the admin role with --user.
    CreateAdmin(CreateAdminArgs),
    /// Replay the vote log into fresh ratings and write them over the stored ones (or only
    /// compare with --check). Stop the workers first.
    Rescore(RescoreArgs),
    /// Reload the places dataset (from --csv, else the places.dataset_csv setting, else the
    /// built-in GeoNames cities), replacing places with known ids.
    ReindexPlaces(ReindexPlacesArgs),
    /// Rebuild every tag's photo list and the tag search index from the photos (after
    /// moving the search backend, or to repair it). Idempotent.
    ReindexSearch,
    /// Create the DynamoDB tables, S3 bucket, Kinesis stream and SQS queues (with their
    /// dead-letter queues) that the AWS backends in the settings use, where missing.
    /// Idempotent: run it before the first start and after changing a name.
    InitAws,
}

/// Options of `worker`.
#[derive(Debug, Args)]
struct WorkerArgs {
    /// Exit once there is nothing left to do instead of waiting for more.
    #[arg(long)]
    drain: bool,
}

/// Options of `create-admin`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct CreateAdminArgs {
    /// The new admin's user name (claimed like any user name).
    #[arg(long)]
    name: Option<String>,
    /// Give this existing user (an id) the admin role instead.
    #[arg(long)]
    user: Option<String>,
}

/// Options of `rescore`.
#[derive(Debug, Args)]
struct RescoreArgs {
    /// Only compare the replay with the stored ratings; exit with status 1 when they differ.
    #[arg(long)]
    check: bool,
}

/// Options of `reindex-places`.
#[derive(Debug, Args)]
struct ReindexPlacesArgs {
    /// A places CSV: this project's `id,name,region,country,lat,lon,population` or the
    /// first generation's `INCLUDE,Country,City,...` format.
    #[arg(long)]
    csv: Option<std::path::PathBuf>,
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
    /// Serve HTTP only, without the in-process worker: scoring, media processing and the
    /// other background jobs are left to `tourney-server worker` processes run beside it.
    #[arg(long)]
    no_worker: bool,
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tune_malloc();
    let cli = Cli::parse();
    let outcome = AppSettings::load()
        .context("loading settings")
        .and_then(|settings| {
            let _observability = tourney_wiring::observability::init(&settings, cli.log_json)?;
            match cli.command.unwrap_or(Command::Serve(cli.serve)) {
                Command::Serve(args) => serve(settings, &args),
                Command::Worker(args) => worker(settings, &args),
                Command::SeedDemo(args) => seed_demo(settings, &args),
                Command::CreateAdmin(args) => create_admin(settings, args),
                Command::Rescore(args) => rescore(settings, &args),
                Command::ReindexPlaces(args) => reindex_places(settings, &args),
                Command::ReindexSearch => reindex_search(settings),
                Command::InitAws => init_aws(&settings),
            }
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc's malloc settings the binary runs with, each unless the environment sets it
/// (directly or in `GLIBC_TUNABLES`, under the tunable's name).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_SETTINGS: [(&str, &str, &str); 2] = [
    ("MALLOC_ARENA_MAX", "arena_max", "2"),
    ("MALLOC_MMAP_THRESHOLD_", "mmap_threshold", "131072"),
];

/// Re-executes the binary once with [`MALLOC_SETTINGS`] set, unless the environment sets
/// them already (set one to choose another value; glibc reads them only when a process
/// starts, and setting them from inside, with `mallopt`, would take the crate's only
/// `unsafe` outside `glicko2`). If the re-execution fails, the binary goes on as it is.
///
/// Why (figures in BENCHMARKS.md, from `scripts/load.sh`):
/// - At most 2 arenas: glibc gives a thread that finds the other arenas busy an arena of
///   its own, up to eight per core, and each arena keeps what is freed into it. The
///   server's SQLite calls hop between blocking threads, so page caches are allocated in
///   one arena and freed in another: that was about 30 MB of the server's memory, for no
///   measurable speed.
/// - Blocks of 128 KiB and more always mapped on their own: by default glibc raises that
///   threshold each time such a block is freed (up to 32 MiB), after which large
///   transient buffers (a scoring period's, a stream read's) come from the heap and stay
///   with the process; the server's peak under the load varied from 91 to 107 MB, and
///   with the threshold fixed it stayed within 85-91 MB, the routes as fast within the
///   runs' spread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    use std::os::unix::process::CommandExt as _;
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    let missing: Vec<(&str, &str)> = MALLOC_SETTINGS
        .iter()
        .filter(|(variable, tunable, _)| {
            std::env::var_os(variable).is_none() && !tunables.contains(tunable)
        })
        .map(|(variable, _, value)| (*variable, *value))
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(executable) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(executable);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // Only returns if it failed.
    let error = command.args(args).envs(missing.iter().copied()).exec();
    let _ = writeln!(
        std::io::stderr(),
        "warning: running with glibc's default malloc settings (re-executing with {missing:?} failed: {error})"
    );
}

/// Most threads tokio's blocking pool may start in `serve`. The embedded backend runs at
/// most a few SQLite calls per database at once (readers and a writer, each waiting its
/// turn without a thread), but under a stream of short calls tokio starts a new thread
/// whenever none is idle at that instant: with 64 allowed, a vote run kept about 50, each
/// with its stack and, with glibc, often its own malloc arena (BENCHMARKS.md). 16 is
/// still several times what the calls can use at once.
const MAX_BLOCKING_THREADS: usize = 16;

/// `serve`: settings, listener, ports, then the server until a shutdown signal.
fn serve(mut settings: AppSettings, args: &ServeArgs) -> anyhow::Result<()> {
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
        // Blocking work is SQLite calls and media jobs (see MAX_BLOCKING_THREADS).
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let settings = Arc::new(settings);
        let ports = tourney_wiring::open(&settings).await?;
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
        let worker_task = if args.no_worker {
            tracing::info!("serving without an in-process worker (--no-worker): scoring and media jobs wait for `tourney-server worker`");
            None
        } else {
            let worker = Worker::new(
                state.game.clone(),
                Duration::from_secs(settings.app.score_interval_secs),
            );
            let stop = stop.clone();
            Some(tokio::spawn(async move { worker.run(stopped(stop)).await }))
        };
        let (address, server) = tourney_server::serve_on(state, listener, stopped(stop)).await?;
        let _ = writeln!(
            std::io::stdout(),
            "serving on http://{address} (docs at http://{address}/docs)"
        );
        server.await.context("the server task failed")?;
        match worker_task {
            Some(task) => task.await.context("the worker task failed"),
            None => Ok(()),
        }
    })
}

/// Runs `task` on a fresh runtime over the ports and game the settings describe, as
/// `serve` opens them.
fn with_game<T, F>(
    settings: AppSettings,
    task: impl FnOnce(Arc<AppSettings>, Ports, Game) -> F,
) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let settings = Arc::new(settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let ports = tourney_wiring::open(&settings).await?;
        tourney_wiring::load_datasets(&ports, &settings).await?;
        let game = tourney_wiring::game(&ports, &settings)?;
        task(settings, ports, game).await
    })
}

/// `init-aws`: creates the AWS resources the settings name, printing one line each.
fn init_aws(settings: &AppSettings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let created = runtime.block_on(tourney_wiring::init_aws(settings))?;
    let mut stdout = std::io::stdout().lock();
    if created.is_empty() {
        writeln!(stdout, "no AWS backend is configured: nothing to create")?;
    }
    for resource in created {
        writeln!(stdout, "ready: {resource}")?;
    }
    Ok(())
}

/// `worker`: the worker's loop alone.
fn worker(settings: AppSettings, args: &WorkerArgs) -> anyhow::Result<()> {
    let drain = args.drain;
    with_game(settings, |settings, _, game| async move {
        let worker = Worker::new(game, Duration::from_secs(settings.app.score_interval_secs));
        if drain {
            let steps = worker.drain().await?;
            tracing::info!(steps, "drained: nothing left to do");
        } else {
            worker.run(tourney_worker::shutdown_signal()).await;
        }
        Ok(())
    })
}

/// `seed-demo`: opens the ports as `serve` does and seeds them.
fn seed_demo(settings: AppSettings, args: &SeedArgs) -> anyhow::Result<()> {
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
    with_game(settings, |settings, _, game| async move {
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

/// `create-admin`: a new named admin, or the role for an existing user.
fn create_admin(settings: AppSettings, args: CreateAdminArgs) -> anyhow::Result<()> {
    with_game(settings, |_, _, game| async move {
        let mut out = std::io::stdout();
        match (args.name, args.user) {
            (Some(name), _) => {
                let (user_id, token) = game
                    .create_admin(&name, tourney_worker::now(), &mut rand::rng())
                    .await
                    .with_context(|| format!("creating the admin {name:?}"))?;
                let _ = writeln!(out, "admin {name:?} created");
                let _ = writeln!(out, "id: {user_id}");
                let _ = writeln!(out, "token: {token}");
                let _ = writeln!(
                    out,
                    "keep the token: it is shown once (sign in with it as a Bearer token)"
                );
            }
            (None, Some(user)) => {
                let user_id = tourney_core::UserId::parse(&user)
                    .with_context(|| format!("--user {user:?} is not a user id"))?;
                game.set_role(user_id, Role::Admin)
                    .await
                    .with_context(|| format!("giving user {user_id} the admin role"))?;
                let _ = writeln!(out, "user {user_id} is an admin");
            }
            (None, None) => anyhow::bail!("give --name NAME or --user ID"),
        }
        Ok(())
    })
}

/// `rescore`: the vote log replayed, checked or applied.
fn rescore(settings: AppSettings, args: &RescoreArgs) -> anyhow::Result<()> {
    let mode = if args.check {
        RescoreMode::Check
    } else {
        RescoreMode::Apply
    };
    let differing = with_game(settings, |_, _, game| async move {
        let report = game
            .rescore(mode, |periods| {
                if periods % 100 == 0 {
                    tracing::info!(periods, "replaying the vote log");
                }
            })
            .await
            .context("replaying the vote log")?;
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "replayed {} periods: {} votes counted, {} skipped, {} photos",
            report.periods, report.n_votes, report.n_skipped, report.n_photos
        );
        for difference in &report.differing {
            let (r, rd, wins, losses) = difference.stored;
            let (r2, rd2, wins2, losses2) = difference.replayed;
            let _ = writeln!(
                out,
                "photo {}: stored {r:.3}/{rd:.3} {wins}-{losses}, replayed {r2:.3}/{rd2:.3} {wins2}-{losses2}",
                difference.photo_id
            );
        }
        let _ = match mode {
            RescoreMode::Check => writeln!(
                out,
                "{} photos differ from the replay",
                report.differing.len()
            ),
            RescoreMode::Apply => writeln!(
                out,
                "{} photos differed; {} records written",
                report.differing.len(),
                report.written
            ),
        };
        Ok(mode == RescoreMode::Check && !report.differing.is_empty())
    })?;
    if differing {
        anyhow::bail!("the stored ratings differ from the vote log's replay (see above)");
    }
    Ok(())
}

/// `reindex-places`: reload the places dataset.
fn reindex_places(settings: AppSettings, args: &ReindexPlacesArgs) -> anyhow::Result<()> {
    with_game(settings, |settings, ports, _| async move {
        let (source, loaded) =
            tourney_wiring::reindex_places(&ports, &settings, args.csv.as_deref()).await?;
        let total = ports.places.count().await.context("counting places")?;
        let _ = writeln!(
            std::io::stdout(),
            "loaded {loaded} places from {source}; {total} places stored"
        );
        Ok(())
    })
}

/// `reindex-search`: tag lists and the search index rebuilt from the photos.
fn reindex_search(settings: AppSettings) -> anyhow::Result<()> {
    with_game(settings, |_, _, game| async move {
        let report = game
            .reindex_search(|photos| tracing::info!(photos, "reindexing tags"))
            .await
            .context("reindexing tags")?;
        let _ = writeln!(
            std::io::stdout(),
            "reindexed {} photos: {} tag memberships, {} tags",
            report.photos,
            report.memberships,
            report.tags
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
