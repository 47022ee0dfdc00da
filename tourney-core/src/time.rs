//! `Timestamp`: an instant handed in by the caller, so that no rule in this crate reads a
//! clock and every rule can be tested at any instant.

use std::time::Duration;

/// An instant as milliseconds since the Unix epoch (UTC).
///
/// The caller reads the clock once per request or worker step and passes the value down;
/// every time-dependent rule (windows, idle resets, RD aging, trending decay) takes one.
///
/// ```
/// use std::time::Duration;
/// use tourney_core::Timestamp;
///
/// let posted = Timestamp::from_millis(1_000);
/// let now = posted.saturating_add(Duration::from_secs(60));
/// assert_eq!(now.saturating_duration_since(posted), Duration::from_secs(60));
/// assert_eq!(posted.saturating_duration_since(now), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// The instant `millis` milliseconds after the Unix epoch (before it when negative).
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved `duration` later, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(duration)))
    }

    /// This instant moved `duration` earlier, saturating at the start of time.
    pub fn saturating_sub(self, duration: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(duration)))
    }

    /// How long after `earlier` this instant is; zero when `earlier` is in fact later
    /// (clocks of different machines disagree a little; nothing here goes negative).
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        let millis = self.0.saturating_sub(earlier.0);
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

/// A duration in whole milliseconds, saturating at `i64::MAX`.
fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let cases = [
            (
                Timestamp::from_millis(i64::MAX - 1),
                Duration::from_secs(1),
                i64::MAX,
            ),
            (Timestamp::from_millis(0), Duration::from_millis(5), 5),
            (Timestamp::from_millis(-10), Duration::from_millis(10), 0),
        ];
        for (start, duration, expected) in cases {
            assert_eq!(start.saturating_add(duration).millis(), expected);
        }
        assert_eq!(
            Timestamp::from_millis(i64::MIN + 1)
                .saturating_sub(Duration::from_secs(1))
                .millis(),
            i64::MIN
        );
    }

    #[test]
    fn duration_since_never_goes_negative() {
        let early = Timestamp::from_millis(100);
        let late = Timestamp::from_millis(350);
        assert_eq!(
            late.saturating_duration_since(early),
            Duration::from_millis(250)
        );
        assert_eq!(early.saturating_duration_since(late), Duration::ZERO);
    }
}
