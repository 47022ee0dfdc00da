//! Weekly awards through the use cases: the top three of a category's week board get
//! first, second and third place once the week has ended, once per (category, week) however
//! often and by however many workers the job runs; only owners read them.

use std::collections::HashMap;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{BoardQuery, Game, IsoWeek, NewUser, ProposalOptions, ServiceError};
use tourney_core::{PageSize, PhotoId, Timestamp, UserId, Window};

use crate::service::{at, config, open_ports, ready_tagged_photo};

/// A week's photos and the ones just outside it.
struct Week {
    game: Game,
    week: IsoWeek,
    /// Posted within the week, with their owners.
    inside: Vec<(PhotoId, UserId)>,
    /// Posted the minute before the week began.
    before: PhotoId,
    /// Posted the minute after the week ended.
    after: PhotoId,
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// Five photos posted in `at(0)`'s week (one minute apart) and one on either side of it,
/// then a judge's votes (the later photo wins), scored.
async fn week_of_photos(dir: &std::path::Path) -> Week {
    let game = Game::new(open_ports(dir).await, config());
    let week = IsoWeek::containing(at(0));
    let mut rng = SmallRng::seed_from_u64(21);
    let post = async |n: u64, posted_at: Timestamp, rng: &mut SmallRng| {
        let (owner, _) = game
            .create_user(NewUser::default(), posted_at, rng)
            .await
            .unwrap();
        let photo = ready_tagged_photo(&game, owner, n, &[], posted_at, rng).await;
        (photo, owner)
    };
    let before = post(0, week.start().saturating_sub(minutes(1)), &mut rng)
        .await
        .0;
    let mut inside = Vec::new();
    for n in 1..=5 {
        inside.push(post(n, at(0).saturating_add(minutes(n)), &mut rng).await);
    }
    let after = post(6, week.end().saturating_add(minutes(1)), &mut rng)
        .await
        .0;

    let order: HashMap<PhotoId, usize> = inside
        .iter()
        .enumerate()
        .map(|(idx, (photo, _))| (*photo, idx))
        .collect();
    let judge_at = week.end().saturating_add(minutes(2));
    let (judge, _) = game
        .create_user(NewUser::default(), judge_at, &mut rng)
        .await
        .unwrap();
    let proposal = game
        .propose(judge, ProposalOptions::default(), judge_at, &mut rng)
        .await
        .unwrap();
    assert!(!proposal.matches.is_empty());
    for proposed in &proposal.matches {
        let rank = |photo: PhotoId| order.get(&photo).map_or(0, |idx| idx + 1);
        let winner = if rank(proposed.photo_a.id) >= rank(proposed.photo_b.id) {
            "a"
        } else {
            "b"
        };
        game.vote(judge, proposed.match_id, winner, judge_at)
            .await
            .unwrap();
    }
    while !game.score_period(judge_at).await.unwrap().idle {}
    Week {
        game,
        week,
        inside,
        before,
        after,
    }
}

/// The photos a week's board ranks first, second and third: its board at the week's last
/// instant, without the photos posted after it.
async fn expected_winners(world: &Week) -> Vec<PhotoId> {
    let last_instant = Timestamp::from_millis(world.week.end().millis() - 1);
    let board = world
        .game
        .board(
            BoardQuery {
                category: "female".to_owned(),
                place_id: None,
                window: Window::ThisWeek,
                count: PageSize::new(50).unwrap(),
                cursor: None,
            },
            last_instant,
        )
        .await
        .unwrap();
    board
        .entries
        .iter()
        .map(|(_, entry, _)| entry.photo_id)
        .filter(|photo| *photo != world.after && *photo != world.before)
        .take(3)
        .collect()
}

/// (photo, week label, place) of every award of `photos`, read by their owners.
async fn awards_of(world: &Week, photos: &[(PhotoId, UserId)]) -> Vec<(PhotoId, String, u32)> {
    let mut awards = Vec::new();
    for (photo, owner) in photos {
        for award in world
            .game
            .photo_awards(*owner, *photo, at(0))
            .await
            .unwrap()
        {
            assert_eq!(award.category, "female");
            awards.push((*photo, award.week, award.place));
        }
    }
    awards.sort_by_key(|award| award.2);
    awards
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_top_three_of_an_ended_week_get_their_places_once() {
    let dir = tempfile::tempdir().unwrap();
    let world = week_of_photos(dir.path()).await;
    let game = &world.game;
    let label = world.week.label();

    // Before the week ends only the week before is settled (its one photo comes first).
    let during = world.week.end().saturating_sub(minutes(1));
    let report = game.give_weekly_awards(during).await.unwrap();
    assert_eq!((report.weeks, report.awards), (1, 1));
    assert!(awards_of(&world, &world.inside).await.is_empty());

    let ended = world.week.end().saturating_add(minutes(5));
    let report = game.give_weekly_awards(ended).await.unwrap();
    assert_eq!((report.weeks, report.awards), (1, 3));
    let winners = expected_winners(&world).await;
    assert_eq!(winners.len(), 3);
    let expected: Vec<(PhotoId, String, u32)> = winners
        .iter()
        .zip(1..)
        .map(|(photo, place)| (*photo, label.clone(), place))
        .collect();
    assert_eq!(awards_of(&world, &world.inside).await, expected);

    // Re-runs, and a worker that never saw the schedule, give nothing more.
    let again = game
        .give_weekly_awards(ended.saturating_add(minutes(1)))
        .await
        .unwrap();
    assert_eq!((again.weeks, again.awards), (0, 0));
    assert_eq!(game.award_week(world.week, ended).await.unwrap(), 0);
    assert_eq!(awards_of(&world, &world.inside).await, expected);

    // Weeks missed while no worker ran are settled together (empty ones give nothing).
    let three_weeks_on = world.week.next().next().next().start();
    let report = game.give_weekly_awards(three_weeks_on).await.unwrap();
    assert_eq!(
        (report.weeks, report.awards),
        (2, 1),
        "the next week's one photo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_at_once_give_each_award_once() {
    let dir = tempfile::tempdir().unwrap();
    let world = week_of_photos(dir.path()).await;
    let ended = world.week.end().saturating_add(minutes(5));
    let other = world.game.clone();
    let (first, second) = tokio::join!(
        world.game.award_week(world.week, ended),
        other.award_week(world.week, ended)
    );
    assert_eq!(first.unwrap() + second.unwrap(), 3, "three awards in all");
    let (first, second) = tokio::join!(
        world.game.give_weekly_awards(ended),
        other.give_weekly_awards(ended)
    );
    assert_eq!(first.unwrap().awards + second.unwrap().awards, 0);
    let awards = awards_of(&world, &world.inside).await;
    let places: Vec<u32> = awards.iter().map(|award| award.2).collect();
    assert_eq!(places, [1, 2, 3], "{awards:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_reads_a_photos_awards() {
    let dir = tempfile::tempdir().unwrap();
    let world = week_of_photos(dir.path()).await;
    let (photo, owner) = world.inside[0];
    let stranger = world.inside[1].1;
    assert!(
        world
            .game
            .photo_awards(owner, photo, at(0))
            .await
            .unwrap()
            .is_empty()
    );
    let refused = world.game.photo_awards(stranger, photo, at(0)).await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    let unknown = PhotoId::parse("0123456789abcdef0123456789abcdef").unwrap();
    let missing = world.game.photo_awards(owner, unknown, at(0)).await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound { .. })),
        "{missing:?}"
    );
}
