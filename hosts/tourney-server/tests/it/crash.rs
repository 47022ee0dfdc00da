//! Crash safety: the real binary's server and worker(s) run as separate processes over one
//! set of storage while judges vote through the API, and the workers (and now and then the
//! server) are killed with SIGKILL at random moments and restarted at once. When the votes
//! are in, a fresh `worker --drain` finishes the scoring and the outcome is checked: every
//! vote the API acknowledged was scored exactly once (`rescore --check` replays the vote
//! log into exactly the stored ratings and counts each acknowledged vote once), every
//! photo's and every owner's wins and losses add up to the votes, and every vote left one
//! win in its owner's list.
//!
//! The server always runs a worker in-process (no setting turns it off); the harness gives
//! the server `app.score_interval_secs = 86400`, so that worker steps only after a (re)start
//! until it first finds nothing to do, then sleeps. Right after a server restart it may
//! therefore score beside the separate worker(s) for a few steps, and a server kill may cut
//! one of its steps short: both are cases the scoring must survive too.
//!
//! Small by default. Sized by environment variables: `CRASH_VOTES` (votes to cast),
//! `CRASH_KILLS` (worker kills), `CRASH_SERVER_KILLS`, `CRASH_SEED` (the seed of the kill
//! schedule and the judges' choices; printed), `CRASH_CLIENTS` (judges voting at once),
//! `CRASH_BIN` (the binary to run, such as `target/release/tourney-server`; default: this
//! build's) and `CRASH_LOGS` (a directory to keep the processes' logs in; default: a
//! temporary one). Runs on the suite's backends: embedded, or the AWS-protocol servers with
//! `OCEAN_SETTINGS=aws_local`.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tourney_wiring::AppSettings;

use crate::support::{
    KeepAlive, TestResponse, TestServer, add_test_places, port_env, ready_photos,
};

/// Votes one judge casts before the next judge signs up (each judge sees each pair once).
const VOTES_PER_JUDGE: u64 = 300;
/// The server's `app.score_interval_secs`: its in-process worker sleeps this long once idle.
const SERVER_SCORE_INTERVAL_SECS: &str = "86400";
/// The workers' `app.score_interval_secs`: no pause, so a kill lands inside a step.
const WORKER_SCORE_INTERVAL_SECS: &str = "0";
/// Longest a request may keep failing (the server restarting) before the test gives up.
const MAX_OUTAGE: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_at_random_moments_scores_every_vote_exactly_once() {
    let plan = if crate::backends::aws_local() {
        Plan::from_env(1, 300, 5, 1)
    } else {
        Plan::from_env(1, 2_000, 10, 2)
    };
    run(plan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_killed_at_random_moments_score_every_vote_exactly_once() {
    let plan = if crate::backends::aws_local() {
        Plan::from_env(2, 300, 6, 1)
    } else {
        Plan::from_env(2, 2_000, 10, 1)
    };
    run(plan).await;
}

/// How big a run is.
#[derive(Debug, Clone)]
struct Plan {
    /// Votes to cast at least (judges voting at once may each add a last tournament's 15).
    votes: u64,
    /// Worker kills.
    worker_kills: u64,
    /// Server kills.
    server_kills: u64,
    /// Seed of the kill schedule and the judges' choices.
    seed: u64,
    /// Judges voting at once.
    clients: u64,
    /// Separate worker processes running at once.
    workers: usize,
    /// Photos competing (one owner each).
    photos: u64,
}

impl Plan {
    /// The test's defaults, overridden by the `CRASH_*` variables.
    fn from_env(workers: usize, votes: u64, worker_kills: u64, server_kills: u64) -> Self {
        let number = |name: &str, default: u64| match std::env::var(name) {
            Ok(text) => text
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}={text:?} is not a whole number")),
            Err(_) => default,
        };
        let clock_seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs());
        Self {
            votes: number("CRASH_VOTES", votes),
            worker_kills: number("CRASH_KILLS", worker_kills),
            server_kills: number("CRASH_SERVER_KILLS", server_kills),
            seed: number("CRASH_SEED", clock_seed),
            clients: number("CRASH_CLIENTS", 8).max(1),
            workers,
            photos: 32,
        }
    }
}

