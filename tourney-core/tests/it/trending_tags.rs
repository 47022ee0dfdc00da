//! Trending and featured tags through the use cases: each use counted once (at upload, or
//! when the owner adds it), decayed by the half-life at the worker's instant, ties kept;
//! featured tags in the configured order with their covers.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, GameConfig, NewUser, ServiceError};
use tourney_core::{PhotoId, Timestamp, TrendingConfig, UserId};

use crate::service::{at, config, open_ports, ready_tagged_photo};

const HALF_LIFE: Duration = Duration::from_secs(600);

fn trending_config() -> GameConfig {
    GameConfig {
        trending: TrendingConfig::new(HALF_LIFE).unwrap(),
        featured_tags: BTreeMap::from([(
            "female".to_owned(),
            vec!["Zeta".to_owned(), "alpha".to_owned(), "missing".to_owned()],
        )]),
        ..config()
    }
}

/// Photos posted at `at(0)`: "Alpha" and "Beta" together on one, "zeta" on two others.
async fn tagged(dir: &std::path::Path) -> (Game, Vec<(PhotoId, UserId)>) {
    let game = Game::new(open_ports(dir).await, trending_config());
    let mut rng = SmallRng::seed_from_u64(5);
    let tags: [&[&str]; 3] = [&["Alpha", "Beta"], &["zeta"], &["zeta"]];
    let mut photos = Vec::new();
    for (n, photo_tags) in tags.iter().enumerate() {
        let (owner, _) = game
            .create_user(NewUser::default(), at(0), &mut rng)
            .await
            .unwrap();
        let photo = ready_tagged_photo(&game, owner, n as u64, photo_tags, at(0), &mut rng).await;
        photos.push((photo, owner));
    }
    (game, photos)
}

/// (tag, score) of the trending list as last computed.
async fn trending(game: &Game, now: Timestamp) -> Vec<(String, f64)> {
    game.trending_tags("female", now)
        .await
        .unwrap()
        .into_iter()
        .map(|tagged| (tagged.tag, tagged.score))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uses_decay_by_the_half_life_and_ties_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos) = tagged(dir.path()).await;
    assert!(
        trending(&game, at(0)).await.is_empty(),
        "nothing computed yet"
    );

    game.refresh_trending(at(0)).await.unwrap();
    assert_eq!(
        trending(&game, at(0)).await,
        [
            ("zeta".to_owned(), 2.0),
            ("Alpha".to_owned(), 1.0),
            ("Beta".to_owned(), 1.0)
        ],
        "the tie is kept, by tag"
    );

    let later = at(0).saturating_add(HALF_LIFE);
    game.refresh_trending(later).await.unwrap();
    assert_eq!(
        trending(&game, later).await,
        [
            ("zeta".to_owned(), 1.0),
            ("Alpha".to_owned(), 0.5),
            ("Beta".to_owned(), 0.5)
        ]
    );

    // The owner's tag counts when added; adding it again, or rebuilding the index, does
    // not count it twice.
    let (photo, owner) = photos[1];
    game.add_tag(owner, photo, "Beta", later).await.unwrap();
    game.add_tag(owner, photo, "beta", later).await.unwrap();
    game.reindex_search(|_| {}).await.unwrap();
    game.refresh_trending(later).await.unwrap();
    let scores = trending(&game, later).await;
    assert_eq!(scores[0], ("Beta".to_owned(), 1.5), "{scores:?}");
    assert_eq!(scores[1], ("zeta".to_owned(), 1.0), "{scores:?}");

    // A tag whose only photo left the pools is not listed.
    let (alpha_photo, alpha_owner) = photos[0];
    game.delete_photo(alpha_owner, alpha_photo).await.unwrap();
    let tags: Vec<String> = trending(&game, later)
        .await
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert_eq!(tags, ["Beta", "zeta"]);
    let covers = game.trending_tags("female", later).await.unwrap();
    assert_eq!(covers[0].cover.id, photo, "Beta's one photo left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_recomputes_once_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (game, _) = tagged(dir.path()).await;
    let interval = game.config().trending_interval;
    assert!(game.refresh_trending_if_due(at(0)).await.unwrap());
    let soon = at(0).saturating_add(interval / 2);
    assert!(!game.refresh_trending_if_due(soon).await.unwrap());
    let due = at(0).saturating_add(interval);
    assert!(game.refresh_trending_if_due(due).await.unwrap());
    let unknown = game.trending_tags("nope", due).await;
    assert!(
        matches!(unknown, Err(ServiceError::Rules(_))),
        "{unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_tags_come_in_the_configured_order_with_covers() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos) = tagged(dir.path()).await;
    let featured = game.featured_tags("female", at(1)).await.unwrap();
    let summary: Vec<(&str, usize)> = featured
        .iter()
        .map(|hit| (hit.tag.as_str(), hit.n_photos))
        .collect();
    assert_eq!(
        summary,
        [("zeta", 2), ("Alpha", 1)],
        "first typed, configured order, no tag without photos"
    );
    assert!([photos[1].0, photos[2].0].contains(&featured[0].cover.id));
    assert_eq!(featured[1].cover.id, photos[0].0);
    assert!(
        game.featured_tags("cars", at(1)).await.unwrap().is_empty(),
        "none configured"
    );
}
