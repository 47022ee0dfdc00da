//! The worker: one step ([`Worker::run_once`]) that processes waiting uploads, scores the
//! votes that arrived as one rating period and runs the scheduled jobs that are due (the
//! trending tags every interval, the weekly awards once a week has ended), and a loop
//! around it that stops between steps.
//!
//! Tests call `run_once` until it reports idle; the binary and the server's in-process
//! worker call [`Worker::run`], which finishes the current step when asked to stop.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ocean::queue::Delivery;
use tourney_core::MediaType;
use tourney_core::Timestamp;
use tourney_core::service::{
    AwardsReport, FACEBOOK_SYNC_QUEUE, FacebookSyncJob, Game, MEDIA_QUEUE, ProcessedMedia,
    ScoringReport, ServiceError, UPLOAD_EVENTS_QUEUE, UploadJob,
};
use tourney_media::{ContentType, Limits, ProcessedImage, Rejection};

/// Uploads taken from the queue per step.
const MEDIA_JOBS_PER_STEP: u32 = 10;
/// How long a taken upload stays hidden from other workers while it is processed.
const MEDIA_VISIBILITY: Duration = Duration::from_secs(5 * 60);

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Uploads processed (ready, rejected or duplicate).
    pub media_jobs: usize,
    /// Storage events (S3 notifications of stored uploads) received.
    pub storage_events: usize,
    /// Facebook profiles synced into their users.
    pub facebook_syncs: usize,
    /// The rating period scored.
    pub scoring: ScoringReport,
    /// Whether the trending tags were due and recomputed.
    pub trending_refreshed: bool,
    /// The weekly awards given (weeks ended since the last run).
    pub awards: AwardsReport,
}

impl StepReport {
    /// Whether the step found nothing waiting (no upload, no vote). Scheduled jobs run on
    /// their own clock and do not count: a step that only ran them is idle.
    pub fn is_idle(&self) -> bool {
        self.media_jobs == 0
            && self.storage_events == 0
            && self.facebook_syncs == 0
            && self.scoring.idle
    }
}

/// The kinds of queued job a step handles besides uploads.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// A linked Facebook profile to copy into its user.
    FacebookSync,
    /// An S3 notification of stored uploads.
    StorageEvent,
}

/// The worker over one game.
#[derive(Debug, Clone)]
pub struct Worker {
    game: Game,
    limits: Limits,
    /// Pause between steps once idle.
    pub idle_pause: Duration,
}

impl Worker {
    /// A worker for `game` that pauses `idle_pause` between idle steps.
    pub fn new(game: Game, idle_pause: Duration) -> Self {
        let mut limits = Limits::default();
        limits.max_bytes = game.config().max_upload_bytes;
        Self {
            game,
            limits,
            idle_pause,
        }
    }

    /// One step at `now`: up to ten waiting uploads processed, then one rating period
    /// scored, then the scheduled jobs that are due at `now` (trending tags, weekly awards;
    /// their schedules are stored, so several workers share them). Failures of one upload
    /// leave it on the queue for a later attempt (and the dead-letter queue after too many);
    /// a scoring race with another worker is not an error.
    pub async fn run_once(&self, now: Timestamp) -> Result<StepReport> {
        let deliveries = self
            .game
            .ports()
            .queue
            .receive(MEDIA_QUEUE, MEDIA_JOBS_PER_STEP, MEDIA_VISIBILITY)
            .await
            .context("receiving upload jobs")?;
        let mut media_jobs = 0;
        for delivery in deliveries {
            match self.process_upload(&delivery).await {
                Ok(()) => media_jobs += 1,
                Err(error) => tracing::warn!(
                    message_id = %delivery.message_id,
                    receive_count = delivery.receive_count,
                    error = format!("{error:#}"),
                    "upload processing failed; it will be retried"
                ),
            }
        }
        let storage_events = self.receive_storage_events(now).await?;
        let facebook_syncs = self.sync_facebook_profiles(now).await?;
        let scoring = match self.game.score_period(now).await {
            Ok(report) => report,
            Err(ServiceError::Conflict { message, .. }) => {
                tracing::info!(%message, "another worker scored this period");
                ScoringReport::default()
            }
            Err(error) => return Err(error).context("scoring a rating period"),
        };
        if !scoring.idle {
            tracing::info!(
                votes = scoring.n_votes,
                skipped = scoring.n_skipped,
                photos = scoring.n_photos,
                "rating period scored"
            );
        }
        let trending_refreshed = self
            .game
            .refresh_trending_if_due(now)
            .await
            .context("recomputing the trending tags")?;
        let awards = self
            .game
            .give_weekly_awards(now)
            .await
            .context("giving the weekly awards")?;
        if awards.weeks > 0 {
            tracing::info!(
                weeks = awards.weeks,
                awards = awards.awards,
                "weekly awards given"
            );
        }
        Ok(StepReport {
            media_jobs,
            storage_events,
            facebook_syncs,
            scoring,
            trending_refreshed,
            awards,
        })
    }

    /// Syncs up to ten linked Facebook profiles into their users; a failed one stays on the
    /// queue for a later attempt.
    async fn sync_facebook_profiles(&self, now: Timestamp) -> Result<usize> {
        let synced = self.each_job(Job::FacebookSync, now).await?;
        if synced > 0 {
            tracing::info!(synced, "facebook profiles synced");
        }
        Ok(synced)
    }

