//! The use cases end to end on the embedded backend: sign-up, uploads, matches, votes,
//! scoring and boards, and scoring's exactly-once guarantee under injected crashes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ocean::media::ObjectKey;
use ocean::places::Place;
use ocean::records::{Item, Key, Page, Query, Write};
use ocean::{Places, Records, Stream};
use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty};
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, EmbeddedStream, MediaOptions, PlacesOptions, QueueOptions,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{
    ActivityKind, BoardQuery, Game, GameConfig, GamePorts, MEDIA_QUEUE, NewPhoto, NewUser,
    PhotoState, ProcessedMedia, ProfilePatch, ProposalOptions, RescoreMode, Role, ServiceError,
    UploadJob,
};
use tourney_core::{
    Coordinates, MediaType, PageSize, PhotoId, PhotoRating, RatingPeriod, Side, Timestamp, UserId,
    Vote, Window,
};

const T0: i64 = 1_800_000_000_000;

pub(crate) fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(T0 + seconds * 1000)
}

/// Ports in `dir`, with a two-place dataset.
pub(crate) async fn open_ports(dir: &Path) -> GamePorts {
    let places = EmbeddedPlaces::open(
        dir,
        PlacesOptions {
            load_default_dataset: false,
        },
    )
    .unwrap();
    let town = |id: &str, lat: f64, lon: f64| Place {
        id: id.to_owned(),
        name: format!("Town {id}"),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat,
        lon,
        population: Some(1000),
    };
    places
        .load(vec![town("la", 34.05, -118.24), town("sf", 37.77, -122.42)])
        .await
        .unwrap();
    GamePorts {
        records: Arc::new(EmbeddedRecords::open(dir).unwrap()),
        media: Arc::new(
            EmbeddedMedia::open(
                dir,
                MediaOptions {
                    public_url: "http://media.test".to_owned(),
                    signing_key: Some(b"a test signing key of enough bytes".to_vec()),
                },
            )
            .unwrap(),
        ),
        stream: Arc::new(EmbeddedStream::open(dir).unwrap()),
        queue: Arc::new(EmbeddedQueue::open(dir, QueueOptions { max_receives: 5 }).unwrap()),
        places: Arc::new(places),
        search: Arc::new(EmbeddedSearch::open(dir).unwrap()),
        notifications: Arc::new(EmbeddedNotifications::open(dir).unwrap()),
        identity: None,
    }
}

pub(crate) fn config() -> GameConfig {
    GameConfig {
        default_place: "la".to_owned(),
        ..GameConfig::default()
    }
}

/// Uploads and processes one photo for `owner` through the real use cases.
async fn ready_photo(
    game: &Game,
    owner: UserId,
    n: u64,
    now: Timestamp,
    rng: &mut SmallRng,
) -> PhotoId {
    ready_tagged_photo(game, owner, n, &[], now, rng).await
}

/// Uploads and processes one photo carrying `tags` for `owner`.
pub(crate) async fn ready_tagged_photo(
    game: &Game,
    owner: UserId,
    n: u64,
    tags: &[&str],
    now: Timestamp,
    rng: &mut SmallRng,
) -> PhotoId {
    let new_photo = NewPhoto {
        category: None,
        media_type: MediaType::Photo,
        content_type: "image/jpeg".to_owned(),
        enter_in_tournament: true,
        set_as_profile_photo: false,
        location: None,
        is_test: false,
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
    };
    processed_photo(game, owner, n, new_photo, now, rng).await
}

/// Creates `new_photo` for `owner`, uploads it and lets the worker's use cases make it
/// ready.
pub(crate) async fn processed_photo(
    game: &Game,
    owner: UserId,
    n: u64,
    new_photo: NewPhoto,
    now: Timestamp,
    rng: &mut SmallRng,
) -> PhotoId {
    let created = game.create_photo(owner, new_photo, now, rng).await.unwrap();
    let original = format!("photos/{}/original", created.photo_id);
    let key = ObjectKey::parse(&original).unwrap();
    game.ports()
        .media
        .put(&key, format!("jpeg bytes {n}").into_bytes(), "image/jpeg")
        .await
        .unwrap();
    game.upload_received(&key).await.unwrap();
    let delivery = game
        .ports()
        .queue
        .receive(MEDIA_QUEUE, 1, std::time::Duration::from_secs(60))
        .await
        .unwrap()
        .pop()
        .expect("a processing job was queued");
    let job: UploadJob = serde_json::from_slice(&delivery.body).unwrap();
    let (bytes, content_type, _) = game.upload_to_process(&job).await.unwrap().unwrap();
    assert_eq!(
        (!bytes.is_empty(), content_type.as_str()),
        (true, "image/jpeg")
    );
    let state = game
        .finish_processing(
            &job.photo_id,
            ProcessedMedia::Ready {
                content_hash: format!("hash-{n}"),
                renditions: vec![("small", vec![1]), ("medium", vec![2]), ("large", vec![3])],
            },
        )
        .await
        .unwrap();
    assert_eq!(state, PhotoState::Ready);
    game.ports()
        .queue
        .ack(MEDIA_QUEUE, &delivery.receipt)
        .await
        .unwrap();
    created.photo_id
}

