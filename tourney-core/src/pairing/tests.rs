//! Table-driven cases for match proposal: each hard rule, the fallbacks and errors, and
//! the randomness both strategies must keep.

use std::collections::HashMap;

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::*;

const JUDGE: UserId = UserId::from_u128(999);

fn candidate(photo: u128, owner: u128, media_type: MediaType) -> PairingCandidate {
    PairingCandidate {
        photo_id: PhotoId::from_u128(photo),
        owner: UserId::from_u128(owner),
        media_type,
        rating: Rating::default(),
        n_games: 100,
    }
}

fn photos(owners: &[u128]) -> Vec<PairingCandidate> {
    owners
        .iter()
        .enumerate()
        .map(|(idx, owner)| candidate(idx as u128 + 1, *owner, MediaType::Photo))
        .collect()
}

fn config(strategy: PairingStrategy) -> PairingConfig {
    PairingConfig {
        strategy,
        ..PairingConfig::default()
    }
}

fn propose(
    candidates: &[PairingCandidate],
    history: &JudgeHistory,
    strategy: PairingStrategy,
    seed: u64,
) -> Result<Vec<ProposedMatch>, Error> {
    let request = PairingRequest {
        judge: JUDGE,
        candidates,
        history,
        must_include: None,
    };
    propose_matches(
        &request,
        &config(strategy),
        &mut SmallRng::seed_from_u64(seed),
    )
}

fn match_id(a: u128, b: u128) -> MatchId {
    MatchId::new(PhotoId::from_u128(a), PhotoId::from_u128(b)).unwrap()
}

/// Pairs of photo numbers, as a history is written in a table.
type PhotoPairs = &'static [(u128, u128)];

const STRATEGIES: [PairingStrategy; 2] = [PairingStrategy::Random, PairingStrategy::Informative];

#[test]
fn hard_rules_hold_for_both_strategies() {
    let mut candidates = photos(&[1, 1, 2, 3, JUDGE.as_u128(), 4, 5, 6]);
    candidates.push(candidate(50, 7, MediaType::Movie));
    candidates.push(candidate(51, 8, MediaType::Movie));
    let owner_of: HashMap<PhotoId, (UserId, MediaType)> = candidates
        .iter()
        .map(|c| (c.photo_id, (c.owner, c.media_type)))
        .collect();
    for strategy in STRATEGIES {
        for seed in 0..20 {
            let matches = propose(&candidates, &JudgeHistory::default(), strategy, seed).unwrap();
            assert_eq!(matches.len(), 10);
            let distinct: HashSet<MatchId> = matches.iter().map(|m| m.match_id).collect();
            assert_eq!(
                distinct.len(),
                matches.len(),
                "a pair twice in one response"
            );
            for proposed in &matches {
                let (left_owner, left_media) = owner_of[&proposed.left];
                let (right_owner, right_media) = owner_of[&proposed.right];
                assert_ne!(left_owner, JUDGE);
                assert_ne!(right_owner, JUDGE);
                assert_ne!(left_owner, right_owner);
                assert_eq!(left_media, right_media);
                assert_eq!(
                    proposed.match_id,
                    MatchId::new(proposed.left, proposed.right).unwrap()
                );
                assert!(!proposed.seen_before);
            }
        }
    }
}

