//! Tournaments: a 16-photo bracket proposed to a judge when the cadence says one is due,
//! and the judge's report of its 15 winners, scored as 15 votes exactly once, or held for
//! review (`held_votes.rs`) when it came sooner than a person judges 15 games.

use std::sync::Arc;

use ocean::records::{Key, MAX_PAGE_ITEMS, Order, Query, Write};
use ocean::stream::NewRecord;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::bracket::{BRACKET_SIZE, Bracket, BracketCandidate, BracketResult};
use crate::cadence::{CadenceConfig, CadenceState};
use crate::error::Error;
use crate::ids::{PhotoId, TournamentId, UserId};
use crate::pool::Scope;
use crate::service::activity::ActivityKind;
use crate::service::held_votes::{self, HeldReport};
use crate::service::matches::{VoteEvent, VoteOutcome, competing};
use crate::service::photos::PhotoView;
use crate::service::read_cache::{Pool, PoolKey};
use crate::service::sharded::MergedScan;
use crate::service::store::{self, Versioned};
use crate::service::users::{PlaceView, UserRecord};
use crate::service::{Game, ServiceError, VOTES_STREAM};
use crate::time::Timestamp;

/// A tournament as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TournamentView {
    /// The tournament.
    pub id: TournamentId,
    /// Its pool's scope.
    pub kind: Scope,
    /// 16 photos in bracket slot order: game `i < 8` is `photos[2i]` v `photos[2i + 1]`.
    pub photos: Vec<PhotoView>,
}

/// A tournament as stored under its judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TournamentRecord {
    kind: String,
    slots: Vec<String>,
    created_at: i64,
    /// The 15 winners once reported, and whether their votes reached the stream.
    report: Option<Report>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Report {
    winners: Vec<String>,
    at: i64,
    sent: bool,
    /// Held for review (too soon after the proposal): never sent unless an admin
    /// releases it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    held: bool,
}

fn tournament_key(judge: &str, tournament: &str) -> Key {
    Key::new(format!("u#{judge}"), format!("t#{tournament}"))
}

/// The judge's stored cadence, or a new judge's.
pub(crate) fn cadence_of(
    record: &UserRecord,
    now: Timestamp,
    config: &CadenceConfig,
) -> CadenceState {
    record
        .cadence
        .as_ref()
        .and_then(|stored| {
            Some(CadenceState {
                matches_until_next_tournament: stored.matches_until_next_tournament,
                next_tournament: stored.next_tournament.parse().ok()?,
                last_touched: Timestamp::from_millis(stored.last_touched),
            })
        })
        .unwrap_or_else(|| CadenceState::new_judge(now, config))
}

impl Game {
    /// The pool a tournament of `kind` draws from: the local pool already read, or the
    /// judge's region or the whole category.
    pub(crate) async fn scope_pool(
        &self,
        kind: Scope,
        category: &str,
        place: &PlaceView,
        local_pool: &Arc<Pool>,
        include_test_photos: bool,
        now: Timestamp,
    ) -> Result<Arc<Pool>, ServiceError> {
        match kind {
            Scope::Local => Ok(Arc::clone(local_pool)),
            Scope::Regional => {
                let partition = store::regional_pool(category, &place.country, &place.region);
                self.pool_photos(store::REGIONAL_POOL, &partition, include_test_photos, now)
                    .await
            }
            Scope::Global => {
                self.global_pool_photos(category, include_test_photos, now)
                    .await
            }
        }
    }

    /// The global pool as `pool_photos` reads the others (and keeps it the same way): its
    /// newest `pool_size` entries over every shard, keeping the competing photos (and test
    /// photos only if asked).
    async fn global_pool_photos(
        &self,
        category: &str,
        include_test_photos: bool,
        now: Timestamp,
    ) -> Result<Arc<Pool>, ServiceError> {
        let key = PoolKey {
            index: store::GLOBAL_POOL,
            partition: category.to_owned(),
            include_test_photos,
        };
        if let Some(pool) = self.read_cache.pool(&key, now) {
            return Ok(pool);
        }
        let generation = self.read_cache.generation();
        let pool_size = self.config.pool_size.clamp(2, MAX_PAGE_ITEMS);
        // Each shard holds about an even share of the newest; twice that in one read per
        // shard, and a shard that runs out early is read again.
        let shard_page =
            (pool_size.div_ceil(u32::from(store::GLOBAL_POOL_SHARDS)) * 2).clamp(1, pool_size);
        let query = Query {
            index: Some(store::GLOBAL_POOL),
            order: Order::Descending,
            ..Query::partition("", shard_page)
        };
        let partitions = store::global_pool_partitions(category);
        let newest = MergedScan::new(self.ports.records.as_ref(), query, partitions)
            .next_page(pool_size as usize)
            .await?;
        let photos = competing(&newest, include_test_photos)?;
        Ok(self.read_cache.keep_pool(key, generation, now, photos))
    }