/// A deterministic world: 6 owners with a photo each in Los Angeles, and a judge who has
/// voted on every match proposed to them (the left photo wins when its id is even).
async fn scenario(dir: &Path) -> (Game, UserId, Vec<PhotoId>) {
    let game = Game::new(open_ports(dir).await, config());
    let mut rng = SmallRng::seed_from_u64(11);
    let mut photos = Vec::new();
    for n in 0..6 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        photos.push(ready_photo(&game, owner, n as u64, at(10 + n), &mut rng).await);
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(20), &mut rng)
        .await
        .unwrap();
    let matches = game
        .propose(judge, ProposalOptions::default(), at(30), &mut rng)
        .await
        .unwrap()
        .matches;
    assert!(!matches.is_empty());
    for proposed in &matches {
        let winner = if proposed.match_id.low().as_u128() % 2 == 0 {
            "a"
        } else {
            "b"
        };
        game.vote(judge, proposed.match_id, winner, at(40))
            .await
            .unwrap();
    }
    (game, judge, photos)
}

async fn ratings(game: &Game, photos: &[PhotoId]) -> Vec<(f64, f64, u32, u32)> {
    let mut out = Vec::new();
    for photo_id in photos {
        let view = game.photo(*photo_id, None, at(100)).await.unwrap();
        out.push((view.score, view.rd, view.wins, view.losses));
    }
    out
}

