//! The worker's step on the embedded backend: a real JPEG upload becomes a ready photo with
//! renditions, a lie about the type is rejected, votes are scored, and the scheduled jobs
//! (trending tags, weekly awards) run when due at the step's instant.

use std::sync::Arc;
use std::time::Duration;

use ocean::media::ObjectKey;
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, EmbeddedStream, MediaOptions, PlacesOptions, QueueOptions,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, GameConfig, GamePorts, NewPhoto, NewUser, PhotoState};
use tourney_core::{MediaType, PhotoId, Timestamp, UserId};

const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);
use tourney_worker::Worker;

async fn game_in(dir: &std::path::Path) -> Game {
    let places = EmbeddedPlaces::open(
        dir,
        PlacesOptions {
            load_default_dataset: false,
        },
    )
    .unwrap();
    let la = ocean::places::Place {
        id: "la".to_owned(),
        name: "Los Angeles".to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat: 34.05,
        lon: -118.24,
        population: None,
    };
    ocean::Places::load(&places, vec![la]).await.unwrap();
    let ports = GamePorts {
        records: Arc::new(EmbeddedRecords::open(dir).unwrap()),
        media: Arc::new(
            EmbeddedMedia::open(
                dir,
                MediaOptions {
                    public_url: "http://media.test".to_owned(),
                    signing_key: None,
                },
            )
            .unwrap(),
        ),
        stream: Arc::new(EmbeddedStream::open(dir).unwrap()),
        queue: Arc::new(EmbeddedQueue::open(dir, QueueOptions { max_receives: 3 }).unwrap()),
        places: Arc::new(places),
        search: Arc::new(EmbeddedSearch::open(dir).unwrap()),
        notifications: Arc::new(EmbeddedNotifications::open(dir).unwrap()),
        identity: None,
    };
    Game::new(
        ports,
        GameConfig {
            default_place: "la".to_owned(),
            ..GameConfig::default()
        },
    )
}

/// Creates a user and a photo, stores its "uploaded" original; returns (photo, owner).
async fn upload(
    game: &Game,
    bytes: Vec<u8>,
    content_type: &str,
    rng: &mut SmallRng,
) -> (PhotoId, UserId) {
    let now = NOW;
    let (owner, _) = game
        .create_user(NewUser::default(), now, rng)
        .await
        .unwrap();
    let new_photo = NewPhoto {
        category: None,
        media_type: MediaType::Photo,
        content_type: content_type.to_owned(),
        enter_in_tournament: true,
        set_as_profile_photo: false,
        location: None,
        is_test: false,
        tags: Vec::new(),
    };
    let created = game.create_photo(owner, new_photo, now, rng).await.unwrap();
    let key = ObjectKey::parse(&format!("photos/{}/original", created.photo_id)).unwrap();
    game.ports()
        .media
        .put(&key, bytes, content_type)
        .await
        .unwrap();
    game.upload_received(&key).await.unwrap();
    (created.photo_id, owner)
}

