//! A match's stakes: how much each photo's score would move if it won or lost this game
//! alone, shown to the judge with the match.

use glicko2::Prediction;

use crate::error::Error;
use crate::period::{PhotoRating, RatingSettings};
use crate::time::Timestamp;

/// The four deltas (`a_win_delta`, `a_lose_delta`, `b_win_delta`, `b_lose_delta`) of a match
/// between `a` and `b`, as one-game Glicko-2 updates from both ratings aged to `now`.
///
/// `a` and `b` are the spec's `photo_a` (smaller id) and `photo_b`; a client showing them
/// swapped swaps the deltas too.
///
/// ```
/// use tourney_core::{PhotoRating, RatingSettings, Timestamp, predict_match};
///
/// let settings = RatingSettings::default();
/// let fresh = PhotoRating::new_photo(&settings);
/// let stakes = predict_match(&fresh, &fresh, Timestamp::UNIX_EPOCH, &settings)?;
/// assert!(stakes.a_win_delta > 0.0 && stakes.b_lose_delta < 0.0);
/// # Ok::<(), tourney_core::Error>(())
/// ```
pub fn predict_match(
    a: &PhotoRating,
    b: &PhotoRating,
    now: Timestamp,
    settings: &RatingSettings,
) -> Result<Prediction, Error> {
    let a_now = a.aged_to(now, settings)?;
    let b_now = b.aged_to(now, settings)?;
    Ok(glicko2::predict(a_now, b_now, settings.glicko())?)
}

#[cfg(test)]
mod tests {
    use glicko2::Rating;

    use super::*;

    fn stored(rating: f64, deviation: f64) -> PhotoRating {
        PhotoRating {
            rating: Rating::new(rating, deviation, 0.06).unwrap(),
            last_rated: Some(Timestamp::UNIX_EPOCH),
        }
    }

    #[test]
    fn deltas_follow_the_favourite_and_the_uncertainty() {
        let settings = RatingSettings::default();
        let now = Timestamp::UNIX_EPOCH;
        // (a, b, underdog gains more when it wins, a moves more than b)
        let cases = [
            (stored(1500.0, 350.0), stored(1500.0, 350.0), false, false),
            (stored(1400.0, 100.0), stored(1600.0, 100.0), true, false),
            (stored(1500.0, 300.0), stored(1500.0, 50.0), false, true),
        ];
        for (a, b, a_is_underdog, a_more_uncertain) in cases {
            let stakes = predict_match(&a, &b, now, &settings).unwrap();
            assert!(stakes.a_win_delta > 0.0 && stakes.a_lose_delta < 0.0);
            assert!(stakes.b_win_delta > 0.0 && stakes.b_lose_delta < 0.0);
            if a_is_underdog {
                assert!(stakes.a_win_delta > stakes.b_win_delta);
            }
            if a_more_uncertain {
                assert!(stakes.a_win_delta > stakes.b_win_delta);
            }
            let direct = glicko2::predict(a.rating, b.rating, settings.glicko()).unwrap();
            assert!((direct.a_win_delta - stakes.a_win_delta).abs() < 1e-9);
        }
    }

    #[test]
    fn idle_photos_are_aged_before_predicting() {
        let settings = RatingSettings::default();
        let idle = stored(1500.0, 60.0);
        let later = Timestamp::UNIX_EPOCH.saturating_add(settings.aging_period() * 30);
        let fresh_stakes = predict_match(&idle, &idle, Timestamp::UNIX_EPOCH, &settings).unwrap();
        let aged_stakes = predict_match(&idle, &idle, later, &settings).unwrap();
        assert!(aged_stakes.a_win_delta > fresh_stakes.a_win_delta);
    }
}
