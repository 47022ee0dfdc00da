//! Rescoring: the vote log replayed, period by period, into fresh ratings.
//!
//! The stream keeps every vote and each scored period keeps its plan (how many stream
//! records it covered and its instant), so the ratings the worker produced can be
//! recomputed from nothing: every photo starts as new, each logged period is rated again
//! with the same votes at the same instant, and a vote resent to the stream counts only in
//! the first period that held it, as in live scoring. Checking compares the result with the
//! stored ratings (the proof that nothing was lost or applied twice); applying writes it.
//!
//! Photos that no longer exist are left out of every period, as live scoring leaves out
//! photos missing when their period runs. Run it with the workers stopped: a period scored
//! meanwhile makes the write conflict (nothing is half-written), and checking would see it
//! as a difference.

use std::collections::{BTreeMap, HashMap, HashSet};

use ocean::records::Key;
use ocean::stream::Position;

use crate::ids::PhotoId;
use crate::period::{PhotoRating, RatingPeriod, Vote};
use crate::service::photos::{PeriodStart, PhotoRecord, StoredRating};
use crate::service::scoring::{OwnerStats, PeriodPlan, chunks, decode_event, stats_key, vote_of};
use crate::service::store::{self, Versioned};
use crate::service::{Game, SCORER, ServiceError, VOTES_STREAM};
use crate::time::Timestamp;

/// Whether [`Game::rescore`] only compares or also writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RescoreMode {
    /// Compare the replayed ratings with the stored ones; write nothing.
    Check,
    /// Write the replayed ratings, win and loss counts over the stored ones.
    Apply,
}

/// A photo whose stored rating or counts differ from the replayed ones.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingDifference {
    /// The photo.
    pub photo_id: PhotoId,
    /// Stored (rating, RD, wins, losses).
    pub stored: (f64, f64, u32, u32),
    /// Replayed (rating, RD, wins, losses).
    pub replayed: (f64, f64, u32, u32),
}

/// What a rescore found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RescoreReport {
    /// Rating periods replayed (every period up to the scoring checkpoint).
    pub periods: usize,
    /// Votes counted.
    pub n_votes: usize,
    /// Stream records left out: resent votes, votes on photos that are gone.
    pub n_skipped: usize,
    /// Photos that played in the log and still exist.
    pub n_photos: usize,
    /// Photos whose stored values differ from the replay (before writing, in `Apply`).
    pub differing: Vec<RatingDifference>,
    /// Photos and owners written (`Apply` only).
    pub written: usize,
}

/// One photo during the replay.
struct Replayed {
    record: Versioned<PhotoRecord>,
    rating: PhotoRating,
    wins: u32,
    losses: u32,
    /// The last period it played in: its number in the log, its name, its values before.
    last_period: Option<(usize, String, PeriodStart)>,
}

impl Replayed {
    fn stored_rating(&self) -> StoredRating {
        StoredRating::from_photo_rating(&self.rating)
    }

    fn differs_from_stored(&self) -> bool {
        let stored = &self.record.value;
        stored.rating != self.stored_rating()
            || stored.wins != self.wins
            || stored.losses != self.losses
    }
}

impl Game {
    /// Replays every scored rating period from the vote log into fresh ratings, then checks
    /// them against the stored ones or writes them (see [`RescoreMode`]). `progress` is
    /// called after each period with the number replayed so far.
    /// [`ServiceError::Corrupt`] when a period's plan or votes are missing from the log;
    /// [`ServiceError::Conflict`] when a worker scored while applying.
    pub async fn rescore(
        &self,
        mode: RescoreMode,
        mut progress: impl FnMut(usize),
    ) -> Result<RescoreReport, ServiceError> {
        let checkpoint = self.ports.stream.checkpoint(VOTES_STREAM, SCORER).await?;
        let mut report = RescoreReport::default();
        let mut photos: HashMap<PhotoId, Option<Replayed>> = HashMap::new();
        let mut counted: HashSet<String> = HashSet::new();
        let mut rater = RatingPeriod::new();
        let mut position: Option<Position> = None;
        while position != checkpoint {
            let period = position
                .as_ref()
                .map_or("start", |p| p.0.as_str())
                .to_owned();
            let plan: Versioned<PeriodPlan> =
                store::get(self.ports.records.as_ref(), &store::period_key(&period))
                    .await?
                    .ok_or_else(|| ServiceError::Corrupt {
                        what: format!(
                            "the rating period after stream position {period:?} has no plan, \
                             so the log cannot be replayed from there"
                        ),
                    })?;
            let (records, next) = self.read_exactly(position.as_ref(), &plan.value).await?;
            let mut votes: Vec<Vote> = Vec::with_capacity(records.len());
            for record in &records {
                let event = decode_event(record)?;
                if counted.insert(event.vote_id.clone()) {
                    votes.push(vote_of(&event)?);
                }
            }
            self.load_photos(&votes, &mut photos).await?;
            votes.retain(|vote| {
                [vote.left(), vote.right()]
                    .iter()
                    .all(|id| photos.get(id).is_some_and(Option::is_some))
            });
            report.n_skipped += records.len() - votes.len();
            report.n_votes += votes.len();

            let rated = rater.rate(
                &votes,
                |id| photos.get(&id).and_then(Option::as_ref).map(|p| p.rating),
                Timestamp::from_millis(plan.value.at),
                &self.config.rating,
            )?;
            for result in rated {
                let Some(Some(photo)) = photos.get_mut(&result.photo_id) else {
                    continue;
                };
                let start = PeriodStart {
                    rating: photo.stored_rating(),
                    wins: photo.wins,
                    losses: photo.losses,
                };
                photo.rating = result.after;
                photo.wins += result.wins;
                photo.losses += result.losses;
                photo.last_period = Some((report.periods, period.clone(), start));
            }
            report.periods += 1;
            progress(report.periods);
            position = Some(next);
        }

        let mut replayed: Vec<Replayed> = photos.into_values().flatten().collect();
        replayed.retain(|photo| photo.last_period.is_some());
        replayed.sort_by(|a, b| a.record.value.id.cmp(&b.record.value.id));
        report.n_photos = replayed.len();
        for photo in replayed.iter().filter(|p| p.differs_from_stored()) {
            let stored = &photo.record.value;
            report.differing.push(RatingDifference {
                photo_id: stored.photo_id()?,
                stored: (
                    stored.rating.r,
                    stored.rating.rd,
                    stored.wins,
                    stored.losses,
                ),
                replayed: (
                    photo.rating.rating.rating(),
                    photo.rating.rating.deviation(),
                    photo.wins,
                    photo.losses,
                ),
            });
        }
        if mode == RescoreMode::Apply {
            report.written = self.write_replayed(&replayed).await?;
        }
        Ok(report)
    }

