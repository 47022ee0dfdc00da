//! Votes scored per second by the worker's scoring step on the embedded backend, with the
//! time split of each `Game::score_period`.
//!
//! ```sh
//! cargo run --release -p benches --bin scoring-throughput -- --votes 10000 --photos 100000
//! cargo run --release -p benches --bin scoring-throughput -- --help
//! ```
//!
//! Seeding is not timed. One template photo is made through the use cases (user, photo,
//! processing); the other photos are copies of its stored item written straight through the
//! records port (own id, owner and content hash, index keys laid out as the game lays them
//! out), and the votes are `VoteEvent`s appended straight to the `votes` stream, as
//! `Game::vote` appends them. Then (not timed either) every photo plays one game in warm-up
//! periods, so each is stored as the game stores a photo it has rated: its index keys as
//! `PhotoRecord::to_item` lays them out (the copies' global-pool shard is not the game's, so
//! the first rating update of a copy would move its index entries, which a rating update of
//! a photo the game wrote never does) and an applied period, as a long-running worker meets
//! them. Then each run appends `--votes` votes between random pairs of photos and times one
//! period scoring them all.
//!
//! `--floor` times, instead, the storage work no exactly-once scoring layout on this store
//! can skip, in the same records store and shape: one small rating record (about 100 bytes,
//! not the photo's whole record) read and written back, conditionally, for each photo the
//! votes touch (commits of 99, 16 in flight, as scoring sends its photo writes), and one
//! marker per vote (a resent vote must be recognised in any later period). No decoding,
//! rating, wins, owners or checkpoint: what votes/s this reaches bounds any layout.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::embedded_game::{Seeding, game_in, seed_photos};
use futures_util::{StreamExt as _, TryStreamExt as _};
use ocean::Stream;
use ocean::records::{Condition, Item, Key, MAX_COMMIT_WRITES, Records as _, Write};
use ocean::stream::NewRecord;
use ocean_embedded::{EmbeddedRecords, EmbeddedStream};
use rand::rngs::SmallRng;
use rand::{RngExt as _, SeedableRng};
use tourney_core::service::{GameConfig, VOTES_STREAM};
use tourney_core::{PhotoId, Timestamp, UserId};

const HELP: &str = "\
scoring-throughput: votes scored per second by one rating period on the embedded backend

USAGE: scoring-throughput [--votes N] [--photos M] [--photos-per-owner K] [--runs R] [--floor]

  --votes N             votes per period (default 10000)
  --photos M            photos the votes are spread over (default 200)
  --photos-per-owner K  photos each owner has (default 10)
  --runs R              periods to time, each over N fresh votes (default 3)
  --floor               time only the storage work any scoring layout needs: read and
                        write back a small rating record per photo the votes touch, and
                        write a marker per vote (no game, no decoding, no rating)
  -h, --help            this text

Seeding (photos written through the records port, votes appended to the stream) is not
timed, and neither are the warm-up periods that rate every photo once. Each run prints
the period's time, votes/s, the process's CPU time and the split of Game::score_period.";

/// Most records one stream append takes.
const APPEND_BATCH: usize = ocean::stream::MAX_APPEND_RECORDS;

struct Options {
    votes: usize,
    photos: usize,
    photos_per_owner: usize,
    runs: usize,
    floor: bool,
}