#[test]
fn unseen_pairs_come_before_seen_ones_and_judged_ones_never_return() {
    // Four photos of four owners: six allowed pairs.
    let candidates = photos(&[1, 2, 3, 4]);
    // (proposed, judged, expected number of matches, expected number seen before)
    let cases: [(PhotoPairs, PhotoPairs, usize, usize); 4] = [
        (&[], &[], 6, 0),
        (&[(1, 2), (3, 4)], &[], 6, 2),
        (&[(1, 2), (3, 4)], &[(1, 2)], 5, 1),
        (
            &[(1, 2), (1, 3), (1, 4), (2, 3), (2, 4)],
            &[(1, 2), (1, 3)],
            4,
            3,
        ),
    ];
    for (proposed, judged, n_expected, n_seen_expected) in cases {
        let history = JudgeHistory {
            proposed: proposed.iter().map(|(a, b)| match_id(*a, *b)).collect(),
            judged: judged.iter().map(|(a, b)| match_id(*a, *b)).collect(),
        };
        for strategy in STRATEGIES {
            let matches = propose(&candidates, &history, strategy, 7).unwrap();
            assert_eq!(matches.len(), n_expected, "{proposed:?} {judged:?}");
            let n_seen = matches.iter().filter(|m| m.seen_before).count();
            assert_eq!(n_seen, n_seen_expected);
            // Unseen pairs first, and every seen pair really was seen.
            let first_seen = matches
                .iter()
                .position(|m| m.seen_before)
                .unwrap_or(matches.len());
            assert!(matches[first_seen..].iter().all(|m| m.seen_before));
            for proposed_match in &matches {
                assert!(!history.judged.contains(&proposed_match.match_id));
                assert_eq!(
                    proposed_match.seen_before,
                    history.proposed.contains(&proposed_match.match_id)
                );
            }
        }
    }
}

#[test]
fn a_long_history_from_other_pools_changes_nothing() {
    // Six allowed pairs here, and a judge who has seen 100 pairs elsewhere: the history is
    // then read pair by pair instead of entry by entry, with the same outcome.
    let candidates = photos(&[1, 2, 3, 4]);
    let mut history = JudgeHistory {
        proposed: [match_id(1, 2), match_id(3, 4), match_id(1, 3)].into(),
        judged: [match_id(1, 2)].into(),
    };
    let short_history = history.clone();
    for n in 0..100 {
        history.proposed.insert(match_id(1_000 + n, 2_000 + n));
        history.judged.insert(match_id(1_000 + n, 2_000 + n));
    }
    for strategy in STRATEGIES {
        let from_short = propose(&candidates, &short_history, strategy, 11).unwrap();
        let from_long = propose(&candidates, &history, strategy, 11).unwrap();
        assert_eq!(from_short, from_long);
        assert_eq!(from_long.len(), 5);
        assert_eq!(from_long.iter().filter(|m| m.seen_before).count(), 2);
    }
}

#[test]
fn errors_name_the_situation() {
    let all_judged = JudgeHistory {
        proposed: [match_id(1, 2)].into(),
        judged: [match_id(1, 2)].into(),
    };
    let mixed_media = vec![
        candidate(1, 1, MediaType::Photo),
        candidate(2, 2, MediaType::Movie),
    ];
    let cases: [(Vec<PairingCandidate>, &JudgeHistory, Error); 5] = [
        (
            vec![],
            &JudgeHistory::default(),
            Error::NotEnoughPhotos { eligible: 0 },
        ),
        (
            photos(&[1]),
            &JudgeHistory::default(),
            Error::NotEnoughPhotos { eligible: 0 },
        ),
        (
            photos(&[1, 1, 1]),
            &JudgeHistory::default(),
            Error::NotEnoughPhotos { eligible: 0 },
        ),
        (
            mixed_media,
            &JudgeHistory::default(),
            Error::NotEnoughPhotos { eligible: 0 },
        ),
        (
            photos(&[1, 2]),
            &all_judged,
            Error::NoUniqueMatches { n_allowed_pairs: 1 },
        ),
    ];
    for (candidates, history, expected) in cases {
        for strategy in STRATEGIES {
            assert_eq!(
                propose(&candidates, history, strategy, 1).unwrap_err(),
                expected,
                "{candidates:?}"
            );
        }
    }
    let own_photos = photos(&[JUDGE.as_u128(), JUDGE.as_u128(), 3]);
    assert_eq!(
        propose(
            &own_photos,
            &JudgeHistory::default(),
            PairingStrategy::Random,
            1
        )
        .unwrap_err(),
        Error::NotEnoughPhotos { eligible: 0 }
    );
}

