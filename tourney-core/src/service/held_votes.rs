//! Votes held for review: a vote cast sooner after its match was proposed than
//! [`GameConfig::min_vote_delay`](crate::service::GameConfig::min_vote_delay) (faster than a
//! person looks at two photos) is recorded on the shown match like any vote, so the judge
//! cannot vote on that match again, but it is never sent for scoring: it moves no rating
//! and adds no win. A record of it joins one list, newest first, that admins page through.
//!
//! A tournament report is held the same way when it comes sooner after its tournament was
//! proposed than [`REPORT_GAMES`] times that minimum (the judge decided 15 games, each no
//! faster than a single vote), as one entry for the whole report.
//!
//! An admin then decides each entry once: released, it is sent for scoring exactly as it
//! would have been (the same vote ids, so scoring counts it once however often a release is
//! retried or raced); discarded, it is never counted. Either way it leaves the list, and the
//! decision is kept: releasing again, or discarding again, changes nothing; discarding a
//! released vote or releasing a discarded one is refused (`Conflict`).
//!
//! Records (the key scheme's table in `store.rs` lists the others):
//!
//! | item | partition | sort | secondary indexes |
//! |---|---|---|---|
//! | held vote or report, while undecided | `held_votes` | `<time>#<vote>` | 0: `hv#<vote>` / `held` (its id to its entry) |
//! | an admin's decision on it | `hv#<vote>` | `decided` | |
//!
//! Deciding is one commit: the decision is created (if absent) and the list entry deleted
//! (at the version read), so two admins deciding at once cannot both win.

use std::time::Duration;

use ocean::records::{Condition, Cursor, Index, Item, Key, Order, Query, Write};
use ocean::stream::NewRecord;
use serde::{Deserialize, Serialize};

use crate::bracket::BRACKET_GAMES;
use crate::ids::{MatchId, PhotoId, TournamentId, UserId};
use crate::service::matches::{CastVote, ShownMatch, VoteEvent};
use crate::service::store;
use crate::service::{Game, ServiceError, VOTES_STREAM};
use crate::time::Timestamp;

/// How many games a tournament report decides: a report is held when it comes sooner
/// after its tournament was proposed than this many times the least delay of one vote.
pub const REPORT_GAMES: u32 = BRACKET_GAMES as u32;

/// The partition every held vote is listed in.
const HELD_PARTITION: &str = "held_votes";
/// The secondary index that finds a listed vote by its id: index 0, shared with the
/// owner's photos and the moderation queue under its own partitions (`hv#<vote>`).
const HELD_BY_ID: Index = store::BY_OWNER;
/// Sort key of a listed vote in [`HELD_BY_ID`].
const HELD_BY_ID_SORT: &str = "held";
/// Sort key of a decision.
const DECISION_SORT: &str = "decided";
/// Attempts at a decision while others change the same entry.
const MAX_DECISION_ATTEMPTS: usize = 5;

/// A held vote as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldVoteView {
    /// The vote's id: the one the vote would have carried to scoring (for a tournament
    /// report, the report's own id; its games carry theirs).
    pub vote_id: String,
    /// Who voted.
    pub judge: UserId,
    /// What was voted.
    pub ballot: HeldBallot,
    /// When the match (or the tournament) was proposed to the judge.
    pub proposed_at: Timestamp,
    /// When the vote came.
    pub voted_at: Timestamp,
    /// The least delay in force when the vote came (for a report: [`REPORT_GAMES`] times
    /// the least delay of one vote).
    pub min_delay: Duration,
}

/// What a held vote decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBallot {
    /// A vote on one match.
    Match {
        /// The match voted on.
        match_id: MatchId,
        /// The photo the judge picked.
        winner: PhotoId,
        /// The photo shown on the left.
        left: PhotoId,
    },
    /// A tournament's report: its [`REPORT_GAMES`] games at once.
    Tournament {
        /// The tournament reported.
        tournament_id: TournamentId,
        /// The report's champion (the final's winner).
        champion: PhotoId,
    },
}

impl HeldVoteView {
    /// How long after the proposal the vote came (zero for a vote stamped before it, as a
    /// server with a clock behind the proposing server's may do).
    pub fn delay(&self) -> Duration {
        self.voted_at.saturating_duration_since(self.proposed_at)
    }
}

