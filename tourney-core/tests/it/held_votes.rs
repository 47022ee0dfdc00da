//! Votes held for review: a vote sooner after its match was proposed than
//! `GameConfig::min_vote_delay` is recorded (final, like any vote) but never scored, and
//! only admins list it.

use std::collections::HashMap;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{
    Game, GameConfig, NewUser, ProposalOptions, ServiceError, VoteOutcome,
};
use tourney_core::{PhotoId, Timestamp};

use crate::service::{at, config, open_ports, ready_tagged_photo};

const MIN_DELAY: Duration = Duration::from_millis(300);

fn after(start: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_millis(start.millis() + millis)
}

#[tokio::test]
async fn a_vote_sooner_than_the_minimum_is_held_final_unscored_and_listed_to_admins_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = GameConfig {
        min_vote_delay: MIN_DELAY,
        ..config()
    };
    let game = Game::new(open_ports(dir.path()).await, config);
    let mut rng = SmallRng::seed_from_u64(5);
    let mut photos = Vec::new();
    for n in 0..4 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        photos.push(ready_tagged_photo(&game, owner, n as u64, &[], at(10 + n), &mut rng).await);
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(20), &mut rng)
        .await
        .unwrap();
    let (stranger, _) = game
        .create_user(NewUser::default(), at(20), &mut rng)
        .await
        .unwrap();
    let proposed_at = at(30);
    let matches = game
        .propose(judge, ProposalOptions::default(), proposed_at, &mut rng)
        .await
        .unwrap()
        .matches;
    assert!(matches.len() >= 2, "{} matches", matches.len());
    let (fast, slow) = (matches[0].match_id, matches[1].match_id);

    let held = game.vote(judge, fast, "a", after(proposed_at, 299)).await;
    assert_eq!(held.unwrap(), VoteOutcome::Held);
    // Final: the same vote retried, or another winner, even long after, changes nothing.
    for (winner, when) in [("a", after(proposed_at, 299)), ("b", at(90))] {
        match game.vote(judge, fast, winner, when).await {
            Err(ServiceError::Conflict {
                code: "already_judged",
                ..
            }) => {}
            other => panic!("a second vote on a held match answered {other:?}"),
        }
    }
    let counted = game.vote(judge, slow, "b", after(proposed_at, 300)).await;
    assert_eq!(
        counted.unwrap(),
        VoteOutcome::Accepted,
        "exactly the minimum counts"
    );
    match game.vote(stranger, fast, "a", at(90)).await {
        Err(ServiceError::NotFound { .. }) => {}
        other => panic!("a vote on a match never proposed to the voter answered {other:?}"),
    }

    // Scoring sees the counted vote only: one game, won by the slow match's b.
    let report = game.score_period(at(100)).await.unwrap();
    assert_eq!(report.n_votes, 1, "{report:?}");
    let mut expected: HashMap<PhotoId, (u32, u32)> = photos.iter().map(|p| (*p, (0, 0))).collect();
    expected.get_mut(&slow.high()).unwrap().0 += 1;
    expected.get_mut(&slow.low()).unwrap().1 += 1;
    for photo in &photos {
        let view = game.photo(*photo, None, at(100)).await.unwrap();
        assert_eq!((view.wins, view.losses), expected[photo], "photo {photo}");
        assert_eq!(view.games, view.wins + view.losses, "photo {photo}");
    }
    assert!(
        game.score_period(at(110)).await.unwrap().idle,
        "nothing else to score"
    );

    // Admins list it, newest first; nobody else does.
    let (admin, _) = game
        .create_admin("Reviewer", at(0), &mut rng)
        .await
        .unwrap();
    let (listed, next) = game.held_votes(admin, 10, None).await.unwrap();
    assert_eq!(next, None);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let vote = &listed[0];
    assert_eq!(
        (vote.judge, vote.match_id, vote.winner),
        (judge, fast, fast.low())
    );
    assert_eq!(
        (vote.proposed_at, vote.voted_at),
        (proposed_at, after(proposed_at, 299))
    );
    assert_eq!(
        (vote.delay(), vote.min_delay),
        (Duration::from_millis(299), MIN_DELAY)
    );
    assert!(fast.contains(vote.left));
    match game.held_votes(judge, 10, None).await {
        Err(ServiceError::Forbidden { .. }) => {}
        other => panic!("a judge listing held votes got {other:?}"),
    }
}

#[tokio::test]
async fn held_votes_page_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = GameConfig {
        min_vote_delay: MIN_DELAY,
        ..config()
    };
    let game = Game::new(open_ports(dir.path()).await, config);
    let mut rng = SmallRng::seed_from_u64(9);
    for n in 0..4 {
        let (owner, _) = game
            .create_user(NewUser::default(), at(n), &mut rng)
            .await
            .unwrap();
        ready_tagged_photo(&game, owner, n as u64, &[], at(10 + n), &mut rng).await;
    }
    let (judge, _) = game
        .create_user(NewUser::default(), at(20), &mut rng)
        .await
        .unwrap();
    let proposed_at = at(30);
    let matches = game
        .propose(judge, ProposalOptions::default(), proposed_at, &mut rng)
        .await
        .unwrap()
        .matches;
    assert!(matches.len() >= 3, "{} matches", matches.len());
    for (n, proposed) in matches.iter().take(3).enumerate() {
        let when = after(proposed_at, 10 * n as i64);
        let outcome = game.vote(judge, proposed.match_id, "a", when).await;
        assert_eq!(outcome.unwrap(), VoteOutcome::Held);
    }
    let (admin, _) = game
        .create_admin("Reviewer", at(0), &mut rng)
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = game.held_votes(admin, 2, cursor).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|vote| vote.match_id));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let newest_first: Vec<_> = matches.iter().take(3).rev().map(|m| m.match_id).collect();
    assert_eq!(seen, newest_first);
}
