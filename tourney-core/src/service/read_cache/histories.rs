//! What each judge was shown, kept between requests so that a request for games does not
//! read the judge's whole history (every match ever proposed to them) each time.
//!
//! A judge's history is kept with the version of their user record it is complete for.
//! Every proposal made through [`Game::propose`](crate::service::Game::propose) writes the
//! judge's record in the same commit, so a history is used only while that version is the
//! one the request read: a proposal made by another process (another server) moves the
//! version on, and the history is read again. Writes through this process's
//! [`Game`](crate::service::Game) keep a kept history complete:
//! [`WatchedRecords`](super::WatchedRecords) applies every shown match it writes (a
//! proposal, a vote) and moves the version on for every user record written conditionally
//! on the version kept.
//!
//! What is served stale, then: votes cast and single or tagged matches proposed through
//! another process since the history was read. They cannot break the rules: a proposal is
//! stored create-if-absent (a pair proposed elsewhere) or update-if-version (a pair voted
//! on elsewhere), so such a proposal fails with a conflict, which forgets the history.
//!
//! At most about [`MAX_KEPT_MATCHES`] matches are kept in all. A full cache makes room by
//! dropping the histories used least recently, but none used within [`IDLE_AFTER`]: if
//! that is not enough it keeps what it has and leaves the newcomer out (with more judges at
//! play than fit, dropping the least recently used would drop each history just before its
//! judge came back). A history larger than a quarter of the budget is not kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::age;
use crate::ids::{MatchId, PhotoId, UserId};
use crate::pairing::ShownPairs;
use crate::time::Timestamp;

/// Matches kept over all judges (36 bytes each: 6.75 MiB); kept histories may grow an
/// eighth past it before the growing one is dropped.
pub(crate) const MAX_KEPT_MATCHES: usize = 192 * 1024;

/// How long a history goes unused before a full cache may drop it.
pub(crate) const IDLE_AFTER: Duration = Duration::from_secs(5);

/// Stripes of the judges' write generations (see [`Histories::generation`]): a read of a
/// judge's history is not kept when a judge of its stripe was written meanwhile, so there
/// are many (a busy server writes hundreds of judges a second, and a read takes a while).
const STRIPES: usize = 4096;

/// A shown match as a proposal needs it: its stored version (a re-proposal is conditional
/// on it) and whether the judge voted on it (never proposed again), in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shown(u32);

impl Shown {
    /// Versions past 2^31 - 1 (a shown match is written a handful of times) saturate: a
    /// re-proposal conditional on the wrong version would fail, never overwrite.
    pub(crate) fn new(version: u64, judged: bool) -> Self {
        let version = u32::try_from(version.min(u64::from(u32::MAX >> 1))).unwrap_or(0);
        Self((version << 1) | u32::from(judged))
    }

    pub(crate) fn version(self) -> u64 {
        u64::from(self.0 >> 1)
    }

    pub(crate) fn judged(self) -> bool {
        self.0 & 1 == 1
    }
}

/// A judge's shown matches, compact: 36 bytes a match, sorted by match id (a hash map of
/// `MatchId` took about 65 with its alignment and spare room).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct History {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    match_id: [u8; 32],
    shown: Shown,
}

fn match_bytes(match_id: MatchId) -> [u8; 32] {
    let mut bytes = [0; 32];
    bytes[..16].copy_from_slice(&match_id.low().as_u128().to_be_bytes());
    bytes[16..].copy_from_slice(&match_id.high().as_u128().to_be_bytes());
    bytes
}

fn match_of(bytes: &[u8; 32]) -> MatchId {
    let half = |range: std::ops::Range<usize>| {
        let mut half = [0; 16];
        half.copy_from_slice(&bytes[range]);
        PhotoId::from_u128(u128::from_be_bytes(half))
    };
    MatchId::new(half(0..16), half(16..32)).expect("stored from a match id")
}

impl History {
    /// How many matches.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The match `match_id`, if shown.
    pub(crate) fn get(&self, match_id: MatchId) -> Option<Shown> {
        let key = match_bytes(match_id);
        let idx = self
            .entries
            .binary_search_by(|entry| entry.match_id.cmp(&key))
            .ok()?;
        Some(self.entries[idx].shown)
    }

