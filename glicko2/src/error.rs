//! The one error type of the crate: every way an input can be refused.

/// Why a rating could not be built or updated.
///
/// Every public function validates at its boundary, so a value of this type always names
/// the offending input; the maths behind the boundary is total.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A number was NaN or infinite.
    NotFinite {
        /// Which input.
        field: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A number was outside the range this crate accepts for it.
    OutOfRange {
        /// Which input.
        field: &'static str,
        /// The value that was given.
        value: f64,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// A game in a population period names a player index that does not exist.
    UnknownPlayer {
        /// Position of the game in the slice handed over.
        game: usize,
        /// The index it named.
        player: usize,
        /// How many players there are.
        n_players: usize,
    },
    /// A game in a population period pairs a player with themself.
    SelfGame {
        /// Position of the game in the slice handed over.
        game: usize,
        /// The player index.
        player: usize,
    },
    /// The volatility iteration (step 5) did not converge within the configured cap.
    NoConvergence {
        /// The iteration cap that was reached.
        iterations: u32,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotFinite { field, value } => {
                write!(f, "{field} must be a finite number, got {value}")
            }
            Self::OutOfRange {
                field,
                value,
                min,
                max,
            } => {
                write!(f, "{field} must be within [{min}, {max}], got {value}")
            }
            Self::UnknownPlayer {
                game,
                player,
                n_players,
            } => write!(
                f,
                "game {game} names player {player}, but there are only {n_players} players"
            ),
            Self::SelfGame { game, player } => {
                write!(f, "game {game} pairs player {player} with themself")
            }
            Self::NoConvergence { iterations } => {
                write!(
                    f,
                    "volatility iteration did not converge within {iterations} iterations"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// Checks that `value` is finite and within `[min, max]`, naming `field` otherwise.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    min: f64,
    max: f64,
) -> Result<f64, Error> {
    if !value.is_finite() {
        return Err(Error::NotFinite { field, value });
    }
    if value < min || value > max {
        return Err(Error::OutOfRange {
            field,
            value,
            min,
            max,
        });
    }
    Ok(value)
}
