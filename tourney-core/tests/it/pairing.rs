//! Pairing never breaks a rule, for any pool and any history, with either strategy.

use std::collections::HashSet;

use glicko2::Rating;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::{
    Error, JudgeHistory, MatchId, MediaType, PairingCandidate, PairingConfig, PairingRequest,
    PairingStrategy, PhotoId, UserId, propose_matches,
};

const JUDGE_OWNER: u128 = 0;

fn candidate_strategy() -> impl Strategy<Value = PairingCandidate> {
    (
        1u128..60,
        0u128..8,
        prop::bool::weighted(0.15),
        1000.0f64..2000.0,
        30.0f64..350.0,
        0u32..12,
    )
        .prop_map(
            |(photo, owner, is_movie, rating, rd, n_games)| PairingCandidate {
                photo_id: PhotoId::from_u128(photo),
                owner: UserId::from_u128(owner),
                media_type: if is_movie {
                    MediaType::Movie
                } else {
                    MediaType::Photo
                },
                rating: Rating::new(rating, rd, 0.06).unwrap(),
                n_games,
            },
        )
}

/// Every pair the rules allow at all (before history), by brute force.
fn allowed_pairs(candidates: &[PairingCandidate]) -> HashSet<MatchId> {
    let judge = UserId::from_u128(JUDGE_OWNER);
    let mut allowed = HashSet::new();
    for first in candidates {
        for second in candidates {
            let ok = first.photo_id != second.photo_id
                && first.owner != judge
                && second.owner != judge
                && first.owner != second.owner
                && first.media_type == second.media_type;
            if ok {
                allowed.insert(MatchId::new(first.photo_id, second.photo_id).unwrap());
            }
        }
    }
    allowed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn pairing_never_breaks_a_constraint(
        mut candidates in prop::collection::vec(candidate_strategy(), 0..40),
        history_picks in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3), 0..60),
        informative in any::<bool>(),
        max_matches in 1usize..12,
        seed in any::<u64>(),
    ) {
        // One owner and one media type per photo id, as in a real pool.
        let mut seen_ids = HashSet::new();
        candidates.retain(|c| seen_ids.insert(c.photo_id));
        let allowed = allowed_pairs(&candidates);
        let allowed_list: Vec<MatchId> = {
            let mut list: Vec<MatchId> = allowed.iter().copied().collect();
            list.sort();
            list
        };
        let mut history = JudgeHistory::default();
        if !allowed_list.is_empty() {
            for (index, kind) in history_picks {
                let match_id = *index.get(&allowed_list);
                history.proposed.insert(match_id);
                if kind == 0 {
                    history.judged.insert(match_id);
                }
            }
        }
        let strategy = if informative { PairingStrategy::Informative } else { PairingStrategy::Random };
        let config = PairingConfig { strategy, max_matches, ..PairingConfig::default() };
        let request = PairingRequest {
            judge: UserId::from_u128(JUDGE_OWNER),
            candidates: &candidates,
            history: &history,
            must_include: None,
        };
        let result = propose_matches(&request, &config, &mut SmallRng::seed_from_u64(seed));
        let unjudged: HashSet<MatchId> = allowed.difference(&history.judged).copied().collect();
        let unseen: HashSet<MatchId> = unjudged.difference(&history.proposed).copied().collect();
        match result {
            Err(Error::NotEnoughPhotos { eligible }) => {
                prop_assert!(allowed.is_empty());
                prop_assert_eq!(eligible, 0);
            }
            Err(Error::NoUniqueMatches { n_allowed_pairs }) => {
                prop_assert!(!allowed.is_empty() && unjudged.is_empty());
                prop_assert_eq!(n_allowed_pairs, allowed.len());
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(matches) => {
                prop_assert_eq!(matches.len(), max_matches.min(unjudged.len()));
                let ids: HashSet<MatchId> = matches.iter().map(|m| m.match_id).collect();
                prop_assert_eq!(ids.len(), matches.len(), "a pair twice in one response");
                let n_unseen_chosen = matches.iter().filter(|m| !m.seen_before).count();
                for proposed in &matches {
                    prop_assert!(allowed.contains(&proposed.match_id));
                    prop_assert!(!history.judged.contains(&proposed.match_id));
                    prop_assert_eq!(proposed.match_id, MatchId::new(proposed.left, proposed.right).unwrap());
                    prop_assert_eq!(proposed.seen_before, history.proposed.contains(&proposed.match_id));
                    if proposed.seen_before {
                        // A seen pair only once every unseen pair is in this response.
                        prop_assert_eq!(n_unseen_chosen, unseen.len());
                    }
                }
            }
        }
    }
}
