//! Scoring: the worker's step that turns the votes after its checkpoint into one rating
//! period, exactly once.
//!
//! How "exactly once" holds when the worker dies anywhere, or two workers run:
//! 1. A period is named by the stream position it starts after. Its record (created with
//!    create-if-absent) fixes the position it ends at, how many votes it covers and its
//!    instant, so every attempt at that period reads the same votes (with
//!    `Stream::read_until`, whatever arrived since, in any shard) and computes the same
//!    results.
//! 2. Each photo (and each owner's win counts) stores the last period applied to it and its
//!    values before that period; an attempt recomputes from those "before" values, so
//!    re-applying a period rewrites identical values instead of counting twice.
//! 3. Writes are conditional on the versions read, so a slow worker cannot overwrite a
//!    later period's results; it gets a conflict and starts again from the checkpoint.
//! 4. A vote id is marked with the period that scored it, so a vote resent to the stream
//!    (a client retry after a lost answer) is skipped by later periods.
//! 5. Only then does the checkpoint move, with compare-and-set. The period's record stays,
//!    so `rescore` can replay the log period by period.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::{StreamExt as _, TryStreamExt as _};
use ocean::records::{Condition, Item, Key, MAX_COMMIT_WRITES, Query, Write};
use ocean::stream::{Position, StreamRecord};
use serde::{Deserialize, Serialize};

use crate::ids::{PhotoId, UserId};
use crate::period::{PhotoRating, RatingPeriod, Side, Vote};
use crate::service::matches::VoteEvent;
use crate::service::photos::{PeriodStart, PhotoRecord, StoredRating};
use crate::service::store::{self, Versioned};
use crate::service::{Game, SCORER, ServiceError, VOTES_STREAM};
use crate::time::Timestamp;

/// What one scoring step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoringReport {
    /// Votes scored in this period.
    pub n_votes: usize,
    /// Stream records skipped: resent votes already scored, or votes on photos that are gone.
    pub n_skipped: usize,
    /// Photos whose ratings changed.
    pub n_photos: usize,
    /// Whether there was nothing to score.
    pub idle: bool,
}

/// What a period covers, fixed by whoever starts it first. Plans are kept after the
/// period is scored: they are the log `rescore` replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PeriodPlan {
    pub(super) n_records: u32,
    pub(super) at: i64,
    /// The stream position the period ends at (the checkpoint after it). Plans written
    /// before it was kept have none and are re-read by count, which is exact on one shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) end: Option<String>,
}

/// Which period scored a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct VoteMarker {
    period: String,
}

/// A win, listed for the winning photo's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WinRecord {
    pub(crate) photo_id: String,
    pub(crate) opponent: String,
    pub(crate) vote_id: String,
    pub(crate) at: i64,
}

/// An owner's win and loss counts, with the period-restart data photos have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnerStats {
    pub(super) wins: u64,
    pub(super) losses: u64,
    pub(super) applied_period: Option<String>,
    pub(super) before_period: (u64, u64),
}

pub(super) fn stats_key(user_id: &str) -> Key {
    Key::new(format!("u#{user_id}"), "stats")
}

impl Game {
    /// Scores the votes after the checkpoint as one rating period and moves the checkpoint.
    /// Call it until it reports `idle`. Safe to repeat after any failure and to run in
    /// several workers at once; a [`ServiceError::Conflict`] means another worker moved on
    /// first: call again.
    pub async fn score_period(&self, now: Timestamp) -> Result<ScoringReport, ServiceError> {
        self.score_period_observed(now, |_| {}).await
    }

