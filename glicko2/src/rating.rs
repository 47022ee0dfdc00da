//! `Rating` on the public scale and its Glicko-2 scale twin (mu, phi, sigma), with the
//! bounds every rating stays within.

use crate::error::{Error, check_range};

/// The paper's conversion factor between the public scale and the Glicko-2 scale (step 2).
pub const SCALE: f64 = 173.7178;

/// The public rating that maps to mu = 0 on the Glicko-2 scale (step 2).
pub const CENTER: f64 = 1500.0;

/// A player's (or photo's) rating on the public, Glicko-1 compatible scale.
///
/// Built only through [`Rating::new`], so every `Rating` is finite and inside the crate's
/// bounds ([`Rating::RATING_BOUNDS`], [`Rating::DEVIATION_BOUNDS`],
/// [`Rating::VOLATILITY_BOUNDS`]); the maths behind it never sees NaN or infinity.
/// Results that would leave the bounds saturate at their edge, which lies far outside
/// anything real play produces.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RatingFields", into = "RatingFields")
)]
pub struct Rating {
    rating: f64,
    deviation: f64,
    volatility: f64,
}

/// A rating converted to the Glicko-2 scale: `mu`, `phi` and `sigma` of the paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glicko2Scale {
    /// Rating on the Glicko-2 scale: `(r - 1500) / 173.7178`.
    pub mu: f64,
    /// Rating deviation on the Glicko-2 scale: `RD / 173.7178`.
    pub phi: f64,
    /// Volatility (the same on both scales).
    pub sigma: f64,
}

impl Rating {
    /// Accepted public ratings: wide enough for any game, narrow enough that every
    /// intermediate of the algorithm stays finite.
    pub const RATING_BOUNDS: (f64, f64) = (-10_000.0, 10_000.0);
    /// Accepted rating deviations (RD); zero is refused because it would stop all learning.
    pub const DEVIATION_BOUNDS: (f64, f64) = (1e-3, 10_000.0);
    /// Accepted volatilities (sigma).
    pub const VOLATILITY_BOUNDS: (f64, f64) = (1e-6, 1.0);

    /// A rating from its public-scale parts, refused when a part is not finite or out of
    /// bounds (the error names the part).
    ///
    /// ```
    /// let fresh = glicko2::Rating::new(1500.0, 350.0, 0.06)?;
    /// assert_eq!(fresh.deviation(), 350.0);
    /// assert!(glicko2::Rating::new(1500.0, -1.0, 0.06).is_err());
    /// # Ok::<(), glicko2::Error>(())
    /// ```
    pub fn new(rating: f64, deviation: f64, volatility: f64) -> Result<Self, Error> {
        let (r_min, r_max) = Self::RATING_BOUNDS;
        let (d_min, d_max) = Self::DEVIATION_BOUNDS;
        let (v_min, v_max) = Self::VOLATILITY_BOUNDS;
        Ok(Self {
            rating: check_range("rating", rating, r_min, r_max)?,
            deviation: check_range("deviation", deviation, d_min, d_max)?,
            volatility: check_range("volatility", volatility, v_min, v_max)?,
        })
    }

    /// The public rating r (1500 for a new player by default).
    pub fn rating(&self) -> f64 {
        self.rating
    }

    /// The rating deviation RD: how unsure the rating is (350 for a new player by default).
    pub fn deviation(&self) -> f64 {
        self.deviation
    }

    /// The volatility sigma: how erratic the player's results are expected to be.
    pub fn volatility(&self) -> f64 {
        self.volatility
    }

    /// This rating on the Glicko-2 scale (step 2 of the paper).
    pub fn to_glicko2(&self) -> Glicko2Scale {
        Glicko2Scale {
            mu: (self.rating - CENTER) / SCALE,
            phi: self.deviation / SCALE,
            sigma: self.volatility,
        }
    }