/// The whole run: set up, vote under kills, drain, check, report.
async fn run(plan: Plan) {
    let started = Instant::now();
    let scratch = tempfile::tempdir().expect("a temporary dir");
    let logs =
        std::env::var_os("CRASH_LOGS").map_or_else(|| scratch.path().join("logs"), PathBuf::from);
    std::fs::create_dir_all(&logs).expect("a logs dir");
    report(&format!(
        "crash run: {plan:?} (CRASH_SEED={} repeats its schedule and choices)",
        plan.seed
    ));

    // Photos and their owners through an in-process server on the run's storage.
    let mut captured: Option<AppSettings> = None;
    let data_dir = scratch.path().join("data");
    let setup = TestServer::start_with(
        |settings| {
            settings.data_dir = data_dir.clone();
            captured = Some(settings.clone());
        },
        |state| state,
    )
    .await;
    let settings = captured.expect("the settings were captured");
    add_test_places(&setup).await;
    let owners: Vec<String> = ready_photos(&setup, plan.photos, 4_000)
        .await
        .into_iter()
        .map(|photo| photo.owner_token)
        .collect();
    setup.stop().await;

    let binary = Binary {
        path: std::env::var_os("CRASH_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_tourney-server")),
            PathBuf::from,
        ),
        env: port_env(&settings),
        logs,
    };
    let mut cluster = Cluster::start(binary, plan.workers);
    let shared = Arc::new(Shared::new(cluster.address, plan.votes));

    let judges: Vec<_> = (0..plan.clients)
        .map(|n| {
            let shared = Arc::clone(&shared);
            let seed = plan.seed.wrapping_mul(1_000_003).wrapping_add(n);
            tokio::spawn(async move { judge(&shared, seed).await })
        })
        .collect();
    let schedule = schedule(&plan);
    let supervisor = {
        let shared = Arc::clone(&shared);
        let seed = plan.seed;
        tokio::task::spawn_blocking(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                cluster.follow(&schedule, &shared, seed);
            }));
            (cluster, outcome)
        })
    };
    let mut judge_failure = None;
    for judge in judges {
        if let Err(error) = judge.await {
            judge_failure.get_or_insert(error);
        }
    }
    shared.finished.store(true, Ordering::SeqCst);
    let (mut cluster, supervised) = supervisor.await.expect("the supervisor thread");
    if let Err(panic) = supervised {
        std::panic::resume_unwind(panic);
    }
    if let Some(error) = judge_failure {
        panic!("a judge failed: {error}");
    }
    let voting = started.elapsed();
    let accepted = shared.accepted.load(Ordering::SeqCst);
    let server_errors = shared.server_errors.lock().expect("lock").clone();
    assert!(
        server_errors.is_empty(),
        "{} answers were 5xx, such as {:?}",
        server_errors.len(),
        server_errors.first()
    );

    // Stop everything, let a fresh worker finish, then read the outcome with nothing
    // scoring: wins and losses through the API, and the vote log replayed.
    let drain_started = Instant::now();
    let (drained, rescore, address) = tokio::task::block_in_place(|| {
        cluster.kill_workers();
        cluster.stop_server();
        cluster.binary.check(&["worker", "--drain"], "drain.log");
        let drained = drain_started.elapsed();
        let rescore = cluster.binary.run(&["rescore", "--check"], "rescore.log");
        (drained, rescore, cluster.start_server())
    });
    let (totals, listed) = win_totals(address, &owners).await;
    tokio::task::block_in_place(|| cluster.stop_server());
    let acknowledged = std::mem::take(&mut *shared.games.lock().expect("lock"));
    let (missing, extra) = compare_games(&acknowledged, &listed);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "each acknowledged vote left exactly one win: {} missing (first: {:?}), {} unexplained \
         (first: {:?}); logs in {}\n{}",
        missing.len(),
        missing.iter().take(5).collect::<Vec<_>>(),
        extra.len(),
        extra.iter().take(5).collect::<Vec<_>>(),
        cluster.binary.logs.display(),
        stdout(&rescore),
    );
    assert_eq!(
        totals,
        Totals {
            photo_wins: accepted,
            photo_losses: accepted,
            owner_wins: accepted,
            owner_losses: accepted,
            win_records: accepted,
        },
        "one win and one loss per acknowledged vote"
    );
    let replayed = stdout(&rescore);
    assert!(
        rescore.status.success() && replayed.contains("\n0 photos differ from the replay"),
        "the stored ratings equal the replay of the vote log ({}):\n{replayed}{}",
        rescore.status,
        cluster.binary.tail("rescore.log")
    );
    let replay = Replay::parse(&replayed);
    assert_eq!(
        replay.votes, accepted,
        "the log holds each acknowledged vote once:\n{replayed}"
    );
    let step_failures = cluster.binary.count_in_logs("worker step failed");

    report(&format!(
        "crash run done: seed {seed}, {workers} worker(s); {accepted} votes acknowledged \
         ({tournaments} tournament reports) by {judges} judges in {voting:.1?}; \
         {worker_kills} worker kills, {server_kills} server kills, {restarts} restarts; \
         {failed} requests failed and were retried, {resent} votes answered already_judged \
         on a retry, {limited} rate-limited; drain {drained:.1?}; replay: {periods} periods, \
         {replayed} votes, {skipped} resent records skipped, {photos} photos, 0 differ; \
         wins = losses = win records = votes; {step_failures} failed worker steps logged; \
         total {total:.1?}",
        seed = plan.seed,
        workers = plan.workers,
        tournaments = shared.tournaments.load(Ordering::SeqCst),
        judges = shared.judges.load(Ordering::SeqCst),
        worker_kills = cluster.worker_kills,
        server_kills = cluster.server_kills,
        restarts = cluster.restarts,
        failed = shared.failed_requests.load(Ordering::SeqCst),
        resent = shared.resent.load(Ordering::SeqCst),
        limited = shared.rate_limited.load(Ordering::SeqCst),
        periods = replay.periods,
        replayed = replay.votes,
        skipped = replay.skipped,
        photos = replay.photos,
        total = started.elapsed(),
    ));
    assert_eq!(
        cluster.worker_kills, plan.worker_kills,
        "every worker kill ran"
    );
    assert_eq!(
        cluster.server_kills, plan.server_kills,
        "every server kill ran"
    );
}

