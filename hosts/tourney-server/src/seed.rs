//! `seed-demo`: demo users with generated photos and votes, so a fresh server's boards and
//! matches have content within seconds. Everything goes through the game's use cases and
//! the worker's step, exactly as real traffic would.

use std::time::Duration;

use anyhow::{Context, Result};
use ocean::media::ObjectKey;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tourney_core::service::{Game, NewPhoto, NewUser, ProfilePatch, ProposalOptions};
use tourney_core::{Coordinates, MediaType, UserId};
use tourney_worker::{Worker, now};

/// How long before voting a demo judge's matches were proposed, beyond the game's least
/// vote delay.
const DEMO_THINKING: Duration = Duration::from_secs(2);

/// How much demo content to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Users, each with one photo.
    pub n_users: u32,
    /// Judges, each voting on every match they are proposed, `rounds` times.
    pub n_judges: u32,
    /// Requests for matches per judge.
    pub rounds: u32,
    /// Seed of the generated names, pictures and votes.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            n_users: 24,
            n_judges: 4,
            rounds: 3,
            seed: 1,
        }
    }
}

/// What seeding made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Users created (photographers and judges).
    pub users: u32,
    /// Photos uploaded and processed.
    pub photos: u32,
    /// Votes cast and scored.
    pub votes: u32,
}

/// Creates demo users (named `demo-<seed>-<n>`, at `location`, in the default categories)
/// with one generated photo each, processes the uploads, lets judges vote, and scores.
pub async fn seed_demo(
    game: &Game,
    location: Coordinates,
    options: SeedOptions,
) -> Result<SeedReport> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut report = SeedReport::default();
    let category = game.config().default_view_category.clone();
    for n in 0..options.n_users {
        let user = demo_user(
            game,
            &format!("demo-{}-{n}", options.seed),
            location,
            &mut rng,
        )
        .await?;
        let new_photo = NewPhoto {
            category: Some(category.clone()),
            media_type: MediaType::Photo,
            content_type: "image/jpeg".to_owned(),
            enter_in_tournament: true,
            set_as_profile_photo: false,
            location: None,
            is_test: false,
            tags: demo_tags(&mut rng),
        };
        let created = game.create_photo(user, new_photo, now(), &mut rng).await?;
        let key = ObjectKey::parse(&format!("photos/{}/original", created.photo_id))?;
        let (width, height) = if rng.random::<bool>() {
            (1200, 900)
        } else {
            (900, 1200)
        };
        let jpeg = tourney_media::generate_demo_image(rng.random(), width, height);
        game.ports().media.put(&key, jpeg, "image/jpeg").await?;
        game.upload_received(&key).await?;
        report.users += 1;
        report.photos += 1;
    }
    let worker = Worker::new(game.clone(), Duration::ZERO);
    worker.drain().await?;
    for n in 0..options.n_judges {
        let judge = demo_user(
            game,
            &format!("judge-{}-{n}", options.seed),
            location,
            &mut rng,
        )
        .await?;
        report.users += 1;
        for _ in 0..options.rounds {
            // The demo judges look at their matches as long as a person would, so that
            // their votes count (`app.min_vote_delay_ms` holds quicker ones for review).
            let looked_at = now().saturating_sub(game.config().min_vote_delay + DEMO_THINKING);
            let proposal = game
                .propose(judge, ProposalOptions::default(), looked_at, &mut rng)
                .await
                .context("proposing demo matches")?;
            for proposed in proposal.matches {
                let winner = if rng.random::<bool>() { "a" } else { "b" };
                game.vote(judge, proposed.match_id, winner, now()).await?;
                report.votes += 1;
            }
        }
    }
    worker.drain().await?;
    Ok(report)
}

async fn demo_user(
    game: &Game,
    name: &str,
    location: Coordinates,
    rng: &mut StdRng,
) -> Result<UserId> {
    let new_user = NewUser {
        user_agent: Some("seed-demo".to_owned()),
    };
    let (user, _token) = game.create_user(new_user, now(), rng).await?;
    let patch = ProfilePatch {
        user_name: Some(name.to_owned()),
        location: Some(location),
        ..ProfilePatch::default()
    };
    game.update_profile(user, patch)
        .await
        .with_context(|| format!("setting up demo user {name}"))?;
    Ok(user)
}

/// One to three tags from a small list, so tag boards, tag matches and search have content.
fn demo_tags(rng: &mut StdRng) -> Vec<String> {
    const TAGS: [&str; 8] = [
        "Sunset",
        "HANDinHAND",
        "TheHandover",
        "GottaHandItToYou",
        "Portrait",
        "Golden hour",
        "Street",
        "Blue",
    ];
    let n = rng.random_range(1..=3);
    (0..n)
        .map(|_| TAGS[rng.random_range(0..TAGS.len())].to_owned())
        .collect()
}
