//! The `tourney-server` binary's maintenance commands, run as a user would: each in its own
//! process over one data directory.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

/// Runs the binary with `args` over `data_dir` on the embedded backend (also in an
/// `OCEAN_SETTINGS=aws_local` run); returns its output.
fn run(data_dir: &std::path::Path, args: &[&str]) -> Output {
    run_logging(data_dir, args, "warn")
}

/// [`run`] logging at `rust_log`.
fn run_logging(data_dir: &std::path::Path, args: &[&str], rust_log: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tourney-server"))
        .args(args)
        .env_remove("OCEAN_SETTINGS")
        .env("OCEAN__DATA_DIR", data_dir)
        .env("RUST_LOG", rust_log)
        .output()
        .expect("run tourney-server")
}

/// Log lines are written by a thread of their own; the line logged just before the binary
/// exits still reaches stderr.
#[test]
fn the_last_log_line_reaches_stderr_before_the_binary_exits() {
    let dir = tempfile::tempdir().unwrap();
    let drained = run_logging(dir.path(), &["worker", "--drain"], "info");
    assert!(drained.status.success(), "{}", stderr(&drained));
    let text = stderr(&drained);
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("drained: nothing left to do"), "{text}");
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let top = run(dir.path(), &["--help"]);
    assert!(top.status.success(), "{}", stderr(&top));
    for (command, option) in [
        ("serve", "--no-worker"),
        ("worker", "--drain"),
        ("seed-demo", "--users"),
        ("create-admin", "--name"),
        ("rescore", "--check"),
        ("reindex-places", "--csv"),
        ("reindex-search", "Usage"),
    ] {
        assert!(stdout(&top).contains(command), "{command} in --help");
        let help = run(dir.path(), &[command, "--help"]);
        assert!(help.status.success(), "{command}: {}", stderr(&help));
        assert!(
            stdout(&help).contains(option),
            "{command} --help: {}",
            stdout(&help)
        );
    }
}

#[test]
fn seed_drain_rescore_admin_and_places_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let seeded = run(
        &data,
        &[
            "seed-demo",
            "--users",
            "6",
            "--judges",
            "2",
            "--rounds",
            "1",
            "--seed",
            "5",
        ],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    assert!(
        stdout(&seeded).starts_with("seeded 8 users, 6 photos, "),
        "{}",
        stdout(&seeded)
    );

    let drained = run(&data, &["worker", "--drain"]);
    assert!(drained.status.success(), "{}", stderr(&drained));

    let check = run(&data, &["rescore", "--check"]);
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let text = stdout(&check);
    assert!(text.contains("0 photos differ from the replay"), "{text}");
    let counted: u32 = text
        .split_once(" periods: ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .and_then(|(votes, _)| votes.parse().ok())
        .expect("a vote count");
    assert!(counted > 0, "the seeded votes were replayed: {text}");
    let applied = run(&data, &["rescore"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(
        stdout(&applied).contains("0 photos differed; 0 records written"),
        "{}",
        stdout(&applied)
    );

    let admin = run(&data, &["create-admin", "--name", "Boss"]);
    assert!(admin.status.success(), "{}", stderr(&admin));
    let text = stdout(&admin);
    let token = text
        .lines()
        .find_map(|line| line.strip_prefix("token: "))
        .expect("a token line");
    assert_eq!(token.len(), 32, "{text}");
    let again = run(&data, &["create-admin", "--name", "boss"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("taken"), "{}", stderr(&again));
    let neither = run(&data, &["create-admin"]);
    assert!(!neither.status.success(), "--name or --user is required");

    let csv = dir.path().join("places.csv");
    std::fs::write(
        &csv,
        "id,name,region,country,lat,lon,population\nq1,Quietville,CA,us,35.5,-117.5,12\n",
    )
    .unwrap();
    let search = run(&data, &["reindex-search"]);
    assert!(search.status.success(), "{}", stderr(&search));
    assert!(
        stdout(&search).starts_with("reindexed 6 photos: "),
        "{}",
        stdout(&search)
    );

    let places = run(&data, &["reindex-places", "--csv", csv.to_str().unwrap()]);
    assert!(places.status.success(), "{}", stderr(&places));
    assert!(
        stdout(&places).starts_with("loaded 1 places from "),
        "{}",
        stdout(&places)
    );
}

/// Plain `serve` runs a worker in its process (which says so when it stops); with
/// `--no-worker` it serves HTTP only, for deployments that run `worker` processes beside it.
#[test]
fn serve_runs_an_in_process_worker_unless_told_not_to() {
    for (extra, runs_a_worker) in [(None, true), (Some("--no-worker"), false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tourney-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("OCEAN_SETTINGS")
            .env("OCEAN__DATA_DIR", dir.path())
            .env("OCEAN__PLACES__LOAD_DEFAULT_DATASET", "false")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tourney-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the first line");
        assert!(line.starts_with("serving on http://"), "{line:?}");
        let terminated = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(terminated.success());
        let stopped = child.wait_with_output().expect("the server exits");
        let log = stderr(&stopped);
        assert!(stopped.status.success(), "{log}");
        assert_eq!(
            log.contains("worker stopping"),
            runs_a_worker,
            "{extra:?}: {log}"
        );
        assert_eq!(
            log.contains("without an in-process worker"),
            !runs_a_worker,
            "{extra:?}: {log}"
        );
    }
}