#[test]
fn new_photos_are_proposed_first() {
    let mut candidates = photos(&(1..=30).collect::<Vec<u128>>());
    candidates[17].n_games = 0;
    candidates[23].n_games = 4;
    let cold = [candidates[17].photo_id, candidates[23].photo_id];
    for strategy in STRATEGIES {
        for seed in 0..10 {
            let matches = propose(&candidates, &JudgeHistory::default(), strategy, seed).unwrap();
            for (idx, photo_id) in cold.iter().enumerate() {
                assert!(
                    matches[..2].iter().any(|m| m.match_id.contains(*photo_id)),
                    "{strategy} seed {seed}: cold photo {idx} not in the first two matches"
                );
            }
        }
    }
}

#[test]
fn a_photo_appears_once_per_response_while_the_pool_allows() {
    let candidates = photos(&(1..=20).collect::<Vec<u128>>());
    for strategy in STRATEGIES {
        let matches = propose(&candidates, &JudgeHistory::default(), strategy, 3).unwrap();
        let mut shown: Vec<PhotoId> = matches.iter().flat_map(|m| [m.left, m.right]).collect();
        shown.sort();
        shown.dedup();
        assert_eq!(shown.len(), 20, "{strategy}");
    }
}

#[test]
fn sides_and_pairs_are_random_so_two_judges_see_different_matches() {
    let candidates = photos(&(1..=40).collect::<Vec<u128>>());
    for strategy in STRATEGIES {
        let first = propose(&candidates, &JudgeHistory::default(), strategy, 1).unwrap();
        let second = propose(&candidates, &JudgeHistory::default(), strategy, 2).unwrap();
        let first_ids: HashSet<MatchId> = first.iter().map(|m| m.match_id).collect();
        let second_ids: HashSet<MatchId> = second.iter().map(|m| m.match_id).collect();
        assert!(
            first_ids.intersection(&second_ids).count() < 5,
            "{strategy}"
        );
        let n_low_left = (0..50)
            .flat_map(|seed| {
                propose(&candidates, &JudgeHistory::default(), strategy, seed).unwrap()
            })
            .filter(|m| m.left == m.match_id.low())
            .count();
        assert!(
            (150..350).contains(&n_low_left),
            "{strategy}: {n_low_left} of 500"
        );
    }
}

#[test]
fn informative_prefers_close_uncertain_pairs() {
    // Photos 1-10 are well known and spread 200 points apart; photos 11 and 12 are new
    // and level. Informative proposes 11 v 12 far more often than random does.
    let mut candidates = photos(&(1..=12).collect::<Vec<u128>>());
    for (idx, candidate) in candidates.iter_mut().enumerate() {
        let (rating, deviation) = if idx < 10 {
            (500.0 + 200.0 * idx as f64, 40.0)
        } else {
            (1500.0, 300.0)
        };
        candidate.rating = Rating::new(rating, deviation, 0.06).unwrap();
    }
    let uncertain_pair = match_id(11, 12);
    let count_first_pick = |strategy| {
        (0..200)
            .filter(|seed| {
                let matches =
                    propose(&candidates, &JudgeHistory::default(), strategy, *seed).unwrap();
                matches[0].match_id == uncertain_pair
            })
            .count()
    };
    let informative = count_first_pick(PairingStrategy::Informative);
    let random = count_first_pick(PairingStrategy::Random);
    assert!(
        informative > 4 * random.max(5),
        "informative {informative}, random {random}"
    );
    assert!(informative < 200, "informative must stay random");
}

