//! Request metrics kept in atomics and rendered as Prometheus text at `GET /metrics`:
//! requests by route group and status class, and a request-duration histogram per group.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the duration histogram's buckets, in seconds (`+Inf` is implied).
const BUCKET_BOUNDS_SECS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The group of requests no listed route serves (404s for unknown paths).
pub const UNMATCHED_GROUP: &str = "unmatched";

/// Request counters per route group. Cheap to update from every request: plain atomics,
/// no lock.
#[derive(Debug)]
pub struct Metrics {
    /// Group names, [`UNMATCHED_GROUP`] last.
    group_names: Vec<&'static str>,
    /// Counters, parallel to `group_names`.
    groups: Vec<GroupCounters>,
}

/// One group's counters.
#[derive(Debug, Default)]
struct GroupCounters {
    /// Requests by status class: 1xx, 2xx, 3xx, 4xx, 5xx.
    by_status_class: [AtomicU64; 5],
    /// Requests at or under each of [`BUCKET_BOUNDS_SECS`] (not cumulative here; summed
    /// when rendered).
    in_bucket: [AtomicU64; BUCKET_BOUNDS_SECS.len()],
    /// Requests over the last bound.
    over_last_bucket: AtomicU64,
    /// Sum of durations, in microseconds.
    duration_sum_micros: AtomicU64,
}

impl Metrics {
    /// Counters for `group_names` (duplicates ignored) plus [`UNMATCHED_GROUP`].
    pub fn new(group_names: &[&'static str]) -> Self {
        let mut names: Vec<&'static str> = Vec::new();
        for name in group_names.iter().chain([&UNMATCHED_GROUP]) {
            if !names.contains(name) {
                names.push(name);
            }
        }
        let groups = names.iter().map(|_| GroupCounters::default()).collect();
        Self {
            group_names: names,
            groups,
        }
    }

    /// Counts one request of `group` (unknown groups count as [`UNMATCHED_GROUP`]).
    pub fn record(&self, group: &str, status: u16, elapsed: Duration) {
        let group_idx = self
            .group_names
            .iter()
            .position(|name| *name == group)
            .unwrap_or(self.group_names.len() - 1);
        let counters = &self.groups[group_idx];
        let class_idx = usize::from((status / 100).clamp(1, 5) - 1);
        counters.by_status_class[class_idx].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        match BUCKET_BOUNDS_SECS.iter().position(|bound| secs <= *bound) {
            Some(bucket_idx) => counters.in_bucket[bucket_idx].fetch_add(1, Ordering::Relaxed),
            None => counters.over_last_bucket.fetch_add(1, Ordering::Relaxed),
        };
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        counters
            .duration_sum_micros
            .fetch_add(micros, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter, with the process `uptime`.
    pub fn render(&self, uptime: Duration) -> String {
        let mut text = String::new();
        text.push_str("# HELP tourney_uptime_seconds Seconds since the server started.\n");
        text.push_str("# TYPE tourney_uptime_seconds gauge\n");
        let _ = writeln!(text, "tourney_uptime_seconds {:.3}", uptime.as_secs_f64());
        text.push_str(
            "# HELP tourney_http_requests_total HTTP requests by route group and status class.\n",
        );
        text.push_str("# TYPE tourney_http_requests_total counter\n");
        for (name, counters) in self.group_names.iter().zip(&self.groups) {
            for (class_idx, count) in counters.by_status_class.iter().enumerate() {
                let _ = writeln!(
                    text,
                    "tourney_http_requests_total{{group=\"{name}\",status=\"{}xx\"}} {}",
                    class_idx + 1,
                    count.load(Ordering::Relaxed)
                );
            }
        }
        text.push_str(
            "# HELP tourney_http_request_duration_seconds HTTP request durations by route group.\n",
        );
        text.push_str("# TYPE tourney_http_request_duration_seconds histogram\n");
        for (name, counters) in self.group_names.iter().zip(&self.groups) {
            render_histogram(&mut text, name, counters);
        }
        text
    }
}

/// Appends one group's histogram lines (cumulative buckets, sum, count).
fn render_histogram(text: &mut String, name: &str, counters: &GroupCounters) {
    let metric = "tourney_http_request_duration_seconds";
    let mut cumulative = 0_u64;
    for (bound, count) in BUCKET_BOUNDS_SECS.iter().zip(&counters.in_bucket) {
        cumulative += count.load(Ordering::Relaxed);
        let _ = writeln!(
            text,
            "{metric}_bucket{{group=\"{name}\",le=\"{bound}\"}} {cumulative}"
        );
    }
    cumulative += counters.over_last_bucket.load(Ordering::Relaxed);
    let _ = writeln!(
        text,
        "{metric}_bucket{{group=\"{name}\",le=\"+Inf\"}} {cumulative}"
    );
    let sum_micros = counters.duration_sum_micros.load(Ordering::Relaxed);
    let _ = writeln!(
        text,
        "{metric}_sum{{group=\"{name}\"}} {}.{:06}",
        sum_micros / 1_000_000,
        sum_micros % 1_000_000
    );
    let _ = writeln!(text, "{metric}_count{{group=\"{name}\"}} {cumulative}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_group_and_class_and_buckets_cumulatively() {
        let metrics = Metrics::new(&["ops", "media", "ops"]);
        metrics.record("ops", 200, Duration::from_millis(3));
        metrics.record("ops", 503, Duration::from_secs(20));
        metrics.record("nobody", 404, Duration::from_micros(10));
        let text = metrics.render(Duration::from_secs(1));
        for line in [
            r#"tourney_http_requests_total{group="ops",status="2xx"} 1"#,
            r#"tourney_http_requests_total{group="ops",status="5xx"} 1"#,
            r#"tourney_http_requests_total{group="media",status="2xx"} 0"#,
            r#"tourney_http_requests_total{group="unmatched",status="4xx"} 1"#,
            r#"tourney_http_request_duration_seconds_bucket{group="ops",le="0.005"} 1"#,
            r#"tourney_http_request_duration_seconds_bucket{group="ops",le="10"} 1"#,
            r#"tourney_http_request_duration_seconds_bucket{group="ops",le="+Inf"} 2"#,
            r#"tourney_http_request_duration_seconds_sum{group="ops"} 20.003000"#,
            r#"tourney_http_request_duration_seconds_count{group="ops"} 2"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
        let n_ops_2xx_lines = text
            .lines()
            .filter(|l| l.starts_with(r#"tourney_http_requests_total{group="ops",status="2xx"}"#))
            .count();
        assert_eq!(n_ops_2xx_lines, 1, "a repeated group name is one group");
    }
}