    /// Every shown match, by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (MatchId, Shown)> + '_ {
        self.entries
            .iter()
            .map(|entry| (match_of(&entry.match_id), entry.shown))
    }

    /// Records `shown` for `match_id` unless a newer version is recorded; whether the
    /// match is new.
    pub(crate) fn insert(&mut self, match_id: MatchId, shown: Shown) -> bool {
        let key = match_bytes(match_id);
        match self
            .entries
            .binary_search_by(|entry| entry.match_id.cmp(&key))
        {
            Ok(idx) => {
                let kept = &mut self.entries[idx].shown;
                if kept.version() < shown.version() {
                    *kept = shown;
                }
                false
            }
            Err(idx) => {
                self.entries.reserve_exact(1);
                self.entries.insert(
                    idx,
                    Entry {
                        match_id: key,
                        shown,
                    },
                );
                true
            }
        }
    }
}

impl ShownPairs for History {
    fn n_shown(&self) -> usize {
        self.entries.len()
    }

    fn each_shown(&self, visit: &mut dyn FnMut(MatchId, bool)) {
        for (match_id, shown) in self.iter() {
            visit(match_id, shown.judged());
        }
    }

    fn shown(&self, match_id: MatchId) -> Option<bool> {
        self.get(match_id).map(Shown::judged)
    }
}

impl FromIterator<(MatchId, Shown)> for History {
    fn from_iter<I: IntoIterator<Item = (MatchId, Shown)>>(iter: I) -> Self {
        let mut entries: Vec<Entry> = iter
            .into_iter()
            .map(|(match_id, shown)| Entry {
                match_id: match_bytes(match_id),
                shown,
            })
            .collect();
        entries.sort_unstable_by_key(|entry| entry.match_id);
        entries.dedup_by(|later, earlier| {
            let same = later.match_id == earlier.match_id;
            if same && earlier.shown.version() < later.shown.version() {
                earlier.shown = later.shown;
            }
            same
        });
        entries.shrink_to_fit();
        Self { entries }
    }
}

#[derive(Debug)]
struct Kept {
    /// The judge's user record version the history is complete for.
    judge_version: u64,
    matches: Arc<History>,
    /// When it was last used.
    used: Timestamp,
}

/// The kept histories of one [`Game`](crate::service::Game).
#[derive(Debug)]
pub(crate) struct Histories {
    state: Mutex<State>,
    /// Bumped by every write of a judge's shown match or user record, per stripe of judges.
    writes: [AtomicU64; STRIPES],
}

#[derive(Debug, Default)]
struct State {
    judges: HashMap<UserId, Kept>,
    n_matches: usize,
}

impl Default for Histories {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            writes: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Histories {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The history of `judge`, if kept and complete for version `judge_version` of their
    /// user record, for a request at `now`.
    pub(crate) fn get(
        &self,
        judge: UserId,
        judge_version: u64,
        now: Timestamp,
    ) -> Option<Arc<History>> {
        let mut state = self.state();
        let kept = state.judges.get_mut(&judge)?;
        if kept.judge_version != judge_version {
            return None;
        }
        kept.used = kept.used.max(now);
        Some(Arc::clone(&kept.matches))
    }

    /// Pass to [`Histories::keep`] with what is read after this call.
    pub(crate) fn generation(&self, judge: UserId) -> u64 {
        self.writes[stripe(judge)].load(Ordering::Acquire)
    }

    /// Keeps `matches`, the whole history of `judge` read for a request at `now` after
    /// version `judge_version` of their user record was read and after
    /// [`Histories::generation`] returned `generation`; not if a judge of its stripe was
    /// written since (the read may have missed it), if it is too large, or if the cache is
    /// full of histories used lately. Returns it shared.
    pub(crate) fn keep(
        &self,
        judge: UserId,
        judge_version: u64,
        generation: u64,
        matches: History,
        now: Timestamp,
    ) -> Arc<History> {
        let matches = Arc::new(matches);
        let mut state = self.state();
        let raced = self.writes[stripe(judge)].load(Ordering::Acquire) != generation;
        if raced || matches.len() > MAX_KEPT_MATCHES / 4 {
            return matches;
        }
        state.forget(judge);
        if !state.make_room(matches.len(), now) {
            return matches;
        }
        state.n_matches += matches.len();
        let kept = Kept {
            judge_version,
            matches: Arc::clone(&matches),
            used: now,
        };
        state.judges.insert(judge, kept);
        matches
    }