fn options() -> Result<Option<Options>> {
    let mut options = Options {
        votes: 10_000,
        photos: 200,
        photos_per_owner: 10,
        runs: 3,
        floor: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let target = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--floor" => {
                options.floor = true;
                continue;
            }
            "--votes" => &mut options.votes,
            "--photos" => &mut options.photos,
            "--photos-per-owner" => &mut options.photos_per_owner,
            "--runs" => &mut options.runs,
            other => bail!("unknown argument {other:?}\n\n{HELP}"),
        };
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        *target = value
            .replace('_', "")
            .parse()
            .with_context(|| format!("{flag} {value:?}: not a number"))?;
    }
    if options.photos < 2 || options.votes == 0 || options.photos_per_owner == 0 {
        bail!("use --photos >= 2, --votes >= 1, --photos-per-owner >= 1");
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> Result<()> {
    let Some(options) = options()? else {
        writeln!(std::io::stdout(), "{HELP}")?;
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let records = Arc::new(EmbeddedRecords::open(dir.path())?);
    if options.floor {
        return floor(records.as_ref(), &options).await;
    }
    let stream = Arc::new(EmbeddedStream::open(dir.path())?);
    let config = GameConfig {
        default_place: "la".to_owned(),
        max_votes_per_period: u32::try_from(options.votes)?,
        ..GameConfig::default()
    };
    let game = game_in(dir.path(), records.clone(), stream.clone(), config).await?;
    let mut rng = SmallRng::seed_from_u64(1);
    let now = Timestamp::from_millis(1_800_000_000_000);

    let seed_started = Instant::now();
    let seeding = Seeding {
        photos: options.photos,
        photos_per_owner: options.photos_per_owner,
        posted_over: Duration::ZERO,
        random_ratings: false,
    };
    let photo_ids = seed_photos(&game, records.as_ref(), &seeding, now, &mut rng).await?;
    let seeded_photos = seed_started.elapsed();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} photos of {} owners seeded in {:.1} s (not timed below)",
        photo_ids.len(),
        photo_ids.len().div_ceil(options.photos_per_owner),
        seeded_photos.as_secs_f64()
    )?;
    let warm_up_started = Instant::now();
    let n_warm_up_periods = warm_up(&game, stream.as_ref(), &photo_ids, now).await?;
    writeln!(
        out,
        "every photo rated once in {n_warm_up_periods} warm-up periods in {:.1} s \
         (not timed below)",
        warm_up_started.elapsed().as_secs_f64()
    )?;

    for run in 1..=options.runs {
        let at = Timestamp::from_millis(now.millis() + 60_000 * i64::try_from(run)?);
        append_votes(stream.as_ref(), &photo_ids, options.votes, at, &mut rng).await?;
        let mut phases: Vec<(&'static str, Instant)> = Vec::with_capacity(8);
        let cpu_before = process_cpu();
        let started = Instant::now();
        let report = game
            .score_period_observed(at, |phase| phases.push((phase, Instant::now())))
            .await?;
        let elapsed = started.elapsed();
        let cpu = process_cpu()
            .zip(cpu_before)
            .map_or("?".to_owned(), |(after, before)| millis(after - before));
        anyhow::ensure!(report.n_votes == options.votes, "every vote scored once");
        let mut split = String::new();
        let mut previous = started;
        for (phase, ended) in &phases {
            let took = ended.duration_since(previous);
            previous = *ended;
            split.push_str(&format!(" {phase} {}", millis(took)));
        }
        writeln!(
            out,
            "run {run}: {} votes over {} photos ({} rated) in {:.3} s = {:.0} votes/s \
             (cpu {cpu});{split}",
            options.votes,
            photo_ids.len(),
            report.n_photos,
            elapsed.as_secs_f64(),
            options.votes as f64 / elapsed.as_secs_f64(),
        )?;
        out.flush()?;
    }
    let idle = game.score_period(now).await?;
    anyhow::ensure!(idle.idle, "nothing left after the runs");
    Ok(())
}

/// `--floor`: the storage work of `options.runs` periods on small rating records.
async fn floor(records: &EmbeddedRecords, options: &Options) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(1);
    let rating_key = |photo: usize| Key::new(format!("f#{photo:08}"), "rating");
    let rating_body = |rng: &mut SmallRng| {
        let rating: [f64; 3] = rng.random();
        let games: [u32; 2] = rng.random();
        format!(
            r#"{{"mu":{},"phi":{},"sigma":{},"wins":{},"losses":{},"period":"0000000001"}}"#,
            rating[0], rating[1], rating[2], games[0], games[1]
        )
        .into_bytes()
    };
    let seeded: Vec<Write> = (0..options.photos)
        .map(|photo| Write::put(Item::new(rating_key(photo), 1, rating_body(&mut rng))))
        .collect();
    for chunk in seeded.chunks(10_000) {
        records.write_batch(chunk.to_vec()).await?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} rating records seeded (not timed)", options.photos)?;
    for run in 1..=options.runs {
        let mut photos: Vec<usize> = (0..options.votes * 2)
            .map(|_| rng.random_range(0..options.photos))
            .collect();
        photos.sort_unstable();
        photos.dedup();
        let keys: Vec<Key> = photos.iter().map(|photo| rating_key(*photo)).collect();
        let started = Instant::now();
        let stored = records.get_many(&keys).await?;
        let read = started.elapsed();
        let mut writes = Vec::with_capacity(keys.len());
        for (key, item) in keys.into_iter().zip(stored) {
            let version = item.context("a seeded rating record")?.version;
            writes.push(Write::Put {
                item: Item::new(key, version + 1, rating_body(&mut rng)),
                condition: Condition::VersionIs(version),
            });
        }
        let commits: Vec<Vec<Write>> = writes
            .chunks(MAX_COMMIT_WRITES - 1)
            .map(<[Write]>::to_vec)
            .collect();
        let write_started = Instant::now();
        futures_util::stream::iter(commits)
            .map(|commit| records.commit(commit))
            .buffer_unordered(16)
            .try_collect::<()>()
            .await?;
        let written = write_started.elapsed();
        let markers: Vec<Write> = (0..options.votes)
            .map(|_| {
                let vote_id = format!("{:032x}", rng.random::<u128>());
                Write::put(Item::new(
                    Key::new(format!("v#{vote_id}"), "scored"),
                    1,
                    br#"{"period":"0000000002"}"#.to_vec(),
                ))
            })
            .collect();
        let markers_started = Instant::now();
        records.write_batch(markers).await?;
        let marked = markers_started.elapsed();
        let elapsed = started.elapsed();
        writeln!(
            out,
            "floor run {run}: {} votes over {} photos ({} rated) in {:.3} s = {:.0} votes/s; \
             read {} write {} markers {}",
            options.votes,
            options.photos,
            photos.len(),
            elapsed.as_secs_f64(),
            options.votes as f64 / elapsed.as_secs_f64(),
            millis(read),
            millis(written),
            millis(marked),
        )?;
        out.flush()?;
    }
    Ok(())
}

