//! A bracket report is accepted exactly when it is consistent, and a tournament is always
//! 15 votes over 16 photos with a four-win champion.

use std::collections::{HashMap, HashSet};

use glicko2::Rating;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::{
    BRACKET_GAMES, Bracket, BracketCandidate, Error, MediaType, PhotoId, SeedingMethod, UserId,
};

fn bracket_from(seed: u64, by_rating: bool) -> Bracket {
    let candidates: Vec<BracketCandidate> = (0..24u128)
        .map(|n| BracketCandidate {
            photo_id: PhotoId::from_u128(n * 7 + 3),
            owner: UserId::from_u128(n % 20 + 1),
            media_type: MediaType::Photo,
            rating: Rating::new(1000.0 + (n * 37 % 24) as f64 * 25.0, 80.0, 0.06).unwrap(),
        })
        .collect();
    let method = if by_rating {
        SeedingMethod::ByRating
    } else {
        SeedingMethod::Random
    };
    Bracket::seed(
        UserId::from_u128(999),
        &candidates,
        method,
        &mut SmallRng::seed_from_u64(seed),
    )
    .unwrap()
}

/// The oracle: play the bracket with `pick_second[p]` choosing each game's winner, then
/// optionally overwrite one position with an arbitrary photo.
fn report(
    bracket: &Bracket,
    pick_second: &[bool],
    corruption: Option<(usize, PhotoId)>,
) -> Vec<PhotoId> {
    let mut winners = Vec::with_capacity(BRACKET_GAMES);
    for (position, picks_second) in pick_second.iter().enumerate().take(BRACKET_GAMES) {
        let entrants = if position < 8 {
            (
                bracket.slots()[2 * position],
                bracket.slots()[2 * position + 1],
            )
        } else {
            let first = 2 * (position - 8);
            (winners[first], winners[first + 1])
        };
        let played = if *picks_second {
            entrants.1
        } else {
            entrants.0
        };
        let winner = match corruption {
            Some((bad_position, photo)) if bad_position == position => photo,
            _ => played,
        };
        winners.push(winner);
    }
    winners
}

/// The oracle's verdict: the first position whose winner did not reach that game.
fn first_inconsistency(bracket: &Bracket, winners: &[PhotoId]) -> Option<usize> {
    (0..BRACKET_GAMES).find(|&position| {
        let entrants = if position < 8 {
            [
                bracket.slots()[2 * position],
                bracket.slots()[2 * position + 1],
            ]
        } else {
            let first = 2 * (position - 8);
            [winners[first], winners[first + 1]]
        };
        !entrants.contains(&winners[position])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_report_is_accepted_only_if_consistent(
        seed in any::<u64>(),
        by_rating in any::<bool>(),
        pick_second in prop::collection::vec(any::<bool>(), BRACKET_GAMES),
        corrupt in prop::option::of((0usize..BRACKET_GAMES, 0u128..200)),
    ) {
        let bracket = bracket_from(seed, by_rating);
        let corruption = corrupt.map(|(position, photo)| (position, PhotoId::from_u128(photo)));
        let winners = report(&bracket, &pick_second, corruption);
        match (bracket.validate_report(&winners), first_inconsistency(&bracket, &winners)) {
            (Ok(result), None) => prop_assert_eq!(result.winners().as_slice(), winners.as_slice()),
            (Err(Error::BracketWinnerNotInGame { position, winner }), Some(expected)) => {
                prop_assert_eq!(position, expected);
                prop_assert_eq!(winner, winners[expected]);
            }
            (outcome, expected) => prop_assert!(false, "{outcome:?} but oracle says {expected:?}"),
        }
    }

    #[test]
    fn a_tournament_is_fifteen_votes_over_sixteen_photos(
        seed in any::<u64>(),
        by_rating in any::<bool>(),
        pick_second in prop::collection::vec(any::<bool>(), BRACKET_GAMES),
    ) {
        let bracket = bracket_from(seed, by_rating);
        let result = bracket.validate_report(&report(&bracket, &pick_second, None)).unwrap();
        let votes = result.votes();
        prop_assert_eq!(votes.len(), 15);
        let photos: HashSet<PhotoId> = votes.iter().flat_map(|v| [v.left(), v.right()]).collect();
        prop_assert_eq!(photos.len(), 16);
        prop_assert_eq!(&photos, &bracket.slots().iter().copied().collect::<HashSet<_>>());
        let mut wins: HashMap<PhotoId, usize> = HashMap::new();
        let mut losses: HashMap<PhotoId, usize> = HashMap::new();
        for vote in &votes {
            *wins.entry(vote.winner_id()).or_default() += 1;
            *losses.entry(vote.loser_id()).or_default() += 1;
        }
        prop_assert_eq!(wins[&result.champion()], 4);
        prop_assert!(!losses.contains_key(&result.champion()));
        prop_assert_eq!(losses.len(), 15);
        prop_assert!(losses.values().all(|n| *n == 1));
    }
}
