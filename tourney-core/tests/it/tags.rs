//! Tags through the use cases: tagged at upload and by the owner only, tag boards, tag
//! matches, ranked search with covers, and the search index rebuilt from the photos.

use std::collections::HashSet;
use std::sync::Arc;

use ocean_embedded::EmbeddedSearch;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, GamePorts, MAX_TAG_HITS, NewUser, ServiceError};
use tourney_core::{PageSize, PhotoId};

use crate::service::{at, config, open_ports, ready_tagged_photo};

/// Five photos by five owners: three carry a HAND tag, two carry "Sunset".
async fn tagged_game(dir: &std::path::Path) -> (Game, Vec<PhotoId>) {
    let game = Game::new(open_ports(dir).await, config());
    let mut rng = SmallRng::seed_from_u64(9);
    let tags: [&[&str]; 5] = [
        &["HANDinHAND", "Sunset"],
        &["TheHandover"],
        &["GottaHandItToYou", "sunset"],
        &["Street"],
        &["hand"],
    ];
    let mut photos = Vec::new();
    for (n, photo_tags) in tags.iter().enumerate() {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n as i64), &mut rng)
            .await
            .unwrap();
        let posted = at(10 + n as i64);
        photos.push(ready_tagged_photo(&game, owner, n as u64, photo_tags, posted, &mut rng).await);
    }
    (game, photos)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_search_ranks_exact_then_prefix_then_contains_with_covers() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos) = tagged_game(dir.path()).await;
    let hits = game
        .search_tags("female", "HAND", MAX_TAG_HITS, at(20))
        .await
        .unwrap();
    let found: Vec<&str> = hits.iter().map(|hit| hit.tag.as_str()).collect();
    assert_eq!(found[0], "hand", "exact first: {found:?}");
    assert_eq!(found[1], "HANDinHAND", "then the prefix: {found:?}");
    let rest: HashSet<&str> = found[2..].iter().copied().collect();
    assert_eq!(rest, HashSet::from(["TheHandover", "GottaHandItToYou"]));
    assert_eq!(hits[0].cover.id, photos[4]);
    assert!(hits.iter().all(|hit| hit.n_photos == 1));

    let sunsets = game
        .search_tags("female", "SUNS", MAX_TAG_HITS, at(20))
        .await
        .unwrap();
    assert_eq!(sunsets.len(), 1, "one tag in any case: {sunsets:?}");
    assert_eq!(sunsets[0].tag, "Sunset", "shown as first typed");
    assert_eq!(sunsets[0].n_photos, 2);

    let bad = game.search_tags("female", "a/b", 25, at(20)).await;
    assert!(
        matches!(bad, Err(ServiceError::Invalid { field: "term", .. })),
        "{bad:?}"
    );
    let unknown = game.search_tags("nope", "hand", 25, at(20)).await;
    assert!(
        matches!(unknown, Err(ServiceError::Rules(_))),
        "{unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_tag_and_tagged_photos_join_the_tag_board_and_matches() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos) = tagged_game(dir.path()).await;
    let board = |tag: &'static str| {
        let game = game.clone();
        async move {
            game.tag_board("female", tag, PageSize::new(10).unwrap(), None, at(30))
                .await
                .unwrap()
                .entries
                .into_iter()
                .map(|(_, entry, _)| entry.photo_id)
                .collect::<HashSet<_>>()
        }
    };
    assert_eq!(board("SUNSET").await, HashSet::from([photos[0], photos[2]]));

    let street_owner = game.photo(photos[3], None, at(30)).await.unwrap().owner;
    let stranger = game.photo(photos[0], None, at(30)).await.unwrap().owner;
    let refused = game.add_tag(stranger, photos[3], "Sunset", at(31)).await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    let view = game
        .add_tag(street_owner, photos[3], "sunset", at(31))
        .await
        .unwrap();
    assert_eq!(view.tags, ["Street", "sunset"]);
    let again = game
        .add_tag(street_owner, photos[3], "SUNSET", at(32))
        .await
        .unwrap();
    assert_eq!(again.tags, ["Street", "sunset"], "idempotent in any case");
    assert_eq!(
        board("sunset").await,
        HashSet::from([photos[0], photos[2], photos[3]])
    );

    let mut rng = SmallRng::seed_from_u64(4);
    let (judge, _) = game
        .create_user(NewUser::default(), at(40), &mut rng)
        .await
        .unwrap();
    let matches = game
        .propose_tagged(judge, "Sunset", at(41), &mut rng)
        .await
        .unwrap();
    assert_eq!(matches.len(), 3, "every pair of the three sunsets");
    let sunsets = HashSet::from([photos[0], photos[2], photos[3]]);
    for proposed in &matches {
        assert!(sunsets.contains(&proposed.photo_a.id) && sunsets.contains(&proposed.photo_b.id));
    }
    let lonely = game.propose_tagged(judge, "Street", at(42), &mut rng).await;
    assert!(
        matches!(
            lonely,
            Err(ServiceError::NotFound {
                code: "not_enough_photos",
                ..
            })
        ),
        "{lonely:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_search_rebuilds_a_lost_search_index_from_the_photos() {
    let dir = tempfile::tempdir().unwrap();
    let (game, _) = tagged_game(dir.path()).await;
    let fresh_dir = tempfile::tempdir().unwrap();
    let moved = Game::new(
        GamePorts {
            search: Arc::new(EmbeddedSearch::open(fresh_dir.path()).unwrap()),
            ..game.ports().clone()
        },
        config(),
    );
    assert!(
        moved
            .search_tags("female", "hand", 25, at(50))
            .await
            .unwrap()
            .is_empty(),
        "the new index starts empty"
    );
    let mut progress = Vec::new();
    let report = moved.reindex_search(|n| progress.push(n)).await.unwrap();
    assert_eq!(report.photos, 5);
    assert_eq!(report.memberships, 7);
    assert_eq!(report.tags, 6, "sunset counted once");
    assert_eq!(progress.last(), Some(&5));
    let hits = moved
        .search_tags("female", "hand", 25, at(50))
        .await
        .unwrap();
    assert_eq!(hits.len(), 4);
}
