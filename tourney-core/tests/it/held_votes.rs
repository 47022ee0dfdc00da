//! Votes held for review: a vote sooner after its match was proposed than
//! `GameConfig::min_vote_delay` is recorded (final, like any vote) but never scored, and
//! only admins list it; a tournament report sooner than 15 such minimums after its
//! proposal is held the same way, as one entry. An admin releases a held vote (scored
//! once, however often released, raced or retried after a failed send) or discards it
//! (never scored); each decision is final.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ocean::Stream;
use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{
    ActivityKind, Game, GameConfig, GamePorts, HeldBallot, HeldVoteView, NewUser, ProposalOptions,
    ServiceError, TournamentView, VoteOutcome,
};
use tourney_core::{MatchId, PhotoId, Timestamp, UserId};

use crate::service::{at, config, open_ports, ready_tagged_photo, score_until_idle};

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
    let HeldBallot::Match {
        match_id,
        winner,
        left,
    } = vote.ballot
    else {
        panic!("a match vote, not {:?}", vote.ballot);
    };
    assert_eq!((vote.judge, match_id, winner), (judge, fast, fast.low()));
    assert_eq!(
        (vote.proposed_at, vote.voted_at),
        (proposed_at, after(proposed_at, 299))
    );
    assert_eq!(
        (vote.delay(), vote.min_delay),
        (Duration::from_millis(299), MIN_DELAY)
    );
    assert!(fast.contains(left));
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
        seen.extend(page.iter().map(match_of));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let newest_first: Vec<_> = matches.iter().take(3).rev().map(|m| m.match_id).collect();
    assert_eq!(seen, newest_first);
}

/// The match a listed held vote is on.
fn match_of(vote: &HeldVoteView) -> MatchId {
    match vote.ballot {
        HeldBallot::Match { match_id, .. } => match_id,
        other => panic!("a match vote, not {other:?}"),
    }
}

/// [`config`] holding votes sooner than [`MIN_DELAY`].
fn holding_config() -> GameConfig {
    GameConfig {
        min_vote_delay: MIN_DELAY,
        ..config()
    }
}

/// A game holding votes sooner than [`MIN_DELAY`]: ready photos of distinct owners, a
/// judge and an admin.
struct World {
    game: Game,
    photos: Vec<PhotoId>,
    judge: UserId,
    admin: UserId,
    rng: SmallRng,
}

impl World {
    async fn new(ports: GamePorts, n_photos: usize, seed: u64) -> Self {
        let game = Game::new(ports, holding_config());
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut photos = Vec::new();
        for n in 0..n_photos {
            let (owner, _) = game
                .create_user(NewUser::default(), at(n as i64), &mut rng)
                .await
                .unwrap();
            photos.push(ready_tagged_photo(&game, owner, n as u64, &[], at(30), &mut rng).await);
        }
        let judge = Self::new_judge(&game, &mut rng).await;
        let (admin, _) = game
            .create_admin("Reviewer", at(0), &mut rng)
            .await
            .unwrap();
        Self {
            game,
            photos,
            judge,
            admin,
            rng,
        }
    }

    async fn new_judge(game: &Game, rng: &mut SmallRng) -> UserId {
        game.create_user(NewUser::default(), at(35), rng)
            .await
            .unwrap()
            .0
    }

    /// Proposes matches to the judge at `at(40)` and votes `a` on the first `n` of them
    /// 10 ms later, each held; returns their ids.
    async fn fast_votes(&mut self, n: usize) -> Vec<MatchId> {
        let proposed_at = at(40);
        let matches = self
            .game
            .propose(
                self.judge,
                ProposalOptions::default(),
                proposed_at,
                &mut self.rng,
            )
            .await
            .unwrap()
            .matches;
        assert!(matches.len() >= n, "{} matches", matches.len());
        let mut voted = Vec::new();
        for proposed in matches.iter().take(n) {
            let outcome = self
                .game
                .vote(self.judge, proposed.match_id, "a", after(proposed_at, 10))
                .await;
            assert_eq!(outcome.unwrap(), VoteOutcome::Held);
            voted.push(proposed.match_id);
        }
        voted
    }