#[test]
fn informative_settles_the_top_of_the_board_first() {
    // Forty known photos in close pairs of ratings (1000, 1010, 1100, 1110, ...): every
    // pair of neighbours is as uncertain as the next, but only the top ones decide the board.
    let mut candidates = photos(&(1..=40).collect::<Vec<u128>>());
    for (idx, candidate) in candidates.iter_mut().enumerate() {
        let rating = 1000.0 + 100.0 * (idx / 2) as f64 + 10.0 * (idx % 2) as f64;
        candidate.rating = Rating::new(rating, 50.0, 0.06).unwrap();
    }
    let top_ten: HashSet<PhotoId> = candidates[30..].iter().map(|c| c.photo_id).collect();
    let count_top_pairs = |strategy| {
        (0..100)
            .map(|seed| {
                let matches =
                    propose(&candidates, &JudgeHistory::default(), strategy, seed).unwrap();
                matches
                    .iter()
                    .filter(|m| top_ten.contains(&m.left) && top_ten.contains(&m.right))
                    .count()
            })
            .sum::<usize>()
    };
    let informative = count_top_pairs(PairingStrategy::Informative);
    let random = count_top_pairs(PairingStrategy::Random);
    assert!(
        informative > 3 * random,
        "informative {informative}, random {random}"
    );
}

#[test]
fn must_include_restricts_to_pairs_with_that_photo() {
    let candidates = photos(&[1, 2, 3, 4, 5]);
    let wanted = PhotoId::from_u128(3);
    let request = PairingRequest {
        judge: JUDGE,
        candidates: &candidates,
        history: &JudgeHistory::default(),
        must_include: Some(wanted),
    };
    let matches = propose_matches(
        &request,
        &PairingConfig::default(),
        &mut SmallRng::seed_from_u64(5),
    )
    .unwrap();
    assert_eq!(matches.len(), 4);
    assert!(matches.iter().all(|m| m.match_id.contains(wanted)));
}

#[test]
fn one_prepared_pool_serves_each_judge_by_their_own_rules() {
    // Judges 1 and 2 each own a photo of the pool; their histories differ. Drawing from one
    // shared pool gives each exactly what a pool prepared for that request alone gives.
    let mut candidates = photos(&[1, 2, 3, 4, 5, 6, 7, 8]);
    for (idx, candidate) in candidates.iter_mut().enumerate() {
        candidate.rating = Rating::new(1400.0 + 25.0 * idx as f64, 80.0, 0.06).unwrap();
    }
    let (judge_one, judge_two) = (UserId::from_u128(1), UserId::from_u128(2));
    let mut history_two = JudgeHistory::default();
    history_two.proposed.insert(match_id(3, 4));
    history_two.judged.insert(match_id(3, 4));
    let judges = [
        (judge_one, JudgeHistory::default()),
        (judge_two, history_two),
    ];
    for strategy in STRATEGIES {
        let config = PairingConfig {
            max_matches: 3,
            ..config(strategy)
        };
        let shared = PairingPool::new(&candidates, &config);
        for seed in 0..50 {
            for (judge, history) in &judges {
                let from_shared = shared
                    .propose(*judge, history, None, 3, &mut SmallRng::seed_from_u64(seed))
                    .unwrap();
                let request = PairingRequest {
                    judge: *judge,
                    candidates: &candidates,
                    history,
                    must_include: None,
                };
                let alone =
                    propose_matches(&request, &config, &mut SmallRng::seed_from_u64(seed)).unwrap();
                assert_eq!(from_shared, alone, "{strategy:?}, seed {seed}");
                let own = PhotoId::from_u128(judge.as_u128());
                assert!(from_shared.iter().all(|m| !m.match_id.contains(own)));
                assert!(
                    from_shared
                        .iter()
                        .all(|m| !history.judged.contains(&m.match_id))
                );
            }
        }
    }
}

#[test]
fn strategy_names_parse() {
    assert_eq!(
        "random".parse::<PairingStrategy>().unwrap(),
        PairingStrategy::Random
    );
    assert_eq!(
        "informative".parse::<PairingStrategy>().unwrap(),
        PairingStrategy::Informative
    );
    assert!("smart".parse::<PairingStrategy>().is_err());
}