/// Scores one game for each photo (the photos paired in turn; the last one twice when there
/// is an odd number) at `now`, in as many periods as it takes. Returns the periods scored.
async fn warm_up(
    game: &tourney_core::service::Game,
    stream: &EmbeddedStream,
    photo_ids: &[PhotoId],
    now: Timestamp,
) -> Result<usize> {
    let votes = photo_ids.chunks(2).enumerate().map(|(pair_idx, pair)| {
        let (left, right) = match pair {
            [left, right] => (*left, *right),
            _ => (photo_ids[0], pair[0]),
        };
        VoteEvent {
            vote_id: format!("{pair_idx:032x}"),
            judge: format!("{:032x}", pair_idx + 1),
            left,
            right,
            left_wins: pair_idx % 2 == 0,
            at: now,
        }
    });
    append_all(stream, votes).await?;
    let mut n_periods = 0;
    while !game.score_period(now).await?.idle {
        n_periods += 1;
    }
    Ok(n_periods)
}

/// CPU time (user + system, every thread) this process has used so far, from Linux's
/// `/proc/self/stat` (in clock ticks, 100 a second on Linux); `None` elsewhere. On a machine
/// shared with other work it says how much of a period's wall time was this process's own.
fn process_cpu() -> Option<Duration> {
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): state is
    // field 3, utime 14 and stime 15.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split(' ').skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

fn millis(duration: Duration) -> String {
    format!("{:.1}ms", duration.as_secs_f64() * 1e3)
}

/// Appends `n_votes` votes between random pairs of `photo_ids`, as `Game::vote` does.
async fn append_votes(
    stream: &EmbeddedStream,
    photo_ids: &[PhotoId],
    n_votes: usize,
    at: Timestamp,
    rng: &mut SmallRng,
) -> Result<()> {
    let votes: Vec<VoteEvent> = (0..n_votes)
        .map(|_| {
            let left = photo_ids[rng.random_range(0..photo_ids.len())];
            let mut right = left;
            while right == left {
                right = photo_ids[rng.random_range(0..photo_ids.len())];
            }
            VoteEvent {
                vote_id: format!("{:032x}", rng.random::<u128>()),
                judge: UserId::generate(at, rng).to_string(),
                left,
                right,
                left_wins: rng.random::<bool>(),
                at,
            }
        })
        .collect();
    append_all(stream, votes).await
}

/// A vote as `Game::vote` appends it to the `votes` stream.
struct VoteEvent {
    vote_id: String,
    judge: String,
    left: PhotoId,
    right: PhotoId,
    left_wins: bool,
    at: Timestamp,
}

/// Appends `votes` to the `votes` stream in batches of [`APPEND_BATCH`].
async fn append_all(
    stream: &EmbeddedStream,
    votes: impl IntoIterator<Item = VoteEvent>,
) -> Result<()> {
    let mut batch = Vec::with_capacity(APPEND_BATCH);
    for vote in votes {
        let event = serde_json::json!({
            "vote_id": vote.vote_id,
            "judge": vote.judge,
            "left": vote.left.to_string(),
            "right": vote.right.to_string(),
            "winner_side": if vote.left_wins { "left" } else { "right" },
            "at": vote.at.millis(),
        });
        batch.push(NewRecord {
            partition_key: format!("{}-{}", vote.left, vote.right),
            data: serde_json::to_vec(&event)?,
        });
        if batch.len() == APPEND_BATCH {
            stream
                .append(VOTES_STREAM, std::mem::take(&mut batch))
                .await?;
        }
    }
    if !batch.is_empty() {
        stream.append(VOTES_STREAM, batch).await?;
    }
    Ok(())
}
