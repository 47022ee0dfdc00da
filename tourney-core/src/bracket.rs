//! Brackets: choosing and seeding 16 photos, the 15 game positions, checking a judge's
//! report of winners, and turning a valid report into 15 votes.

use std::collections::{HashMap, HashSet};

use glicko2::Rating;
use rand::Rng;
use rand::seq::SliceRandom;

use crate::error::Error;
use crate::ids::{PhotoId, UserId};
use crate::named::wire_names;
use crate::period::{Side, Vote};
use crate::pool::MediaType;

/// Photos in a bracket.
pub const BRACKET_SIZE: usize = 16;
/// Games in a bracket: positions 0-7 the round of 16, 8-11 quarter-finals, 12-13
/// semi-finals, 14 the final.
pub const BRACKET_GAMES: usize = 15;

/// Slot of each seed (1-based seeds, in slot order): game i is slot 2i v slot 2i+1, so the
/// round of 16 is 1v16, 8v9, 5v12, 4v13, 6v11, 3v14, 7v10, 2v15 and seeds 1 and 2 can only
/// meet in the final.
pub const STANDARD_SEED_ORDER: [usize; BRACKET_SIZE] =
    [1, 16, 8, 9, 5, 12, 4, 13, 6, 11, 3, 14, 7, 10, 2, 15];

/// How the 16 chosen photos are placed in the bracket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeedingMethod {
    /// By rating, highest first, in the standard order ([`STANDARD_SEED_ORDER`]).
    ByRating,
    /// In random slots.
    Random,
}

wire_names!(SeedingMethod, "seeding", [ByRating => "rating", Random => "random"]);

/// A ready photo of the tournament's pool, as seeding needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BracketCandidate {
    /// The photo.
    pub photo_id: PhotoId,
    /// Its owner.
    pub owner: UserId,
    /// Photo or movie; brackets hold still photos only, so no game pits one against a movie.
    pub media_type: MediaType,
    /// Its current rating (for seeding by rating).
    pub rating: Rating,
}

/// 16 photos in bracket order: game `i` of the round of 16 is `slots[2i]` v `slots[2i + 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bracket {
    slots: [PhotoId; BRACKET_SIZE],
}