/// How often each pair comes first and how often each photo is in the response, over
/// `n_runs` seeds, drawing for a judge with `history` with `options`.
fn draw_frequencies(
    candidates: &[PairingCandidate],
    config: &PairingConfig,
    history: &JudgeHistory,
    options: DrawOptions,
    n_runs: u64,
) -> (HashMap<MatchId, f64>, HashMap<PhotoId, f64>) {
    let pool = PairingPool::new(candidates, config);
    let request = PoolRequest {
        judge: JUDGE,
        history,
        must_include: None,
        max_matches: config.max_matches,
    };
    let mut first = HashMap::new();
    let mut shown = HashMap::new();
    for seed in 0..n_runs {
        let mut rng = SmallRng::seed_from_u64(seed);
        let matches = pool.propose_drawing(&request, options, &mut rng).unwrap();
        assert_eq!(matches.len(), config.max_matches);
        *first.entry(matches[0].match_id).or_insert(0.0) += 1.0 / n_runs as f64;
        for photo_id in matches.iter().flat_map(|m| [m.left, m.right]) {
            *shown.entry(photo_id).or_insert(0.0) += 1.0 / n_runs as f64;
        }
    }
    (first, shown)
}

/// Ordering every tier whole: the reference the faster draws are compared with.
const ORDER_WHOLE: DrawOptions = DrawOptions {
    race_when_it_fills: false,
    sample_when_sure: false,
};

/// Racing the free pairs of a tier that surely fills, after classifying every pair.
const RACE: DrawOptions = DrawOptions {
    race_when_it_fills: true,
    sample_when_sure: false,
};

/// What `propose` does: sampling from the running totals when the fill is sure.
const SAMPLE: DrawOptions = DrawOptions {
    race_when_it_fills: true,
    sample_when_sure: true,
};

/// Asserts drawing with `options` gives the first pair and the photos shown as often as
/// ordering every tier whole, over `n_runs` seeds each; returns how often each pair came
/// first with `options`.
fn assert_draws_like_ordering_whole(
    candidates: &[PairingCandidate],
    config: &PairingConfig,
    history: &JudgeHistory,
    options: DrawOptions,
    n_runs: u64,
) -> HashMap<MatchId, f64> {
    let (first, shown) = draw_frequencies(candidates, config, history, options, n_runs);
    let (whole_first, whole_shown) =
        draw_frequencies(candidates, config, history, ORDER_WHOLE, n_runs);
    assert_close(&first, &whole_first, n_runs, "first pair");
    assert_close(&shown, &whole_shown, n_runs, "photo shown");
    first
}

/// Asserts two estimates of each probability, from `n_runs` runs each, agree within five
/// standard errors.
fn assert_close<K: std::hash::Hash + Eq + std::fmt::Debug>(
    a: &HashMap<K, f64>,
    b: &HashMap<K, f64>,
    n_runs: u64,
    what: &str,
) {
    for key in a.keys().chain(b.keys()) {
        let (p_a, p_b) = (
            a.get(key).copied().unwrap_or(0.0),
            b.get(key).copied().unwrap_or(0.0),
        );
        let p = ((p_a + p_b) / 2.0).min(1.0);
        let tolerance = 5.0 * (2.0 * p * (1.0 - p).max(0.0) / n_runs as f64).sqrt() + 2e-3;
        assert!(
            (p_a - p_b).abs() < tolerance,
            "{what} {key:?}: {p_a} drawn faster, {p_b} ordered whole"
        );
    }
}