    /// A write of `judge`'s shown match `match_id` reached the store at `version`
    /// (`judged`: with a vote); `None`: it failed (it may or may not have been applied), or
    /// deleted the match. Either way the judge's next request reads what it needs.
    pub(crate) fn match_written(&self, judge: UserId, match_id: MatchId, written: Option<Shown>) {
        let mut state = self.state();
        self.writes[stripe(judge)].fetch_add(1, Ordering::AcqRel);
        let Some(shown) = written else {
            state.forget(judge);
            return;
        };
        let Some(kept) = state.judges.get_mut(&judge) else {
            return;
        };
        if Arc::make_mut(&mut kept.matches).insert(match_id, shown) {
            state.n_matches += 1;
        }
        if state.n_matches > MAX_KEPT_MATCHES + MAX_KEPT_MATCHES / 8 {
            state.forget(judge);
        }
    }

    /// A write of `judge`'s user record conditional on version `read_version` reached the
    /// store at `version`; `None`: it failed, or was not conditional on a version.
    pub(crate) fn judge_written(&self, judge: UserId, written: Option<(u64, u64)>) {
        let mut state = self.state();
        self.writes[stripe(judge)].fetch_add(1, Ordering::AcqRel);
        let Some(kept) = state.judges.get_mut(&judge) else {
            return;
        };
        match written {
            Some((read_version, version)) if kept.judge_version == read_version => {
                kept.judge_version = version;
            }
            // Written by another process first, or unknown: the history may be missing
            // that process's proposals (or the version is simply not this one).
            _ => state.forget(judge),
        }
    }
}

impl State {
    fn forget(&mut self, judge: UserId) {
        if let Some(old) = self.judges.remove(&judge) {
            self.n_matches -= old.matches.len();
        }
    }

