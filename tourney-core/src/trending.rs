//! Trending tags: each use of a tag counts 1 when it happens and halves every half-life,
//! so a tag's score is its recent popularity; deterministic given the use times.

use std::collections::HashMap;
use std::time::Duration;

use crate::error::Error;
use crate::names::Tag;
use crate::time::Timestamp;

/// How fast tag uses fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendingConfig {
    half_life: Duration,
}

impl TrendingConfig {
    /// A half-life of at least one millisecond.
    pub fn new(half_life: Duration) -> Result<Self, Error> {
        if half_life.as_millis() == 0 {
            return Err(Error::InvalidSetting {
                field: "trending_half_life",
                reason: "must be at least one millisecond",
            });
        }
        Ok(Self { half_life })
    }

    /// After this long a use counts half as much.
    pub fn half_life(&self) -> Duration {
        self.half_life
    }

    /// What one use at `used_at` weighs at `now`: `2^(-age / half_life)`, 1 for a use at
    /// or after `now`.
    pub fn weight(&self, used_at: Timestamp, now: Timestamp) -> f64 {
        let age = now.saturating_duration_since(used_at);
        (-(age.as_secs_f64() / self.half_life.as_secs_f64())).exp2()
    }
}

impl Default for TrendingConfig {
    /// A half-life of one hour (the spec's default).
    fn default() -> Self {
        Self {
            half_life: Duration::from_secs(60 * 60),
        }
    }
}

/// One use of a tag (added at upload or by the owner) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagUse {
    /// The tag.
    pub tag: Tag,
    /// When it was used.
    pub used_at: Timestamp,
}

/// A tag and its decayed score.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendingTag {
    /// The tag, displayed as most recently typed.
    pub tag: Tag,
    /// The sum of its uses' weights at `now`.
    pub score: f64,
}

/// Every tag used in `uses`, scored at `now`, highest first; equal scores are all kept,
/// ordered by tag key (one tag never overwrites another with the same score).
///
/// The result depends only on the set of uses, not their order: each tag's weights are
/// summed in time order. A tag typed in different cases is one tag, shown as typed in
/// its most recent use.
///
/// ```
/// use tourney_core::{Tag, TagUse, Timestamp, TrendingConfig, trending_tags};
///
/// let now = Timestamp::from_millis(10 * 3_600_000);
/// let hour_ago = Timestamp::from_millis(9 * 3_600_000);
/// let uses = [
///     TagUse { tag: Tag::parse("beach")?, used_at: now },
///     TagUse { tag: Tag::parse("Sunset")?, used_at: hour_ago },
///     TagUse { tag: Tag::parse("sunset")?, used_at: hour_ago },
/// ];
/// let trending = trending_tags(&uses, now, &TrendingConfig::default());
/// // Two uses an hour old weigh as much as one now: a tie, both kept.
/// assert_eq!(trending.len(), 2);
/// assert_eq!(trending[0].score, trending[1].score);
/// # Ok::<(), tourney_core::Error>(())
/// ```
pub fn trending_tags(uses: &[TagUse], now: Timestamp, config: &TrendingConfig) -> Vec<TrendingTag> {
    let mut by_key: HashMap<&str, Vec<&TagUse>> = HashMap::new();
    for tag_use in uses {
        by_key.entry(tag_use.tag.key()).or_default().push(tag_use);
    }
    let mut trending: Vec<TrendingTag> = by_key
        .into_values()
        .map(|mut tag_uses| {
            tag_uses.sort_by(|a, b| {
                a.used_at
                    .cmp(&b.used_at)
                    .then_with(|| a.tag.display().cmp(b.tag.display()))
            });
            let score = tag_uses
                .iter()
                .map(|tag_use| config.weight(tag_use.used_at, now))
                .sum();
            let latest = tag_uses.last().expect("every key has a use");
            TrendingTag {
                tag: latest.tag.clone(),
                score,
            }
        })
        .collect();
    trending.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.tag.cmp(&b.tag)));
    trending
}