/// A held vote as stored. Match votes carry `match_id` and `left` (and `winner` `a` or
/// `b`), tournament reports `tournament_id` (and `winner` the champion's photo id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HeldVoteRecord {
    vote_id: String,
    judge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    match_id: Option<String>,
    /// `a` or `b`; a report's champion.
    winner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    left: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tournament_id: Option<String>,
    proposed_at: i64,
    at: i64,
    min_delay_ms: u64,
}

/// What an admin decided about a held vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    Released,
    Discarded,
}

/// A decision as stored: final, with the vote it decided (the list entry is gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Decision {
    verdict: Verdict,
    admin: String,
    at: i64,
    /// Whether a released vote reached the stream (false after a failure in between: the
    /// next release sends it again, and scoring counts it once).
    sent: bool,
    vote: HeldVoteRecord,
}

/// A decision as read or just made.
struct Decided {
    /// Whether this call made it (false: it was made before, whatever it was).
    now: bool,
    decision: Decision,
    /// The decision's stored version.
    version: u64,
}

/// Whether a vote at `now` on a match proposed at `proposed_at` (milliseconds) comes
/// sooner than `min_delay` allows. A zero `min_delay` holds nothing.
pub(crate) fn too_soon(min_delay: Duration, proposed_at: i64, now: Timestamp) -> bool {
    if min_delay.is_zero() {
        return false;
    }
    let min_delay_ms = i64::try_from(min_delay.as_millis()).unwrap_or(i64::MAX);
    now.millis().saturating_sub(proposed_at) < min_delay_ms
}

/// The least delay between a tournament's proposal and its report: [`REPORT_GAMES`] times
/// `min_vote_delay`, one single vote's minimum per game decided.
pub(crate) fn report_min_delay(min_vote_delay: Duration) -> Duration {
    min_vote_delay.saturating_mul(REPORT_GAMES)
}

/// The write listing `cast`, held, on `shown` (`match_id`, proposed to `judge`); created
/// only if absent, so it commits once with the vote itself.
pub(crate) fn hold_write(
    judge: UserId,
    match_id: MatchId,
    shown: &ShownMatch,
    cast: &CastVote,
    min_delay: Duration,
) -> Result<Write, ServiceError> {
    listing_write(&HeldVoteRecord {
        vote_id: cast.vote_id.clone(),
        judge: judge.to_string(),
        match_id: Some(match_id.to_string()),
        winner: cast.winner.clone(),
        left: Some(shown.left.clone()),
        tournament_id: None,
        proposed_at: shown.proposed_at,
        at: cast.at,
        min_delay_ms: millis(min_delay),
    })
}

/// A tournament report being held.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeldReport {
    pub(crate) judge: UserId,
    pub(crate) tournament_id: TournamentId,
    pub(crate) champion: PhotoId,
    /// When the tournament was proposed (milliseconds).
    pub(crate) proposed_at: i64,
    /// When the report came (milliseconds).
    pub(crate) at: i64,
    /// The report's least delay ([`report_min_delay`]).
    pub(crate) min_delay: Duration,
}

/// The write listing a held tournament report as one entry (created only if absent, to
/// commit with the report itself).
pub(crate) fn hold_report_write(report: &HeldReport) -> Result<Write, ServiceError> {
    listing_write(&HeldVoteRecord {
        vote_id: report_vote_id(report.judge, report.tournament_id),
        judge: report.judge.to_string(),
        match_id: None,
        winner: report.champion.to_string(),
        left: None,
        tournament_id: Some(report.tournament_id.to_string()),
        proposed_at: report.proposed_at,
        at: report.at,
        min_delay_ms: millis(report.min_delay),
    })
}