#[test]
fn racing_the_free_pairs_draws_like_ordering_the_whole_tier() {
    // 24 photos with spread ratings and RDs, four of them new: for three matches a pass
    // without reuse always fills the response, so the race over free pairs is used.
    let mut candidates = photos(&(1..=24).collect::<Vec<u128>>());
    for (idx, candidate) in candidates.iter_mut().enumerate() {
        let rating = 1300.0 + 17.0 * idx as f64;
        let deviation = 60.0 + 40.0 * (idx % 5) as f64;
        candidate.rating = Rating::new(rating, deviation, 0.06).unwrap();
        candidate.n_games = if idx % 7 == 0 { 2 } else { 50 };
    }
    let picker = Picker {
        candidates: &candidates,
        used_photos: vec![false; candidates.len()],
        taken: HashSet::new(),
        chosen: Vec::new(),
        max_matches: 3,
    };
    let tier: Vec<ScoredPair> = (0..24_u32)
        .flat_map(|first_idx| {
            (first_idx + 1..24).map(move |second_idx| ScoredPair {
                first_idx,
                second_idx,
                is_cold: false,
                rate: 1.0,
                time: 0.0,
            })
        })
        .collect();
    assert!(picker.fills_without_reuse(tier.iter()));
    let n_runs = 6_000;
    for strategy in STRATEGIES {
        let config = PairingConfig {
            max_matches: 3,
            ..config(strategy)
        };
        let history = JudgeHistory::default();
        let raced_first =
            assert_draws_like_ordering_whole(&candidates, &config, &history, RACE, n_runs);
        // New photos first: every first pair has one.
        let cold: HashSet<PhotoId> = candidates
            .iter()
            .filter(|c| c.n_games < 5)
            .map(|c| c.photo_id)
            .collect();
        for first in raced_first.keys() {
            assert!(cold.contains(&first.low()) || cold.contains(&first.high()));
        }
    }
}

/// 24 photos with spread ratings and RDs, every seventh new; the judge owns the first two.
fn spread_pool_with_the_judges_photos() -> Vec<PairingCandidate> {
    let mut candidates = photos(&(1..=24).collect::<Vec<u128>>());
    for (idx, candidate) in candidates.iter_mut().enumerate() {
        candidate.rating = Rating::new(
            1300.0 + 17.0 * idx as f64,
            60.0 + 40.0 * (idx % 5) as f64,
            0.06,
        )
        .unwrap();
        candidate.n_games = if idx % 7 == 0 { 2 } else { 50 };
        if idx < 2 {
            candidate.owner = JUDGE;
        }
    }
    candidates
}

#[test]
fn sampling_the_unseen_pairs_draws_like_ordering_the_whole_tier() {
    let candidates = spread_pool_with_the_judges_photos();
    // Shown pairs among new and old photos, some judged, and one of the judge's own.
    let mut history = JudgeHistory::default();
    history.proposed.extend([
        match_id(8, 9),
        match_id(8, 15),
        match_id(3, 22),
        match_id(1, 5),
    ]);
    history
        .judged
        .extend([match_id(8, 10), match_id(4, 5), match_id(15, 16)]);
    let n_runs = 6_000;
    for strategy in STRATEGIES {
        let config = PairingConfig {
            max_matches: 4,
            ..config(strategy)
        };
        let pool = PairingPool::new(&candidates, &config);
        let request = PoolRequest {
            judge: JUDGE,
            history: &history,
            must_include: None,
            max_matches: config.max_matches,
        };
        let sampled = pool
            .sample_unseen(&request, &mut SmallRng::seed_from_u64(7))
            .expect("few enough pairs set aside to sample");
        for proposed in &sampled {
            assert!(!proposed.seen_before);
            assert_eq!(history.shown(proposed.match_id), None);
            for photo in [proposed.left, proposed.right] {
                assert!(
                    candidates
                        .iter()
                        .any(|c| c.photo_id == photo && c.owner != JUDGE)
                );
            }
        }
        assert_draws_like_ordering_whole(&candidates, &config, &history, SAMPLE, n_runs);
    }
}

#[test]
fn when_most_draws_miss_the_qualifying_pairs_are_raced_instead() {
    // Ten photos, 45 pairs; the judge has seen all but three, which the draws from all 45
    // often miss 32 times in a row: those picks are raced among the three.
    let candidates = photos(&(1..=10).collect::<Vec<u128>>());
    let unseen = [match_id(1, 2), match_id(3, 7), match_id(6, 10)];
    let mut history = JudgeHistory::default();
    for a in 1..=10 {
        for b in a + 1..=10 {
            if !unseen.contains(&match_id(a, b)) {
                history.proposed.insert(match_id(a, b));
            }
        }
    }
    let n_runs = 6_000;
    for strategy in STRATEGIES {
        let config = PairingConfig {
            max_matches: 1,
            ..config(strategy)
        };
        let sampled_first =
            assert_draws_like_ordering_whole(&candidates, &config, &history, SAMPLE, n_runs);
        assert!(sampled_first.keys().all(|pair| unseen.contains(pair)));
        assert_eq!(sampled_first.len(), 3, "{sampled_first:?}");
    }
}

