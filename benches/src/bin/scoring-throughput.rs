//! Votes scored per second by the worker's scoring step on the embedded backend: judges cast
//! votes through the use cases, then one rating period scores them all, timed.
//!
//! `cargo run --release -p benches --bin scoring-throughput -- [N_JUDGES]` (10 votes each;
//! default 1000 judges = 10,000 votes over 200 photos).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use ocean::places::Place;
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, EmbeddedStream, MediaOptions, PlacesOptions, QueueOptions,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{
    Game, GameConfig, GamePorts, NewPhoto, NewUser, ProcessedMedia, ProposalOptions,
};
use tourney_core::{MediaType, Timestamp};

const N_PHOTOS: u64 = 200;

#[tokio::main]
async fn main() -> Result<()> {
    let n_judges: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse().context("N_JUDGES must be a number")?,
        None => 1000,
    };
    let dir = tempfile::tempdir()?;
    let game = game_in(dir.path()).await?;
    let mut rng = SmallRng::seed_from_u64(1);
    let now = Timestamp::from_millis(1_800_000_000_000);
    for n in 0..N_PHOTOS {
        let (owner, _) = game.create_user(NewUser::default(), now, &mut rng).await?;
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
        let created = game.create_photo(owner, new_photo, now, &mut rng).await?;
        let ready = ProcessedMedia::Ready {
            content_hash: format!("hash-{n}"),
            renditions: Vec::new(),
        };
        game.finish_processing(&created.photo_id.to_string(), ready)
            .await?;
    }
    let cast_started = Instant::now();
    let mut n_votes = 0_u64;
    for _ in 0..n_judges {
        let (judge, _) = game.create_user(NewUser::default(), now, &mut rng).await?;
        let proposal = game
            .propose(judge, ProposalOptions::default(), now, &mut rng)
            .await?;
        for proposed in proposal.matches {
            game.vote(judge, proposed.match_id, "a", now).await?;
            n_votes += 1;
        }
    }
    let cast = cast_started.elapsed();
    let score_started = Instant::now();
    let report = game.score_period(now).await?;
    let scored = score_started.elapsed();
    anyhow::ensure!(report.n_votes as u64 == n_votes, "every vote scored once");
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{n_votes} votes over {N_PHOTOS} photos: cast in {:.2} s ({:.0} votes/s through the use cases); \
         one period scored in {:.3} s = {:.0} votes/s ({} photos rated)",
        cast.as_secs_f64(),
        n_votes as f64 / cast.as_secs_f64(),
        scored.as_secs_f64(),
        n_votes as f64 / scored.as_secs_f64(),
        report.n_photos
    )?;
    Ok(())
}

async fn game_in(dir: &std::path::Path) -> Result<Game> {
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
        records: Arc::new(EmbeddedRecords::open(dir)?),
        media: Arc::new(EmbeddedMedia::open(
            dir,
            MediaOptions {
                public_url: "http://127.0.0.1:8080".to_owned(),
                signing_key: None,
            },
        )?),
        stream: Arc::new(EmbeddedStream::open(dir)?),
        queue: Arc::new(EmbeddedQueue::open(dir, QueueOptions { max_receives: 5 })?),
        places: Arc::new(places),
        search: Arc::new(EmbeddedSearch::open(dir)?),
        notifications: Arc::new(EmbeddedNotifications::open(dir)?),
        identity: None,
    };
    let config = GameConfig {
        default_place: "la".to_owned(),
        ..GameConfig::default()
    };
    Ok(Game::new(ports, config))
}