/// What the judges and the supervisor share.
struct Shared {
    /// Where the server listens now (it moves with each restart).
    address: RwLock<SocketAddr>,
    /// Votes to cast.
    target: u64,
    /// Votes the API acknowledged (200, or 409 `already_judged` on a retry).
    accepted: AtomicU64,
    /// Tournament reports acknowledged (15 votes each).
    tournaments: AtomicU64,
    /// Judges signed up.
    judges: AtomicU64,
    /// Requests that failed (no connection, no whole answer) and were sent again.
    failed_requests: AtomicU64,
    /// Votes answered 409 `already_judged` on a retry: the lost answer's vote was counted.
    resent: AtomicU64,
    /// Answers 429, waited out and sent again.
    rate_limited: AtomicU64,
    /// Every 5xx answer, as text.
    server_errors: Mutex<Vec<String>>,
    /// Every acknowledged game: (winner, loser) and how the API acknowledged it.
    games: Mutex<Vec<(Game, Ack)>>,
    /// Set once every judge has stopped.
    finished: AtomicBool,
}

impl Shared {
    fn new(address: SocketAddr, target: u64) -> Self {
        Self {
            address: RwLock::new(address),
            target,
            accepted: AtomicU64::new(0),
            tournaments: AtomicU64::new(0),
            judges: AtomicU64::new(0),
            failed_requests: AtomicU64::new(0),
            resent: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            server_errors: Mutex::new(Vec::new()),
            games: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
        }
    }

    fn done(&self) -> bool {
        self.accepted.load(Ordering::SeqCst) >= self.target
    }

    fn address(&self) -> SocketAddr {
        *self.address.read().expect("the address lock")
    }

