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
//! `Game::vote` appends them. Then each run appends `--votes` votes between random pairs of
//! photos and times one period scoring them all. Runs after the first meet photos that
//! already carry an applied period, as a long-running worker does.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ocean::places::Place;
use ocean::records::{Index, Item, Key};
use ocean::stream::NewRecord;
use ocean::{Records, Stream};
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, EmbeddedStream, MediaOptions, PlacesOptions, QueueOptions,
};
use rand::rngs::SmallRng;
use rand::{RngExt as _, SeedableRng};
use tourney_core::service::{
    Game, GameConfig, GamePorts, NewPhoto, NewUser, ProcessedMedia, VOTES_STREAM,
};
use tourney_core::{MediaType, PhotoId, Timestamp, UserId};

const HELP: &str = "\
scoring-throughput: votes scored per second by one rating period on the embedded backend

USAGE: scoring-throughput [--votes N] [--photos M] [--photos-per-owner K] [--runs R]

  --votes N             votes per period (default 10000)
  --photos M            photos the votes are spread over (default 200)
  --photos-per-owner K  photos each owner has (default 10)
  --runs R              periods to time, each over N fresh votes (default 3)
  -h, --help            this text

Seeding (photos written through the records port, votes appended to the stream) is not
timed. Each run prints the period's time, votes/s and the split of Game::score_period.";

/// Photos per write batch and votes per append while seeding.
const SEED_BATCH: usize = 5_000;

/// Most records one stream append takes.
const APPEND_BATCH: usize = ocean::stream::MAX_APPEND_RECORDS;

struct Options {
    votes: usize,
    photos: usize,
    photos_per_owner: usize,
    runs: usize,
}