    /// The listed (undecided) held votes.
    async fn listed(&self) -> Vec<HeldVoteView> {
        let (listed, next) = self.game.held_votes(self.admin, 100, None).await.unwrap();
        assert_eq!(next, None);
        listed
    }

    /// A local tournament proposed to `judge` at `when` (after a first proposal of matches,
    /// as the cadence goes).
    async fn tournament(&mut self, judge: UserId, when: Timestamp) -> TournamentView {
        let options = ProposalOptions::default();
        let first = after(when, -1_000);
        let matches = self
            .game
            .propose(judge, options, first, &mut self.rng)
            .await
            .unwrap();
        assert!(matches.tournament.is_none());
        self.game
            .propose(judge, options, when, &mut self.rng)
            .await
            .unwrap()
            .tournament
            .expect("a tournament after the first ten matches")
    }

    /// Each photo's (wins, losses).
    async fn standings(&self) -> HashMap<PhotoId, (u32, u32)> {
        let mut standings = HashMap::new();
        for photo in &self.photos {
            let view = self.game.photo(*photo, None, at(200)).await.unwrap();
            assert_eq!(view.games, view.wins + view.losses, "photo {photo}");
            standings.insert(*photo, (view.wins, view.losses));
        }
        standings
    }
}

/// The winners of a report where the first photo of each game wins, round after round.
fn first_photo_wins(tournament: &TournamentView) -> Vec<PhotoId> {
    let slots: Vec<PhotoId> = tournament.photos.iter().map(|p| p.id).collect();
    let mut winners: Vec<PhotoId> = (0..8).map(|game| slots[2 * game]).collect();
    for (round_start, round_len) in [(0, 8), (8, 4), (12, 2)] {
        for pair in 0..round_len / 2 {
            winners.push(winners[round_start + 2 * pair]);
        }
    }
    assert_eq!(winners.len(), 15);
    winners
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, ServiceError>, expected: &str) {
    match result {
        Err(ServiceError::Conflict { code, .. }) if code == expected => {}
        other => panic!("expected the conflict {expected}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_vote_counts_once_however_often_it_is_released_and_a_discarded_one_never() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new(open_ports(dir.path()).await, 4, 11).await;
    let held = world.fast_votes(3).await;
    let ids: HashMap<MatchId, String> = world
        .listed()
        .await
        .iter()
        .map(|vote| (match_of(vote), vote.vote_id.clone()))
        .collect();
    let (released, raced, discarded) = (&ids[&held[0]], &ids[&held[1]], &ids[&held[2]]);
    let (game, admin, judge, now) = (world.game.clone(), world.admin, world.judge, at(60));
    let before = world.standings().await;
    assert_eq!(score_until_idle(&game, at(50)).await, 0, "held votes wait");

    // Only admins decide; the id is checked; an unknown one is not found.
    for refused in [
        game.release_held_vote(judge, released, now).await,
        game.discard_held_vote(judge, released, now).await,
    ] {
        assert!(
            matches!(refused, Err(ServiceError::Forbidden { .. })),
            "{refused:?}"
        );
    }
    let bad_id = game.release_held_vote(admin, "../a", now).await;
    assert!(
        matches!(
            bad_id,
            Err(ServiceError::Invalid {
                field: "vote_id",
                ..
            })
        ),
        "{bad_id:?}"
    );
    let unknown = "0123456789abcdef0123456789abcdef";
    for missing in [
        game.release_held_vote(admin, unknown, now).await,
        game.discard_held_vote(admin, unknown, now).await,
    ] {
        assert!(
            matches!(missing, Err(ServiceError::NotFound { .. })),
            "{missing:?}"
        );
    }

    // Released: sent once, then a no-op; two releases at once release it once.
    assert!(game.release_held_vote(admin, released, now).await.unwrap());
    assert!(!game.release_held_vote(admin, released, now).await.unwrap());
    let (first, second) = tokio::join!(
        game.release_held_vote(admin, raced, now),
        game.release_held_vote(admin, raced, now)
    );
    let released_now = [first.unwrap(), second.unwrap()];
    assert_eq!(
        released_now.iter().filter(|now| **now).count(),
        1,
        "{released_now:?}"
    );
    // Discarded: a no-op the second time; both decisions are final.
    assert!(game.discard_held_vote(admin, discarded, now).await.unwrap());
    assert!(!game.discard_held_vote(admin, discarded, now).await.unwrap());
    assert_conflict(
        game.release_held_vote(admin, discarded, now).await,
        "held_vote_discarded",
    );
    assert_conflict(
        game.discard_held_vote(admin, released, now).await,
        "held_vote_released",
    );
    assert!(
        world.listed().await.is_empty(),
        "decided votes leave the list"
    );

    // The two released votes count once each, as cast (`a`, the lower id, won).
    assert_eq!(score_until_idle(&game, at(70)).await, 2);
    let mut expected = before;
    for match_id in &held[..2] {
        expected.get_mut(&match_id.low()).unwrap().0 += 1;
        expected.get_mut(&match_id.high()).unwrap().1 += 1;
    }
    assert_eq!(world.standings().await, expected);
    assert!(
        !game
            .release_held_vote(admin, released, at(80))
            .await
            .unwrap()
    );
    assert_eq!(
        score_until_idle(&game, at(90)).await,
        0,
        "nothing sent again"
    );
    assert_eq!(world.standings().await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_whose_send_failed_is_sent_again_by_the_next_release_and_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let ports = open_ports(dir.path()).await;
    let plan = FaultPlan::fail_after(u64::MAX, FaultMode::ApplyThenFail);
    let faulty_stream: Arc<dyn Stream> =
        Arc::new(Faulty::new(Arc::clone(&ports.stream), Arc::clone(&plan)));
    let flaky = Game::new(
        GamePorts {
            stream: faulty_stream,
            ..ports.clone()
        },
        holding_config(),
    );
    let mut world = World::new(ports, 2, 12).await;
    let held = world.fast_votes(1).await;
    let vote_id = world.listed().await[0].vote_id.clone();
    let before = world.standings().await;

    // The append takes effect but its answer is lost: the admin sees a failure.
    plan.fail_after_more(0);
    let lost = flaky.release_held_vote(world.admin, &vote_id, at(60)).await;
    assert!(matches!(lost, Err(ServiceError::Port(_))), "{lost:?}");
    plan.heal();
    assert!(world.listed().await.is_empty(), "decided: released");
    assert_conflict(
        flaky.discard_held_vote(world.admin, &vote_id, at(61)).await,
        "held_vote_released",
    );
    assert!(
        !flaky
            .release_held_vote(world.admin, &vote_id, at(62))
            .await
            .unwrap(),
        "released before; sent again"
    );
    assert_eq!(
        score_until_idle(&world.game, at(70)).await,
        1,
        "two records, one vote"
    );
    let mut expected = before;
    expected.get_mut(&held[0].low()).unwrap().0 += 1;
    expected.get_mut(&held[0].high()).unwrap().1 += 1;
    assert_eq!(world.standings().await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sooner_than_fifteen_minimums_is_held_whole_and_released_or_discarded_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new(open_ports(dir.path()).await, 16, 13).await;
    let game = world.game.clone();
    let (judge, admin) = (world.judge, world.admin);
    let proposed_at = at(50);
    let tournament = world.tournament(judge, proposed_at).await;
    let winners = first_photo_wins(&tournament);
    let champion = winners[14];

    let fast = after(proposed_at, 15 * 300 - 1);
    let outcome = game
        .report_tournament(judge, tournament.id, &winners, fast)
        .await;
    assert_eq!(outcome.unwrap(), VoteOutcome::Held);
    // Final: the same report again, even later, is already judged.
    assert_conflict(
        game.report_tournament(judge, tournament.id, &winners, at(90))
            .await,
        "already_judged",
    );
    assert_eq!(
        score_until_idle(&game, at(91)).await,
        0,
        "a held report waits"
    );

    // One entry for the whole report.
    let listed = world.listed().await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert_eq!(
        entry.ballot,
        HeldBallot::Tournament {
            tournament_id: tournament.id,
            champion
        }
    );
    assert_eq!(
        (entry.judge, entry.proposed_at, entry.voted_at),
        (judge, proposed_at, fast)
    );
    assert_eq!(
        (entry.delay(), entry.min_delay),
        (Duration::from_millis(4_499), Duration::from_millis(4_500))
    );

    // Released: its 15 games count once, the champion's owner hears of the win once.
    assert!(
        game.release_held_vote(admin, &entry.vote_id, at(92))
            .await
            .unwrap()
    );
    assert!(
        !game
            .release_held_vote(admin, &entry.vote_id, at(93))
            .await
            .unwrap()
    );
    assert_eq!(score_until_idle(&game, at(94)).await, 15);
    let standings = world.standings().await;
    assert_eq!(standings[&champion], (4, 0));
    assert_eq!(standings.values().map(|(wins, _)| wins).sum::<u32>(), 15);
    let owner = game.photo(champion, None, at(95)).await.unwrap().owner;
    let (news, _) = game.activity(owner, 10, None).await.unwrap();
    let won: Vec<_> = news
        .iter()
        .filter(|item| item.kind == ActivityKind::YouWonTournament)
        .collect();
    assert_eq!(won.len(), 1, "{news:?}");

    // Another judge's fast report, discarded: never counted.
    let second_judge = World::new_judge(&game, &mut world.rng).await;
    let second = world.tournament(second_judge, at(100)).await;
    let outcome = game
        .report_tournament(
            second_judge,
            second.id,
            &first_photo_wins(&second),
            after(at(100), 10),
        )
        .await;
    assert_eq!(outcome.unwrap(), VoteOutcome::Held);
    let vote_id = world.listed().await[0].vote_id.clone();
    assert!(
        game.discard_held_vote(admin, &vote_id, at(101))
            .await
            .unwrap()
    );
    assert_eq!(score_until_idle(&game, at(102)).await, 0);
    assert_eq!(world.standings().await, standings);

    // Exactly fifteen minimums after the proposal counts at once.
    let third_judge = World::new_judge(&game, &mut world.rng).await;
    let third = world.tournament(third_judge, at(110)).await;
    let outcome = game
        .report_tournament(
            third_judge,
            third.id,
            &first_photo_wins(&third),
            after(at(110), 15 * 300),
        )
        .await;
    assert_eq!(outcome.unwrap(), VoteOutcome::Accepted);
    assert!(world.listed().await.is_empty());
    assert_eq!(score_until_idle(&game, at(120)).await, 15);
}

#[tokio::test]
async fn a_vote_listed_without_its_id_index_entry_is_still_found_and_decided() {
    // As listed before held votes could be decided (and as a lagging index shows a fresh
    // one): only the list entry, in no secondary index.
    let dir = tempfile::tempdir().unwrap();
    let world = World::new(open_ports(dir.path()).await, 0, 14).await;
    let vote_id = "00112233445566778899aabbccddeeff";
    let (low, high) = (PhotoId::from_u128(1), PhotoId::from_u128(2));
    let body = serde_json::json!({
        "vote_id": vote_id,
        "judge": world.judge.to_string(),
        "match_id": format!("{low}{high}"),
        "winner": "a",
        "left": high.to_string(),
        "proposed_at": at(40).millis(),
        "at": at(40).millis() + 5,
        "min_delay_ms": 300,
    });
    let item = ocean::records::Item::new(
        ocean::records::Key::new(
            "held_votes",
            format!("{:015}#{vote_id}", at(40).millis() + 5),
        ),
        1,
        serde_json::to_vec(&body).unwrap(),
    );
    world
        .game
        .ports()
        .records
        .write(ocean::records::Write::put(item))
        .await
        .unwrap();
    let listed = world.listed().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(match_of(&listed[0]), MatchId::new(low, high).unwrap());
    assert!(
        world
            .game
            .discard_held_vote(world.admin, vote_id, at(50))
            .await
            .unwrap()
    );
    assert!(world.listed().await.is_empty());
}