    /// Reads the photos of `votes` not read yet (`None`: the photo is gone).
    async fn load_photos(
        &self,
        votes: &[Vote],
        photos: &mut HashMap<PhotoId, Option<Replayed>>,
    ) -> Result<(), ServiceError> {
        let mut missing: Vec<PhotoId> = votes
            .iter()
            .flat_map(|vote| [vote.left(), vote.right()])
            .filter(|id| !photos.contains_key(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let keys: Vec<Key> = missing
            .iter()
            .map(|id| store::photo_key(&id.to_string()))
            .collect();
        let items = self.ports.records.get_many(&keys).await?;
        for (photo_id, item) in missing.into_iter().zip(items) {
            let replayed = match item {
                Some(item) => Some(Replayed {
                    record: Versioned {
                        value: store::decode(&item)?,
                        version: item.version,
                    },
                    rating: PhotoRating::new_photo(&self.config.rating),
                    wins: 0,
                    losses: 0,
                    last_period: None,
                }),
                None => None,
            };
            photos.insert(photo_id, replayed);
        }
        Ok(())
    }

    /// Writes the replayed photos that differ, then every owner's counts, each under the
    /// version read. Returns how many records were written.
    async fn write_replayed(&self, replayed: &[Replayed]) -> Result<usize, ServiceError> {
        let mut writes = Vec::new();
        for photo in replayed.iter().filter(|p| p.differs_from_stored()) {
            let mut record = photo.record.value.clone();
            record.rating = photo.stored_rating();
            record.wins = photo.wins;
            record.losses = photo.losses;
            if let Some((_, period, start)) = &photo.last_period {
                record.applied_period = Some(period.clone());
                record.before_period = Some(*start);
            }
            writes.push(store::put_item(
                record.to_item(photo.record.version + 1)?,
                photo.record.version,
            ));
        }

        // An owner's counts: the sums over their photos; "before the last period" is the
        // sums before the last period any of their photos played in.
        let mut owners: BTreeMap<&str, (usize, String, OwnerStats)> = BTreeMap::new();
        for photo in replayed {
            let Some((number, period, _)) = &photo.last_period else {
                continue;
            };
            let entry = owners
                .entry(photo.record.value.owner.as_str())
                .or_insert_with(|| (*number, period.clone(), OwnerStats::default()));
            if *number > entry.0 {
                (entry.0, entry.1) = (*number, period.clone());
            }
        }
        for photo in replayed {
            let Some((number, _, start)) = &photo.last_period else {
                continue;
            };
            let Some((last, _, stats)) = owners.get_mut(photo.record.value.owner.as_str()) else {
                continue;
            };
            stats.wins += u64::from(photo.wins);
            stats.losses += u64::from(photo.losses);
            let before = if number == last {
                (start.wins, start.losses)
            } else {
                (photo.wins, photo.losses)
            };
            stats.before_period.0 += u64::from(before.0);
            stats.before_period.1 += u64::from(before.1);
        }
        let keys: Vec<Key> = owners.keys().map(|owner| stats_key(owner)).collect();
        let stored = self.ports.records.get_many(&keys).await?;
        for ((key, (_, (_, period, mut stats))), item) in keys.into_iter().zip(owners).zip(stored) {
            stats.applied_period = Some(period);
            let version = item.as_ref().map_or(0, |item| item.version);
            if let Some(item) = &item {
                let current: OwnerStats = store::decode(item)?;
                if current == stats {
                    continue;
                }
            }
            writes.push(store::put(key, &stats, version)?);
        }

        let written = writes.len();
        for chunk in chunks(writes) {
            self.ports.records.commit(chunk).await.map_err(|error| {
                if error.kind() == ocean::ErrorKind::Conflict {
                    ServiceError::Conflict {
                        code: "scoring_raced",
                        message: "a worker scored votes while rescoring; stop the workers and \
                                  run rescore again"
                            .to_owned(),
                    }
                } else {
                    error.into()
                }
            })?;
        }
        Ok(written)
    }
}
