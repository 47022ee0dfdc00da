//! Table-driven cases for brackets: selection, standard seeding, positions, report checks.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::*;

const JUDGE: UserId = UserId::from_u128(999);

fn candidates(n: usize, n_owners: u128) -> Vec<BracketCandidate> {
    (0..n)
        .map(|idx| BracketCandidate {
            photo_id: PhotoId::from_u128(idx as u128 + 1),
            owner: UserId::from_u128(idx as u128 % n_owners + 1),
            media_type: MediaType::Photo,
            // Photo 1 is the best, photo n the worst.
            rating: Rating::new(2000.0 - 10.0 * idx as f64, 100.0, 0.06).unwrap(),
        })
        .collect()
}

fn seeded(pool: &[BracketCandidate], method: SeedingMethod, seed: u64) -> Result<Bracket, Error> {
    Bracket::seed(JUDGE, pool, method, &mut SmallRng::seed_from_u64(seed))
}

#[test]
fn seeding_by_rating_follows_the_standard_order() {
    let pool = candidates(16, 16);
    let bracket = seeded(&pool, SeedingMethod::ByRating, 1).unwrap();
    let seeds: Vec<u128> = bracket.slots().iter().map(|id| id.as_u128()).collect();
    // Photo k has seed k here, so the slots spell out the standard order.
    assert_eq!(seeds, STANDARD_SEED_ORDER.map(|seed| seed as u128).to_vec());
    // Seeds 1 and 2 sit in different halves: they can only meet in the final.
    let top_half = &seeds[..8];
    assert!(top_half.contains(&1) && !top_half.contains(&2));
}

#[test]
fn selection_refuses_small_pools_and_excludes_the_judge_and_movies() {
    let mut pool = candidates(20, 20);
    pool[0].owner = JUDGE;
    pool[1].media_type = MediaType::Movie;
    pool[2].media_type = MediaType::Movie;
    pool[3].owner = JUDGE;
    // 16 eligible: exactly enough.
    for seed in 0..20 {
        let bracket = seeded(&pool, SeedingMethod::Random, seed).unwrap();
        for excluded in &pool[..4] {
            assert!(!bracket.slots().contains(&excluded.photo_id));
        }
    }
    pool[4].owner = JUDGE;
    assert_eq!(
        seeded(&pool, SeedingMethod::Random, 0).unwrap_err(),
        Error::NotEnoughTournamentPhotos {
            eligible: 15,
            needed: 16
        }
    );
}

#[test]
fn one_photo_per_owner_while_the_pool_allows() {
    // (photos, owners, most photos of one owner in the bracket)
    let cases = [(40, 40, 1), (40, 16, 1), (40, 8, 2), (16, 4, 4)];
    for (n_photos, n_owners, max_per_owner) in cases {
        let pool = candidates(n_photos, n_owners);
        for seed in 0..10 {
            let bracket = seeded(&pool, SeedingMethod::ByRating, seed).unwrap();
            let mut per_owner = std::collections::HashMap::new();
            for photo_id in bracket.slots() {
                let owner = pool.iter().find(|c| c.photo_id == *photo_id).unwrap().owner;
                *per_owner.entry(owner).or_insert(0) += 1;
            }
            assert_eq!(
                per_owner.values().max(),
                Some(&max_per_owner),
                "{n_photos}/{n_owners}"
            );
        }
    }
}

#[test]
fn positions_feed_from_the_right_games() {
    let cases = [
        (0, None),
        (7, None),
        (8, Some((0, 1))),
        (11, Some((6, 7))),
        (12, Some((8, 9))),
        (13, Some((10, 11))),
        (14, Some((12, 13))),
        (15, None),
    ];
    for (position, expected) in cases {
        assert_eq!(Bracket::feeding_games(position), expected, "{position}");
    }
}

/// A report where the left photo always wins.
fn left_wins(bracket: &Bracket) -> Vec<PhotoId> {
    let mut winners: Vec<PhotoId> = (0..8).map(|game| bracket.slots()[2 * game]).collect();
    for position in 8..BRACKET_GAMES {
        let (first, _) = Bracket::feeding_games(position).unwrap();
        winners.push(winners[first]);
    }
    winners
}

#[test]
fn reports_are_checked_position_by_position() {
    let bracket = seeded(&candidates(16, 16), SeedingMethod::ByRating, 1).unwrap();
    let valid = left_wins(&bracket);
    let stranger = PhotoId::from_u128(777);
    let mut loser_advances = valid.clone();
    loser_advances[8] = bracket.slots()[3]; // lost game 1, reported as winning game 8
    let mut final_by_outsider = valid.clone();
    final_by_outsider[14] = stranger;
    let mut round_one_wrong = valid.clone();
    round_one_wrong[2] = bracket.slots()[0];
    let cases = [
        (valid.clone(), Ok(valid[14])),
        (
            valid[..14].to_vec(),
            Err(Error::BracketReportLength {
                got: 14,
                expected: 15,
            }),
        ),
        (
            loser_advances,
            Err(Error::BracketWinnerNotInGame {
                position: 8,
                winner: bracket.slots()[3],
            }),
        ),
        (
            final_by_outsider,
            Err(Error::BracketWinnerNotInGame {
                position: 14,
                winner: stranger,
            }),
        ),
        (
            round_one_wrong,
            Err(Error::BracketWinnerNotInGame {
                position: 2,
                winner: bracket.slots()[0],
            }),
        ),
    ];
    for (report, expected) in cases {
        let result = bracket
            .validate_report(&report)
            .map(|result| result.champion());
        assert_eq!(result, expected);
    }
}

#[test]
fn a_valid_report_becomes_fifteen_votes() {
    let bracket = seeded(&candidates(16, 16), SeedingMethod::Random, 4).unwrap();
    let result = bracket.validate_report(&left_wins(&bracket)).unwrap();
    let votes = result.votes();
    assert!(votes.iter().all(|vote| vote.winner() == Side::Left));
    assert_eq!(votes[14].winner_id(), result.champion());
    assert_eq!(
        (votes[0].left(), votes[0].right()),
        (bracket.slots()[0], bracket.slots()[1])
    );
    let champion_wins = votes
        .iter()
        .filter(|vote| vote.winner_id() == result.champion())
        .count();
    assert_eq!(champion_wins, 4);
}

#[test]
fn from_slots_refuses_duplicates_and_names_parse() {
    let mut slots: [PhotoId; BRACKET_SIZE] = std::array::from_fn(|i| PhotoId::from_u128(i as u128));
    assert!(Bracket::from_slots(slots).is_ok());
    slots[9] = slots[2];
    assert_eq!(
        Bracket::from_slots(slots).unwrap_err(),
        Error::SamePhotoTwice { photo_id: slots[2] }
    );
    assert_eq!(
        "rating".parse::<SeedingMethod>().unwrap(),
        SeedingMethod::ByRating
    );
    assert!("elo".parse::<SeedingMethod>().is_err());
}