/// The id of a tournament report's held entry (its games' vote ids add the position).
fn report_vote_id(judge: UserId, tournament_id: TournamentId) -> String {
    store::vote_id(&format!("{judge}#{tournament_id}"))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The list entry of `record`, findable by its vote id through [`HELD_BY_ID`].
fn listing_write(record: &HeldVoteRecord) -> Result<Write, ServiceError> {
    let item = Item::new(
        held_vote_key(record.at, &record.vote_id),
        1,
        store::encode(record)?,
    )
    .with_index_key(
        HELD_BY_ID,
        Key::new(by_id_partition(&record.vote_id), HELD_BY_ID_SORT),
    );
    Ok(store::put_item(item, 0))
}

/// The key of a held vote: newest last in its partition.
fn held_vote_key(at_millis: i64, vote_id: &str) -> Key {
    Key::new(
        HELD_PARTITION,
        format!("{}#{vote_id}", store::time_key(at_millis)),
    )
}

fn by_id_partition(vote_id: &str) -> String {
    format!("hv#{vote_id}")
}

fn decision_key(vote_id: &str) -> Key {
    Key::new(by_id_partition(vote_id), DECISION_SORT)
}

/// Refuses text that is no vote id (32 lowercase hex) with [`ServiceError::Invalid`].
fn check_vote_id(vote_id: &str) -> Result<(), ServiceError> {
    let is_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if vote_id.len() == 32 && vote_id.chars().all(is_hex) {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "vote_id",
        "a vote id is 32 lowercase hex characters",
    ))
}

impl Game {
    /// The votes held for review and not yet decided, newest first, `limit` (1 to the
    /// records port's page size) a page, and the next page's cursor; for admins only
    /// ([`ServiceError::Forbidden`] otherwise).
    pub async fn held_votes(
        &self,
        admin: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<HeldVoteView>, Option<String>), ServiceError> {
        self.require_admin(admin).await?;
        let query = Query {
            order: Order::Descending,
            cursor: cursor.map(Cursor),
            ..Query::partition(
                HELD_PARTITION,
                limit.clamp(1, ocean::records::MAX_PAGE_ITEMS),
            )
        };
        let page = self.ports.records.query(&query).await?;
        let mut held = Vec::with_capacity(page.items.len());
        for item in &page.items {
            held.push(view(&store::decode(item)?)?);
        }
        Ok((held, page.next.map(|cursor| cursor.0)))
    }

    /// Releases a held vote for `admin`: it is sent for scoring exactly as it would have
    /// been when cast (a tournament report: its 15 games), under the same vote ids, so it
    /// counts once even when the release is retried or two admins release at once; it
    /// leaves the list. Returns whether this call released it (false: released before; a
    /// release whose sending failed is sent again). A discarded vote is
    /// [`ServiceError::Conflict`] `held_vote_discarded`; an unknown id is not found.
    pub async fn release_held_vote(
        &self,
        admin: UserId,
        vote_id: &str,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        let Decided {
            now: released_now,
            decision: mut decided,
            version,
        } = self.decide(admin, vote_id, Verdict::Released, now).await?;
        match decided.verdict {
            Verdict::Discarded => {
                return Err(ServiceError::Conflict {
                    code: "held_vote_discarded",
                    message: format!(
                        "held vote {vote_id} was discarded; a discarded vote cannot be released"
                    ),
                });
            }
            Verdict::Released if decided.sent => return Ok(released_now),
            Verdict::Released => {}
        }
        self.send_released(&decided.vote).await?;
        // Best effort: a lost `sent` flag only means a later release resends a
        // counted-once vote.
        decided.sent = true;
        let mark_sent = store::put(decision_key(vote_id), &decided, version)?;
        if let Err(error) = self.ports.records.write(mark_sent).await
            && error.kind() != ocean::ErrorKind::Conflict
        {
            return Err(error.into());
        }
        Ok(released_now)
    }

    /// Discards a held vote for `admin`: it leaves the list and is never counted. Returns
    /// whether this call discarded it (false: discarded before). A released vote is
    /// [`ServiceError::Conflict`] `held_vote_released`; an unknown id is not found.
    pub async fn discard_held_vote(
        &self,
        admin: UserId,
        vote_id: &str,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        let decided = self.decide(admin, vote_id, Verdict::Discarded, now).await?;
        match decided.decision.verdict {
            Verdict::Discarded => Ok(decided.now),
            Verdict::Released => Err(ServiceError::Conflict {
                code: "held_vote_released",
                message: format!(
                    "held vote {vote_id} was released and counted; a released vote cannot be discarded"
                ),
            }),
        }
    }