    /// Seeds a tournament of `kind` for `judge` from `pool` and adds the write storing it;
    /// `None` when the pool has fewer than 16 eligible photos (the tournament waits).
    pub(crate) fn seed_tournament(
        &self,
        judge: UserId,
        kind: Scope,
        pool: &Pool,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
        writes: &mut Vec<Write>,
    ) -> Result<Option<TournamentView>, ServiceError> {
        // The pool's photos as its pairing has them: ids, owners and aged ratings worked
        // out once per kept pool.
        let candidates: Vec<BracketCandidate> = self
            .pairing_of(pool, now)?
            .candidates()
            .iter()
            .map(|candidate| BracketCandidate {
                photo_id: candidate.photo_id,
                owner: candidate.owner,
                media_type: candidate.media_type,
                rating: candidate.rating,
            })
            .collect();
        let bracket = match Bracket::seed(judge, &candidates, self.config.seeding, rng) {
            Ok(bracket) => bracket,
            Err(Error::NotEnoughTournamentPhotos { .. }) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let id = TournamentId::generate(now, rng);
        let record = TournamentRecord {
            kind: kind.as_str().to_owned(),
            slots: bracket.slots().iter().map(ToString::to_string).collect(),
            created_at: now.millis(),
            report: None,
        };
        writes.push(store::put(
            tournament_key(&judge.to_string(), &id.to_string()),
            &record,
            0,
        )?);
        let photos = bracket
            .slots()
            .iter()
            .map(|photo_id| self.photo_view(&pool[photo_id], now))
            .collect::<Result<_, _>>()?;
        Ok(Some(TournamentView { id, kind, photos }))
    }

    /// A tournament proposed to `judge`, its photos as they stand at `now`.
    pub async fn tournament(
        &self,
        judge: UserId,
        tournament_id: TournamentId,
        now: Timestamp,
    ) -> Result<TournamentView, ServiceError> {
        let stored = self.tournament_record(judge, tournament_id).await?;
        let mut photos = Vec::with_capacity(BRACKET_SIZE);
        for photo_id in &stored.value.slots {
            let photo = self
                .photo_record(photo_id)
                .await?
                .filter(|photo| photo.value.competes())
                .ok_or_else(|| ServiceError::NotFound {
                    code: "tournament_void",
                    what: format!(
                        "tournament {tournament_id}: its photo {photo_id} was removed; ask for new games"
                    ),
                })?;
            photos.push(self.photo_view(&photo.value, now)?);
        }
        self.add_photo_details(&mut photos).await?;
        Ok(TournamentView {
            id: tournament_id,
            kind: stored.value.kind.parse()?,
            photos,
        })
    }

    /// Records the judge's report of a tournament's 15 winners (positions 0-14) and sends
    /// the 15 games for scoring. An impossible report is [`ServiceError::Rules`] naming the
    /// first bad position; a second report is [`ServiceError::Conflict`] (`already_judged`);
    /// a retry of the same report after a failure resends it, scored once.
    ///
    /// A report sooner after the tournament was proposed than 15 times `min_vote_delay`
    /// (one single vote's minimum per game decided) is [`VoteOutcome::Held`]: recorded and
    /// listed for review in one commit, as one entry for the whole report, never sent for
    /// scoring unless an admin releases it, and final like any report.
    pub async fn report_tournament(
        &self,
        judge: UserId,
        tournament_id: TournamentId,
        winners: &[PhotoId],
        now: Timestamp,
    ) -> Result<VoteOutcome, ServiceError> {
        let stored = self.tournament_record(judge, tournament_id).await?;
        let mut record = stored.value;
        let result = bracket_result(&record.slots, winners, tournament_id)?;
        let winner_texts: Vec<String> = winners.iter().map(ToString::to_string).collect();
        let key = tournament_key(&judge.to_string(), &tournament_id.to_string());
        let already_judged = |message: String| ServiceError::Conflict {
            code: "already_judged",
            message,
        };
        let version = match &record.report {
            Some(report) if report.winners == winner_texts && !report.sent && !report.held => {
                stored.version
            }
            Some(_) => {
                return Err(already_judged(format!(
                    "tournament {tournament_id} is already reported"
                )));
            }
            None => {
                let min_delay = held_votes::report_min_delay(self.config.min_vote_delay);
                let held = held_votes::too_soon(min_delay, record.created_at, now);
                record.report = Some(Report {
                    winners: winner_texts,
                    at: now.millis(),
                    sent: false,
                    held,
                });
                let mut writes = vec![store::put(key.clone(), &record, stored.version)?];
                if held {
                    writes.push(held_votes::hold_report_write(&HeldReport {
                        judge,
                        tournament_id,
                        champion: result.champion(),
                        proposed_at: record.created_at,
                        at: now.millis(),
                        min_delay,
                    })?);
                }
                match self.ports.records.commit(writes).await {
                    Ok(()) if held => return Ok(VoteOutcome::Held),
                    Ok(()) => {}
                    Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                        return Err(already_judged(format!(
                            "tournament {tournament_id} was reported meanwhile"
                        )));
                    }
                    Err(error) => return Err(error.into()),
                }
                stored.version + 1
            }
        };
        let at = record
            .report
            .as_ref()
            .map_or(now.millis(), |report| report.at);
        let events = report_events(judge, tournament_id, &result, at)?;
        self.ports.stream.append(VOTES_STREAM, events).await?;
        if let Some(report) = record.report.as_mut() {
            report.sent = true;
        }
        if let Err(error) = self
            .ports
            .records
            .write(store::put(key, &record, version)?)
            .await
            && error.kind() != ocean::ErrorKind::Conflict
        {
            return Err(error.into());
        }
        self.announce_champion(tournament_id, result.champion(), at)
            .await;
        Ok(VoteOutcome::Accepted)
    }