    /// Counts the `games` acknowledged by `response` to `what` (sent again after a
    /// failure when `retried`); anything else fails the test.
    fn acknowledge(&self, what: &str, response: &TestResponse, retried: bool, games: Vec<Game>) {
        let ack = match response.status {
            200 if retried => Ack::AfterRetry,
            200 => Ack::AtOnce,
            409 if retried && response.json()["error"] == "already_judged" => {
                self.resent.fetch_add(1, Ordering::SeqCst);
                Ack::AlreadyJudged
            }
            status => panic!("{what}: {status} {}", response.text()),
        };
        let n_games = games.len() as u64;
        self.games
            .lock()
            .expect("lock")
            .extend(games.into_iter().map(|game| (game, ack)));
        self.accepted.fetch_add(n_games, Ordering::SeqCst);
    }
}

/// One game as a vote decided it: (winning photo, losing photo).
type Game = (String, String);

/// How the API acknowledged a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ack {
    /// 200 to the first attempt.
    AtOnce,
    /// 200 to an attempt after a failed one.
    AfterRetry,
    /// 409 `already_judged` to an attempt after a failed one: the first was counted.
    AlreadyJudged,
}

/// Sends a request until it gets an answer below 500 (the server may be down or moving);
/// returns the answer and whether the request had to be sent again.
async fn send(
    shared: &Shared,
    client: &mut KeepAlive,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (TestResponse, bool) {
    let started = Instant::now();
    let mut retried = false;
    let mut failure = String::new();
    loop {
        assert!(
            started.elapsed() < MAX_OUTAGE,
            "{method} {path} kept failing for {MAX_OUTAGE:?}: {failure}"
        );
        failure = match client
            .request(shared.address(), method, path, token, body)
            .await
        {
            Ok(response) if response.status == 429 => {
                shared.rate_limited.fetch_add(1, Ordering::SeqCst);
                let wait = response.header("retry-after").parse().unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                // Refused before anything happened: not a retry of a lost answer.
                failure = format!("{method} {path}: rate limited");
                continue;
            }
            Ok(response) if response.status < 500 => return (response, retried),
            Ok(response) => {
                let text = format!("{method} {path}: {} {}", response.status, response.text());
                shared
                    .server_errors
                    .lock()
                    .expect("lock")
                    .push(text.clone());
                text
            }
            Err(error) => {
                shared.failed_requests.fetch_add(1, Ordering::SeqCst);
                error
            }
        };
        retried = true;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One client: signs up a judge, votes on every match proposed (a random winner) and
/// reports every tournament (random winners), a new judge every [`VOTES_PER_JUDGE`] votes
/// or when the pairs run out, until the run has its votes.
async fn judge(shared: &Shared, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut client = KeepAlive::new();
    while !shared.done() {
        let (created, _) = send(shared, &mut client, "POST", "/v1/users", None, None).await;
        assert_eq!(created.status, 201, "sign up: {}", created.text());
        shared.judges.fetch_add(1, Ordering::SeqCst);
        let token = created.json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let token = Some(token.as_str());
        let mut cast = 0;
        while cast < VOTES_PER_JUDGE && !shared.done() {
            let path = "/v1/users/me/matches";
            let (proposed, _) = send(shared, &mut client, "GET", path, token, None).await;
            if proposed.status == 404 {
                proposed.assert_error(404, "no_unique_matches");
                break;
            }
            assert_eq!(proposed.status, 200, "{path}: {}", proposed.text());
            let proposed = proposed.json();
            for proposal in proposed["matches"].as_array().expect("matches") {
                if shared.done() {
                    break;
                }
                let match_id = proposal["match_id"].as_str().expect("a match id");
                let path = format!("/v1/users/me/matches/{match_id}");
                let a = proposal["photo_a"]["id"]
                    .as_str()
                    .expect("photo a")
                    .to_owned();
                let b = proposal["photo_b"]["id"]
                    .as_str()
                    .expect("photo b")
                    .to_owned();
                let (winner, game) = if rng.random::<bool>() {
                    ("a", (a, b))
                } else {
                    ("b", (b, a))
                };
                let body = json!({ "winner": winner });
                let (voted, retried) =
                    send(shared, &mut client, "PUT", &path, token, Some(&body)).await;
                shared.acknowledge(&path, &voted, retried, vec![game]);
                cast += 1;
            }
            let tournament = &proposed["tournament"];
            if tournament.is_null() || shared.done() {
                continue;
            }
            let id = tournament["id"].as_str().expect("a tournament id");
            let path = format!("/v1/users/me/tournaments/{id}");
            let games = bracket(tournament, &mut rng);
            let winners: Vec<&String> = games.iter().map(|(winner, _)| winner).collect();
            let body = json!({ "winners": winners });
            let (reported, retried) =
                send(shared, &mut client, "PUT", &path, token, Some(&body)).await;
            cast += games.len() as u64;
            shared.acknowledge(&path, &reported, retried, games);
            shared.tournaments.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The 15 games of `tournament` with random winners, in report order: game i < 8 is
/// slots 2i v 2i + 1, game 8 + k the winners of games 2k and 2k + 1.
fn bracket(tournament: &Value, rng: &mut StdRng) -> Vec<Game> {
    let slots: Vec<&str> = tournament["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|photo| photo["id"].as_str().expect("a photo id"))
        .collect();
    assert_eq!(slots.len(), 16, "{tournament}");
    let mut games: Vec<Game> = Vec::with_capacity(15);
    for game in 0..15 {
        let (first, second) = if game < 8 {
            (slots[2 * game].to_owned(), slots[2 * game + 1].to_owned())
        } else {
            let k = 2 * (game - 8);
            (games[k].0.clone(), games[k + 1].0.clone())
        };
        games.push(if rng.random::<bool>() {
            (first, second)
        } else {
            (second, first)
        });
    }
    games
}

/// What a kill hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The separate worker with this number.
    Worker(usize),
    /// The server (and its in-process worker).
    Server,
}

/// A kill once this many votes are acknowledged (then after a random pause of up to 50 ms).
#[derive(Debug, Clone, Copy)]
struct Kill {
    after_votes: u64,
    target: Target,
}

/// The run's kills at random vote counts, in order.
fn schedule(plan: &Plan) -> Vec<Kill> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let targets: Vec<Target> = (0..plan.worker_kills)
        .map(|_| Target::Worker(rng.random_range(0..plan.workers)))
        .chain((0..plan.server_kills).map(|_| Target::Server))
        .collect();
    let mut kills: Vec<Kill> = targets
        .into_iter()
        .map(|target| Kill {
            after_votes: rng.random_range(0..plan.votes.max(1)),
            target,
        })
        .collect();
    kills.sort_by_key(|kill| kill.after_votes);
    kills
}

/// How the harness starts the binary: its path, the storage settings as `OCEAN__`
/// variables, and where each process's log goes.
struct Binary {
    path: PathBuf,
    env: Vec<(String, String)>,
    logs: PathBuf,
}

impl Binary {
    /// A command running the binary with `args`, the run's storage, warnings and errors
    /// logged to `log` (appended) in the logs dir, and none of the test process's settings.
    fn command(&self, args: &[&str], log: &str) -> Command {
        let mut command = Command::new(&self.path);
        command.args(args);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name == "OCEAN_SETTINGS" || name.starts_with("OCEAN__") {
                command.env_remove(name.as_ref());
            }
        }
        command
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(self.log_file(log)));
        command
    }

    fn log_file(&self, log: &str) -> std::fs::File {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(log))
            .expect("open a log file")
    }

    /// Runs the binary with `args` to the end; its output (stdout only: stderr goes to
    /// `log`).
    fn run(&self, args: &[&str], log: &str) -> Output {
        self.command(args, log)
            .stdout(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("run {} {args:?}: {e}", self.path.display()))
    }

    /// [`Binary::run`], checked to succeed.
    fn check(&self, args: &[&str], log: &str) -> Output {
        let output = self.run(args, log);
        assert!(
            output.status.success(),
            "{args:?} failed ({}):\n{}\n{}",
            output.status,
            stdout(&output),
            self.tail(log)
        );
        output
    }

    /// The last lines of `log`.
    fn tail(&self, log: &str) -> String {
        let text = std::fs::read_to_string(self.logs.join(log)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(30);
        format!("--- {log}, last lines:\n{}", lines[from..].join("\n"))
    }

    /// Lines containing `needle` in all the logs.
    fn count_in_logs(&self, needle: &str) -> usize {
        std::fs::read_dir(&self.logs)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
                    .map(|text| text.lines().filter(|line| line.contains(needle)).count())
                    .sum()
            })
            .unwrap_or(0)
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A child process, killed when dropped (so a failing test leaves none behind).
struct Process {
    child: Child,
    log: String,
}

impl Process {
    /// SIGKILL; fails the test if the process had already ended by itself.
    fn kill(mut self, binary: &Binary) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} ended by itself ({status}) before its kill\n{}",
                self.log,
                binary.tail(&self.log)
            );
        }
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap the killed process");
    }

    /// SIGTERM, then waits (at most 60 s) for a clean exit.
    fn stop(mut self, binary: &Binary) {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill -TERM");
        assert!(signalled.success(), "kill -TERM {pid}");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the process") {
                assert!(
                    status.success(),
                    "{} stopped with {status}\n{}",
                    self.log,
                    binary.tail(&self.log)
                );
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} did not stop within 60 s of SIGTERM",
                self.log
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The server and the workers, with what was done to them.
struct Cluster {
    binary: Binary,
    server: Option<Process>,
    address: SocketAddr,
    workers: Vec<Option<Process>>,
    worker_kills: u64,
    server_kills: u64,
    restarts: u64,
}