/// Scores until idle; the votes scored.
pub(crate) async fn score_until_idle(game: &Game, now: Timestamp) -> usize {
    let mut n_votes = 0;
    loop {
        let report = game.score_period(now).await.unwrap();
        if report.idle {
            return n_votes;
        }
        n_votes += report.n_votes;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_move_ratings_exactly_as_one_glicko2_period() {
    let dir = tempfile::tempdir().unwrap();
    let (game, judge, photos) = scenario(dir.path()).await;
    let n_votes = score_until_idle(&game, at(50)).await;
    assert!(n_votes > 0);

    // The same period computed directly from the votes the judge cast.
    let stored: HashMap<PhotoId, PhotoRating> = photos
        .iter()
        .map(|id| (*id, PhotoRating::new_photo(&game.config().rating)))
        .collect();
    let mut votes = Vec::new();
    let wins = game.wins(judge, 10, None).await.unwrap().0;
    assert!(wins.is_empty(), "the judge owns no photo, so has no wins");
    for photo_id in &photos {
        let view = game.photo(*photo_id, None, at(50)).await.unwrap();
        let owner_wins = game.wins(view.owner, 100, None).await.unwrap().0;
        for (winner, loser, _) in owner_wins {
            votes.push(Vote::new(winner, loser, Side::Left).unwrap());
        }
    }
    assert_eq!(votes.len(), n_votes, "one Win per vote");
    let expected = RatingPeriod::new()
        .rate(
            &votes,
            |id| stored.get(&id).copied(),
            at(50),
            &game.config().rating,
        )
        .unwrap();
    for rated in expected {
        let view = game.photo(rated.photo_id, None, at(50)).await.unwrap();
        assert!((view.score - rated.after.rating.rating()).abs() < 1e-9);
        assert!((view.rd - rated.after.rating.deviation()).abs() < 1e-9);
        assert_eq!((view.wins, view.losses), (rated.wins, rated.losses));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_vote_on_a_match_is_a_conflict_and_unknown_matches_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(3);
    for n in 0..3 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        ready_photo(&game, owner, n as u64, at(5), &mut rng).await;
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(6), &mut rng)
        .await
        .unwrap();
    let proposed = game
        .propose(judge, ProposalOptions::default(), at(7), &mut rng)
        .await
        .unwrap()
        .matches;
    let match_id = proposed[0].match_id;
    game.vote(judge, match_id, "a", at(8)).await.unwrap();
    let again = game.vote(judge, match_id, "b", at(9)).await;
    assert!(
        matches!(
            again,
            Err(ServiceError::Conflict {
                code: "already_judged",
                ..
            })
        ),
        "{again:?}"
    );
    let bad = game.vote(judge, match_id, "c", at(9)).await;
    assert!(
        matches!(
            bad,
            Err(ServiceError::Invalid {
                field: "winner",
                ..
            })
        ),
        "{bad:?}"
    );
    let (stranger, _) = game
        .create_user(NewUser::default(), at(10), &mut rng)
        .await
        .unwrap();
    let unknown = game.vote(stranger, match_id, "a", at(11)).await;
    assert!(
        matches!(unknown, Err(ServiceError::NotFound { .. })),
        "{unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_resent_after_a_lost_answer_is_scored_once() {
    let dir = tempfile::tempdir().unwrap();
    let ports = open_ports(dir.path()).await;
    let plan = FaultPlan::never();
    let faulty_stream: Arc<dyn Stream> =
        Arc::new(Faulty::new(Arc::clone(&ports.stream), Arc::clone(&plan)));
    let game = Game::new(ports.clone(), config());
    let flaky = Game::new(
        GamePorts {
            stream: faulty_stream,
            ..ports
        },
        config(),
    );
    let mut rng = SmallRng::seed_from_u64(5);
    for n in 0..2 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        ready_photo(&game, owner, n as u64, at(5), &mut rng).await;
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(6), &mut rng)
        .await
        .unwrap();
    let match_id = game
        .propose(judge, ProposalOptions::default(), at(7), &mut rng)
        .await
        .unwrap()
        .matches[0]
        .match_id;

    // The append reaches the stream but its answer is lost; the client retries.
    plan.fail_after_more(0);
    let lost = flaky.vote(judge, match_id, "a", at(8)).await;
    assert!(matches!(lost, Err(ServiceError::Port(_))), "{lost:?}");
    plan.heal();
    flaky.vote(judge, match_id, "a", at(9)).await.unwrap();

    assert_eq!(
        score_until_idle(&game, at(10)).await,
        1,
        "two records, one vote"
    );
    let view = game.photo(match_id.low(), None, at(10)).await.unwrap();
    assert_eq!(view.wins + view.losses, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoring_killed_after_any_number_of_port_calls_ends_as_a_clean_run() {
    let clean_dir = tempfile::tempdir().unwrap();
    let (clean, _, photos) = scenario(clean_dir.path()).await;
    let counter = FaultPlan::never();
    let counted = counting_game(&clean, &counter);
    assert!(score_until_idle(&counted, at(50)).await > 0);
    let expected = ratings(&clean, &photos).await;
    let calls_in_a_clean_run = counter.calls();

    for crash_at in 0..calls_in_a_clean_run {
        for mode in [FaultMode::Refuse, FaultMode::ApplyThenFail] {
            let dir = tempfile::tempdir().unwrap();
            let (game, _, photos) = scenario(dir.path()).await;
            let plan = FaultPlan::fail_after(crash_at, mode);
            let dying = counting_game(&game, &plan);
            let mut faulted = false;
            while !faulted {
                match dying.score_period(at(50)).await {
                    Ok(report) if report.idle => break,
                    Ok(_) => {}
                    Err(_) => faulted = true,
                }
            }
            assert!(faulted, "call {crash_at} of {calls_in_a_clean_run} faulted");
            // The worker restarts and finishes.
            plan.heal();
            score_until_idle(&dying, at(50)).await;
            assert_eq!(
                ratings(&game, &photos).await,
                expected,
                "crash at call {crash_at} ({mode:?})"
            );
            let replay = game.rescore(RescoreMode::Check, |_| {}).await.unwrap();
            assert_eq!(replay.differing, [], "crash at call {crash_at} ({mode:?})");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_at_once_score_each_vote_once() {
    let clean_dir = tempfile::tempdir().unwrap();
    let (clean, _, photos) = scenario(clean_dir.path()).await;
    score_until_idle(&clean, at(50)).await;
    let expected = ratings(&clean, &photos).await;

    let dir = tempfile::tempdir().unwrap();
    let (game, _, photos) = scenario(dir.path()).await;
    let other = game.clone();
    let worker = |game: Game| async move {
        for _ in 0..50 {
            match game.score_period(at(50)).await {
                Ok(report) if report.idle => return,
                Ok(_) | Err(ServiceError::Conflict { .. }) => {}
                Err(error) => panic!("{error}"),
            }
        }
    };
    tokio::join!(worker(game.clone()), worker(other));
    assert_eq!(ratings(&game, &photos).await, expected);
}

/// The same game with its records and stream behind one fault plan.
fn counting_game(game: &Game, plan: &Arc<FaultPlan>) -> Game {
    let ports = game.ports().clone();
    let records: Arc<dyn Records> = Arc::new(Faulty::new(ports.records, Arc::clone(plan)));
    let stream: Arc<dyn Stream> = Arc::new(Faulty::new(ports.stream, Arc::clone(plan)));
    Game::new(
        GamePorts {
            records,
            stream,
            ..game.ports().clone()
        },
        config(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_rank_by_the_conservative_key_and_page_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (game, _, photos) = scenario(dir.path()).await;
    score_until_idle(&game, at(50)).await;
    for place_id in [Some("la".to_owned()), None] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = game
                .board(
                    BoardQuery {
                        category: "female".to_owned(),
                        place_id: place_id.clone(),
                        window: Window::ThisWeek,
                        count: PageSize::new(4).unwrap(),
                        cursor,
                    },
                    at(60),
                )
                .await
                .unwrap();
            seen.extend(
                page.entries
                    .iter()
                    .map(|(rank, entry, _)| (*rank, entry.rank_key, entry.photo_id)),
            );
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), photos.len(), "every photo once");
        assert!(seen.windows(2).all(|w| w[0].1 >= w[1].1), "descending");
        let ranks: Vec<usize> = seen.iter().map(|s| s.0).collect();
        assert_eq!(ranks, (1..=photos.len()).collect::<Vec<_>>());
    }
    // A week and a second later every photo has aged out of this week's board.
    let later = Timestamp::from_millis(T0 + 7 * 24 * 3600 * 1000 + 20_000);
    let page = game
        .board(
            BoardQuery {
                category: "female".to_owned(),
                place_id: None,
                window: Window::ThisWeek,
                count: PageSize::new(50).unwrap(),
                cursor: None,
            },
            later,
        )
        .await
        .unwrap();
    assert!(page.entries.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_board_page_is_shared_under_one_revision_until_its_board_is_ranked_again() {
    let dir = tempfile::tempdir().unwrap();
    let (game, _, _) = scenario(dir.path()).await;
    score_until_idle(&game, at(50)).await;
    let query = |count: u32| BoardQuery {
        category: "female".to_owned(),
        place_id: None,
        window: Window::ThisWeek,
        count: PageSize::new(count).unwrap(),
        cursor: None,
    };
    let first = game.board_shared(query(4), at(60)).await.unwrap();
    let again = game.board_shared(query(4), at(60)).await.unwrap();
    assert_eq!(again.revision, first.revision);
    assert!(
        Arc::ptr_eq(&again.view, &first.view),
        "one page, not a copy"
    );
    assert_eq!(*first.view, game.board(query(4), at(60)).await.unwrap());

    let other_size = game.board_shared(query(5), at(60)).await.unwrap();
    assert_ne!(other_size.revision, first.revision);
    // A day later the board is ranked again: same page, new revision.
    let later = Timestamp::from_millis(T0 + 24 * 3600 * 1000);
    let reranked = game.board_shared(query(4), later).await.unwrap();
    assert_ne!(reranked.revision, first.revision);
    assert_ne!(reranked.revision, other_size.revision);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_names_are_claimed_once_and_locations_resolve_to_places() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(9);
    let (alice, token) = game
        .create_user(NewUser::default(), at(0), &mut rng)
        .await
        .unwrap();
    assert_eq!(game.authenticate(&token, None).await.unwrap(), alice);
    let fresh = game.user(alice).await.unwrap();
    assert_eq!(fresh.registration.as_str(), "need name");
    assert!((fresh.win_loss_ratio - 50.0).abs() < 1e-12);

    let patch = |name: &str| ProfilePatch {
        user_name: Some(name.to_owned()),
        ..ProfilePatch::default()
    };
    game.update_profile(alice, patch("Ali 🦊")).await.unwrap();
    assert!(game.user_name_taken("ali 🦊").await.unwrap());
    let (bob, _) = game
        .create_user(NewUser::default(), at(1), &mut rng)
        .await
        .unwrap();
    let taken = game.update_profile(bob, patch("ALI 🦊")).await;
    assert!(
        matches!(
            taken,
            Err(ServiceError::Conflict {
                code: "name_taken",
                ..
            })
        ),
        "{taken:?}"
    );

    // Two users racing for one name: exactly one wins.
    let (carol, _) = game
        .create_user(NewUser::default(), at(2), &mut rng)
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        game.update_profile(bob, patch("Zed")),
        game.update_profile(carol, patch("zed"))
    );
    assert_eq!(usize::from(first.is_ok()) + usize::from(second.is_ok()), 1);

    let moved = game
        .update_profile(
            alice,
            ProfilePatch {
                location: Some(Coordinates::new(37.7, -122.4).unwrap()),
                ..ProfilePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.place.unwrap().id, "sf");

    let rotated = game.rotate_token(alice, &mut rng).await.unwrap();
    assert!(
        game.authenticate(&token, None).await.is_err(),
        "the old token stops working"
    );
    assert_eq!(
        game.authenticate(&rotated, Some(alice)).await.unwrap(),
        alice
    );
    game.delete_user(alice).await.unwrap();
    assert!(game.authenticate(&rotated, None).await.is_err());
    assert!(
        !game.user_name_taken("Ali 🦊").await.unwrap(),
        "the name is free again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cadence_brings_local_regional_and_global_tournaments_and_reports_score_once() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(21);
    for n in 0..18 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        ready_photo(&game, owner, n as u64, at(30), &mut rng).await;
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(40), &mut rng)
        .await
        .unwrap();
    let mut shapes = Vec::new();
    let mut tournaments = Vec::new();
    for step in 0..7 {
        let proposal = game
            .propose(judge, ProposalOptions::default(), at(50 + step), &mut rng)
            .await
            .unwrap();
        let kind = proposal.tournament.as_ref().map(|t| t.kind.as_str());
        shapes.push((proposal.matches.len(), kind));
        if let Some(tournament) = proposal.tournament {
            let distinct: std::collections::HashSet<_> =
                tournament.photos.iter().map(|p| p.id).collect();
            assert_eq!(distinct.len(), 16, "16 distinct photos");
            tournaments.push(tournament);
        }
    }
    assert_eq!(
        shapes,
        [
            (10, None),
            (0, Some("local")),
            (8, Some("regional")),
            (8, Some("global")),
            (10, None),
            (0, Some("local")),
            (8, Some("regional")),
        ]
    );
    let reset = ProposalOptions {
        reset_tournament_status: true,
        ..ProposalOptions::default()
    };
    let after_reset = game.propose(judge, reset, at(60), &mut rng).await.unwrap();
    assert!(after_reset.tournament.is_none(), "the cadence starts over");

    // A report: the first photo of each game wins, round after round.
    let tournament = &tournaments[0];
    let slots: Vec<PhotoId> = tournament.photos.iter().map(|p| p.id).collect();
    let mut winners: Vec<PhotoId> = (0..8).map(|game| slots[2 * game]).collect();
    for round_start in [0, 8, 12] {
        let round_len = match round_start {
            0 => 8,
            8 => 4,
            _ => 2,
        };
        for pair in 0..round_len / 2 {
            winners.push(winners[round_start + 2 * pair]);
        }
    }
    assert_eq!(winners.len(), 15);
    let mut impossible = winners.clone();
    impossible[9] = slots[1];
    let refused = game
        .report_tournament(judge, tournament.id, &impossible, at(70))
        .await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Rules(
                tourney_core::Error::BracketWinnerNotInGame { position: 9, .. }
            ))
        ),
        "{refused:?}"
    );
    // A fan follows the champion's owner: both hear about the win, once.
    let champion_owner = game.photo(winners[14], None, at(65)).await.unwrap().owner;
    let fan = crate::comments::registered(&game, "Fan", 77, &mut rng).await;
    game.follow(fan, champion_owner, at(66)).await.unwrap();
    game.report_tournament(judge, tournament.id, &winners, at(70))
        .await
        .unwrap();
    let news = |user| {
        let game = game.clone();
        async move {
            let (items, _) = game.activity(user, 10, None).await.unwrap();
            items
                .into_iter()
                .map(|item| (item.kind, item.photo))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        news(champion_owner).await,
        [
            (ActivityKind::YouWonTournament, Some(winners[14])),
            (ActivityKind::NewFollower, None)
        ]
    );
    assert_eq!(
        news(fan).await,
        [(ActivityKind::WonTournament, Some(winners[14]))]
    );
    let again = game
        .report_tournament(
            judge,
            tournament.id,
            &winners[..15].iter().rev().copied().collect::<Vec<_>>(),
            at(71),
        )
        .await;
    assert!(again.is_err());
    let scored = score_until_idle(&game, at(80)).await;
    assert_eq!(scored, 15, "the 15 games scored once");
    let champion = game.photo(winners[14], None, at(80)).await.unwrap();
    assert_eq!((champion.wins, champion.losses), (4, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_tournament_waits_for_sixteen_photos_while_matches_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (game, _, _) = scenario(dir.path()).await;
    let mut rng = SmallRng::seed_from_u64(4);
    let (judge, _) = game
        .create_user(NewUser::default(), at(41), &mut rng)
        .await
        .unwrap();
    let first = game
        .propose(judge, ProposalOptions::default(), at(42), &mut rng)
        .await
        .unwrap();
    assert_eq!(
        (first.matches.len(), first.tournament.is_none()),
        (10, true)
    );
    // The local tournament is due, but six photos cannot fill a bracket: matches instead.
    let second = game
        .propose(judge, ProposalOptions::default(), at(43), &mut rng)
        .await
        .unwrap();
    assert!(second.tournament.is_none());
    // The 5 pairs never shown, then pairs shown but not judged ("no dupes, then dupes").
    assert_eq!(second.matches.len(), 10);
}

/// The scenario's votes scored three per period: several periods, each photo in several.
async fn scored_in_small_periods(dir: &Path) -> (Game, Vec<PhotoId>, usize) {
    let (game, _, photos) = scenario(dir).await;
    let small_periods = Game::new(
        game.ports().clone(),
        GameConfig {
            max_votes_per_period: 3,
            ..config()
        },
    );
    let n_votes = score_until_idle(&small_periods, at(50)).await;
    (game, photos, n_votes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescoring_the_vote_log_reproduces_the_stored_ratings_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos, n_votes) = scored_in_small_periods(dir.path()).await;
    let mut progress = Vec::new();
    let report = game
        .rescore(RescoreMode::Check, |n| progress.push(n))
        .await
        .unwrap();
    assert_eq!(report.n_votes, n_votes);
    assert_eq!(report.periods, n_votes.div_ceil(3));
    assert_eq!(progress, (1..=report.periods).collect::<Vec<_>>());
    assert_eq!(report.n_photos, photos.len());
    assert_eq!(report.differing, []);
    assert_eq!(report.written, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescore_finds_a_tampered_rating_and_applying_it_restores_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (game, photos, _) = scored_in_small_periods(dir.path()).await;
    let expected = ratings(&game, &photos).await;
    let owner_before = game
        .user(game.photo(photos[0], None, at(60)).await.unwrap().owner)
        .await
        .unwrap();

    // Double-count a game behind the game's back, as a buggy worker would.
    let records = &game.ports().records;
    let key = ocean::records::Key::new(format!("p#{}", photos[0]), "photo");
    let mut item = records.get(&key).await.unwrap().unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&item.body).unwrap();
    body["rating"]["r"] = serde_json::json!(1700.0);
    body["wins"] = serde_json::json!(body["wins"].as_u64().unwrap() + 1);
    item.body = serde_json::to_vec(&body).unwrap();
    let version = item.version;
    item.version += 1;
    records
        .write(ocean::records::Write::Put {
            item,
            condition: ocean::records::Condition::VersionIs(version),
        })
        .await
        .unwrap();

    let check = game.rescore(RescoreMode::Check, |_| {}).await.unwrap();
    assert_eq!(check.differing.len(), 1, "{:?}", check.differing);
    let difference = &check.differing[0];
    assert_eq!(difference.photo_id, photos[0]);
    assert!(
        (difference.stored.0 - 1700.0).abs() < 1e-9,
        "{difference:?}"
    );
    assert_eq!(difference.stored.2, difference.replayed.2 + 1);

    let applied = game.rescore(RescoreMode::Apply, |_| {}).await.unwrap();
    assert_eq!(applied.differing, check.differing);
    assert!(applied.written >= 1);
    assert_eq!(ratings(&game, &photos).await, expected);
    let again = game.rescore(RescoreMode::Check, |_| {}).await.unwrap();
    assert_eq!(again.differing, []);
    let owner_after = game.user(owner_before.id).await.unwrap();
    assert_eq!(
        (owner_after.wins, owner_after.losses),
        (owner_before.wins, owner_before.losses)
    );
    // The worker goes on from the rewritten state: nothing new to score.
    assert_eq!(score_until_idle(&game, at(70)).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescore_of_an_empty_log_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let report = game.rescore(RescoreMode::Apply, |_| {}).await.unwrap();
    assert_eq!(report, Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_are_created_named_in_one_step_and_roles_can_be_granted() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(3);
    let (admin, token) = game
        .create_admin("Moderator", at(0), &mut rng)
        .await
        .unwrap();
    assert_eq!(game.authenticate(&token, None).await.unwrap(), admin);
    let view = game.user(admin).await.unwrap();
    assert_eq!(view.role, Role::Admin);
    assert_eq!(view.user_name.as_deref(), Some("Moderator"));
    assert!(game.user_name_taken("moderator").await.unwrap());

    let taken = game.create_admin("MODERATOR", at(1), &mut rng).await;
    assert!(
        matches!(
            taken,
            Err(ServiceError::Conflict {
                code: "name_taken",
                ..
            })
        ),
        "{taken:?}"
    );

    let (player, _) = game
        .create_user(NewUser::default(), at(2), &mut rng)
        .await
        .unwrap();
    assert_eq!(game.user(player).await.unwrap().role, Role::User);
    game.set_role(player, Role::Admin).await.unwrap();
    game.set_role(player, Role::Admin).await.unwrap();
    assert_eq!(game.user(player).await.unwrap().role, Role::Admin);
}

/// Records that, the first time photos are read, first let another worker score every
/// period: the reader then holds a period that the other finished and moved past.
#[derive(Debug)]
struct OvertakenAtLoad {
    inner: Arc<dyn Records>,
    overtaker: tokio::sync::Mutex<Option<Game>>,
}

#[async_trait::async_trait]
impl Records for OvertakenAtLoad {
    async fn get(&self, key: &Key) -> ocean::Result<Option<Item>> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> ocean::Result<Vec<Option<Item>>> {
        if keys.iter().any(|key| key.sort == "photo")
            && let Some(overtaker) = self.overtaker.lock().await.take()
        {
            assert!(score_until_idle(&overtaker, at(50)).await > 0);
        }
        self.inner.get_many(keys).await
    }

    async fn query(&self, query: &Query) -> ocean::Result<Page> {
        self.inner.query(query).await
    }

    async fn write(&self, write: Write) -> ocean::Result<()> {
        self.inner.write(write).await
    }

    async fn commit(&self, writes: Vec<Write>) -> ocean::Result<()> {
        self.inner.commit(writes).await
    }

    async fn write_batch(&self, writes: Vec<Write>) -> ocean::Result<()> {
        self.inner.write_batch(writes).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_overtaken_mid_period_does_not_apply_it_again() {
    let clean_dir = tempfile::tempdir().unwrap();
    let (clean, photos, _) = scored_in_small_periods(clean_dir.path()).await;
    let expected = ratings(&clean, &photos).await;

    let dir = tempfile::tempdir().unwrap();
    let (game, _, photos) = scenario(dir.path()).await;
    let small = GameConfig {
        max_votes_per_period: 3,
        ..config()
    };
    let overtaker = Game::new(game.ports().clone(), small.clone());
    let records: Arc<dyn Records> = Arc::new(OvertakenAtLoad {
        inner: Arc::clone(&game.ports().records),
        overtaker: tokio::sync::Mutex::new(Some(overtaker)),
    });
    let behind = Game::new(
        GamePorts {
            records,
            ..game.ports().clone()
        },
        small,
    );
    // It read its period's votes, then found the photos already past that period (the
    // other worker scored it and the ones after): it must fail, not apply it again.
    let late = behind.score_period(at(50)).await;
    assert!(
        matches!(late, Err(ServiceError::Conflict { .. })),
        "{late:?}"
    );
    assert_eq!(score_until_idle(&behind, at(50)).await, 0, "nothing left");
    assert_eq!(ratings(&game, &photos).await, expected);
    let replay = game.rescore(RescoreMode::Check, |_| {}).await.unwrap();
    assert_eq!(replay.differing, []);
}
