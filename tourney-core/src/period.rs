//! Rating periods: a batch of votes becomes one Glicko-2 period over the photos that
//! played, after each photo's RD has been aged lazily for the time it sat idle.

use std::collections::HashMap;
use std::time::Duration;

use glicko2::{Config, PairGame, Period, Rating};

use crate::error::Error;
use crate::ids::PhotoId;
use crate::time::Timestamp;

/// How ratings start, move and age.
///
/// Idle aging is by elapsed time, not by how often the worker runs: one aging period
/// ([`RatingSettings::aging_period`], default one day) of idleness adds `sigma^2` to
/// `phi^2`, fractions pro rata. A deployment scoring every 5 seconds and one scoring every
/// minute therefore show the same RD for the same idle photo, which is what a player would
/// call fair. RD never ages above a new photo's RD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingSettings {
    glicko: Config,
    aging_period: Duration,
}

impl RatingSettings {
    /// The default aging period: one day.
    pub const DEFAULT_AGING_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

    /// Settings from a Glicko-2 configuration and the length of one aging period, which
    /// must be at least one millisecond.
    pub fn new(glicko: Config, aging_period: Duration) -> Result<Self, Error> {
        if aging_period.as_millis() == 0 {
            return Err(Error::InvalidSetting {
                field: "aging_period",
                reason: "must be at least one millisecond",
            });
        }
        Ok(Self {
            glicko,
            aging_period,
        })
    }

    /// The Glicko-2 configuration (tau, the new photo's rating...).
    pub fn glicko(&self) -> &Config {
        &self.glicko
    }

    /// How long a photo must sit idle for its RD to age by one rating period.
    pub fn aging_period(&self) -> Duration {
        self.aging_period
    }

    /// The largest RD a photo's rating shows: a new photo's RD (or the configuration's
    /// own cap, when lower).
    pub fn max_deviation(&self) -> f64 {
        let initial = self.glicko.new_rating().deviation();
        self.glicko
            .max_deviation()
            .map_or(initial, |cap| cap.min(initial))
    }
}

impl Default for RatingSettings {
    /// The spec's defaults (1500 / 350 / 0.06, tau 0.5), RD capped at 350, one-day aging.
    fn default() -> Self {
        let glicko = Config::builder()
            .max_deviation(Config::default().new_rating().deviation())
            .build()
            .expect("the default configuration is valid");
        Self {
            glicko,
            aging_period: Self::DEFAULT_AGING_PERIOD,
        }
    }
}

/// A photo's stored rating and when it was last rated; RD is aged from then on read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoRating {
    /// The rating as of `last_rated`.
    pub rating: Rating,
    /// When the rating was last updated by a period; `None` for a photo never rated.
    pub last_rated: Option<Timestamp>,
}

impl PhotoRating {
    /// A new photo's rating, never rated.
    pub fn new_photo(settings: &RatingSettings) -> Self {
        Self {
            rating: settings.glicko.new_rating(),
            last_rated: None,
        }
    }

    /// The rating as it stands at `now`: RD grown by the idle time since `last_rated`
    /// (fractional periods, `phi' = sqrt(phi^2 + t sigma^2)`), capped at
    /// [`RatingSettings::max_deviation`]. Rating and volatility do not change.
    pub fn aged_to(&self, now: Timestamp, settings: &RatingSettings) -> Result<Rating, Error> {
        let cap = settings.max_deviation();
        let aged = match self.last_rated {
            None => self.rating,
            Some(last_rated) => {
                let idle = now.saturating_duration_since(last_rated);
                let periods = idle.as_secs_f64() / settings.aging_period.as_secs_f64();
                glicko2::decay(self.rating, periods, &settings.glicko)?
            }
        };
        if aged.deviation() <= cap {
            return Ok(aged);
        }
        Ok(Rating::new(aged.rating(), cap, aged.volatility())?)
    }
}

/// Which side of a match won.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The photo shown on the left.
    Left,
    /// The photo shown on the right.
    Right,
}

/// One judged game: the two photos as shown (left, right) and which side won. Keeping the
/// screen sides lets position bias be measured later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vote {
    left: PhotoId,
    right: PhotoId,
    winner: Side,
}

impl Vote {
    /// A vote between two distinct photos.
    pub fn new(left: PhotoId, right: PhotoId, winner: Side) -> Result<Self, Error> {
        if left == right {
            return Err(Error::SamePhotoTwice { photo_id: left });
        }
        Ok(Self {
            left,
            right,
            winner,
        })
    }

    /// The photo shown on the left.
    pub fn left(&self) -> PhotoId {
        self.left
    }

    /// The photo shown on the right.
    pub fn right(&self) -> PhotoId {
        self.right
    }

    /// Which side won.
    pub fn winner(&self) -> Side {
        self.winner
    }