/// A photo's state and rejection reason as its owner sees them.
async fn state_of(
    game: &Game,
    (photo_id, owner): (PhotoId, UserId),
) -> (PhotoState, Option<String>) {
    let view = game.photo(photo_id, Some(owner), NOW).await.unwrap();
    (view.state, view.rejection_reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_step_processes_uploads_until_idle() {
    let dir = tempfile::tempdir().unwrap();
    let game = game_in(dir.path()).await;
    let mut rng = SmallRng::seed_from_u64(1);
    let jpeg = tourney_media::generate_demo_image(7, 1200, 800);
    let good = upload(&game, jpeg.clone(), "image/jpeg", &mut rng).await;
    let lie = upload(&game, jpeg.clone(), "image/png", &mut rng).await;
    let duplicate = upload(&game, jpeg, "image/jpeg", &mut rng).await;

    let worker = Worker::new(game.clone(), Duration::from_millis(10));
    let now = NOW;
    let first = worker.run_once(now).await.unwrap();
    assert_eq!(first.media_jobs, 3);
    assert!(worker.run_once(now).await.unwrap().is_idle());

    let ready = game.photo(good.0, None, now).await.unwrap();
    assert_eq!(ready.state, PhotoState::Ready);
    let large = ObjectKey::parse(&format!("photos/{}/large.jpg", good.0)).unwrap();
    let stored = game.ports().media.get(&large).await.unwrap();
    assert_eq!(stored.meta.content_type, "image/jpeg");
    let decoded = tourney_media::process_image(
        &stored.bytes,
        tourney_media::ContentType::ImageJpeg,
        &tourney_media::Limits::default(),
    )
    .unwrap();
    assert_eq!(
        (decoded.width, decoded.height),
        (960, 640),
        "fits inside 960 x 960"
    );

    assert_eq!(
        state_of(&game, lie).await,
        (PhotoState::Rejected, Some("type_mismatch".to_owned()))
    );
    assert_eq!(state_of(&game, duplicate).await.0, PhotoState::Duplicate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_runs_steps_until_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let game = game_in(dir.path()).await;
    let mut rng = SmallRng::seed_from_u64(2);
    let worker = Worker::new(game.clone(), Duration::from_millis(10));
    assert_eq!(worker.drain().await.unwrap(), 0, "nothing to do");

    let mut uploads = Vec::new();
    for n in 0..12 {
        let jpeg = tourney_media::generate_demo_image(100 + n, 320, 240);
        uploads.push(upload(&game, jpeg, "image/jpeg", &mut rng).await);
    }
    // Ten uploads per step: two steps did work.
    assert_eq!(worker.drain().await.unwrap(), 2);
    for uploaded in uploads {
        assert_eq!(state_of(&game, uploaded).await.0, PhotoState::Ready);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_step_runs_trending_every_interval_and_awards_once_a_week_has_ended() {
    let dir = tempfile::tempdir().unwrap();
    let game = game_in(dir.path()).await;
    let mut rng = SmallRng::seed_from_u64(3);
    let jpeg = tourney_media::generate_demo_image(11, 320, 240);
    let (photo, owner) = upload(&game, jpeg, "image/jpeg", &mut rng).await;
    let worker = Worker::new(game.clone(), Duration::from_millis(10));
    let interval = game.config().trending_interval;

    let first = worker.run_once(NOW).await.unwrap();
    assert_eq!(first.media_jobs, 1);
    assert!(first.trending_refreshed, "the first step computes trending");
    assert_eq!(
        (first.awards.weeks, first.awards.awards),
        (1, 0),
        "the week before, empty"
    );
    game.add_tag(owner, photo, "Sunset", NOW).await.unwrap();

    let soon = NOW.saturating_add(interval / 2);
    let quiet = worker.run_once(soon).await.unwrap();
    assert!(quiet.is_idle());
    assert!(!quiet.trending_refreshed);
    assert_eq!(quiet.awards.weeks, 0, "this week has not ended");
    assert!(game.trending_tags("female", soon).await.unwrap().is_empty());

    let due = NOW.saturating_add(interval);
    assert!(worker.run_once(due).await.unwrap().trending_refreshed);
    let trending = game.trending_tags("female", due).await.unwrap();
    assert_eq!(trending.len(), 1);
    assert_eq!(
        (trending[0].tag.as_str(), trending[0].cover.id),
        ("Sunset", photo)
    );

    let next_week = tourney_core::service::IsoWeek::containing(NOW).end();
    let report = worker.run_once(next_week).await.unwrap();
    assert_eq!((report.awards.weeks, report.awards.awards), (1, 1));
    let again = worker
        .run_once(next_week.saturating_add(interval))
        .await
        .unwrap();
    assert_eq!((again.awards.weeks, again.awards.awards), (0, 0));
    let awards = game.photo_awards(owner, photo, next_week).await.unwrap();
    let week_label = tourney_core::service::IsoWeek::containing(NOW).label();
    assert_eq!(awards.len(), 1);
    assert_eq!(
        (awards[0].place, &awards[0].week, awards[0].awarded_at),
        (1, &week_label, next_week)
    );
}