    /// The decision on `vote_id`: `verdict`, made now when the vote was undecided, else
    /// the one made before (whatever it was).
    async fn decide(
        &self,
        admin: UserId,
        vote_id: &str,
        verdict: Verdict,
        now: Timestamp,
    ) -> Result<Decided, ServiceError> {
        self.require_admin(admin).await?;
        check_vote_id(vote_id)?;
        let key = decision_key(vote_id);
        for _ in 0..MAX_DECISION_ATTEMPTS {
            if let Some(decided) = self.decision(&key).await? {
                return Ok(decided);
            }
            let Some(listed) = self.listed_held_vote(vote_id).await? else {
                // Decided (and unlisted) between the two reads, or never held.
                return self
                    .decision(&key)
                    .await?
                    .ok_or_else(|| ServiceError::not_found(format!("held vote {vote_id}")));
            };
            let decision = Decision {
                verdict,
                admin: admin.to_string(),
                at: now.millis(),
                sent: false,
                vote: store::decode(&listed)?,
            };
            let writes = vec![
                store::put(key.clone(), &decision, 0)?,
                Write::Delete {
                    key: listed.key,
                    condition: Condition::VersionIs(listed.version),
                },
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    return Ok(Decided {
                        now: true,
                        decision,
                        version: 1,
                    });
                }
                // Decided meanwhile: read the decision.
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: format!("held vote {vote_id} kept changing; try again"),
        })
    }

    /// The decision stored at `key`, if made.
    async fn decision(&self, key: &Key) -> Result<Option<Decided>, ServiceError> {
        let stored = store::get::<Decision>(self.ports.records.as_ref(), key).await?;
        Ok(stored.map(|stored| Decided {
            now: false,
            decision: stored.value,
            version: stored.version,
        }))
    }

    /// The list entry of an undecided held vote, as stored now: found through
    /// [`HELD_BY_ID`], else (an index that lags its table, or an entry listed before the
    /// index key was written) by reading the list.
    async fn listed_held_vote(&self, vote_id: &str) -> Result<Option<Item>, ServiceError> {
        let records = self.ports.records.as_ref();
        let by_id = Query {
            index: Some(HELD_BY_ID),
            ..Query::partition(by_id_partition(vote_id), 1)
        };
        if let Some(indexed) = records.query(&by_id).await?.items.into_iter().next()
            && let Some(item) = records.get(&indexed.key).await?
        {
            return Ok(Some(item));
        }
        let suffix = format!("#{vote_id}");
        let mut query = Query::partition(HELD_PARTITION, ocean::records::MAX_PAGE_ITEMS);
        loop {
            let page = records.query(&query).await?;
            if let Some(item) = page
                .items
                .into_iter()
                .find(|item| item.key.sort.ends_with(&suffix))
            {
                return Ok(Some(item));
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(None),
            }
        }
    }

    /// Sends a released vote for scoring as it would have been sent when cast: one match's
    /// vote as `Game::vote` sends it, or a report's games as `Game::report_tournament` does.
    async fn send_released(&self, vote: &HeldVoteRecord) -> Result<(), ServiceError> {
        let judge = UserId::parse(&vote.judge)?;
        if let Some(tournament_id) = &vote.tournament_id {
            let tournament_id = TournamentId::parse(tournament_id)?;
            return self.send_held_report(judge, tournament_id).await;
        }
        let (match_id, left, winner) = match_fields(vote)?;
        let right = if left == match_id.low() {
            match_id.high()
        } else {
            match_id.low()
        };
        let event = VoteEvent {
            vote_id: vote.vote_id.clone(),
            judge: vote.judge.clone(),
            left: left.to_string(),
            right: right.to_string(),
            winner_side: if winner == left { "left" } else { "right" }.to_owned(),
            at: vote.at,
        };
        let record = NewRecord {
            partition_key: match_id.to_string(),
            data: store::encode(&event)?,
        };
        self.ports.stream.append(VOTES_STREAM, vec![record]).await?;
        Ok(())
    }
}

/// A match vote's match, left photo and winner.
fn match_fields(vote: &HeldVoteRecord) -> Result<(MatchId, PhotoId, PhotoId), ServiceError> {
    let corrupt = |what: &str| ServiceError::Corrupt {
        what: format!("held vote {}: no {what}", vote.vote_id),
    };
    let match_id = MatchId::parse(vote.match_id.as_deref().ok_or_else(|| corrupt("match"))?)?;
    let left = PhotoId::parse(vote.left.as_deref().ok_or_else(|| corrupt("left photo"))?)?;
    let winner = if vote.winner == "a" {
        match_id.low()
    } else {
        match_id.high()
    };
    Ok((match_id, left, winner))
}