    /// The winning photo.
    pub fn winner_id(&self) -> PhotoId {
        match self.winner {
            Side::Left => self.left,
            Side::Right => self.right,
        }
    }

    /// The losing photo.
    pub fn loser_id(&self) -> PhotoId {
        match self.winner {
            Side::Left => self.right,
            Side::Right => self.left,
        }
    }
}

/// One photo's result of a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatedPhoto {
    /// The photo.
    pub photo_id: PhotoId,
    /// Its rating at the period's start (aged to the period's instant).
    pub before: Rating,
    /// Its new rating, last rated at the period's instant.
    pub after: PhotoRating,
    /// Games won in this period.
    pub wins: u32,
    /// Games lost in this period.
    pub losses: u32,
}

/// Runs rating periods, reusing its buffers from one period to the next.
///
/// ```
/// use std::collections::HashMap;
/// use tourney_core::{PhotoId, PhotoRating, RatingPeriod, RatingSettings, Side, Timestamp, Vote};
///
/// let settings = RatingSettings::default();
/// let (a, b) = (PhotoId::from_u128(1), PhotoId::from_u128(2));
/// let stored: HashMap<PhotoId, PhotoRating> =
///     [(a, PhotoRating::new_photo(&settings)), (b, PhotoRating::new_photo(&settings))].into();
/// let votes = [Vote::new(a, b, Side::Left)?];
/// let now = Timestamp::from_millis(1_000);
/// let rated = RatingPeriod::new().rate(&votes, |id| stored.get(&id).copied(), now, &settings)?;
/// assert_eq!(rated.len(), 2);
/// assert!(rated[0].after.rating.rating() > 1500.0 && rated[0].wins == 1);
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct RatingPeriod {
    period: Period,
    index_by_photo: HashMap<PhotoId, u32>,
    photo_ids: Vec<PhotoId>,
    ratings: Vec<Rating>,
    games: Vec<PairGame>,
    wins: Vec<u32>,
    losses: Vec<u32>,
    /// Vote indices in (winner, loser) order.
    order: Vec<usize>,
}

