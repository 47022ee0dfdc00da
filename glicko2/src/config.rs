//! `Config`: the system constant tau, the iteration's tolerance and cap, the new-player
//! rating and an optional RD cap, validated once when built.

use crate::error::{Error, check_range};
use crate::rating::{Rating, SCALE};

/// How the rating system behaves; build with [`Config::builder`] or take [`Config::default`].
///
/// ```
/// use glicko2::{Config, Rating};
///
/// // The first generation of LocalPicTourney: tau 0.2, new photos with sigma 0.006,
/// // and RD never above a new photo's.
/// let config = Config::builder()
///     .tau(0.2)
///     .new_rating(Rating::new(1500.0, 350.0, 0.006)?)
///     .max_deviation(350.0)
///     .build()?;
/// assert_eq!(config.tau(), 0.2);
/// # Ok::<(), glicko2::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    tau: f64,
    tolerance: f64,
    max_iterations: u32,
    new_rating: Rating,
    max_deviation: Option<f64>,
    /// Derived: 1 / tau^2, used in every evaluation of f (step 5).
    pub(crate) inv_tau_sq: f64,
    /// Derived: the RD cap on the Glicko-2 scale (infinity when there is none).
    pub(crate) max_phi: f64,
    /// Derived: `max_phi` squared.
    pub(crate) max_phi_sq: f64,
}

/// Builds a [`Config`]; every setter is optional and [`ConfigBuilder::build`] validates.
#[derive(Debug, Clone, Copy)]
pub struct ConfigBuilder {
    tau: f64,
    tolerance: f64,
    max_iterations: u32,
    new_rating: Rating,
    max_deviation: Option<f64>,
}

impl Config {
    /// Accepted values of tau; the paper suggests 0.3 to 1.2.
    pub const TAU_BOUNDS: (f64, f64) = (1e-3, 10.0);
    /// Accepted convergence tolerances for step 5.
    pub const TOLERANCE_BOUNDS: (f64, f64) = (1e-15, 1e-2);

    /// A builder starting from the defaults: tau 0.5, tolerance 1e-6, 10,000 iterations,
    /// new players 1500 / 350 / 0.06, no RD cap.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            tau: 0.5,
            tolerance: 1e-6,
            max_iterations: 10_000,
            new_rating: Rating::default(),
            max_deviation: None,
        }
    }

    /// The system constant tau: how much volatility may change in one period.
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The convergence tolerance epsilon of the Illinois iteration (step 5).
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The most iterations step 5 may take before reporting [`Error::NoConvergence`].
    pub fn max_iterations(&self) -> u32 {
        self.max_iterations
    }

    /// The rating a new player starts with.
    pub fn new_rating(&self) -> Rating {
        self.new_rating
    }

    /// The largest RD a rating may reach by aging (step 6), if capped.
    pub fn max_deviation(&self) -> Option<f64> {
        self.max_deviation
    }

    /// Applies the RD cap to a pre-period deviation on the Glicko-2 scale.
    pub(crate) fn cap_phi(&self, phi: f64) -> f64 {
        phi.min(self.max_phi)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

impl ConfigBuilder {
    /// Sets tau (default 0.5).
    pub fn tau(mut self, tau: f64) -> Self {
        self.tau = tau;
        self
    }

    /// Sets the convergence tolerance of step 5 (default 1e-6, as in the paper).
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets the iteration cap of step 5 (default 10,000). Typical runs need under 10; a
    /// game whose result was certain to 1e-50 can need a few hundred Illinois halvings,
    /// and no input in the crate's bounds needs more than about 2,100.
    pub fn max_iterations(mut self, max_iterations: u32) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// Sets the rating of a new player (default 1500 / 350 / 0.06).
    pub fn new_rating(mut self, new_rating: Rating) -> Self {
        self.new_rating = new_rating;
        self
    }

    /// Caps RD growth by aging (default: no cap, as in the paper).
    pub fn max_deviation(mut self, max_deviation: f64) -> Self {
        self.max_deviation = Some(max_deviation);
        self
    }

    /// Validates and builds; the error names the first bad setting.
    pub fn build(self) -> Result<Config, Error> {
        let tau = check_range("tau", self.tau, Config::TAU_BOUNDS.0, Config::TAU_BOUNDS.1)?;
        let tolerance = check_range(
            "tolerance",
            self.tolerance,
            Config::TOLERANCE_BOUNDS.0,
            Config::TOLERANCE_BOUNDS.1,
        )?;
        if self.max_iterations == 0 {
            return Err(Error::OutOfRange {
                field: "max_iterations",
                value: 0.0,
                min: 1.0,
                max: f64::from(u32::MAX),
            });
        }
        let max_deviation = match self.max_deviation {
            Some(cap) => Some(check_range(
                "max_deviation",
                cap,
                Rating::DEVIATION_BOUNDS.0,
                Rating::DEVIATION_BOUNDS.1,
            )?),
            None => None,
        };
        Ok(Config {
            tau,
            tolerance,
            max_iterations: self.max_iterations,
            new_rating: self.new_rating,
            max_deviation,
            inv_tau_sq: 1.0 / (tau * tau),
            max_phi: max_deviation.map_or(f64::INFINITY, |cap| cap / SCALE),
            max_phi_sq: max_deviation.map_or(f64::INFINITY, |cap| (cap / SCALE) * (cap / SCALE)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers() {
        let config = Config::default();
        assert!((config.tau() - 0.5).abs() < 1e-12);
        assert!((config.tolerance() - 1e-6).abs() < 1e-18);
        assert_eq!(config.new_rating(), Rating::default());
        assert_eq!(config.max_deviation(), None);
    }

    #[test]
    fn build_refuses_bad_settings_naming_them() {
        let cases = [
            (Config::builder().tau(0.0), "tau"),
            (Config::builder().tau(f64::NAN), "tau"),
            (Config::builder().tolerance(1.0), "tolerance"),
            (Config::builder().max_iterations(0), "max_iterations"),
            (Config::builder().max_deviation(-3.0), "max_deviation"),
        ];
        for (builder, expected) in cases {
            match builder.build() {
                Err(Error::OutOfRange { field, .. } | Error::NotFinite { field, .. }) => {
                    assert_eq!(field, expected);
                }
                other => panic!("expected an error naming {expected}, got {other:?}"),
            }
        }
    }
}
