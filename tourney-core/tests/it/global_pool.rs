//! The global pool is split into shard partitions (so no one index partition takes every
//! rating update of a category); its readers must still see one pool: the global board,
//! the global tournament's pool (the newest `pool_size`) and the search reindex.

use std::collections::BTreeSet;

use ocean::records::{Index, Query};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{BoardQuery, Game, NewPhoto, NewUser, ProposalOptions};
use tourney_core::{Coordinates, MediaType, PageSize, PhotoId, Timestamp, Window};

use crate::service::{at, config, open_ports, processed_photo};

/// The global pool's index and its shard count, as the store lays them out.
const GLOBAL_POOL: Index = match Index::new(3) {
    Some(index) => index,
    None => panic!("index 3"),
};
const SHARDS: usize = 8;
/// Photos posted in the last week, then photos posted eight days before them.
const RECENT: u64 = 44;
const OLD: u64 = 6;
const DAY_SECONDS: i64 = 24 * 3600;

/// A world of `RECENT + OLD` photos by as many owners: the oldest week-old ones first,
/// then three photos a second (equal posted times, so ids break the ties), the newest
/// eight at another place. Returns every photo with its posted time.
async fn world(dir: &std::path::Path) -> (Game, Vec<(Timestamp, PhotoId)>) {
    let game = Game::new(
        open_ports(dir).await,
        tourney_core::service::GameConfig {
            pool_size: 16,
            ..config()
        },
    );
    let mut rng = SmallRng::seed_from_u64(77);
    let mut photos = Vec::new();
    for n in 0..RECENT + OLD {
        let n_signed = i64::try_from(n).unwrap();
        let posted = if n < OLD {
            at(n_signed - 8 * DAY_SECONDS)
        } else {
            at(100 + n_signed / 3)
        };
        let (owner, _) = game
            .create_user(NewUser::default(), at(-9 * DAY_SECONDS), &mut rng)
            .await
            .unwrap();
        let location = (n + 8 >= RECENT + OLD).then(|| Coordinates::new(37.77, -122.42).unwrap());
        let new_photo = NewPhoto {
            category: None,
            media_type: MediaType::Photo,
            content_type: "image/jpeg".to_owned(),
            enter_in_tournament: true,
            set_as_profile_photo: false,
            location,
            is_test: false,
            tags: vec![format!("tag{}", n % 5)],
        };
        let id = processed_photo(&game, owner, 1000 + n, new_photo, posted, &mut rng).await;
        photos.push((posted, id));
    }
    photos.sort();
    (game, photos)
}

/// Every page of the global board in `window` at `now`, `count` entries a page: the
/// photos in order, with their ranks.
async fn whole_board(game: &Game, window: Window, now: Timestamp) -> Vec<(usize, PhotoId)> {
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = game
            .board(
                BoardQuery {
                    category: "female".to_owned(),
                    place_id: None,
                    window,
                    count: PageSize::new(7).unwrap(),
                    cursor,
                },
                now,
            )
            .await
            .unwrap();
        seen.extend(
            page.entries
                .iter()
                .map(|(rank, entry, _)| (*rank, entry.photo_id)),
        );
        cursor = page.next_cursor;
        if cursor.is_none() {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_pool_lies_in_every_shard_and_reads_as_one_pool() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos) = world(dir.path()).await;
    let all: BTreeSet<PhotoId> = photos.iter().map(|(_, id)| *id).collect();

    // Stored: each photo in exactly one shard partition, and every shard used.
    let mut stored = BTreeSet::new();
    for shard in 0..SHARDS {
        let query = Query {
            index: Some(GLOBAL_POOL),
            ..Query::partition(format!("pool#female#{shard}"), 1000)
        };
        let page = game.ports().records.query(&query).await.unwrap();
        assert!(page.next.is_none());
        assert!(!page.items.is_empty(), "shard {shard} holds photos");
        for item in page.items {
            assert!(stored.insert(item.key.partition), "one shard per photo");
        }
    }
    assert_eq!(stored.len(), all.len());
    let unsharded = Query {
        index: Some(GLOBAL_POOL),
        ..Query::partition("pool#female", 10)
    };
    let page = game.ports().records.query(&unsharded).await.unwrap();
    assert!(page.items.is_empty(), "nothing in the unsharded partition");

    // The board pages through every photo of its window once, ranked 1, 2, 3...
    let now = at(200);
    for (window, expected) in [
        (Window::AllTime, all.clone()),
        (
            Window::ThisWeek,
            photos
                .iter()
                .skip(OLD as usize)
                .map(|(_, id)| *id)
                .collect(),
        ),
    ] {
        let board = whole_board(&game, window, now).await;
        let ids: BTreeSet<PhotoId> = board.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids.len(), board.len(), "{window:?}: each photo once");
        assert_eq!(ids, expected, "{window:?}: exactly the window's photos");
        let ranks: Vec<usize> = board.iter().map(|(rank, _)| *rank).collect();
        assert_eq!(ranks, (1..=board.len()).collect::<Vec<_>>());
    }

    // The global tournament draws from the newest 16 photos (posted time, then id) of
    // every shard: with 16 candidates, exactly them.
    let newest: BTreeSet<PhotoId> = photos.iter().rev().take(16).map(|(_, id)| *id).collect();
    let (judge, _) = game
        .create_user(NewUser::default(), at(150), &mut SmallRng::seed_from_u64(3))
        .await
        .unwrap();
    let mut rng = SmallRng::seed_from_u64(4);
    let mut global = None;
    for step in 0..4 {
        let proposal = game
            .propose(judge, ProposalOptions::default(), at(160 + step), &mut rng)
            .await
            .unwrap();
        if let Some(tournament) = proposal.tournament
            && tournament.kind.as_str() == "global"
        {
            global = Some(tournament);
        }
    }
    let global = global.expect("the fourth response brings the global tournament");
    let drawn: BTreeSet<PhotoId> = global.photos.iter().map(|photo| photo.id).collect();
    assert_eq!(drawn, newest);

    // The search reindex reads every member of the global pool once.
    let mut progress = Vec::new();
    let report = game.reindex_search(|n| progress.push(n)).await.unwrap();
    assert_eq!(report.photos, all.len());
    assert_eq!(report.tags, 5);
    assert_eq!(progress.last(), Some(&all.len()));
}