impl Cluster {
    /// Starts the server and `n_workers` workers.
    fn start(binary: Binary, n_workers: usize) -> Self {
        let mut cluster = Self {
            binary,
            server: None,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: (0..n_workers).map(|_| None).collect(),
            worker_kills: 0,
            server_kills: 0,
            restarts: 0,
        };
        cluster.start_server();
        for n in 0..n_workers {
            cluster.start_worker(n);
        }
        cluster
    }

    /// Starts the server on a free port and waits for it to listen; its address.
    fn start_server(&mut self) -> SocketAddr {
        let log = "server.log";
        let mut child = self
            .binary
            .command(&["serve", "--listen", "127.0.0.1:0"], log)
            .env(
                "OCEAN__APP__SCORE_INTERVAL_SECS",
                SERVER_SCORE_INTERVAL_SECS,
            )
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server");
        let output = child.stdout.take().expect("the server's stdout");
        let (found, listening) = std::sync::mpsc::channel();
        // Reads the whole stdout, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("serving on http://") {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(address.parse::<SocketAddr>());
                }
            }
        });
        let process = Process {
            child,
            log: log.to_owned(),
        };
        let address = match listening.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(address)) => address,
            outcome => panic!(
                "the server did not report its address ({outcome:?})\n{}",
                self.binary.tail(log)
            ),
        };
        self.server = Some(process);
        self.address = address;
        address
    }

    /// Starts worker `n`.
    fn start_worker(&mut self, n: usize) {
        let log = format!("worker-{n}.log");
        let child = self
            .binary
            .command(&["worker"], &log)
            .env(
                "OCEAN__APP__SCORE_INTERVAL_SECS",
                WORKER_SCORE_INTERVAL_SECS,
            )
            .spawn()
            .expect("start a worker");
        self.workers[n] = Some(Process { child, log });
    }

    /// Runs `schedule`: each kill once its vote count is reached (or not at all once the
    /// judges have stopped), the killed process restarted at once.
    fn follow(&mut self, schedule: &[Kill], shared: &Shared, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        for kill in schedule {
            while shared.accepted.load(Ordering::SeqCst) < kill.after_votes {
                if shared.finished.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(rng.random_range(0..50)));
            match kill.target {
                Target::Worker(n) => {
                    let worker = self.workers[n].take().expect("the worker runs");
                    worker.kill(&self.binary);
                    self.worker_kills += 1;
                    std::thread::sleep(Duration::from_millis(rng.random_range(0..100)));
                    self.start_worker(n);
                }
                Target::Server => {
                    let server = self.server.take().expect("the server runs");
                    server.kill(&self.binary);
                    self.server_kills += 1;
                    let address = self.start_server();
                    *shared.address.write().expect("the address lock") = address;
                }
            }
            self.restarts += 1;
        }
    }

    /// Kills every worker (checking each was still running).
    fn kill_workers(&mut self) {
        for worker in &mut self.workers {
            if let Some(worker) = worker.take() {
                worker.kill(&self.binary);
            }
        }
    }

    /// Stops the server with SIGTERM and checks it exits cleanly.
    fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(&self.binary);
        }
    }
}

