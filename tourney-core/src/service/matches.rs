//! Matches and votes: pairs proposed to a judge from their pool (and remembered), and a
//! vote on one of them recorded exactly once and sent to the scoring stream.

use std::sync::Arc;

use ocean::records::{Item, Query, SortRange};
use ocean::stream::NewRecord;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::cadence::{CadenceRequest, ServedResponse};
use crate::error::Error;
use crate::ids::{MatchId, PhotoId, UserId};
use crate::pairing::{PairingCandidate, PairingPool};
use crate::prediction::predict_match;
use crate::service::held_votes;
use crate::service::photos::{PhotoRecord, PhotoView};
use crate::service::read_cache::{History, Pool, PoolKey, Shown, voted};
use crate::service::store::{self, Versioned};
use crate::service::tournaments::{TournamentView, cadence_of};
use crate::service::users::StoredCadence;
use crate::service::{Game, ServiceError, VOTES_STREAM};
use crate::time::Timestamp;

/// Most matches remembered per judge page read (history reads page through all of them).
const HISTORY_PAGE: u32 = 1000;

/// A proposed match as the API shows it: `photo_a` < `photo_b` by id.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchView {
    /// The pair's id (hex(a) + hex(b)).
    pub match_id: MatchId,
    /// The photo with the smaller id.
    pub photo_a: PhotoView,
    /// The photo with the larger id.
    pub photo_b: PhotoView,
    /// How much a's score moves if a wins this game alone (and the rest likewise).
    pub a_win_delta: f64,
    /// How much a's score moves if a loses.
    pub a_lose_delta: f64,
    /// How much b's score moves if b wins.
    pub b_win_delta: f64,
    /// How much b's score moves if b loses.
    pub b_lose_delta: f64,
    /// Which photo the client shows on the left: `a` or `b`.
    pub left: &'static str,
}

/// Options of a request for games.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProposalOptions {
    /// Include test photos.
    pub include_test_photos: bool,
    /// `?reset_tournament_status=true`: the cadence starts over.
    pub reset_tournament_status: bool,
}

/// What a request for games answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Up to 10 matches.
    pub matches: Vec<MatchView>,
    /// A tournament, when one was due and its pool allowed it.
    pub tournament: Option<TournamentView>,
}

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Recorded and sent for scoring.
    Accepted,
    /// Recorded but held for review, never scored: it came sooner after the match was
    /// proposed than [`GameConfig::min_vote_delay`](crate::service::GameConfig::min_vote_delay).
    Held,
}

/// A match as remembered for its judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShownMatch {
    /// The photo shown on the left.
    pub(crate) left: String,
    /// The photo shown on the right.
    pub(crate) right: String,
    pub(crate) proposed_at: i64,
    /// The vote, once cast.
    pub(crate) vote: Option<CastVote>,
}

/// A judge's vote on a shown match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CastVote {
    pub(crate) vote_id: String,
    /// `a` or `b`.
    pub(crate) winner: String,
    pub(crate) at: i64,
    /// Whether it reached the stream (false after a crash in between: a retry resends it).
    pub(crate) sent: bool,
    /// Held for review (too soon after the proposal): never sent for scoring.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) held: bool,
}

/// A vote on its way to scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VoteEvent {
    /// Unique per (judge, match): duplicates in the stream are recognised by it.
    pub(crate) vote_id: String,
    pub(crate) judge: String,
    pub(crate) left: String,
    pub(crate) right: String,
    /// `left` or `right`.
    pub(crate) winner_side: String,
    pub(crate) at: i64,
}