impl Bracket {
    /// Chooses and seeds 16 photos for `judge` from `candidates`.
    ///
    /// The 16 are drawn at random (not the top 16, so every photo of the pool gets its
    /// chance), never the judge's, still photos only, at most one per owner while the pool
    /// has 16 owners (otherwise spread as evenly over owners as it allows), then placed by
    /// `method`. Fewer than 16 eligible photos is
    /// [`Error::NotEnoughTournamentPhotos`]: the host skips the tournament for now.
    pub fn seed(
        judge: UserId,
        candidates: &[BracketCandidate],
        method: SeedingMethod,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self, Error> {
        let mut seen_ids = HashSet::new();
        let mut eligible: Vec<&BracketCandidate> = candidates
            .iter()
            .filter(|c| c.owner != judge && c.media_type == MediaType::Photo)
            .filter(|c| seen_ids.insert(c.photo_id))
            .collect();
        if eligible.len() < BRACKET_SIZE {
            return Err(Error::NotEnoughTournamentPhotos {
                eligible: eligible.len(),
                needed: BRACKET_SIZE,
            });
        }
        eligible.shuffle(rng);
        // Round robin over owners: every owner's first photo, then second photos...
        let mut photos_per_owner: HashMap<UserId, usize> = HashMap::new();
        let mut by_round: Vec<(usize, &BracketCandidate)> = eligible
            .into_iter()
            .map(|candidate| {
                let round = photos_per_owner.entry(candidate.owner).or_default();
                *round += 1;
                (*round, candidate)
            })
            .collect();
        by_round.sort_by_key(|(round, _)| *round);
        let mut chosen: Vec<&BracketCandidate> = by_round
            .into_iter()
            .take(BRACKET_SIZE)
            .map(|(_, candidate)| candidate)
            .collect();
        match method {
            SeedingMethod::Random => chosen.shuffle(rng),
            SeedingMethod::ByRating => {
                chosen.sort_by(|a, b| {
                    b.rating
                        .rating()
                        .total_cmp(&a.rating.rating())
                        .then(a.photo_id.cmp(&b.photo_id))
                });
                let by_seed = chosen.clone();
                for (slot, seed) in STANDARD_SEED_ORDER.iter().enumerate() {
                    chosen[slot] = by_seed[seed - 1];
                }
            }
        }
        let slots = std::array::from_fn(|slot| chosen[slot].photo_id);
        Ok(Self { slots })
    }

    /// A bracket from 16 distinct photos in slot order (e.g. read back from storage).
    pub fn from_slots(slots: [PhotoId; BRACKET_SIZE]) -> Result<Self, Error> {
        let mut seen_ids = HashSet::new();
        if let Some(photo_id) = slots.iter().find(|id| !seen_ids.insert(**id)) {
            return Err(Error::SamePhotoTwice {
                photo_id: *photo_id,
            });
        }
        Ok(Self { slots })
    }

    /// The 16 photos in slot order.
    pub fn slots(&self) -> &[PhotoId; BRACKET_SIZE] {
        &self.slots
    }

    /// The positions whose winners meet at `position` (8 to 14), or `None` for a game of
    /// the round of 16: position `8 + k` is the winners of games `2k` and `2k + 1`.
    pub fn feeding_games(position: usize) -> Option<(usize, usize)> {
        (8..BRACKET_GAMES)
            .contains(&position)
            .then(|| (2 * (position - 8), 2 * (position - 8) + 1))
    }

    /// Checks a report of 15 winners in position order: each must be one of the two photos
    /// that reach that game given the earlier winners. The error names the first bad
    /// position (HTTP 422).
    pub fn validate_report(&self, winners: &[PhotoId]) -> Result<BracketResult, Error> {
        if winners.len() != BRACKET_GAMES {
            return Err(Error::BracketReportLength {
                got: winners.len(),
                expected: BRACKET_GAMES,
            });
        }
        let mut games = [(self.slots[0], self.slots[1]); BRACKET_GAMES];
        for (position, &winner) in winners.iter().enumerate() {
            let entrants = match Self::feeding_games(position) {
                None => (self.slots[2 * position], self.slots[2 * position + 1]),
                Some((first, second)) => (winners[first], winners[second]),
            };
            if winner != entrants.0 && winner != entrants.1 {
                return Err(Error::BracketWinnerNotInGame { position, winner });
            }
            games[position] = entrants;
        }
        Ok(BracketResult {
            games,
            winners: std::array::from_fn(|position| winners[position]),
        })
    }
}

/// A validated bracket report: who played whom at each position and who won.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BracketResult {
    games: [(PhotoId, PhotoId); BRACKET_GAMES],
    winners: [PhotoId; BRACKET_GAMES],
}

impl BracketResult {
    /// The tournament's winner (the final's winner).
    pub fn champion(&self) -> PhotoId {
        self.winners[BRACKET_GAMES - 1]
    }

    /// The two photos of each game, by position.
    pub fn games(&self) -> &[(PhotoId, PhotoId); BRACKET_GAMES] {
        &self.games
    }

    /// The winner of each game, by position.
    pub fn winners(&self) -> &[PhotoId; BRACKET_GAMES] {
        &self.winners
    }

    /// The 15 games as votes, by position; the photo from the lower slot side is `left`.
    pub fn votes(&self) -> [Vote; BRACKET_GAMES] {
        std::array::from_fn(|position| {
            let (left, right) = self.games[position];
            let side = if self.winners[position] == left {
                Side::Left
            } else {
                Side::Right
            };
            Vote::new(left, right, side).expect("a bracket's photos are distinct")
        })
    }
}

#[cfg(test)]
mod tests;