    /// Reads up to ten storage events (S3 notifications of stored uploads) and queues the
    /// processing of each upload they name; a failed one stays on the queue.
    async fn receive_storage_events(&self, now: Timestamp) -> Result<usize> {
        self.each_job(Job::StorageEvent, now).await
    }

    /// Handles each of up to ten messages of `job`'s queue, acknowledging those handled; a
    /// failure is logged and its message left for a later attempt (and the dead-letter
    /// queue after too many). Returns how many were handled.
    async fn each_job(&self, job: Job, now: Timestamp) -> Result<usize> {
        let (queue_name, what) = match job {
            Job::FacebookSync => (FACEBOOK_SYNC_QUEUE, "facebook profile job"),
            Job::StorageEvent => (UPLOAD_EVENTS_QUEUE, "storage event"),
        };
        let queue = &self.game.ports().queue;
        let deliveries = queue
            .receive(queue_name, MEDIA_JOBS_PER_STEP, MEDIA_VISIBILITY)
            .await
            .with_context(|| format!("receiving from queue {queue_name}"))?;
        let mut handled = 0;
        for delivery in deliveries {
            let outcome = match job {
                Job::FacebookSync => {
                    match serde_json::from_slice::<FacebookSyncJob>(&delivery.body) {
                        Ok(sync) => self
                            .game
                            .sync_facebook_profile(&sync, now)
                            .await
                            .map_err(Into::into),
                        Err(error) => Err(anyhow::Error::from(error).context("a malformed job")),
                    }
                }
                Job::StorageEvent => match self.game.storage_event(&delivery.body).await {
                    Ok(uploads) => {
                        tracing::info!(uploads, "storage event received");
                        Ok(())
                    }
                    Err(error) => Err(error.into()),
                },
            };
            match outcome {
                Ok(()) => {
                    queue
                        .ack(queue_name, &delivery.receipt)
                        .await
                        .with_context(|| format!("acknowledging a {what}"))?;
                    handled += 1;
                }
                Err(error) => tracing::warn!(
                    message_id = %delivery.message_id,
                    receive_count = delivery.receive_count,
                    error = format!("{error:#}"),
                    "{what} failed; it will be retried"
                ),
            }
        }
        Ok(handled)
    }

    /// Runs steps until one finds nothing to do, as a batch job or a test would, and
    /// returns how many steps did work. Stops at the first failed step.
    pub async fn drain(&self) -> Result<usize> {
        let mut steps = 0;
        while !self.run_once(now()).await?.is_idle() {
            steps += 1;
        }
        Ok(steps)
    }

    /// Runs steps until `stop` resolves: steps follow each other while there is work, then
    /// pause [`Worker::idle_pause`]. A stop request finishes the current step first; a
    /// failed step is logged and retried after the pause.
    pub async fn run(&self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let busy = match self.run_once(now()).await {
                Ok(report) => !report.is_idle(),
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "worker step failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = &mut stop => {
                    tracing::info!("worker stopping");
                    return;
                }
                () = tokio::time::sleep(self.idle_pause) => {}
            }
        }
    }

    async fn process_upload(&self, delivery: &Delivery) -> Result<()> {
        let job: UploadJob =
            serde_json::from_slice(&delivery.body).context("decoding an upload job")?;
        let queue = &self.game.ports().queue;
        let Some((bytes, content_type, media_type)) = self.game.upload_to_process(&job).await?
        else {
            queue.ack(MEDIA_QUEUE, &delivery.receipt).await?;
            return Ok(());
        };
        let limits = self.limits;
        let verdict = tokio::task::spawn_blocking(move || {
            validate(&bytes, &content_type, media_type, &limits)
        })
        .await
        .context("the media validation task")?;
        let state = self
            .game
            .finish_processing(&job.photo_id, verdict)
            .await
            .context("storing the processed upload")?;
        tracing::info!(photo_id = %job.photo_id, state = ?state, "upload processed");
        queue.ack(MEDIA_QUEUE, &delivery.receipt).await?;
        Ok(())
    }
}

/// The validation verdict on an upload's bytes.
fn validate(
    bytes: &[u8],
    content_type: &str,
    media_type: MediaType,
    limits: &Limits,
) -> ProcessedMedia {
    let processed = ContentType::parse(content_type).and_then(|declared| match media_type {
        MediaType::Photo => tourney_media::process_image(bytes, declared, limits),
        MediaType::Movie => tourney_media::validate_movie(bytes, declared, limits)
            .map(|info| tourney_media::movie_cover_placeholder(&info)),
    });
    match processed {
        Ok(image) => ready(image),
        Err(rejection) => rejected(&rejection),
    }
}

fn ready(image: ProcessedImage) -> ProcessedMedia {
    ProcessedMedia::Ready {
        content_hash: image.content_hash,
        renditions: image
            .renditions
            .into_iter()
            .map(|rendition| (rendition.size.as_str(), rendition.jpeg))
            .collect(),
    }
}

fn rejected(rejection: &Rejection) -> ProcessedMedia {
    ProcessedMedia::Rejected {
        reason: rejection.reason_code().to_owned(),
    }
}

/// The wall clock as a [`Timestamp`] (hosts are where the clock is read).
pub fn now() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(millis)
}

/// Resolves on SIGTERM or Ctrl-C, for the binaries' graceful stops.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