impl RatingPeriod {
    /// An empty runner; buffers grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rates every photo that played in `votes` as one Glicko-2 period at instant `now`.
    ///
    /// `stored_rating` looks a photo's stored rating up; each is aged to `now` first, then
    /// every game uses its opponent's rating from the period's start (`glicko2::Period`).
    /// Photos that did not play are not touched: their RD ages lazily when next read.
    /// Returns one [`RatedPhoto`] per photo that played, sorted by photo id. All or
    /// nothing: an unknown photo (named with its vote's position) fails the batch.
    ///
    /// The result depends only on which votes there are, not on their order, to the last
    /// bit: games are summed in (winner, loser) order. A period re-read in another order
    /// (stream shards read in another interleaving, a replay of the log) rates the same.
    pub fn rate(
        &mut self,
        votes: &[Vote],
        mut stored_rating: impl FnMut(PhotoId) -> Option<PhotoRating>,
        now: Timestamp,
        settings: &RatingSettings,
    ) -> Result<Vec<RatedPhoto>, Error> {
        self.index_by_photo.clear();
        self.photo_ids.clear();
        self.ratings.clear();
        self.games.clear();
        self.wins.clear();
        self.losses.clear();
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..votes.len());
        order.sort_unstable_by_key(|&vote_idx| {
            let vote = &votes[vote_idx];
            (vote.winner_id(), vote.loser_id())
        });
        for &vote_idx in &order {
            let vote = &votes[vote_idx];
            let mut index_of = |photo_id: PhotoId| -> Result<u32, Error> {
                if let Some(&idx) = self.index_by_photo.get(&photo_id) {
                    return Ok(idx);
                }
                let stored = stored_rating(photo_id)
                    .ok_or(Error::UnknownPhotoInVote { vote_idx, photo_id })?;
                let idx = u32::try_from(self.photo_ids.len()).map_err(|_| {
                    Error::TooManyPhotosInPeriod {
                        vote_idx,
                        max: u64::from(u32::MAX) + 1,
                    }
                })?;
                self.index_by_photo.insert(photo_id, idx);
                self.photo_ids.push(photo_id);
                self.ratings.push(stored.aged_to(now, settings)?);
                self.wins.push(0);
                self.losses.push(0);
                Ok(idx)
            };
            let winner = index_of(vote.winner_id())?;
            let loser = index_of(vote.loser_id())?;
            self.wins[winner as usize] += 1;
            self.losses[loser as usize] += 1;
            self.games.push(PairGame::new(winner, loser, 1.0));
        }
        self.order = order;
        let before = self.ratings.clone();
        self.period
            .rate(&mut self.ratings, &self.games, &settings.glicko)?;
        let mut rated: Vec<RatedPhoto> = (0..self.photo_ids.len())
            .map(|idx| RatedPhoto {
                photo_id: self.photo_ids[idx],
                before: before[idx],
                after: PhotoRating {
                    rating: self.ratings[idx],
                    last_rated: Some(now),
                },
                wins: self.wins[idx],
                losses: self.losses[idx],
            })
            .collect();
        rated.sort_unstable_by_key(|photo| photo.photo_id);
        Ok(rated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RatingSettings {
        RatingSettings::default()
    }

    #[test]
    fn idle_rd_ages_with_elapsed_periods_and_is_capped() {
        let stored = PhotoRating {
            rating: Rating::new(1600.0, 50.0, 0.06).unwrap(),
            last_rated: Some(Timestamp::from_millis(0)),
        };
        let day = settings().aging_period().as_millis() as i64;
        let cases = [
            (0, 50.0),
            (
                day,
                (50.0f64.powi(2) + (0.06 * glicko2::SCALE).powi(2)).sqrt(),
            ),
            (
                day / 2,
                (50.0f64.powi(2) + 0.5 * (0.06 * glicko2::SCALE).powi(2)).sqrt(),
            ),
            (
                day * 100,
                (50.0f64.powi(2) + 100.0 * (0.06 * glicko2::SCALE).powi(2)).sqrt(),
            ),
            (day * 100_000, 350.0),
            (-day, 50.0),
        ];
        for (idle_millis, expected_rd) in cases {
            let aged = stored
                .aged_to(Timestamp::from_millis(idle_millis), &settings())
                .unwrap();
            assert!(
                (aged.deviation() - expected_rd).abs() < 1e-6,
                "{idle_millis}: {} vs {expected_rd}",
                aged.deviation()
            );
            assert!((aged.rating() - 1600.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_period_rates_only_the_photos_that_played() {
        let ids: Vec<PhotoId> = (1..=4).map(PhotoId::from_u128).collect();
        let stored: HashMap<PhotoId, PhotoRating> = ids
            .iter()
            .map(|id| (*id, PhotoRating::new_photo(&settings())))
            .collect();
        let votes = [
            Vote::new(ids[0], ids[1], Side::Left).unwrap(),
            Vote::new(ids[2], ids[0], Side::Right).unwrap(),
        ];
        let now = Timestamp::from_millis(5);
        let rated = RatingPeriod::new()
            .rate(&votes, |id| stored.get(&id).copied(), now, &settings())
            .unwrap();
        let summary: Vec<(PhotoId, u32, u32)> = rated
            .iter()
            .map(|photo| (photo.photo_id, photo.wins, photo.losses))
            .collect();
        assert_eq!(summary, [(ids[0], 2, 0), (ids[1], 0, 1), (ids[2], 0, 1)]);
        assert!(
            rated
                .iter()
                .all(|photo| photo.after.last_rated == Some(now))
        );
        assert!(rated[0].after.rating.rating() > rated[1].after.rating.rating());
    }

    #[test]
    fn a_period_matches_glicko2_rate_pair_for_a_single_vote() {
        let (a, b) = (PhotoId::from_u128(7), PhotoId::from_u128(3));
        let stored = PhotoRating::new_photo(&settings());
        let rated = RatingPeriod::new()
            .rate(
                &[Vote::new(a, b, Side::Right).unwrap()],
                |_| Some(stored),
                Timestamp::UNIX_EPOCH,
                &settings(),
            )
            .unwrap();
        let (winner, loser) =
            glicko2::rate_pair(stored.rating, stored.rating, 1.0, settings().glicko()).unwrap();
        assert_eq!(rated[0].photo_id, b);
        assert!((rated[0].after.rating.rating() - winner.rating()).abs() < 1e-9);
        assert!((rated[1].after.rating.rating() - loser.rating()).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_photo_fails_the_batch_naming_the_vote() {
        let (a, b) = (PhotoId::from_u128(1), PhotoId::from_u128(2));
        let votes = [
            Vote::new(a, b, Side::Left).unwrap(),
            Vote::new(a, PhotoId::from_u128(9), Side::Left).unwrap(),
        ];
        let known = |id: PhotoId| {
            (id != PhotoId::from_u128(9)).then(|| PhotoRating::new_photo(&settings()))
        };
        let error = RatingPeriod::new()
            .rate(&votes, known, Timestamp::UNIX_EPOCH, &settings())
            .unwrap_err();
        assert_eq!(
            error,
            Error::UnknownPhotoInVote {
                vote_idx: 1,
                photo_id: PhotoId::from_u128(9)
            }
        );
        assert!(Vote::new(a, a, Side::Left).is_err());
        assert!(RatingSettings::new(Config::default(), Duration::ZERO).is_err());
    }
}