/// `rescore --check`'s summary line: `replayed P periods: V votes counted, S skipped, N
/// photos`.
#[derive(Debug)]
struct Replay {
    periods: u64,
    votes: u64,
    skipped: u64,
    photos: u64,
}

impl Replay {
    fn parse(output: &str) -> Self {
        let numbers: Vec<u64> = output
            .lines()
            .find(|line| line.starts_with("replayed "))
            .unwrap_or_else(|| panic!("a summary line in {output}"))
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|part| part.parse().ok())
            .collect();
        let [periods, votes, skipped, photos] = numbers[..] else {
            panic!("four numbers in the summary of {output}");
        };
        Self {
            periods,
            votes,
            skipped,
            photos,
        }
    }
}

/// Wins and losses summed over the competing photos and their owners, and the owners'
/// listed wins.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    photo_wins: u64,
    photo_losses: u64,
    owner_wins: u64,
    owner_losses: u64,
    win_records: u64,
}

/// Reads every owner's profile, photos and listed wins from the server at `address`.
async fn win_totals(address: SocketAddr, owners: &[String]) -> (Totals, Vec<Game>) {
    let mut client = KeepAlive::new();
    let mut totals = Totals::default();
    let mut listed = Vec::new();
    for token in owners {
        let me = get_json(&mut client, address, "/v1/users/me", token).await;
        totals.owner_wins += me["wins"].as_u64().expect("wins");
        totals.owner_losses += me["losses"].as_u64().expect("losses");
        let path = "/v1/users/me/photos?count=200";
        let photos = get_json(&mut client, address, path, token).await;
        for photo in photos["items"].as_array().expect("items") {
            totals.photo_wins += photo["wins"].as_u64().expect("wins");
            totals.photo_losses += photo["losses"].as_u64().expect("losses");
        }
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(cursor) => format!("/v1/users/me/wins?count=200&cursor={cursor}"),
                None => "/v1/users/me/wins?count=200".to_owned(),
            };
            let page = get_json(&mut client, address, &path, token).await;
            for win in page["items"].as_array().expect("items") {
                let photo = win["photo_id"].as_str().expect("photo_id").to_owned();
                let opponent = win["opponent_id"].as_str().expect("opponent_id").to_owned();
                listed.push((photo, opponent));
                totals.win_records += 1;
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(crate::support::path_segment(next)),
                None => break,
            }
        }
    }
    (totals, listed)
}