fn options() -> Result<Option<Options>> {
    let mut options = Options {
        votes: 10_000,
        photos: 200,
        photos_per_owner: 10,
        runs: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let target = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
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
    let stream = Arc::new(EmbeddedStream::open(dir.path())?);
    let config = GameConfig {
        default_place: "la".to_owned(),
        max_votes_per_period: u32::try_from(options.votes)?,
        ..GameConfig::default()
    };
    let game = game_in(dir.path(), &records, &stream, config).await?;
    let mut rng = SmallRng::seed_from_u64(1);
    let now = Timestamp::from_millis(1_800_000_000_000);

    let seed_started = Instant::now();
    let photo_ids = seed_photos(&game, records.as_ref(), &options, now, &mut rng).await?;
    let seeded_photos = seed_started.elapsed();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} photos of {} owners seeded in {:.1} s (not timed below)",
        photo_ids.len(),
        photo_ids.len().div_ceil(options.photos_per_owner),
        seeded_photos.as_secs_f64()
    )?;

    for run in 1..=options.runs {
        let at = Timestamp::from_millis(now.millis() + 60_000 * i64::try_from(run)?);
        append_votes(stream.as_ref(), &photo_ids, options.votes, at, &mut rng).await?;
        let mut phases: Vec<(&'static str, Instant)> = Vec::with_capacity(8);
        let started = Instant::now();
        let report = game
            .score_period_observed(at, |phase| phases.push((phase, Instant::now())))
            .await?;
        let elapsed = started.elapsed();
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
            "run {run}: {} votes over {} photos ({} rated) in {:.3} s = {:.0} votes/s;{split}",
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

fn millis(duration: Duration) -> String {
    format!("{:.1}ms", duration.as_secs_f64() * 1e3)
}

/// Makes one photo through the use cases, then `options.photos - 1` copies of its item
/// through the records port, and returns every photo's id.
async fn seed_photos(
    game: &Game,
    records: &EmbeddedRecords,
    options: &Options,
    now: Timestamp,
    rng: &mut SmallRng,
) -> Result<Vec<PhotoId>> {
    let (owner, _) = game.create_user(NewUser::default(), now, rng).await?;
    let new_photo = NewPhoto {
        category: None,
        media_type: MediaType::Photo,
        content_type: "image/jpeg".to_owned(),
        enter_in_tournament: true,
        set_as_profile_photo: false,
        location: None,
        is_test: false,
        tags: Vec::new(),
    };
    let created = game.create_photo(owner, new_photo, now, rng).await?;
    let ready = ProcessedMedia::Ready {
        content_hash: "hash-template".to_owned(),
        renditions: Vec::new(),
    };
    let template_id = created.photo_id;
    game.finish_processing(&template_id.to_string(), ready)
        .await?;
    let template = records
        .get(&photo_key(&template_id.to_string()))
        .await?
        .context("the template photo is stored")?;
    let body: serde_json::Value = serde_json::from_slice(&template.body)?;
    let category = body["category"]
        .as_str()
        .context("a photo has a category")?
        .to_owned();
    let created_at = body["created_at"]
        .as_i64()
        .context("a photo has created_at")?;
    let [_, local, regional, _] = &template.index_keys;
    let (Some(local), Some(regional)) = (local, regional) else {
        bail!("the template photo is in its pools");
    };

    let mut photo_ids = vec![template_id];
    let mut batch = Vec::with_capacity(SEED_BATCH);
    let mut owner = UserId::generate(now, rng).to_string();
    for n in 1..options.photos {
        if n % options.photos_per_owner == 0 {
            owner = UserId::generate(now, rng).to_string();
        }
        let photo_id = PhotoId::generate(now, rng);
        let id = photo_id.to_string();
        let mut body = body.clone();
        body["id"] = id.clone().into();
        body["owner"] = owner.clone().into();
        body["content_hash"] = format!("hash-{n}").into();
        let posted = format!("{:015}#{id}", created_at.max(0));
        // The global pool's shard is a hash of the id in the game; any of its 8 shards
        // costs the same here, and scoring rewrites the item with the game's own keys.
        let item = Item::new(photo_key(&id), 1, serde_json::to_vec(&body)?)
            .with_index_key(index(0), Key::new(format!("o#{owner}"), posted.clone()))
            .with_index_key(index(1), Key::new(local.partition.clone(), posted.clone()))
            .with_index_key(
                index(2),
                Key::new(regional.partition.clone(), posted.clone()),
            )
            .with_index_key(
                index(3),
                Key::new(format!("pool#{category}#{}", n % 8), posted),
            );
        batch.push(ocean::records::Write::put(item));
        photo_ids.push(photo_id);
        if batch.len() == SEED_BATCH {
            records.write_batch(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        records.write_batch(batch).await?;
    }
    Ok(photo_ids)
}

/// Appends `n_votes` votes between random pairs of `photo_ids`, as `Game::vote` does.
async fn append_votes(
    stream: &EmbeddedStream,
    photo_ids: &[PhotoId],
    n_votes: usize,
    at: Timestamp,
    rng: &mut SmallRng,
) -> Result<()> {
    let mut batch = Vec::with_capacity(APPEND_BATCH);
    for _ in 0..n_votes {
        let left = photo_ids[rng.random_range(0..photo_ids.len())];
        let mut right = left;
        while right == left {
            right = photo_ids[rng.random_range(0..photo_ids.len())];
        }
        let event = serde_json::json!({
            "vote_id": format!("{:032x}", rng.random::<u128>()),
            "judge": UserId::generate(at, rng).to_string(),
            "left": left.to_string(),
            "right": right.to_string(),
            "winner_side": if rng.random::<bool>() { "left" } else { "right" },
            "at": at.millis(),
        });
        batch.push(NewRecord {
            partition_key: format!("{left}-{right}"),
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

fn photo_key(photo_id: &str) -> Key {
    Key::new(format!("p#{photo_id}"), "photo")
}

fn index(n: u8) -> Index {
    Index::new(n).expect("indexes 0 to 3 exist")
}

async fn game_in(
    dir: &std::path::Path,
    records: &Arc<EmbeddedRecords>,
    stream: &Arc<EmbeddedStream>,
    config: GameConfig,
) -> Result<Game> {
    let places = EmbeddedPlaces::open(
        dir,
        PlacesOptions {
            load_default_dataset: false,
        },
    )?;
    let la = Place {
        id: "la".to_owned(),
        name: "Los Angeles".to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat: 34.05,
        lon: -118.24,
        population: None,
    };
    ocean::Places::load(&places, vec![la]).await?;
    let ports = GamePorts {
        records: Arc::clone(records) as Arc<dyn Records>,
        media: Arc::new(EmbeddedMedia::open(
            dir,
            MediaOptions {
                public_url: "http://127.0.0.1:8080".to_owned(),
                signing_key: None,
            },
        )?),
        stream: Arc::clone(stream) as Arc<dyn Stream>,
        queue: Arc::new(EmbeddedQueue::open(dir, QueueOptions { max_receives: 5 })?),
        places: Arc::new(places),
        search: Arc::new(EmbeddedSearch::open(dir)?),
        notifications: Arc::new(EmbeddedNotifications::open(dir)?),
        identity: None,
    };
    Ok(Game::new(ports, config))
}
