//! The exponential race behind pairing's weighted draws: each item arrives after an
//! exponential time of its own rate, so the order of arrival is a sequence of draws
//! without replacement, each with probability proportional to the rate among the items
//! left (Efraimidis and Spirakis, "Weighted random sampling with a reservoir", 2006).
//!
//! [`earliest_arrivals`] finds the first `capacity` arrivals in one pass without drawing a
//! time for every item: after the first `capacity` items it draws, with one exponential
//! variate, how much rate can go by before some item beats the latest arrival kept (their
//! A-ExpJ "exponential jumps"), so a pass over `n` items draws about
//! `capacity * ln(n / capacity)` variates instead of `n`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rand::{Rng, RngExt};

/// An exponential variate of rate 1.
pub(super) fn exponential(rng: &mut (impl Rng + ?Sized)) -> f64 {
    // 1 - U is in (0, 1], so the logarithm is finite.
    -(1.0 - rng.random::<f64>()).ln()
}

/// The indices of the first `capacity` arrivals among `items` (index, rate), earliest
/// first; every rate must be positive and finite. Items with equal times (which needs
/// equal draws) arrive in index order. The result is a function of the items' order and
/// the generator alone.
pub(super) fn earliest_arrivals(
    items: impl IntoIterator<Item = (usize, f64)>,
    capacity: usize,
    rng: &mut (impl Rng + ?Sized),
) -> Vec<usize> {
    let mut kept = BinaryHeap::with_capacity(capacity);
    let mut items = items.into_iter();
    while kept.len() < capacity {
        let Some((index, rate)) = items.next() else {
            break;
        };
        kept.push(Arrival {
            time: exponential(rng) / rate,
            index,
        });
    }
    if let Some(latest) = kept.peek() {
        let mut threshold = latest.time;
        let mut jump = next_jump(threshold, rng);
        for (index, rate) in items {
            jump -= rate;
            if jump > 0.0 {
                continue;
            }
            // This item arrives before `threshold`: its time is exponential truncated there.
            let p_before = -(-rate * threshold).exp_m1();
            let time = -(-rng.random::<f64>() * p_before).ln_1p() / rate;
            kept.pop();
            kept.push(Arrival { time, index });
            threshold = kept.peek().map_or(0.0, |latest| latest.time);
            jump = next_jump(threshold, rng);
        }
    }
    kept.into_sorted_vec()
        .into_iter()
        .map(|arrival| arrival.index)
        .collect()
}

/// How much rate passes, item after item, before one arrives ahead of `threshold`: an
/// exponential variate of rate `threshold` (none ever does ahead of time zero).
fn next_jump(threshold: f64, rng: &mut (impl Rng + ?Sized)) -> f64 {
    if threshold > 0.0 {
        exponential(rng) / threshold
    } else {
        f64::INFINITY
    }
}

/// An item's arrival; ordered by time, then index.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    time: f64,
    index: usize,
}

impl Ord for Arrival {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.index.cmp(&other.index))
    }
}

impl PartialOrd for Arrival {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Arrival {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Arrival {}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    /// How often each item is among the first `capacity` arrivals (and how often first),
    /// over `n_runs` races, with jumps and with a time drawn for every item.
    fn frequencies(rates: &[f64], capacity: usize, n_runs: u64) -> [(Vec<f64>, Vec<f64>); 2] {
        let mut jumped = (vec![0.0; rates.len()], vec![0.0; rates.len()]);
        let mut full = (vec![0.0; rates.len()], vec![0.0; rates.len()]);
        for seed in 0..n_runs {
            let mut rng = SmallRng::seed_from_u64(seed);
            let arrivals = earliest_arrivals(rates.iter().copied().enumerate(), capacity, &mut rng);
            assert_eq!(arrivals.len(), capacity.min(rates.len()));
            jumped.1[arrivals[0]] += 1.0;
            for index in arrivals {
                jumped.0[index] += 1.0;
            }
            let mut rng = SmallRng::seed_from_u64(seed + 1_000_000);
            let mut times: Vec<(f64, usize)> = rates
                .iter()
                .enumerate()
                .map(|(index, rate)| (exponential(&mut rng) / rate, index))
                .collect();
            times.sort_by(|a, b| a.0.total_cmp(&b.0));
            full.1[times[0].1] += 1.0;
            for (_, index) in &times[..capacity] {
                full.0[*index] += 1.0;
            }
        }
        let n_runs = n_runs as f64;
        [jumped, full].map(|(kept, first)| {
            (
                kept.iter().map(|n| n / n_runs).collect(),
                first.iter().map(|n| n / n_runs).collect(),
            )
        })
    }

    #[test]
    fn the_first_arrival_is_drawn_in_proportion_to_the_rates() {
        let rates: Vec<f64> = (1..=40).map(|n| f64::from(n).powi(2)).collect();
        let total: f64 = rates.iter().sum();
        let [(_, first), _] = frequencies(&rates, 4, 40_000);
        for (rate, share) in rates.iter().zip(&first) {
            let expected = rate / total;
            // Four standard errors of a share estimated from 40,000 runs.
            let tolerance = 4.0 * (expected * (1.0 - expected) / 40_000.0).sqrt() + 1e-4;
            assert!(
                (share - expected).abs() < tolerance,
                "rate {rate}: {share} against {expected}"
            );
        }
    }

    #[test]
    fn jumps_keep_the_same_items_as_drawing_every_time() {
        // Rates spanning six orders of magnitude, and a capacity well below the count, so
        // most items are passed over by jumps.
        let rates: Vec<f64> = (0..60)
            .map(|n| 10f64.powf(f64::from(n % 13) / 2.0))
            .collect();
        let [(jumped, _), (full, _)] = frequencies(&rates, 5, 20_000);
        for (index, (a, b)) in jumped.iter().zip(&full).enumerate() {
            // Two independent estimates of one probability: five standard errors apart at most.
            let p = (a + b) / 2.0;
            let tolerance = 5.0 * (2.0 * p * (1.0 - p) / 20_000.0).sqrt() + 1e-3;
            assert!((a - b).abs() < tolerance, "item {index}: {a} against {b}");
        }
    }

    #[test]
    fn fewer_items_than_capacity_all_arrive_and_the_order_is_seeded() {
        let rates = [1.0, 1e-300, 1e300, 3.0];
        let arrivals = earliest_arrivals(
            rates.iter().copied().enumerate(),
            10,
            &mut SmallRng::seed_from_u64(1),
        );
        let mut sorted = arrivals.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
        let again = earliest_arrivals(
            rates.iter().copied().enumerate(),
            10,
            &mut SmallRng::seed_from_u64(1),
        );
        assert_eq!(arrivals, again);
        assert!(
            earliest_arrivals(std::iter::empty(), 3, &mut SmallRng::seed_from_u64(1)).is_empty()
        );
        assert!(
            earliest_arrivals(
                rates.iter().copied().enumerate(),
                0,
                &mut SmallRng::seed_from_u64(1)
            )
            .is_empty()
        );
    }
}