/// A running decayed count for one tag, for a worker that keeps scores between runs
/// instead of replaying every use: stored as its value at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DecayingCount {
    /// The count's value at `as_of`.
    pub value: f64,
    /// The instant `value` is measured at.
    pub as_of: Timestamp,
}

impl DecayingCount {
    /// The count with one more use at `used_at` (in or out of order), measured at the later
    /// of `as_of` and `used_at`.
    pub fn with_use(self, used_at: Timestamp, config: &TrendingConfig) -> Self {
        if used_at > self.as_of {
            return Self {
                value: self.value_at(used_at, config) + 1.0,
                as_of: used_at,
            };
        }
        Self {
            value: self.value + config.weight(used_at, self.as_of),
            as_of: self.as_of,
        }
    }

    /// The count's value at `now` (not below its value at `as_of` for an earlier `now`).
    pub fn value_at(&self, now: Timestamp, config: &TrendingConfig) -> f64 {
        self.value * config.weight(self.as_of, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    fn tag_use(text: &str, hours_ago: i64, now: Timestamp) -> TagUse {
        TagUse {
            tag: Tag::parse(text).unwrap(),
            used_at: Timestamp::from_millis(now.millis() - hours_ago * HOUR_MS),
        }
    }

    #[test]
    fn weights_halve_every_half_life() {
        let config = TrendingConfig::default();
        let now = Timestamp::from_millis(100 * HOUR_MS);
        let cases = [(0, 1.0), (1, 0.5), (2, 0.25), (10, 1.0 / 1024.0), (-3, 1.0)];
        for (hours_ago, expected) in cases {
            let used_at = Timestamp::from_millis(now.millis() - hours_ago * HOUR_MS);
            assert!(
                (config.weight(used_at, now) - expected).abs() < 1e-12,
                "{hours_ago}"
            );
        }
        assert!(TrendingConfig::new(Duration::ZERO).is_err());
    }

    #[test]
    fn scores_rank_tags_and_keep_ties() {
        let now = Timestamp::from_millis(100 * HOUR_MS);
        let uses = [
            tag_use("old", 5, now),
            tag_use("old", 5, now),
            tag_use("old", 5, now),
            tag_use("Fresh", 0, now),
            tag_use("tie-b", 1, now),
            tag_use("tie-a", 1, now),
            tag_use("FRESH", 1, now),
        ];
        let trending = trending_tags(&uses, now, &TrendingConfig::default());
        let summary: Vec<(&str, f64)> = trending
            .iter()
            .map(|t| (t.tag.display(), t.score))
            .collect();
        assert_eq!(
            summary,
            [
                ("Fresh", 1.5),
                ("tie-a", 0.5),
                ("tie-b", 0.5),
                ("old", 3.0 / 32.0)
            ]
        );
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_of_uses() {
        let now = Timestamp::from_millis(50 * HOUR_MS);
        let mut uses: Vec<TagUse> = (0..40)
            .map(|n| TagUse {
                tag: Tag::parse(["a", "b", "c"][n % 3]).unwrap(),
                used_at: Timestamp::from_millis(
                    now.millis() - (n as i64 * 7_919_993) % (9 * HOUR_MS),
                ),
            })
            .collect();
        let forward = trending_tags(&uses, now, &TrendingConfig::default());
        uses.reverse();
        let backward = trending_tags(&uses, now, &TrendingConfig::default());
        assert_eq!(forward, backward);
    }

    #[test]
    fn a_running_count_agrees_with_replaying_the_uses() {
        let config = TrendingConfig::default();
        let now = Timestamp::from_millis(20 * HOUR_MS);
        let hours_ago = [3, 1, 2, 0, 5];
        let mut count = DecayingCount::default();
        for hours in hours_ago {
            count = count.with_use(
                Timestamp::from_millis(now.millis() - hours * HOUR_MS),
                &config,
            );
        }
        let expected: f64 = hours_ago.iter().map(|h| 0.5f64.powi(*h as i32)).sum();
        assert!((count.value_at(now, &config) - expected).abs() < 1e-12);
    }
}
