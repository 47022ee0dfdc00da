//! Logs and error reporting for the hosts, set up once from the settings: `tracing` lines on
//! stderr (human or JSON), filtered by `RUST_LOG` and written by a thread of their own in
//! batches (a line per request would otherwise cost each request a system call), and, when
//! `app.sentry_dsn` is set, every error-level event (each 5xx, each failed worker step) sent
//! to Sentry as an event while warnings ride along as breadcrumbs.
//!
//! Nothing secret reaches a log line or an event: request lines carry no headers or query,
//! errors never quote tokens, and Sentry's "default PII" (IP addresses, user data) is off.

use std::io::IsTerminal as _;

use anyhow::{Context as _, Result};
use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
use tracing::Subscriber;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{LevelFilter, ParseError, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::{AppSettings, LogFormat};

/// Keeps Sentry sending and log lines flowing until dropped (then it writes the log lines
/// still queued, and Sentry flushes what is queued for at most two seconds). Hold it for
/// the life of the process.
#[must_use = "dropping the guard stops logging and error reporting"]
pub struct Observability {
    _sentry: Option<sentry::ClientInitGuard>,
    _log_writer: WorkerGuard,
}

impl std::fmt::Debug for Observability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observability")
            .field("sentry", &self._sentry.is_some())
            .finish_non_exhaustive()
    }
}

/// Log lines queued for the writing thread at most; past this a logging thread waits for
/// room (lines are never dropped). Small, because queued lines are memory: a request line
/// is about 200 bytes, so a full queue holds about 1 MB (64k lines would be about 13 MB).
const QUEUED_LOG_LINES: usize = 4 * 1024;

/// Where events go and what they carry.
#[derive(Debug, Clone, Default)]
pub struct SentryOptions {
    /// The DSN (`https://key@host/project`); `None`: no Sentry.
    pub dsn: Option<String>,
    /// The environment name events carry.
    pub environment: Option<String>,
    /// Whether panics become events too (the process's panic hook; off in tests, where
    /// several tests share one process).
    pub capture_panics: bool,
}

impl SentryOptions {
    /// The options the settings describe, panics captured.
    pub fn from_settings(settings: &AppSettings) -> Self {
        Self {
            dsn: settings
                .app
                .sentry_dsn
                .as_ref()
                .map(|dsn| dsn.expose().to_owned()),
            environment: settings.app.sentry_environment.clone(),
            capture_panics: true,
        }
    }
}

/// Starts the Sentry client `options` describe (none without a DSN). A DSN that does not
/// parse is an error naming `app.sentry_dsn` (never quoting it: it holds a key).
pub fn start_sentry(options: &SentryOptions) -> Result<Option<sentry::ClientInitGuard>> {
    let Some(dsn) = &options.dsn else {
        return Ok(None);
    };
    let dsn: sentry::types::Dsn = dsn
        .parse()
        .ok()
        .context("app.sentry_dsn is not a Sentry DSN (https://<key>@<host>/<project>)")?;
    let mut client_options = sentry::ClientOptions::new()
        .send_default_pii(false)
        .default_integrations(options.capture_panics);
    if let Some(release) = sentry::release_name!() {
        client_options = client_options.release(release);
    }
    if let Some(environment) = &options.environment {
        client_options = client_options.environment(environment.clone());
    }
    let client_options = sentry::ClientOptions::from((dsn, client_options));
    Ok(Some(sentry::init(client_options)))
}

/// The subscriber the hosts log through: `RUST_LOG`'s targets (default `info`), human or
/// JSON lines on stderr (coloured only on a terminal), and the Sentry layers (inactive
/// while no Sentry client is bound). Each line is written to stderr as it is logged; the
/// hosts write through [`init`]'s thread instead.
pub fn subscriber(json: bool, targets: Targets) -> impl Subscriber + for<'a> LookupSpan<'a> {
    subscriber_to(json, targets, std::io::stderr)
}

/// [`subscriber`] with its lines going to `writer`.
fn subscriber_to<W>(
    json: bool,
    targets: Targets,
    writer: W,
) -> impl Subscriber + for<'a> LookupSpan<'a>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let lines = if json {
        lines.json().boxed()
    } else {
        lines.boxed()
    };
    tracing_subscriber::registry()
        .with(lines.with_filter(targets))
        .with(ErrorLayer::new().with_filter(LevelFilter::ERROR))
        .with(BreadcrumbLayer::new().with_filter(LevelFilter::WARN))
}

/// Sets up logging and error reporting for the process from `settings` (`force_json`: the
/// command line asked for JSON lines). Call once, first thing in `main`.
pub fn init(settings: &AppSettings, force_json: bool) -> Result<Observability> {
    let sentry = start_sentry(&SentryOptions::from_settings(settings))?;
    let (targets, bad_rust_log) = log_targets(std::env::var("RUST_LOG").ok().as_deref());
    let json = force_json || settings.app.log_format == LogFormat::Json;
    // Lines reach stderr through a buffer the writing thread flushes whenever its queue
    // runs dry, so a busy server makes one write per batch rather than one per line.
    let (writer, log_writer) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LOG_LINES)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    subscriber_to(json, targets, writer).init();
    if let Some(error) = bad_rust_log {
        tracing::warn!(%error, "RUST_LOG is not a list of target=level directives; logging at info");
    }
    if sentry.is_some() {
        tracing::info!("reporting errors to Sentry");
    }
    Ok(Observability {
        _sentry: sentry,
        _log_writer: log_writer,
    })
}

/// The log levels `rust_log` asks for, or `info` (and why, when `rust_log` does not parse).
pub fn log_targets(rust_log: Option<&str>) -> (Targets, Option<ParseError>) {
    let default = || Targets::new().with_default(LevelFilter::INFO);
    match rust_log.map(str::parse::<Targets>) {
        None => (default(), None),
        Some(Ok(targets)) => (targets, None),
        Some(Err(error)) => (default(), Some(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_defaults_to_info_and_reports_junk() {
        let (targets, error) = log_targets(None);
        assert_eq!(targets.default_level(), Some(LevelFilter::INFO));
        assert!(error.is_none());
        let (targets, error) = log_targets(Some("warn,tourney_server=debug"));
        assert_eq!(targets.default_level(), Some(LevelFilter::WARN));
        assert!(error.is_none());
        let (targets, error) = log_targets(Some("=bad="));
        assert_eq!(targets.default_level(), Some(LevelFilter::INFO));
        assert!(error.is_some());
    }

    #[test]
    fn a_bad_dsn_is_refused_without_quoting_it() {
        let options = SentryOptions {
            dsn: Some("not-a-dsn-secret-key".to_owned()),
            ..SentryOptions::default()
        };
        let error = format!("{:#}", start_sentry(&options).err().expect("refused"));
        assert!(error.contains("app.sentry_dsn"), "{error}");
        assert!(!error.contains("secret-key"), "{error}");
        assert!(start_sentry(&SentryOptions::default()).unwrap().is_none());
    }
}