    /// [`Game::score_period`], calling `on_phase` with each phase's name as it ends (in
    /// order: `read`, `fresh`, `load`, `rate`, `photos`, `owners`, `wins+markers`,
    /// `checkpoint`), so a caller with a clock can time the split. Scoring itself has no
    /// clock; an idle or failed call ends early.
    pub async fn score_period_observed(
        &self,
        now: Timestamp,
        mut on_phase: impl FnMut(&'static str) + Send,
    ) -> Result<ScoringReport, ServiceError> {
        let stream = self.ports.stream.as_ref();
        let checkpoint = stream.checkpoint(VOTES_STREAM, SCORER).await?;
        let start = checkpoint
            .as_ref()
            .map_or("start", |p| p.0.as_str())
            .to_owned();
        let plan_key = store::period_key(&start);
        let stored_plan: Option<Versioned<PeriodPlan>> =
            store::get(self.ports.records.as_ref(), &plan_key).await?;
        let (plan, records, next) = match stored_plan {
            Some(plan) => {
                let (records, next) = self.read_exactly(checkpoint.as_ref(), &plan.value).await?;
                (plan.value, records, next)
            }
            None => {
                let batch = self.read_up_to(checkpoint.as_ref()).await?;
                if batch.records.is_empty() {
                    return Ok(ScoringReport {
                        idle: true,
                        ..ScoringReport::default()
                    });
                }
                let plan = PeriodPlan {
                    n_records: u32::try_from(batch.records.len()).unwrap_or(u32::MAX),
                    at: now.millis(),
                    end: Some(batch.next.0.clone()),
                };
                if let Err(error) = self
                    .ports
                    .records
                    .write(store::put(plan_key.clone(), &plan, 0)?)
                    .await
                {
                    return Err(another_worker(error));
                }
                (plan, batch.records, batch.next)
            }
        };

        on_phase("read");
        let (votes, events, n_skipped) = self.fresh_votes(&records, &start).await?;
        on_phase("fresh");
        let (n_photos, mut wins_and_markers) = self
            .apply_period(&votes, &events, &start, &next, &plan, &mut on_phase)
            .await?;

        // Wins and markers are unconditional puts of values fixed by the period, so one
        // batch holds both; a re-run after a crash rewrites the same items.
        let marker_body = store::encode(&VoteMarker {
            period: start.clone(),
        })?;
        wins_and_markers.reserve(events.len());
        for event in &events {
            wins_and_markers.push(Write::put(Item::new(
                store::vote_marker_key(&event.vote_id),
                1,
                marker_body.clone(),
            )));
        }
        if !wins_and_markers.is_empty() {
            self.ports.records.write_batch(wins_and_markers).await?;
        }
        on_phase("wins+markers");
        if let Err(error) = stream
            .commit_checkpoint(VOTES_STREAM, SCORER, checkpoint.as_ref(), &next)
            .await
        {
            return Err(another_worker(error));
        }
        on_phase("checkpoint");
        Ok(ScoringReport {
            n_votes: votes.len(),
            n_skipped,
            n_photos,
            idle: false,
        })
    }

    /// An owner's (wins, losses).
    pub(crate) async fn win_counts(&self, user_id: UserId) -> Result<(u64, u64), ServiceError> {
        let stats: Option<Versioned<OwnerStats>> = store::get(
            self.ports.records.as_ref(),
            &stats_key(&user_id.to_string()),
        )
        .await?;
        Ok(stats.map_or((0, 0), |s| (s.value.wins, s.value.losses)))
    }

    /// An owner's wins, newest first, one page.
    pub async fn wins(
        &self,
        user_id: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<(PhotoId, PhotoId, Timestamp)>, Option<String>), ServiceError> {
        let query = Query {
            order: ocean::records::Order::Descending,
            cursor: cursor.map(ocean::records::Cursor),
            ..Query::partition(store::wins_partition(&user_id.to_string()), limit)
        };
        let page = self.ports.records.query(&query).await?;
        let mut wins = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let win: WinRecord = store::decode(item)?;
            wins.push((
                PhotoId::parse(&win.photo_id)?,
                PhotoId::parse(&win.opponent)?,
                Timestamp::from_millis(win.at),
            ));
        }
        Ok((wins, page.next.map(|c| c.0)))
    }