#[test]
fn sampling_is_left_alone_when_the_history_could_keep_it_from_filling() {
    let candidates = spread_pool_with_the_judges_photos();
    let pool = PairingPool::new(&candidates, &config(PairingStrategy::Random));
    let mut history = JudgeHistory::default();
    for a in 3..=24 {
        for b in a + 1..=24 {
            history.proposed.insert(match_id(a, b));
        }
    }
    let request = PoolRequest {
        judge: JUDGE,
        history: &history,
        must_include: None,
        max_matches: 10,
    };
    let mut rng = SmallRng::seed_from_u64(1);
    let untouched = rng.clone();
    assert!(pool.sample_unseen(&request, &mut rng).is_none());
    assert_eq!(rng, untouched, "no draw was made");
    let with_photo = PoolRequest {
        must_include: Some(PhotoId::from_u128(5)),
        history: &JudgeHistory::default(),
        ..request
    };
    assert!(pool.sample_unseen(&with_photo, &mut rng).is_none());
}

#[test]
fn a_pass_without_reuse_is_trusted_to_fill_only_when_it_must() {
    // Every pair of one photo with seven others: any pass takes one of them, so two
    // matches need the whole tier ordered (the reuse pass), while one does not.
    let candidates = photos(&(1..=8).collect::<Vec<u128>>());
    let star: Vec<ScoredPair> = (1..8_u32)
        .map(|second_idx| ScoredPair {
            first_idx: 0,
            second_idx,
            is_cold: false,
            rate: 1.0,
            time: 0.0,
        })
        .collect();
    let picker = |max_matches| Picker {
        candidates: &candidates,
        used_photos: vec![false; candidates.len()],
        taken: HashSet::new(),
        chosen: Vec::new(),
        max_matches,
    };
    assert!(picker(1).fills_without_reuse(star.iter()));
    assert!(!picker(2).fills_without_reuse(star.iter()));
    assert!(!picker(1).fills_without_reuse([].iter()));
    // With the photo taken already, no pair of the tier is free.
    let mut used = picker(2);
    used.used_photos[0] = true;
    assert!(!used.fills_without_reuse(star.iter()));
}

#[test]
fn a_bound_on_the_largest_degree_only_makes_a_sure_fill_rarer() {
    for n_pairs in 0..60_u64 {
        for n_missing in 0..6_u64 {
            for degree in 0..12_u64 {
                let sure = Picker::fill_is_sure(n_pairs, degree, n_missing);
                for bound in degree..14 {
                    assert!(
                        sure || !Picker::fill_is_sure(n_pairs, bound, n_missing),
                        "{n_pairs} pairs, degree {degree} <= {bound}, {n_missing} missing"
                    );
                }
            }
        }
    }
}

#[test]
fn a_judge_history_reads_as_shown_pairs_with_judged_winning() {
    let mut history = JudgeHistory::default();
    history.proposed.extend([match_id(1, 2), match_id(1, 3)]);
    history.judged.insert(match_id(1, 3));
    assert_eq!(history.shown(match_id(1, 2)), Some(false));
    assert_eq!(history.shown(match_id(1, 3)), Some(true));
    assert_eq!(history.shown(match_id(2, 3)), None);
    let mut visited = Vec::new();
    history.each_shown(&mut |match_id, judged| visited.push((match_id, judged)));
    assert_eq!(visited.len(), history.n_shown());
    assert!(visited.contains(&(match_id(1, 3), true)));
}
