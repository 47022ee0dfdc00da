//! Votes held for review: a vote cast sooner after its match was proposed than
//! [`GameConfig::min_vote_delay`](crate::service::GameConfig::min_vote_delay) (faster than a
//! person looks at two photos) is recorded on the shown match like any vote, so the judge
//! cannot vote on that match again, but it is never sent for scoring: it moves no rating
//! and adds no win. A record of it joins one list, newest first, that admins page through.
//!
//! Records (the key scheme's table in `store.rs` lists the others):
//!
//! | item | partition | sort | secondary indexes |
//! |---|---|---|---|
//! | held vote | `held_votes` | `<time>#<vote>` | |

use std::time::Duration;

use ocean::records::{Cursor, Key, Order, Query, Write};
use serde::{Deserialize, Serialize};

use crate::ids::{MatchId, PhotoId, UserId};
use crate::service::matches::{CastVote, ShownMatch};
use crate::service::store;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// The partition every held vote is listed in.
const HELD_PARTITION: &str = "held_votes";

/// A held vote as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldVoteView {
    /// The vote's id: the one the vote would have carried to scoring.
    pub vote_id: String,
    /// Who voted.
    pub judge: UserId,
    /// The match voted on.
    pub match_id: MatchId,
    /// The photo the judge picked.
    pub winner: PhotoId,
    /// The photo shown on the left.
    pub left: PhotoId,
    /// When the match was proposed to the judge.
    pub proposed_at: Timestamp,
    /// When the vote came.
    pub voted_at: Timestamp,
    /// The least delay in force when the vote came.
    pub min_delay: Duration,
}

impl HeldVoteView {
    /// How long after the proposal the vote came (zero for a vote stamped before it, as a
    /// server with a clock behind the proposing server's may do).
    pub fn delay(&self) -> Duration {
        self.voted_at.saturating_duration_since(self.proposed_at)
    }
}

/// A held vote as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HeldVoteRecord {
    vote_id: String,
    judge: String,
    match_id: String,
    /// `a` or `b`.
    winner: String,
    left: String,
    proposed_at: i64,
    at: i64,
    min_delay_ms: u64,
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

/// The write listing `cast`, held, on `shown` (`match_id`, proposed to `judge`); created
/// only if absent, so it commits once with the vote itself.
pub(crate) fn hold_write(
    judge: UserId,
    match_id: MatchId,
    shown: &ShownMatch,
    cast: &CastVote,
    min_delay: Duration,
) -> Result<Write, ServiceError> {
    let record = HeldVoteRecord {
        vote_id: cast.vote_id.clone(),
        judge: judge.to_string(),
        match_id: match_id.to_string(),
        winner: cast.winner.clone(),
        left: shown.left.clone(),
        proposed_at: shown.proposed_at,
        at: cast.at,
        min_delay_ms: u64::try_from(min_delay.as_millis()).unwrap_or(u64::MAX),
    };
    store::put(held_vote_key(cast.at, &cast.vote_id), &record, 0)
}

/// The key of a held vote: newest last in its partition.
fn held_vote_key(at_millis: i64, vote_id: &str) -> Key {
    Key::new(
        HELD_PARTITION,
        format!("{}#{vote_id}", store::time_key(at_millis)),
    )
}

impl Game {
    /// The votes held for review, newest first, `limit` (1 to the records port's page
    /// size) a page, and the next page's cursor; for admins only
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
            let record: HeldVoteRecord = store::decode(item)?;
            let match_id = MatchId::parse(&record.match_id)?;
            held.push(HeldVoteView {
                vote_id: record.vote_id,
                judge: UserId::parse(&record.judge)?,
                match_id,
                winner: if record.winner == "a" {
                    match_id.low()
                } else {
                    match_id.high()
                },
                left: PhotoId::parse(&record.left)?,
                proposed_at: Timestamp::from_millis(record.proposed_at),
                voted_at: Timestamp::from_millis(record.at),
                min_delay: Duration::from_millis(record.min_delay_ms),
            });
        }
        Ok((held, page.next.map(|cursor| cursor.0)))
    }
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
    fn held_vote_keys_sort_by_time() {
        let early = held_vote_key(1_000, "ffff");
        let late = held_vote_key(20_000, "0000");
        assert_eq!(early.partition, late.partition);
        assert!(early.sort < late.sort, "{early} < {late}");
    }
}