    /// The records after `after`, up to the configured votes per period: several reads when
    /// the backend caps a read below that (the embedded stream and Kinesis return at most
    /// 10,000 records a read), until the stream has no more.
    async fn read_up_to(
        &self,
        after: Option<&Position>,
    ) -> Result<ocean::stream::Batch, ServiceError> {
        let max = self.config.max_votes_per_period;
        let mut batch = self.ports.stream.read(VOTES_STREAM, after, max).await?;
        while !batch.records.is_empty() && batch.records.len() < max as usize {
            let missing = max - u32::try_from(batch.records.len()).unwrap_or(max);
            let more = self
                .ports
                .stream
                .read(VOTES_STREAM, Some(&batch.next), missing)
                .await?;
            if more.records.is_empty() {
                break;
            }
            batch.records.extend(more.records);
            batch.next = more.next;
        }
        Ok(batch)
    }

    /// Reads the records of the period `plan` after `after` again: up to its end position
    /// (several reads if the backend returns short batches), and checks it has as many
    /// records as the plan says. Returns them and the period's end.
    pub(super) async fn read_exactly(
        &self,
        after: Option<&Position>,
        plan: &PeriodPlan,
    ) -> Result<(Vec<StreamRecord>, Position), ServiceError> {
        let n_records = plan.n_records;
        let end = plan.end.clone().map(Position);
        let mut records = Vec::new();
        let mut position = after.cloned();
        while records.len() < n_records as usize {
            let missing = n_records - u32::try_from(records.len()).unwrap_or(n_records);
            let stream = self.ports.stream.as_ref();
            let batch = match &end {
                Some(end) => {
                    stream
                        .read_until(VOTES_STREAM, position.as_ref(), end, missing)
                        .await?
                }
                None => {
                    stream
                        .read(VOTES_STREAM, position.as_ref(), missing)
                        .await?
                }
            };
            if batch.records.is_empty() {
                return Err(ServiceError::Corrupt {
                    what: format!(
                        "the period after {after:?} covered {n_records} votes, the stream has {}",
                        records.len()
                    ),
                });
            }
            records.extend(batch.records);
            position = Some(batch.next);
        }
        let next = end.or(position).unwrap_or_else(|| Position(String::new()));
        Ok((records, next))
    }

    /// The batch's votes not scored by an earlier period, once each, with their events.
    async fn fresh_votes(
        &self,
        records: &[StreamRecord],
        period: &str,
    ) -> Result<(Vec<Vote>, Vec<VoteEvent>, usize), ServiceError> {
        let mut seen = HashSet::with_capacity(records.len());
        let mut events = Vec::with_capacity(records.len());
        for record in records {
            let event = decode_event(record)?;
            if seen.insert(event.vote_id.clone()) {
                events.push(event);
            }
        }
        let marker_keys: Vec<Key> = events
            .iter()
            .map(|event| store::vote_marker_key(&event.vote_id))
            .collect();
        let markers = self.ports.records.get_many(&marker_keys).await?;
        let mut fresh_events = Vec::with_capacity(events.len());
        let mut votes = Vec::with_capacity(events.len());
        for (event, marker) in events.into_iter().zip(markers) {
            if let Some(marker) = marker {
                let marker: VoteMarker = store::decode(&marker)?;
                if marker.period != period {
                    continue;
                }
            }
            votes.push(vote_of(&event)?);
            fresh_events.push(event);
        }
        let n_skipped = records.len() - votes.len();
        Ok((votes, fresh_events, n_skipped))
    }

