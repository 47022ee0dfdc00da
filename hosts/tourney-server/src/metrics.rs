//! Request metrics kept in atomics and rendered as Prometheus text at `GET /metrics`:
//! requests by route (method and path template, with its group) and status class, and a
//! request-duration histogram per route. Routes nobody asked for are left out of the text.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::routes::ServedRoute;

/// Upper bounds of the duration histogram's buckets, in seconds (`+Inf` is implied).
const BUCKET_BOUNDS_SECS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The group (and route label) of requests no listed route serves (404s for unknown paths).
pub const UNMATCHED_GROUP: &str = "unmatched";

/// Request counters per route. Cheap to update from every request: plain atomics, no lock.
#[derive(Debug)]
pub struct Metrics {
    /// The routes counted; the unmatched series is the last entry of `series`.
    routes: &'static [ServedRoute],
    /// Counters, parallel to `routes`, then the unmatched series.
    series: Vec<Counters>,
}

/// One route's counters.
#[derive(Debug, Default)]
struct Counters {
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

impl Counters {
    fn total(&self) -> u64 {
        self.by_status_class
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }
}

impl Metrics {
    /// Counters for each of `routes` plus the unmatched series.
    pub fn new(routes: &'static [ServedRoute]) -> Self {
        let series = (0..=routes.len()).map(|_| Counters::default()).collect();
        Self { routes, series }
    }

    /// Counts one request served by `route` (one of the routes given to [`Metrics::new`];
    /// `None` or any other counts as unmatched).
    pub fn record(&self, route: Option<&ServedRoute>, status: u16, elapsed: Duration) {
        let index = route
            .and_then(|route| self.routes.iter().position(|r| r == route))
            .unwrap_or(self.routes.len());
        let counters = &self.series[index];
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

    /// Each series that saw a request, with its Prometheus labels.
    fn used(&self) -> impl Iterator<Item = (String, &Counters)> {
        let labels = self
            .routes
            .iter()
            .map(|route| {
                format!(
                    "method=\"{}\",route=\"{}\",group=\"{}\"",
                    route.method, route.path, route.group
                )
            })
            .chain(std::iter::once(format!(
                "method=\"\",route=\"{UNMATCHED_GROUP}\",group=\"{UNMATCHED_GROUP}\""
            )));
        labels
            .zip(&self.series)
            .filter(|(_, counters)| counters.total() > 0)
    }

    /// The Prometheus text exposition of every counter, with the process `uptime`.
    pub fn render(&self, uptime: Duration) -> String {
        let mut text = String::new();
        text.push_str("# HELP tourney_uptime_seconds Seconds since the server started.\n");
        text.push_str("# TYPE tourney_uptime_seconds gauge\n");
        let _ = writeln!(text, "tourney_uptime_seconds {:.3}", uptime.as_secs_f64());
        text.push_str(
            "# HELP tourney_http_requests_total HTTP requests by route and status class.\n",
        );
        text.push_str("# TYPE tourney_http_requests_total counter\n");
        for (labels, counters) in self.used() {
            for (class_idx, count) in counters.by_status_class.iter().enumerate() {
                let _ = writeln!(
                    text,
                    "tourney_http_requests_total{{{labels},status=\"{}xx\"}} {}",
                    class_idx + 1,
                    count.load(Ordering::Relaxed)
                );
            }
        }
        text.push_str(
            "# HELP tourney_http_request_duration_seconds HTTP request durations by route.\n",
        );
        text.push_str("# TYPE tourney_http_request_duration_seconds histogram\n");
        for (labels, counters) in self.used() {
            render_histogram(&mut text, &labels, counters);
        }
        text
    }
}

/// Appends one series' histogram lines (cumulative buckets, sum, count).
fn render_histogram(text: &mut String, labels: &str, counters: &Counters) {
    let metric = "tourney_http_request_duration_seconds";
    let mut cumulative = 0_u64;
    for (bound, count) in BUCKET_BOUNDS_SECS.iter().zip(&counters.in_bucket) {
        cumulative += count.load(Ordering::Relaxed);
        let _ = writeln!(
            text,
            "{metric}_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
        );
    }
    cumulative += counters.over_last_bucket.load(Ordering::Relaxed);
    let _ = writeln!(text, "{metric}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
    let sum_micros = counters.duration_sum_micros.load(Ordering::Relaxed);
    let _ = writeln!(
        text,
        "{metric}_sum{{{labels}}} {}.{:06}",
        sum_micros / 1_000_000,
        sum_micros % 1_000_000
    );
    let _ = writeln!(text, "{metric}_count{{{labels}}} {cumulative}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::SERVED_ROUTES;

    #[test]
    fn counts_by_route_and_class_and_buckets_cumulatively() {
        let metrics = Metrics::new(SERVED_ROUTES);
        let health = crate::routes::route_of("GET", "/health");
        metrics.record(health, 200, Duration::from_millis(3));
        metrics.record(health, 503, Duration::from_secs(20));
        metrics.record(None, 404, Duration::from_micros(10));
        let text = metrics.render(Duration::from_secs(1));
        let ops = r#"method="GET",route="/health",group="ops""#;
        let unmatched = r#"method="",route="unmatched",group="unmatched""#;
        for line in [
            format!(r#"tourney_http_requests_total{{{ops},status="2xx"}} 1"#),
            format!(r#"tourney_http_requests_total{{{ops},status="5xx"}} 1"#),
            format!(r#"tourney_http_requests_total{{{unmatched},status="4xx"}} 1"#),
            format!(r#"tourney_http_request_duration_seconds_bucket{{{ops},le="0.005"}} 1"#),
            format!(r#"tourney_http_request_duration_seconds_bucket{{{ops},le="10"}} 1"#),
            format!(r#"tourney_http_request_duration_seconds_bucket{{{ops},le="+Inf"}} 2"#),
            format!(r#"tourney_http_request_duration_seconds_sum{{{ops}}} 20.003000"#),
            format!(r#"tourney_http_request_duration_seconds_count{{{ops}}} 2"#),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
        assert!(
            !text.contains("route=\"/metrics\""),
            "routes nobody asked for are left out"
        );
    }
}
