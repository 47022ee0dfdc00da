//! A rating period's result depends on which votes it holds, never on their order.

use proptest::prelude::*;
use tourney_core::{PhotoId, PhotoRating, RatingPeriod, RatingSettings, Side, Timestamp, Vote};

/// The bits of every number of a period's result, so equality means identical.
fn bits_of(
    votes: &[Vote],
    stored: &std::collections::HashMap<PhotoId, PhotoRating>,
) -> Vec<(PhotoId, [u64; 6], u32, u32)> {
    let rated = RatingPeriod::new()
        .rate(
            votes,
            |id| stored.get(&id).copied(),
            Timestamp::from_millis(10_000),
            &RatingSettings::default(),
        )
        .unwrap();
    rated
        .iter()
        .map(|photo| {
            let (before, after) = (photo.before, photo.after.rating);
            (
                photo.photo_id,
                [
                    before.rating().to_bits(),
                    before.deviation().to_bits(),
                    before.volatility().to_bits(),
                    after.rating().to_bits(),
                    after.deviation().to_bits(),
                    after.volatility().to_bits(),
                ],
                photo.wins,
                photo.losses,
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn shuffled_votes_rate_to_the_same_bits(
        pairs in prop::collection::vec((0u128..12, 0u128..12, any::<bool>()), 1..200),
        seed in any::<u64>(),
    ) {
        let settings = RatingSettings::default();
        let votes: Vec<Vote> = pairs
            .iter()
            .filter(|(a, b, _)| a != b)
            .map(|&(a, b, left_won)| {
                let side = if left_won { Side::Left } else { Side::Right };
                Vote::new(PhotoId::from_u128(a + 1), PhotoId::from_u128(b + 1), side).unwrap()
            })
            .collect();
        prop_assume!(!votes.is_empty());
        let stored = (1..=12)
            .map(|id| {
                let mut rating = PhotoRating::new_photo(&settings);
                rating.rating = glicko2::Rating::new(1300.0 + 37.0 * id as f64, 60.0 + id as f64, 0.06)
                    .unwrap();
                (PhotoId::from_u128(id), rating)
            })
            .collect();
        // A Fisher-Yates shuffle driven by `seed` (a small LCG: the test needs any order,
        // not good randomness).
        let mut shuffled = votes.clone();
        let mut state = seed | 1;
        for idx in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let other = (state >> 33) as usize % (idx + 1);
            shuffled.swap(idx, other);
        }
        prop_assert_eq!(bits_of(&votes, &stored), bits_of(&shuffled, &stored));
    }
}