    /// Rates the photos of `votes` from their values at the period's start and writes them
    /// and their owners' counts. Returns how many photos changed, and the writes of one
    /// `Win` per playable vote (left to the caller, which batches them with the markers).
    async fn apply_period(
        &self,
        votes: &[Vote],
        events: &[VoteEvent],
        period: &str,
        next: &Position,
        plan: &PeriodPlan,
        on_phase: &mut (impl FnMut(&'static str) + Send),
    ) -> Result<(usize, Vec<Write>), ServiceError> {
        let mut photo_ids: Vec<PhotoId> = votes
            .iter()
            .flat_map(|vote| [vote.left(), vote.right()])
            .collect();
        photo_ids.sort_unstable();
        photo_ids.dedup();
        let keys: Vec<Key> = photo_ids
            .iter()
            .map(|id| store::photo_key(&id.to_string()))
            .collect();
        let mut photos: HashMap<PhotoId, (Versioned<PhotoRecord>, PeriodStart)> =
            HashMap::with_capacity(photo_ids.len());
        for (photo_id, item) in photo_ids
            .iter()
            .zip(self.ports.records.get_many(&keys).await?)
        {
            let Some(item) = item else { continue };
            let record: PhotoRecord = store::decode(&item)?;
            let start = match (&record.applied_period, record.before_period) {
                (Some(applied), Some(before)) if applied == period => before,
                _ => PeriodStart {
                    rating: record.rating,
                    wins: record.wins,
                    losses: record.losses,
                },
            };
            let versioned = Versioned {
                value: record,
                version: item.version,
            };
            photos.insert(*photo_id, (versioned, start));
        }
        on_phase("load");
        let playable: Vec<(Vote, &VoteEvent)> = votes
            .iter()
            .zip(events)
            .filter(|(vote, _)| {
                photos.contains_key(&vote.left()) && photos.contains_key(&vote.right())
            })
            .map(|(vote, event)| (*vote, event))
            .collect();
        let playable_votes: Vec<Vote> = playable.iter().map(|(vote, _)| *vote).collect();
        let mut start_ratings: HashMap<PhotoId, PhotoRating> = HashMap::with_capacity(photos.len());
        for (photo_id, (_, start)) in &photos {
            start_ratings.insert(*photo_id, start.rating.to_photo_rating()?);
        }
        let at = Timestamp::from_millis(plan.at);
        let rated = RatingPeriod::new().rate(
            &playable_votes,
            |id| start_ratings.get(&id).copied(),
            at,
            &self.config.rating,
        )?;
        on_phase("rate");

        let mut photo_writes = Vec::with_capacity(rated.len());
        let mut owner_deltas: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for result in &rated {
            let (stored, start) = &photos[&result.photo_id];
            let mut record = stored.value.clone();
            record.rating = StoredRating::from_photo_rating(&result.after);
            record.wins = start.wins + result.wins;
            record.losses = start.losses + result.losses;
            record.applied_period = Some(period.to_owned());
            record.before_period = Some(*start);
            let delta = owner_deltas.entry(record.owner.clone()).or_default();
            delta.0 += u64::from(result.wins);
            delta.1 += u64::from(result.losses);
            photo_writes.push(store::put_item(
                record.to_item(stored.version + 1)?,
                stored.version,
            ));
        }
        // In key order, so each commit touches neighbouring rows (fewer pages on SQLite),
        // and several commits in flight at once (a backend may group them; each is still
        // all or nothing, and a re-run after a partial failure starts from `before_period`).
        photo_writes.sort_unstable_by(|a, b| a.key().cmp(b.key()));
        self.commit_period_writes(photo_writes, next).await?;
        on_phase("photos");
        self.apply_owner_counts(&owner_deltas, period, next).await?;
        on_phase("owners");

        let mut wins = Vec::with_capacity(playable.len());
        for (vote, event) in &playable {
            let winner = &photos[&vote.winner_id()].0.value;
            let win = WinRecord {
                photo_id: winner.id.clone(),
                opponent: vote.loser_id().to_string(),
                vote_id: event.vote_id.clone(),
                at: event.at,
            };
            let key = store::win_key(&winner.owner, event.at, &event.vote_id);
            wins.push(Write::put(Item::new(key, 1, store::encode(&win)?)));
        }
        Ok((rated.len(), wins))
    }

    async fn apply_owner_counts(
        &self,
        deltas: &BTreeMap<String, (u64, u64)>,
        period: &str,
        next: &Position,
    ) -> Result<(), ServiceError> {
        let keys: Vec<Key> = deltas.keys().map(|owner| stats_key(owner)).collect();
        let stored = self.ports.records.get_many(&keys).await?;
        let mut writes = Vec::with_capacity(keys.len());
        for ((key, (wins, losses)), item) in keys.into_iter().zip(deltas.values()).zip(stored) {
            let (mut stats, version) = match item {
                Some(item) => (store::decode::<OwnerStats>(&item)?, item.version),
                None => (OwnerStats::default(), 0),
            };
            let start = if stats.applied_period.as_deref() == Some(period) {
                stats.before_period
            } else {
                (stats.wins, stats.losses)
            };
            stats.wins = start.0 + wins;
            stats.losses = start.1 + losses;
            stats.applied_period = Some(period.to_owned());
            stats.before_period = start;
            writes.push(store::put(key, &stats, version)?);
        }
        self.commit_period_writes(writes, next).await
    }

    /// Commits a period's conditional `writes` in [`period_chunks`], up to
    /// [`COMMITS_IN_FLIGHT`] at once; a conflict means another worker scored the period.
    async fn commit_period_writes(
        &self,
        writes: Vec<Write>,
        next: &Position,
    ) -> Result<(), ServiceError> {
        let records = self.ports.records.as_ref();
        futures_util::stream::iter(period_chunks(writes, next))
            .map(|chunk| records.commit(chunk))
            .buffer_unordered(COMMITS_IN_FLIGHT)
            .try_collect::<()>()
            .await
            .map_err(another_worker)
    }
}

/// Photo (and then owner) commits of one period sent at once: enough for a backend to group
/// them, few enough to stay under a provisioned table's burst.
const COMMITS_IN_FLIGHT: usize = 16;

/// A period's conditional writes in commits that each also check that the next period
/// (starting at `next`) has not begun. A worker that fell behind (another finished this
/// period and started the next, which may have rewritten these photos) then fails instead
/// of applying this period again on top of the next one's values.
fn period_chunks(writes: Vec<Write>, next: &Position) -> Vec<Vec<Write>> {
    let guard = Write::Check {
        key: store::period_key(&next.0),
        condition: Condition::Absent,
    };
    let mut chunks = Vec::with_capacity(writes.len().div_ceil(MAX_COMMIT_WRITES - 1));
    let mut writes = writes.into_iter().peekable();
    while writes.peek().is_some() {
        let mut chunk: Vec<Write> = writes.by_ref().take(MAX_COMMIT_WRITES - 1).collect();
        chunk.push(guard.clone());
        chunks.push(chunk);
    }
    chunks
}

/// Writes in commits of at most [`MAX_COMMIT_WRITES`].
pub(super) fn chunks(writes: Vec<Write>) -> Vec<Vec<Write>> {
    let mut chunks = Vec::with_capacity(writes.len().div_ceil(MAX_COMMIT_WRITES));
    let mut writes = writes.into_iter().peekable();
    while writes.peek().is_some() {
        chunks.push(writes.by_ref().take(MAX_COMMIT_WRITES).collect());
    }
    chunks
}

/// A vote as the stream carries it.
pub(super) fn decode_event(record: &StreamRecord) -> Result<VoteEvent, ServiceError> {
    serde_json::from_slice(&record.data).map_err(|e| ServiceError::Corrupt {
        what: format!("a vote on the stream: {e}"),
    })
}

/// The game a vote event records.
pub(super) fn vote_of(event: &VoteEvent) -> Result<Vote, ServiceError> {
    let side = if event.winner_side == "left" {
        Side::Left
    } else {
        Side::Right
    };
    Ok(Vote::new(
        PhotoId::parse(&event.left)?,
        PhotoId::parse(&event.right)?,
        side,
    )?)
}

/// A conflict while scoring means another worker got there first.
fn another_worker(error: ocean::Error) -> ServiceError {
    if error.kind() == ocean::ErrorKind::Conflict {
        ServiceError::Conflict {
            code: "scoring_raced",
            message: format!("another worker is scoring this period: {error}"),
        }
    } else {
        error.into()
    }
}