    /// Drops histories, least recently used first and none used within [`IDLE_AFTER`]
    /// before `now`, until `n_matches` more fit; whether they do.
    fn make_room(&mut self, n_matches: usize, now: Timestamp) -> bool {
        if self.n_matches + n_matches <= MAX_KEPT_MATCHES {
            return true;
        }
        let mut idle: Vec<(Timestamp, UserId)> = self
            .judges
            .iter()
            .filter(|(_, kept)| age(kept.used, now) >= IDLE_AFTER)
            .map(|(judge, kept)| (kept.used, *judge))
            .collect();
        idle.sort_unstable();
        for (_, judge) in idle {
            if self.n_matches + n_matches <= MAX_KEPT_MATCHES {
                break;
            }
            self.forget(judge);
        }
        self.n_matches + n_matches <= MAX_KEPT_MATCHES
    }
}

fn stripe(judge: UserId) -> usize {
    (judge.as_u128() % STRIPES as u128) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const JUDGE: UserId = UserId::from_u128(7);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + seconds * 1000)
    }

    fn match_id(n: u128) -> MatchId {
        MatchId::new(PhotoId::from_u128(n), PhotoId::from_u128(n + 1_000_000)).unwrap()
    }

    fn history(n: u128) -> History {
        (0..n)
            .map(|k| (match_id(k), Shown::new(1, false)))
            .collect()
    }

    fn shown(version: u64, judged: bool) -> Shown {
        Shown::new(version, judged)
    }

    fn keep(histories: &Histories, judge: UserId, version: u64, n: u128, now: Timestamp) {
        let generation = histories.generation(judge);
        histories.keep(judge, version, generation, history(n), now);
    }

    #[test]
    fn shown_packs_version_and_vote() {
        let shown = Shown::new(41, true);
        assert_eq!((shown.version(), shown.judged()), (41, true));
        let saturated = Shown::new(u64::MAX, false);
        assert_eq!(saturated.version(), u64::from(u32::MAX >> 1));
        assert!(!saturated.judged());
    }

    #[test]
    fn a_history_finds_its_matches_and_keeps_the_newest_version() {
        let mut history: History = [
            (match_id(3), shown(1, false)),
            (match_id(1), shown(2, true)),
            (match_id(3), shown(2, false)),
        ]
        .into_iter()
        .collect();
        assert_eq!(history.len(), 2);
        assert_eq!(history.get(match_id(3)), Some(shown(2, false)));
        assert_eq!(history.get(match_id(2)), None);
        assert!(history.insert(match_id(2), shown(1, false)));
        assert!(!history.insert(match_id(1), shown(1, false)));
        assert_eq!(history.get(match_id(1)), Some(shown(2, true)));
        let ids: Vec<MatchId> = history.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, vec![match_id(1), match_id(2), match_id(3)]);
    }

    #[test]
    fn a_history_serves_only_its_judge_version_and_follows_writes_made_here() {
        let histories = Histories::default();
        keep(&histories, JUDGE, 5, 2, at(0));
        assert!(histories.get(JUDGE, 4, at(0)).is_none());
        let before = histories.get(JUDGE, 5, at(0)).unwrap();
        // A vote and a proposal made through this game, then the proposal's judge record.
        histories.match_written(JUDGE, match_id(0), Some(shown(2, true)));
        histories.match_written(JUDGE, match_id(9), Some(shown(1, false)));
        histories.judge_written(JUDGE, Some((5, 6)));
        assert!(histories.get(JUDGE, 5, at(0)).is_none());
        let after = histories.get(JUDGE, 6, at(0)).unwrap();
        assert_eq!(after.get(match_id(0)), Some(shown(2, true)));
        assert_eq!(after.get(match_id(9)), Some(shown(1, false)));
        // A snapshot taken before is left as it was.
        assert_eq!(before.get(match_id(0)), Some(shown(1, false)));
        assert_eq!(before.len(), 2);
        // News of an older write changes nothing.
        histories.match_written(JUDGE, match_id(0), Some(shown(1, false)));
        let now = histories.get(JUDGE, 6, at(0)).unwrap();
        assert_eq!(now.get(match_id(0)), Some(shown(2, true)));
    }

    #[test]
    fn a_write_of_the_judge_from_another_version_or_a_failure_forgets_the_history() {
        let histories = Histories::default();
        keep(&histories, JUDGE, 5, 2, at(0));
        // A write conditional on version 9: another process wrote versions 6 to 9.
        histories.judge_written(JUDGE, Some((9, 10)));
        assert!(histories.get(JUDGE, 10, at(0)).is_none());
        keep(&histories, JUDGE, 10, 2, at(0));
        histories.match_written(JUDGE, match_id(5), None);
        assert!(histories.get(JUDGE, 10, at(0)).is_none());
        assert_eq!(histories.state().n_matches, 0);
    }

    #[test]
    fn a_read_that_raced_with_a_write_is_not_kept() {
        let histories = Histories::default();
        let generation = histories.generation(JUDGE);
        histories.match_written(JUDGE, match_id(1), Some(shown(1, false)));
        let returned = histories.keep(JUDGE, 5, generation, history(1), at(0));
        assert_eq!(returned.len(), 1);
        assert!(histories.get(JUDGE, 5, at(0)).is_none());
    }

    #[test]
    fn a_full_cache_drops_the_least_recently_used_idle_histories_else_leaves_newcomers_out() {
        let histories = Histories::default();
        let quarter = (MAX_KEPT_MATCHES / 4) as u128;
        for judge in 0..4 {
            keep(
                &histories,
                UserId::from_u128(judge),
                1,
                quarter - 1,
                at(judge as i64),
            );
        }
        // Judge 0 is used again later: judge 1 is now the least recently used.
        assert!(histories.get(UserId::from_u128(0), 1, at(4)).is_some());
        let newcomer = UserId::from_u128(99);
        keep(&histories, newcomer, 1, 100, at(5));
        assert!(
            histories.get(newcomer, 1, at(5)).is_none(),
            "all used lately"
        );
        keep(&histories, newcomer, 1, 100, at(6));
        assert!(histories.get(newcomer, 1, at(6)).is_some());
        assert!(histories.get(UserId::from_u128(1), 1, at(6)).is_none());
        for judge in [0, 2, 3] {
            assert!(histories.get(UserId::from_u128(judge), 1, at(6)).is_some());
        }
        assert_eq!(
            histories.state().n_matches,
            3 * (quarter as usize - 1) + 100
        );
        let huge = UserId::from_u128(100);
        let generation = histories.generation(huge);
        let kept = histories.keep(huge, 1, generation, history(quarter + 1), at(61));
        assert_eq!(kept.len() as u128, quarter + 1);
        assert!(histories.get(huge, 1, at(61)).is_none());
    }
}