/// The acknowledged games missing from the listed wins (with how each was acknowledged)
/// and the listed wins no acknowledged game explains; both empty when every vote left
/// exactly one win.
fn compare_games(acknowledged: &[(Game, Ack)], listed: &[Game]) -> (Vec<(Game, Ack)>, Vec<Game>) {
    let mut unexplained: HashMap<&Game, usize> = HashMap::new();
    for game in listed {
        *unexplained.entry(game).or_default() += 1;
    }
    let mut missing = Vec::new();
    for (game, ack) in acknowledged {
        match unexplained.get_mut(game) {
            Some(count) if *count > 0 => *count -= 1,
            _ => missing.push((game.clone(), *ack)),
        }
    }
    let extra = unexplained
        .into_iter()
        .flat_map(|(game, count)| std::iter::repeat_n(game.clone(), count))
        .collect();
    (missing, extra)
}

/// `GET path` as `token`, checked to be 200; its JSON.
async fn get_json(client: &mut KeepAlive, address: SocketAddr, path: &str, token: &str) -> Value {
    let response = client
        .request(address, "GET", path, Some(token), None)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

/// Writes a run's figures to the test's output (shown with `--nocapture`).
#[allow(clippy::print_stderr)] // The figures are the long run's report.
fn report(text: &str) {
    eprintln!("{text}");
}