    /// A rating back from the Glicko-2 scale (step 8 of the paper), saturating at the bounds.
    ///
    /// Non-finite parts are refused.
    pub fn from_glicko2(scaled: Glicko2Scale) -> Result<Self, Error> {
        for (field, value) in [
            ("mu", scaled.mu),
            ("phi", scaled.phi),
            ("sigma", scaled.sigma),
        ] {
            if !value.is_finite() {
                return Err(Error::NotFinite { field, value });
            }
        }
        Ok(Self::saturating(
            scaled.mu * SCALE + CENTER,
            scaled.phi * SCALE,
            scaled.sigma,
        ))
    }

    /// Builds a rating from finite parts computed by this crate, clamping each into bounds.
    pub(crate) fn saturating(rating: f64, deviation: f64, volatility: f64) -> Self {
        debug_assert!(rating.is_finite() && deviation.is_finite() && volatility.is_finite());
        Self {
            rating: rating.clamp(Self::RATING_BOUNDS.0, Self::RATING_BOUNDS.1),
            deviation: deviation.clamp(Self::DEVIATION_BOUNDS.0, Self::DEVIATION_BOUNDS.1),
            volatility: volatility.clamp(Self::VOLATILITY_BOUNDS.0, Self::VOLATILITY_BOUNDS.1),
        }
    }
}

impl Default for Rating {
    /// The paper's new player: 1500 / 350 / 0.06.
    fn default() -> Self {
        Self {
            rating: CENTER,
            deviation: 350.0,
            volatility: 0.06,
        }
    }
}

impl core::fmt::Display for Rating {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:.2} (RD {:.2}, sigma {:.6})",
            self.rating, self.deviation, self.volatility
        )
    }
}

/// The serialised shape of a [`Rating`]; deserialising validates through [`Rating::new`].
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingFields {
    rating: f64,
    deviation: f64,
    volatility: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RatingFields> for Rating {
    type Error = Error;
    fn try_from(fields: RatingFields) -> Result<Self, Error> {
        Self::new(fields.rating, fields.deviation, fields.volatility)
    }
}

#[cfg(feature = "serde")]
impl From<Rating> for RatingFields {
    fn from(rating: Rating) -> Self {
        Self {
            rating: rating.rating,
            deviation: rating.deviation,
            volatility: rating.volatility,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_glicko2_scale() {
        let rating = Rating::new(1400.0, 30.0, 0.06).unwrap();
        let scaled = rating.to_glicko2();
        assert!((scaled.mu - (-0.5756)).abs() < 1e-4);
        assert!((scaled.phi - 0.1727).abs() < 1e-4);
        let back = Rating::from_glicko2(scaled).unwrap();
        assert!((back.rating() - 1400.0).abs() < 1e-9);
        assert!((back.deviation() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn refuses_bad_parts_naming_them() {
        let cases = [
            (f64::NAN, 350.0, 0.06, "rating"),
            (1500.0, 0.0, 0.06, "deviation"),
            (1500.0, -5.0, 0.06, "deviation"),
            (1500.0, 350.0, f64::INFINITY, "volatility"),
            (1e9, 350.0, 0.06, "rating"),
        ];
        for (r, d, v, expected) in cases {
            let err = Rating::new(r, d, v).unwrap_err();
            let field = match err {
                Error::NotFinite { field, .. } | Error::OutOfRange { field, .. } => field,
                other => panic!("unexpected error {other:?}"),
            };
            assert_eq!(field, expected);
        }
    }

    #[test]
    fn from_glicko2_saturates_and_refuses_nan() {
        let huge = Glicko2Scale {
            mu: 1e6,
            phi: 0.5,
            sigma: 0.06,
        };
        let saturated = Rating::from_glicko2(huge).unwrap().rating();
        assert_eq!(saturated.to_bits(), Rating::RATING_BOUNDS.1.to_bits());
        let nan = Glicko2Scale {
            mu: f64::NAN,
            ..huge
        };
        assert!(Rating::from_glicko2(nan).is_err());
    }

    #[test]
    fn default_is_the_papers_new_player() {
        let fresh = Rating::default();
        assert_eq!(
            (fresh.rating(), fresh.deviation(), fresh.volatility()),
            (1500.0, 350.0, 0.06)
        );
    }
}