    /// Sends a held report's 15 games for scoring (an admin released it): the same events,
    /// vote ids and time as an accepted report sends, so scoring counts them once however
    /// often this runs; then tells the champion's owner and followers, once.
    pub(crate) async fn send_held_report(
        &self,
        judge: UserId,
        tournament_id: TournamentId,
    ) -> Result<(), ServiceError> {
        let record = self.tournament_record(judge, tournament_id).await?.value;
        let report = record
            .report
            .as_ref()
            .ok_or_else(|| ServiceError::Corrupt {
                what: format!("tournament {tournament_id}: held but never reported"),
            })?;
        let winners: Vec<PhotoId> = report
            .winners
            .iter()
            .map(|id| PhotoId::parse(id))
            .collect::<Result<_, _>>()?;
        let result = bracket_result(&record.slots, &winners, tournament_id)?;
        let events = report_events(judge, tournament_id, &result, report.at)?;
        self.ports.stream.append(VOTES_STREAM, events).await?;
        self.announce_champion(tournament_id, result.champion(), report.at)
            .await;
        Ok(())
    }

    /// Tells the champion's owner and followers of a sent report. The report is stored and
    /// sent: a retry would be refused as already judged, so a lost activity is logged
    /// rather than failing the report.
    async fn announce_champion(&self, tournament_id: TournamentId, champion: PhotoId, at: i64) {
        if let Err(error) = self
            .tell_tournament_won(champion, tournament_id, Timestamp::from_millis(at))
            .await
        {
            tracing::warn!(%tournament_id, %error, "tournament-won activities not recorded");
        }
    }

    /// Tells the champion's owner (`you_won_tournament`) and the owner's followers
    /// (`won_tournament`), once per tournament.
    async fn tell_tournament_won(
        &self,
        champion: PhotoId,
        tournament_id: TournamentId,
        at: Timestamp,
    ) -> Result<(), ServiceError> {
        let Some(photo) = self.photo_record(&champion.to_string()).await? else {
            return Ok(());
        };
        let owner = UserId::parse(&photo.value.owner)?;
        let about = format!("tournament#{tournament_id}");
        self.tell(
            owner,
            ActivityKind::YouWonTournament,
            None,
            Some(champion),
            None,
            &about,
            at,
        )
        .await?;
        for follower in self.all_followers(owner).await? {
            self.tell(
                follower,
                ActivityKind::WonTournament,
                Some(owner),
                Some(champion),
                None,
                &about,
                at,
            )
            .await?;
        }
        Ok(())
    }

    async fn tournament_record(
        &self,
        judge: UserId,
        tournament_id: TournamentId,
    ) -> Result<Versioned<TournamentRecord>, ServiceError> {
        let key = tournament_key(&judge.to_string(), &tournament_id.to_string());
        store::get(self.ports.records.as_ref(), &key)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(format!("tournament {tournament_id} for this judge"))
            })
    }
}

/// The bracket stored as `slots` with `winners` reported: [`ServiceError::Rules`] naming
/// the first impossible winner.
fn bracket_result(
    slots: &[String],
    winners: &[PhotoId],
    tournament_id: TournamentId,
) -> Result<BracketResult, ServiceError> {
    let slots: Vec<PhotoId> = slots
        .iter()
        .map(|id| PhotoId::parse(id))
        .collect::<Result<_, _>>()?;
    let slots: [PhotoId; BRACKET_SIZE] = slots.try_into().map_err(|_| ServiceError::Corrupt {
        what: format!("tournament {tournament_id} has no 16 slots"),
    })?;
    Ok(Bracket::from_slots(slots)?.validate_report(winners)?)
}

/// A report's games on their way to scoring: one vote each, its id from the judge, the
/// tournament and the game's position (so a resent game keeps its id), all at `at`.
fn report_events(
    judge: UserId,
    tournament_id: TournamentId,
    result: &BracketResult,
    at: i64,
) -> Result<Vec<NewRecord>, ServiceError> {
    let judge_text = judge.to_string();
    let mut events = Vec::with_capacity(result.games().len());
    for (position, &(left, right)) in result.games().iter().enumerate() {
        let winner = result.winners()[position];
        let event = VoteEvent {
            vote_id: store::vote_id(&format!("{judge_text}#{tournament_id}#{position}")),
            judge: judge_text.clone(),
            left: left.to_string(),
            right: right.to_string(),
            winner_side: if winner == left { "left" } else { "right" }.to_owned(),
            at,
        };
        events.push(NewRecord {
            partition_key: tournament_id.to_string(),
            data: store::encode(&event)?,
        });
    }
    Ok(events)
}