impl Game {
    /// Answers a judge's request for games: up to the configured number of matches from
    /// their pool (view category at their place), and a 16-photo tournament when the cadence
    /// says one is due and its pool has 16 eligible photos. Everything proposed is
    /// remembered for the judge, with the cadence, in one commit.
    /// [`ServiceError::NotFound`] with `not_enough_photos` or `no_unique_matches` when
    /// neither matches nor a tournament can be made.
    pub async fn propose(
        &self,
        judge: UserId,
        options: ProposalOptions,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Proposal, ServiceError> {
        let stored_judge = self.user_record(judge).await?;
        let mut judge_record = stored_judge.value.clone();
        let cadence = cadence_of(&judge_record, now, &self.config.cadence);
        let request = CadenceRequest {
            reset_requested: options.reset_tournament_status,
        };
        let (plan, cadence) = cadence.plan_response(now, request, &self.config.cadence);
        let category = self.view_category_of(&judge_record);
        let place = self.place_of(&judge_record).await?;
        let pool = self
            .pool_photos(
                store::LOCAL_POOL,
                &store::local_pool(&category, &place.id),
                options.include_test_photos,
                now,
            )
            .await?;
        let mut writes = Vec::new();
        let mut scope_pool = None;
        let tournament = match plan.tournament {
            Some(kind) => {
                let drawn_from = scope_pool.insert(
                    self.scope_pool(
                        kind,
                        &category,
                        &place,
                        &pool,
                        options.include_test_photos,
                        now,
                    )
                    .await?,
                );
                self.seed_tournament(judge, kind, drawn_from, now, rng, &mut writes)?
            }
            None => None,
        };
        // A due tournament its pool cannot fill yet waits; matches take its place.
        let n_matches = if plan.tournament.is_some() && tournament.is_none() {
            self.config.cadence.max_matches_per_response
        } else {
            plan.n_matches
        };
        let mut views = Vec::new();
        let mut match_error = None;
        if n_matches > 0 {
            let judge_at = JudgeAt {
                id: judge,
                record_version: stored_judge.version,
            };
            match self
                .pick_matches_at(judge_at, &pool, n_matches, None, now, rng)
                .await
            {
                Ok((match_writes, match_views)) => {
                    writes.extend(match_writes);
                    views = match_views;
                }
                Err(error) => match_error = Some(error),
            }
        }
        if views.is_empty() && tournament.is_none() {
            return Err(match_error.unwrap_or_else(|| {
                pool_error(Error::NotEnoughPhotos {
                    eligible: pool.len().min(1),
                })
            }));
        }
        let served = ServedResponse {
            n_matches: u32::try_from(views.len()).unwrap_or(u32::MAX),
            tournament: tournament.as_ref().map(|t| t.kind),
        };
        let cadence = cadence.after_response(served, now, &self.config.cadence);
        judge_record.cadence = Some(StoredCadence {
            matches_until_next_tournament: cadence.matches_until_next_tournament,
            next_tournament: cadence.next_tournament.as_str().to_owned(),
            last_touched: cadence.last_touched.millis(),
        });
        writes.push(store::put(
            store::user_key(&judge_record.id),
            &judge_record,
            stored_judge.version,
        )?);
        self.ports.records.commit(writes).await.map_err(|error| {
            if error.kind() == ocean::ErrorKind::Conflict {
                ServiceError::Conflict {
                    code: "concurrent_update",
                    message: "games were being proposed or judged meanwhile; try again".to_owned(),
                }
            } else {
                error.into()
            }
        })?;
        let mut proposal = Proposal {
            matches: views,
            tournament,
        };
        let match_photos = proposal
            .matches
            .iter_mut()
            .flat_map(|m| [&mut m.photo_a, &mut m.photo_b]);
        self.add_pool_photo_details(&pool, match_photos).await?;
        if let (Some(tournament), Some(drawn_from)) = (&mut proposal.tournament, &scope_pool) {
            self.add_pool_photo_details(drawn_from, &mut tournament.photos)
                .await?;
        }
        Ok(proposal)
    }

    /// One match containing `photo_id` for the judge (`GET /v1/users/me/matches/{photo_id}`),
    /// from the photo's own local pool, remembered like any proposal; never a tournament and
    /// the cadence is untouched. [`ServiceError::NotFound`] when the photo is not in a pool
    /// or has no new partner.
    pub async fn propose_with_photo(
        &self,
        judge: UserId,
        photo_id: PhotoId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<MatchView, ServiceError> {
        let judge_at = JudgeAt {
            id: judge,
            record_version: self.user_record(judge).await?.version,
        };
        let photo = self
            .photo_record(&photo_id.to_string())
            .await?
            .filter(|photo| photo.value.competes())
            .ok_or_else(|| ServiceError::not_found(format!("photo {photo_id}")))?
            .value;
        let partition = store::local_pool(&photo.category, &photo.place.id);
        let kept = self
            .pool_photos(store::LOCAL_POOL, &partition, true, now)
            .await?;
        // The kept pool and its prepared pairing when the photo is among its newest (a
        // copy of 200 photos prepares all 19,900 pairs again for this one match).
        let pool = if kept.contains_key(&photo_id) {
            kept
        } else {
            let mut pool = Pool::clone(&kept);
            pool.insert(photo_id, photo);
            Arc::new(pool)
        };
        let (writes, mut views) = self
            .pick_matches_at(judge_at, &pool, 1, Some(photo_id), now, rng)
            .await?;
        self.ports.records.commit(writes).await?;
        let mut view = views.pop().ok_or_else(|| ServiceError::NotFound {
            code: "no_unique_matches",
            what: format!("no new match with photo {photo_id} for you"),
        })?;
        self.add_photo_details([&mut view.photo_a, &mut view.photo_b])
            .await?;
        Ok(view)
    }

    /// Up to `n_matches` new matches from `pool`, with the writes remembering them.
    pub(crate) async fn pick_matches(
        &self,
        judge: UserId,
        pool: &Pool,
        n_matches: u32,
        must_include: Option<PhotoId>,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<(Vec<ocean::records::Write>, Vec<MatchView>), ServiceError> {
        let judge_at = JudgeAt {
            id: judge,
            record_version: self.user_record(judge).await?.version,
        };
        self.pick_matches_at(judge_at, pool, n_matches, must_include, now, rng)
            .await
    }

    /// [`Game::pick_matches`] for a judge whose user record was just read (at
    /// `judge_at.record_version`): their history is then the one kept for that version, if
    /// any.
    async fn pick_matches_at(
        &self,
        judge_at: JudgeAt,
        pool: &Pool,
        n_matches: u32,
        must_include: Option<PhotoId>,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<(Vec<ocean::records::Write>, Vec<MatchView>), ServiceError> {
        let judge = judge_at.id;
        let pairing = self.pairing_of(pool, now)?;
        let shown = self.judge_history(judge_at, now).await?;
        let proposed = pairing
            .propose(judge, &*shown, must_include, n_matches as usize, rng)
            .map_err(pool_error)?;
        let mut writes = Vec::with_capacity(proposed.len());
        let mut views = Vec::with_capacity(proposed.len());
        for proposal in &proposed {
            let remembered = ShownMatch {
                left: proposal.left.to_string(),
                right: proposal.right.to_string(),
                proposed_at: now.millis(),
                vote: None,
            };
            let read_version = shown.get(proposal.match_id).map_or(0, Shown::version);
            let key = store::shown_match_key(&judge.to_string(), &proposal.match_id.to_string());
            writes.push(store::put(key, &remembered, read_version)?);
            let a = &pool[&proposal.match_id.low()];
            let b = &pool[&proposal.match_id.high()];
            views.push(self.match_view(proposal.match_id, a, b, proposal.left, now)?);
        }
        Ok((writes, views))
    }

    /// The pairing over `pool`'s photos, their ratings aged to `now` when it is first
    /// prepared (kept with the pool, see [`Pool`]).
    pub(crate) fn pairing_of<'p>(
        &self,
        pool: &'p Pool,
        now: Timestamp,
    ) -> Result<&'p PairingPool, ServiceError> {
        pool.pairing(|photos| {
            let mut candidates = Vec::with_capacity(photos.len());
            for (photo_id, record) in photos {
                candidates.push(PairingCandidate {
                    photo_id: *photo_id,
                    owner: UserId::parse(&record.owner)?,
                    media_type: record.media_type(),
                    rating: record.aged_rating(now, &self.config.rating)?,
                    n_games: record.wins + record.losses,
                });
            }
            Ok(PairingPool::new(&candidates, &self.config.pairing))
        })
    }

    /// Records the judge's vote on a match proposed to them (`winner` is `a` or `b`) and
    /// sends it for scoring. Exactly once: a second vote on the match is
    /// [`ServiceError::Conflict`] (`already_judged`), and a retry after a failure resends
    /// the same vote, which scoring counts once. A match never proposed to the judge is
    /// [`ServiceError::NotFound`].
    ///
    /// A vote sooner after the proposal than `min_vote_delay` is [`VoteOutcome::Held`]:
    /// recorded on the match and listed for review in one commit, never sent for scoring.
    /// It is final like any vote: a retry, or another winner, is `already_judged`.
    pub async fn vote(
        &self,
        judge: UserId,
        match_id: MatchId,
        winner: &str,
        now: Timestamp,
    ) -> Result<VoteOutcome, ServiceError> {
        if winner != "a" && winner != "b" {
            return Err(ServiceError::invalid(
                "winner",
                format!("{winner:?} is not a photo of the match; use \"a\" or \"b\""),
            ));
        }
        let judge_text = judge.to_string();
        let key = store::shown_match_key(&judge_text, &match_id.to_string());
        let stored: Versioned<ShownMatch> = store::get(self.ports.records.as_ref(), &key)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("match {match_id} for this judge")))?;
        let already_voted = stored.value.vote.is_some();
        let mut shown = stored.value;
        let cast = match &shown.vote {
            Some(cast) if cast.winner == winner && !cast.sent && !cast.held => cast.clone(),
            Some(_) => {
                return Err(ServiceError::Conflict {
                    code: "already_judged",
                    message: format!("match {match_id} is already judged"),
                });
            }
            None => {
                let min_delay = self.config.min_vote_delay;
                let cast = CastVote {
                    vote_id: store::vote_id(&format!("{judge_text}#{match_id}")),
                    winner: winner.to_owned(),
                    at: now.millis(),
                    sent: false,
                    held: held_votes::too_soon(min_delay, shown.proposed_at, now),
                };
                shown.vote = Some(cast.clone());
                let write = store::put(key.clone(), &shown, stored.version)?;
                if cast.held {
                    let hold = held_votes::hold_write(judge, match_id, &shown, &cast, min_delay)?;
                    return match self.ports.records.commit(vec![write, hold]).await {
                        Ok(()) => Ok(VoteOutcome::Held),
                        Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                            Err(ServiceError::Conflict {
                                code: "already_judged",
                                message: format!("match {match_id} was judged meanwhile"),
                            })
                        }
                        Err(error) => Err(error.into()),
                    };
                }
                if let Err(error) = self.ports.records.write(write).await {
                    if error.kind() == ocean::ErrorKind::Conflict {
                        return Err(ServiceError::Conflict {
                            code: "already_judged",
                            message: format!("match {match_id} was judged meanwhile"),
                        });
                    }
                    return Err(error.into());
                }
                cast
            }
        };
        let winner_photo = if winner == "a" {
            match_id.low()
        } else {
            match_id.high()
        };
        let winner_side = if winner_photo.to_string() == shown.left {
            "left"
        } else {
            "right"
        };
        let event = VoteEvent {
            vote_id: cast.vote_id.clone(),
            judge: judge_text,
            left: shown.left.clone(),
            right: shown.right.clone(),
            winner_side: winner_side.to_owned(),
            at: cast.at,
        };
        let record = NewRecord {
            partition_key: match_id.to_string(),
            data: store::encode(&event)?,
        };
        self.ports.stream.append(VOTES_STREAM, vec![record]).await?;
        // Best effort: a lost `sent` flag only means a retry resends a counted-once vote.
        let version_after_vote = if already_voted {
            stored.version
        } else {
            stored.version + 1
        };
        if let Some(vote) = shown.vote.as_mut() {
            vote.sent = true;
        }
        let mark_sent = store::put(key, &shown, version_after_vote)?;
        if let Err(error) = self.ports.records.write(mark_sent).await
            && error.kind() != ocean::ErrorKind::Conflict
        {
            return Err(error.into());
        }
        Ok(VoteOutcome::Accepted)
    }

    /// The newest photos of a pool partition, by id (ordered, so pairing is deterministic
    /// for a given random generator), as read at most `board_fresh_for` before `now` and
    /// after the last photo change in this process.
    pub(crate) async fn pool_photos(
        &self,
        index: ocean::records::Index,
        partition: &str,
        include_test_photos: bool,
        now: Timestamp,
    ) -> Result<Arc<Pool>, ServiceError> {
        let key = PoolKey {
            index,
            partition: partition.to_owned(),
            include_test_photos,
        };
        if let Some(pool) = self.read_cache.pool(&key, now) {
            return Ok(pool);
        }
        let generation = self.read_cache.generation();
        let query = Query {
            index: Some(index),
            partition: partition.to_owned(),
            range: SortRange::All,
            order: ocean::records::Order::Descending,
            limit: self
                .config
                .pool_size
                .clamp(2, ocean::records::MAX_PAGE_ITEMS),
            cursor: None,
        };
        let page = self.ports.records.query(&query).await?;
        let photos = competing(&page.items, include_test_photos)?;
        Ok(self.read_cache.keep_pool(key, generation, now, photos))
    }

    /// Every match ever shown to the judge, with its stored version and whether it was
    /// judged: kept in memory for the judge's user record version (see `read_cache`'s
    /// `Histories`), else read whole.
    async fn judge_history(
        &self,
        judge_at: JudgeAt,
        now: Timestamp,
    ) -> Result<Arc<History>, ServiceError> {
        let histories = self.read_cache.histories();
        if let Some(kept) = histories.get(judge_at.id, judge_at.record_version, now) {
            return Ok(kept);
        }
        let generation = histories.generation(judge_at.id);
        let shown = self.shown_matches(judge_at.id).await?;
        Ok(histories.keep(judge_at.id, judge_at.record_version, generation, shown, now))
    }

    /// Every match ever shown to `judge`, with its stored version and whether it was
    /// judged, read from the store.
    async fn shown_matches(&self, judge: UserId) -> Result<History, ServiceError> {
        let mut shown = Vec::new();
        let mut query = Query {
            range: SortRange::Prefix(store::SHOWN_MATCH_PREFIX.to_owned()),
            ..Query::partition(format!("u#{judge}"), HISTORY_PAGE)
        };
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let match_text = &item.key.sort[store::SHOWN_MATCH_PREFIX.len()..];
                let match_id = MatchId::parse(match_text)?;
                let judged = voted(&item.body).ok_or_else(|| ServiceError::Corrupt {
                    what: format!("record {}: not a shown match", item.key),
                })?;
                shown.push((match_id, Shown::new(item.version, judged)));
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(shown.into_iter().collect()),
            }
        }
    }

    fn match_view(
        &self,
        match_id: MatchId,
        a: &PhotoRecord,
        b: &PhotoRecord,
        left: PhotoId,
        now: Timestamp,
    ) -> Result<MatchView, ServiceError> {
        let prediction = predict_match(
            &a.rating.to_photo_rating()?,
            &b.rating.to_photo_rating()?,
            now,
            &self.config.rating,
        )?;
        Ok(MatchView {
            match_id,
            photo_a: self.photo_view(a, now)?,
            photo_b: self.photo_view(b, now)?,
            a_win_delta: prediction.a_win_delta,
            a_lose_delta: prediction.a_lose_delta,
            b_win_delta: prediction.b_win_delta,
            b_lose_delta: prediction.b_lose_delta,
            left: if left == match_id.low() { "a" } else { "b" },
        })
    }
}

/// A judge and the version of their user record a request read.
#[derive(Debug, Clone, Copy)]
struct JudgeAt {
    id: UserId,
    record_version: u64,
}

/// Pairing's refusals as the API's not-found codes.
pub(crate) fn pool_error(error: Error) -> ServiceError {
    match error {
        Error::NotEnoughPhotos { eligible } => ServiceError::NotFound {
            code: "not_enough_photos",
            what: format!(
                "fewer than two photos of this pool can be matched for you ({eligible} eligible)"
            ),
        },
        Error::NoUniqueMatches { n_allowed_pairs } => ServiceError::NotFound {
            code: "no_unique_matches",
            what: format!(
                "you have judged every pair of this pool ({n_allowed_pairs} pairs); come back when new photos arrive"
            ),
        },
        other => other.into(),
    }
}

/// The competing photos among `items` (photo records), by id; test photos only if asked.
pub(crate) fn competing(items: &[Item], include_test_photos: bool) -> Result<Pool, ServiceError> {
    let mut photos = Pool::new();
    for item in items {
        let record: PhotoRecord = store::decode(item)?;
        if record.competes() && (include_test_photos || !record.is_test) {
            photos.insert(record.photo_id()?, record);
        }
    }
    Ok(photos)
}