/// How an admin sees a stored held vote.
fn view(record: &HeldVoteRecord) -> Result<HeldVoteView, ServiceError> {
    let ballot = match &record.tournament_id {
        Some(tournament_id) => HeldBallot::Tournament {
            tournament_id: TournamentId::parse(tournament_id)?,
            champion: PhotoId::parse(&record.winner)?,
        },
        None => {
            let (match_id, left, winner) = match_fields(record)?;
            HeldBallot::Match {
                match_id,
                winner,
                left,
            }
        }
    };
    Ok(HeldVoteView {
        vote_id: record.vote_id.clone(),
        judge: UserId::parse(&record.judge)?,
        ballot,
        proposed_at: Timestamp::from_millis(record.proposed_at),
        voted_at: Timestamp::from_millis(record.at),
        min_delay: Duration::from_millis(record.min_delay_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_sooner_than_the_minimum_are_too_soon() {
        let proposed = 1_000_000;
        let at = |offset_ms: i64| Timestamp::from_millis(proposed + offset_ms);
        let min = Duration::from_millis(300);
        let cases = [
            (min, 0, true),
            (min, 299, true),
            (min, 300, false),
            (min, 5_000, false),
            (min, -50, true),
            (Duration::ZERO, 0, false),
            (Duration::ZERO, -50, false),
        ];
        for (min_delay, offset_ms, expected) in cases {
            assert_eq!(
                too_soon(min_delay, proposed, at(offset_ms)),
                expected,
                "min {min_delay:?}, vote {offset_ms} ms after the proposal"
            );
        }
    }

    #[test]
    fn a_report_needs_one_minimum_per_game() {
        let min = Duration::from_millis(300);
        assert_eq!(report_min_delay(min), Duration::from_millis(4_500));
        assert_eq!(report_min_delay(Duration::ZERO), Duration::ZERO);
        assert_eq!(report_min_delay(Duration::MAX), Duration::MAX, "saturates");
        let proposed = 1_000_000;
        let at = |offset_ms: i64| Timestamp::from_millis(proposed + offset_ms);
        assert!(too_soon(report_min_delay(min), proposed, at(4_499)));
        assert!(!too_soon(report_min_delay(min), proposed, at(4_500)));
    }

    #[test]
    fn held_vote_keys_sort_by_time() {
        let early = held_vote_key(1_000, "ffff");
        let late = held_vote_key(20_000, "0000");
        assert_eq!(early.partition, late.partition);
        assert!(early.sort < late.sort, "{early} < {late}");
    }

    #[test]
    fn vote_ids_are_32_lowercase_hex() {
        assert!(check_vote_id(&"0123456789abcdef".repeat(2)).is_ok());
        for bad in [
            "",
            "0123456789abcdef",
            &"0123456789ABCDEF".repeat(2),
            &"0123456789abcdeg".repeat(2),
            &"0123456789abcdef".repeat(3),
            "../../../../../../../../../../..",
        ] {
            assert!(
                matches!(
                    check_vote_id(bad),
                    Err(ServiceError::Invalid {
                        field: "vote_id",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn records_written_before_reports_were_held_still_read() {
        let stored = serde_json::json!({
            "vote_id": "0123456789abcdef0123456789abcdef",
            "judge": "0123456789abcdef0123456789abcde0",
            "match_id": format!("{}{}", "01".repeat(16), "02".repeat(16)),
            "winner": "b",
            "left": "02".repeat(16),
            "proposed_at": 1_000,
            "at": 1_100,
            "min_delay_ms": 300,
        });
        let record: HeldVoteRecord = serde_json::from_value(stored).expect("an old record");
        let view = view(&record).expect("its view");
        let match_id = MatchId::parse(&format!("{}{}", "01".repeat(16), "02".repeat(16))).unwrap();
        assert_eq!(
            view.ballot,
            HeldBallot::Match {
                match_id,
                winner: match_id.high(),
                left: match_id.high(),
            }
        );
        assert_eq!(view.delay(), Duration::from_millis(100));
    }
}
