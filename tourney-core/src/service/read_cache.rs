//! Read models kept between requests: ranked boards and match pools, and (in submodules)
//! credentials and judges' histories.
//!
//! Ranking a board reads and ages every photo posted in its window, so each (category,
//! place, window) board is ranked once and served from memory until a photo record changes
//! or the ranking grows old; a request only renders its page. Likewise a pool's newest
//! photos, which every request for games reads whole, are read once per change.
//!
//! Freshness: a change to any photo record through this process's [`Game`](super::Game)
//! (scoring, a photo becoming ready, hiding, deleting, a ban) shows on the next request;
//! changes made by other processes show within `fresh_for`. A board of `n` photos is
//! rebuilt at most once per `n` × [`MIN_AGE_PER_PHOTO`], so a large board under a stream of
//! changes costs a bounded share of a core; while one request rebuilds, the others keep
//! serving the previous ranking.
//!
//! [`WatchedRecords`] is how the kept models follow this process's writes: it notes what
//! each write touches (a photo record, a user record, a token, a shown match) before it
//! goes to the store and tells the caches once it has landed or failed.

mod credentials;
mod histories;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use ocean::records::{Condition, Index, Item, Key, Page, Query, Write};
use ocean::{Records, Result};

use super::boards::{BoardView, SharedBoardPage};
use super::photo_details::PhotoDetails;
use super::photos::PhotoRecord;
use crate::ids::{MatchId, PhotoId, UserId};
use crate::leaderboard::{BoardEntry, Window};
use crate::pairing::PairingPool;
use crate::time::Timestamp;

pub(crate) use credentials::{Credentials, Standing, TokenHash};
pub(crate) use histories::{Histories, History, Shown};

/// How long after its last build a board of one photo waits before it is rebuilt: building
/// reads and decodes each photo of the window (about 50 µs each on the 2-core development
/// machine, see BENCHMARKS.md), so waiting 100 µs per photo keeps one board's rebuilds under
/// about half a core; 300 photos wait 30 ms, a million 100 s.
pub(crate) const MIN_AGE_PER_PHOTO: Duration = Duration::from_micros(100);

/// Boards of at least this many photos are re-ranked off the request path while a
/// [`BoardRefresher`](super::BoardRefresher) runs: ranking reads and decodes every photo of
/// the window (30 µs each at a million, BENCHMARKS.md), so 5,000 photos take about 150 ms,
/// and a million 30 s that no request should wait for. Smaller boards are re-ranked by the
/// request that finds them stale, so a change shows on the next read.
pub(crate) const BACKGROUND_FROM_PHOTOS: usize = 5_000;

/// Boards (and pools) kept at most; past this, those not built in the last minute are
/// dropped.
const MAX_BOARDS: usize = 4096;

/// Which board: a category, at a place (`None`: everywhere), over a window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BoardKey {
    pub(crate) category: String,
    pub(crate) place_id: Option<String>,
    pub(crate) window: Window,
}

/// A board ranked at one instant, and the pages rendered from it so far.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The instant it was ranked at; later pages carry it in their cursors.
    pub(crate) at: Timestamp,
    /// The photo generation its build started at.
    generation: u64,
    /// The whole board, best first.
    pub(crate) board: Vec<BoardEntry>,
    /// Rendered pages by (cursor, page size): a page's photos, comment counts and owner
    /// names are read once per ranking, not once per request.
    pages: Mutex<HashMap<(Option<String>, u32), SharedBoardPage>>,
}

/// The revision the next kept page gets: unique in the process, so a revision names one
/// rendering of one page.
static NEXT_PAGE_REVISION: AtomicU64 = AtomicU64::new(1);

/// Rendered pages kept per ranking at most (the first pages are the ones asked for most;
/// past this the kept pages are dropped and rendering starts over).
const MAX_PAGES_PER_RANKING: usize = 256;

impl Snapshot {
    /// The page rendered for `key` from this ranking, if kept.
    pub(crate) fn page(&self, key: &(Option<String>, u32)) -> Option<SharedBoardPage> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.get(key).cloned()
    }

    /// Keeps `view`, rendered for `key` from this ranking, under a new revision; returns
    /// the page as kept.
    pub(crate) fn keep_page(&self, key: (Option<String>, u32), view: BoardView) -> SharedBoardPage {
        let page = SharedBoardPage {
            view: Arc::new(view),
            revision: NEXT_PAGE_REVISION.fetch_add(1, Ordering::Relaxed),
        };
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= MAX_PAGES_PER_RANKING {
            pages.clear();
        }
        pages.insert(key, page.clone());
        page
    }
}

/// The rankings of one board: the newest and the one before it (so a client paging through
/// keeps its ranking across one rebuild), and whether a request is building a new one.
#[derive(Debug, Default)]
struct Slot {
    current: Option<Arc<Snapshot>>,
    previous: Option<Arc<Snapshot>>,
    building: bool,
    /// A request found `current` stale and left it to a refresher.
    wanted: bool,
}

/// Which pool: an index partition (or, for the global pool, its category under
/// [`store::GLOBAL_POOL`](super::store::GLOBAL_POOL)) and whether test photos count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) index: Index,
    pub(crate) partition: String,
    pub(crate) include_test_photos: bool,
}

/// A pool's competing photos by id (it reads as the map), and what is made from them on
/// first use: the pairing over them, and their comment counts and owners' names. A kept
/// pool is shared by every request for games over it until it is read again, and so are
/// these, as of the first request that used them (at most `fresh_for` old, like the photos
/// themselves, and like a board page's details).
#[derive(Debug, Default)]
pub(crate) struct Pool {
    photos: BTreeMap<PhotoId, PhotoRecord>,
    pairing: OnceLock<PairingPool>,
    details: OnceLock<PhotoDetails>,
    /// A request is reading `details`.
    details_claimed: AtomicBool,
}

impl Pool {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The photos, by id.
    pub(crate) fn into_photos(self) -> BTreeMap<PhotoId, PhotoRecord> {
        self.photos
    }

    /// The pairing over the pool's photos, made by `prepare` the first time (two requests
    /// at once may both make it; the first kept is the one every later request gets).
    pub(crate) fn pairing<E>(
        &self,
        prepare: impl FnOnce(&BTreeMap<PhotoId, PhotoRecord>) -> Result<PairingPool, E>,
    ) -> Result<&PairingPool, E> {
        if let Some(pairing) = self.pairing.get() {
            return Ok(pairing);
        }
        let pairing = prepare(&self.photos)?;
        Ok(self.pairing.get_or_init(|| pairing))
    }

    /// The photos' details, once read.
    pub(crate) fn details(&self) -> Option<&PhotoDetails> {
        self.details.get()
    }

    /// The claim to read the details, for one caller at a time: `None` while another
    /// holds it or after they were kept. A claim dropped without keeping them (the read
    /// failed, or the request went away) lets the next request try.
    pub(crate) fn claim_details(&self) -> Option<DetailsClaim<'_>> {
        (!self.details_claimed.swap(true, Ordering::AcqRel)).then_some(DetailsClaim { pool: self })
    }
}

/// The one caller reading a pool's details (see [`Pool::claim_details`]).
#[derive(Debug)]
pub(crate) struct DetailsClaim<'a> {
    pool: &'a Pool,
}

impl<'a> DetailsClaim<'a> {
    /// Keeps the details read under this claim.
    pub(crate) fn keep(self, details: PhotoDetails) -> &'a PhotoDetails {
        let pool = self.pool;
        std::mem::forget(self);
        pool.details.get_or_init(|| details)
    }
}

impl Drop for DetailsClaim<'_> {
    fn drop(&mut self) {
        self.pool.details_claimed.store(false, Ordering::Release);
    }
}

impl Clone for Pool {
    /// The same photos; the pairing and details are made again when used.
    fn clone(&self) -> Self {
        Self {
            photos: self.photos.clone(),
            ..Self::default()
        }
    }
}

impl std::ops::Deref for Pool {
    type Target = BTreeMap<PhotoId, PhotoRecord>;

    fn deref(&self) -> &Self::Target {
        &self.photos
    }
}

impl std::ops::DerefMut for Pool {
    /// The photos, to change: what was made from them, if anything, is dropped.
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.pairing = OnceLock::new();
        self.details = OnceLock::new();
        *self.details_claimed.get_mut() = false;
        &mut self.photos
    }
}

/// A pool as read at one instant, from the photo generation its read started at.
#[derive(Debug)]
struct KeptPool {
    at: Timestamp,
    generation: u64,
    pool: Arc<Pool>,
    /// When a request found it stale and went to read it again: until that request keeps
    /// its read (or `fresh_for` passes), the others use this one.
    refreshing_since: Option<Timestamp>,
}

/// The boards and pools of one [`Game`](super::Game) and the generation of its photo
/// records.
#[derive(Debug)]
pub(crate) struct ReadCache {
    fresh_for: Duration,
    generation: AtomicU64,
    slots: Mutex<HashMap<BoardKey, Slot>>,
    pools: Mutex<HashMap<PoolKey, KeptPool>>,
    credentials: Credentials,
    histories: Histories,
    /// Refreshers running (see [`BACKGROUND_FROM_PHOTOS`]).
    refreshers: AtomicUsize,
}

/// What a request should do for its board.
pub(crate) enum Lookup<'a> {
    /// Serve this ranking.
    Ready(Arc<Snapshot>),
    /// Rank the board and hand the result to the ticket.
    Build(Ticket<'a>),
}

/// The right (and duty) to store a new ranking of one board; dropping it unfinished (an
/// error, a cancelled request) lets the next request build instead.
pub(crate) struct Ticket<'a> {
    cache: &'a ReadCache,
    key: BoardKey,
    generation: u64,
    owns_flag: bool,
}

impl ReadCache {
    /// An empty cache whose rankings count as fresh for `fresh_for` while no photo record
    /// changes in this process (zero: rebuilt for every request but the throttled ones).
    pub(crate) fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for,
            generation: AtomicU64::new(0),
            slots: Mutex::new(HashMap::new()),
            pools: Mutex::new(HashMap::new()),
            credentials: Credentials::new(fresh_for),
            histories: Histories::default(),
            refreshers: AtomicUsize::new(0),
        }
    }

    /// Tokens' users and users' standing, fresh for `fresh_for` (see [`Credentials`]).
    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Judges' shown matches (see [`Histories`]).
    pub(crate) fn histories(&self) -> &Histories {
        &self.histories
    }

    /// The photo generation now: pass it to [`ReadCache::keep_pool`] with what is read
    /// after this call.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The pool kept for `key`, if no photo changed since it was read and it is fresh at
    /// `now`, or if it is not but another request is reading it again (for at most
    /// `fresh_for`): one request re-reads a stale pool, not every request that finds it
    /// stale at once. `None`: the caller reads it and keeps it.
    pub(crate) fn pool(&self, key: &PoolKey, now: Timestamp) -> Option<Arc<Pool>> {
        let generation = self.generation();
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let kept = pools.get_mut(key)?;
        let fresh = kept.generation == generation && age(kept.at, now) < self.fresh_for;
        let refreshing = kept
            .refreshing_since
            .is_some_and(|since| age(since, now) < self.fresh_for);
        if fresh || refreshing {
            return Some(Arc::clone(&kept.pool));
        }
        kept.refreshing_since = Some(now);
        None
    }

    /// Keeps `pool`, read at `at` after [`ReadCache::generation`] returned `generation`,
    /// unless a newer read is kept already; returns it shared.
    pub(crate) fn keep_pool(
        &self,
        key: PoolKey,
        generation: u64,
        at: Timestamp,
        pool: Pool,
    ) -> Arc<Pool> {
        let pool = Arc::new(pool);
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        if pools.len() > MAX_BOARDS {
            let cutoff = at.millis() - 60_000;
            pools.retain(|_, kept| kept.at.millis() >= cutoff);
        }
        let newer = pools
            .get(&key)
            .is_none_or(|kept| (kept.generation, kept.at) <= (generation, at));
        if newer {
            pools.insert(
                key,
                KeptPool {
                    at,
                    generation,
                    pool: Arc::clone(&pool),
                    refreshing_since: None,
                },
            );
        }
        pool
    }

    /// Marks every ranking as out of date: a photo record changed.
    pub(crate) fn photos_changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<BoardKey, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ranking a request at `now` should use for `key`: the one ranked at `ranked_at`
    /// (a later page's cursor) while it is kept, else the current one while it is fresh
    /// (or being rebuilt by another request, or, for a large board while a refresher runs,
    /// until the refresher has re-ranked it), else a ticket to build one.
    pub(crate) fn lookup(
        &self,
        key: &BoardKey,
        now: Timestamp,
        ranked_at: Option<Timestamp>,
    ) -> Lookup<'_> {
        let generation = self.generation.load(Ordering::Acquire);
        let mut slots = self.slots();
        let slot = slots.entry(key.clone()).or_default();
        if let Some(at) = ranked_at {
            let kept = [&slot.current, &slot.previous]
                .into_iter()
                .flatten()
                .find(|snapshot| snapshot.at == at);
            if let Some(snapshot) = kept {
                return Lookup::Ready(Arc::clone(snapshot));
            }
        }
        if let Some(current) = &slot.current {
            let age = age(current.at, now);
            let throttle =
                MIN_AGE_PER_PHOTO * u32::try_from(current.board.len()).unwrap_or(u32::MAX);
            let fresh = current.generation == generation && age < self.fresh_for;
            if fresh || age < throttle || slot.building {
                return Lookup::Ready(Arc::clone(current));
            }
            let refreshed = self.refreshers.load(Ordering::Acquire) > 0;
            if refreshed && current.board.len() >= BACKGROUND_FROM_PHOTOS {
                slot.wanted = true;
                return Lookup::Ready(Arc::clone(current));
            }
        }
        let owns_flag = !slot.building;
        slot.building = true;
        Lookup::Build(Ticket {
            cache: self,
            key: key.clone(),
            generation,
            owns_flag,
        })
    }
}

impl ReadCache {
    /// Counts a refresher in (`true`) or out: while one runs, large stale boards are left
    /// to it.
    pub(crate) fn refresher_running(&self, running: bool) {
        if running {
            self.refreshers.fetch_add(1, Ordering::AcqRel);
        } else {
            self.refreshers.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Tickets to re-rank the boards requests found stale and left to a refresher since the
    /// last call, each handed out once.
    pub(crate) fn wanted_boards(&self) -> Vec<Ticket<'_>> {
        let generation = self.generation.load(Ordering::Acquire);
        let mut slots = self.slots();
        slots
            .iter_mut()
            .filter(|(_, slot)| slot.wanted && !slot.building)
            .map(|(key, slot)| {
                slot.wanted = false;
                slot.building = true;
                Ticket {
                    cache: self,
                    key: key.clone(),
                    generation,
                    owns_flag: true,
                }
            })
            .collect()
    }
}

/// How long before `now` `at` was (zero if after).
fn age(at: Timestamp, now: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from(now.millis() - at.millis()).unwrap_or(0))
}

impl Ticket<'_> {
    /// The board this ticket re-ranks.
    pub(crate) fn key(&self) -> &BoardKey {
        &self.key
    }

    /// Stores `board`, ranked at `at` from records read after this ticket was issued, and
    /// returns it; an older ranking than the stored one is returned without replacing it.
    pub(crate) fn finish(mut self, at: Timestamp, board: Vec<BoardEntry>) -> Arc<Snapshot> {
        let snapshot = Arc::new(Snapshot {
            at,
            generation: self.generation,
            board,
            pages: Mutex::new(HashMap::new()),
        });
        let mut slots = self.cache.slots();
        if slots.len() > MAX_BOARDS {
            let cutoff = at.millis() - 60_000;
            slots.retain(|_, slot| {
                slot.building
                    || slot
                        .current
                        .as_ref()
                        .is_some_and(|s| s.at.millis() >= cutoff)
            });
        }
        let slot = slots.entry(self.key.clone()).or_default();
        if self.owns_flag {
            slot.building = false;
            self.owns_flag = false;
        }
        let newer = slot.current.as_ref().is_none_or(|current| {
            (current.generation, current.at) <= (snapshot.generation, snapshot.at)
        });
        if newer {
            slot.previous = slot.current.replace(Arc::clone(&snapshot));
        }
        snapshot
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.owns_flag
            && let Some(slot) = self.cache.slots().get_mut(&self.key)
        {
            slot.building = false;
        }
    }
}

/// The records port, telling `cache` whenever a write that reached the store touched a
/// photo record, so boards follow this process's changes at once.
#[derive(Debug)]
pub(crate) struct WatchedRecords {
    inner: Arc<dyn Records>,
    cache: Arc<ReadCache>,
}

impl WatchedRecords {
    pub(crate) fn new(inner: Arc<dyn Records>, cache: Arc<ReadCache>) -> Self {
        Self { inner, cache }
    }

    /// Passes `result` on after telling the caches what the noted writes did; also on
    /// failure, since a failed batch may have written some of its items.
    fn after<T>(&self, notes: &[Note], result: Result<T>) -> Result<T> {
        let landed = result.is_ok();
        let mut photos_changed = false;
        for note in notes {
            match note {
                Note::Photo => photos_changed = true,
                Note::User { user, written } => {
                    let written = written.filter(|_| landed);
                    self.cache
                        .credentials
                        .user_written(*user, written.map(|w| (w.version, w.standing)));
                    let versions = written.and_then(|w| Some((w.read_version?, w.version)));
                    self.cache.histories.judge_written(*user, versions);
                }
                Note::TokenDeleted(token) => self.cache.credentials.token_deleted(token),
                Note::ShownMatch {
                    judge,
                    match_id,
                    written,
                } => {
                    let written = written.filter(|_| landed);
                    self.cache
                        .histories
                        .match_written(*judge, *match_id, written);
                }
            }
        }
        if photos_changed {
            self.cache.photos_changed();
        }
        result
    }
}

/// What a write touches that a cache keeps, noted before it goes to the store.
#[derive(Debug, Clone, Copy)]
enum Note {
    /// A photo record: every board and pool is out of date.
    Photo,
    /// A user record; `written`: what a put stores (`None` for a delete, or a body that
    /// does not read as a user).
    User {
        user: UserId,
        written: Option<UserWrite>,
    },
    /// A token deleted.
    TokenDeleted(TokenHash),
    /// A judge's shown match; `written`: what a put stores (`None` for a delete).
    ShownMatch {
        judge: UserId,
        match_id: MatchId,
        written: Option<Shown>,
    },
}

/// A put of a user record.
#[derive(Debug, Clone, Copy)]
struct UserWrite {
    /// The version it is conditional on (`None`: not conditional on one).
    read_version: Option<u64>,
    version: u64,
    standing: Standing,
}

impl Note {
    /// What `write` touches, if anything a cache keeps.
    fn of(write: &Write) -> Option<Self> {
        let key = write.key();
        if super::store::is_photo_key(key) {
            return Some(Note::Photo);
        }
        let is_delete = matches!(write, Write::Delete { .. });
        let put = match write {
            Write::Put { item, condition } => Some((item, *condition)),
            Write::Delete { .. } | Write::Check { .. } => None,
        };
        if let Some(hash) = key.partition.strip_prefix("t#") {
            return (is_delete && key.sort == "token")
                .then(|| TokenHash::from_hex(hash))
                .flatten()
                .map(Note::TokenDeleted);
        }
        let user = key
            .partition
            .strip_prefix("u#")
            .and_then(|id| UserId::parse(id).ok())?;
        if key.sort == "user" {
            if !is_delete && put.is_none() {
                return None;
            }
            let written = put.and_then(|(item, condition)| {
                Some(UserWrite {
                    read_version: match condition {
                        Condition::VersionIs(version) => Some(version),
                        Condition::Absent => Some(0),
                        Condition::Always => None,
                    },
                    version: item.version,
                    standing: Standing::of_body(&item.body)?,
                })
            });
            return Some(Note::User { user, written });
        }
        let match_id = key
            .sort
            .strip_prefix(super::store::SHOWN_MATCH_PREFIX)
            .and_then(|id| MatchId::parse(id).ok())?;
        if !is_delete && put.is_none() {
            return None;
        }
        let written = put.and_then(|(item, _)| Some(Shown::new(item.version, voted(&item.body)?)));
        Some(Note::ShownMatch {
            judge: user,
            match_id,
            written,
        })
    }

    fn of_all(writes: &[Write]) -> Vec<Self> {
        writes.iter().filter_map(Note::of).collect()
    }
}

/// Whether a shown match's JSON body carries a vote (`None`: not a shown match).
pub(crate) fn voted(body: &[u8]) -> Option<bool> {
    #[derive(serde::Deserialize)]
    struct Fields {
        vote: Option<serde::de::IgnoredAny>,
    }
    let fields: Fields = serde_json::from_slice(body).ok()?;
    Some(fields.vote.is_some())
}

#[async_trait]
impl Records for WatchedRecords {
    async fn get(&self, key: &Key) -> Result<Option<Item>> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>> {
        self.inner.get_many(keys).await
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        self.inner.query(query).await
    }

    async fn write(&self, write: Write) -> Result<()> {
        let note = Note::of(&write);
        let result = self.inner.write(write).await;
        self.after(note.as_slice(), result)
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<()> {
        let notes = Note::of_all(&writes);
        let result = self.inner.commit(writes).await;
        self.after(&notes, result)
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<()> {
        let notes = Note::of_all(&writes);
        let result = self.inner.write_batch(writes).await;
        self.after(&notes, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> BoardKey {
        BoardKey {
            category: "cars".to_owned(),
            place_id: None,
            window: Window::AllTime,
        }
    }

    fn board(n: u128) -> Vec<BoardEntry> {
        (1..=n)
            .map(|id| BoardEntry {
                photo_id: PhotoId::from_u128(id),
                score: 1500.0,
                rd: 350.0,
                games: 0,
                provisional: true,
                rank_key: 800.0,
            })
            .collect()
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn a_pools_pairing_is_prepared_once_and_dropped_when_its_photos_change() {
        let config = crate::pairing::PairingConfig::default();
        let mut pool = Pool::new();
        let mut prepared = 0;
        for _ in 0..3 {
            pool.pairing(|photos| {
                prepared += 1;
                assert!(photos.is_empty());
                Ok::<_, ()>(PairingPool::new(&[], &config))
            })
            .unwrap();
        }
        assert_eq!(prepared, 1);
        let copy = pool.clone();
        pool.clear();
        for kept in [&pool, &copy] {
            kept.pairing(|_| {
                prepared += 1;
                Ok::<_, ()>(PairingPool::new(&[], &config))
            })
            .unwrap();
        }
        assert_eq!(prepared, 3, "a copy and a changed pool prepare their own");
    }

    #[test]
    fn one_caller_at_a_time_reads_a_pools_details_and_a_dropped_claim_lets_the_next_try() {
        let pool = Pool::new();
        let claim = pool.claim_details().expect("the first caller claims");
        assert!(pool.claim_details().is_none(), "one reader at a time");
        drop(claim);
        let claim = pool
            .claim_details()
            .expect("a dropped claim lets the next try");
        claim.keep(PhotoDetails::default());
        assert!(pool.details().is_some());
        assert!(pool.claim_details().is_none(), "kept: nothing left to read");
        let mut copy = pool.clone();
        assert!(copy.details().is_none() && copy.claim_details().is_some());
        copy.clear();
        assert!(copy.claim_details().is_some());
    }

    /// Builds through `cache` at `now` if it asks for a build; the snapshot's instant.
    fn serve(cache: &ReadCache, now: i64, ranked_at: Option<i64>) -> (i64, bool) {
        match cache.lookup(&key(), at(now), ranked_at.map(at)) {
            Lookup::Ready(snapshot) => (snapshot.at.millis(), false),
            Lookup::Build(ticket) => (ticket.finish(at(now), board(3)).at.millis(), true),
        }
    }

    #[test]
    fn a_ranking_is_reused_while_fresh_and_unchanged() {
        let cache = ReadCache::new(Duration::from_secs(1));
        assert_eq!(serve(&cache, 1_000, None), (1_000, true));
        assert_eq!(serve(&cache, 1_999, None), (1_000, false));
        assert_eq!(serve(&cache, 2_000, None), (2_000, true));
    }

    #[test]
    fn a_photo_change_rebuilds_once_the_throttle_has_passed() {
        let cache = ReadCache::new(Duration::from_secs(60));
        serve(&cache, 1_000, None);
        cache.photos_changed();
        // Three photos: 300 µs, so the same millisecond still serves the old ranking.
        assert_eq!(serve(&cache, 1_000, None), (1_000, false));
        assert_eq!(serve(&cache, 1_001, None), (1_001, true));
        assert_eq!(serve(&cache, 1_002, None), (1_001, false));
    }

    #[test]
    fn while_one_request_builds_the_others_serve_the_old_ranking() {
        let cache = ReadCache::new(Duration::ZERO);
        serve(&cache, 1_000, None);
        let Lookup::Build(ticket) = cache.lookup(&key(), at(5_000), None) else {
            panic!("a stale ranking must be rebuilt");
        };
        assert_eq!(serve(&cache, 5_001, None), (1_000, false));
        drop(ticket);
        // The abandoned build frees the slot: the next request builds.
        assert_eq!(serve(&cache, 5_002, None), (5_002, true));
    }

    #[test]
    fn a_large_stale_board_is_left_to_a_running_refresher_and_handed_out_once() {
        let cache = ReadCache::new(Duration::ZERO);
        let large = u128::try_from(BACKGROUND_FROM_PHOTOS).unwrap();
        let Lookup::Build(first) = cache.lookup(&key(), at(1_000), None) else {
            panic!("a missing ranking is built by the request");
        };
        first.finish(at(1_000), board(large));
        // No refresher: the request that finds it stale (past the throttle) re-ranks.
        let stale = at(10_000);
        assert!(matches!(
            cache.lookup(&key(), stale, None),
            Lookup::Build(_)
        ));

        cache.refresher_running(true);
        let Lookup::Ready(served) = cache.lookup(&key(), stale, None) else {
            panic!("with a refresher the stale ranking is served");
        };
        assert_eq!(served.at, at(1_000));
        let mut wanted = cache.wanted_boards();
        assert_eq!(wanted.len(), 1);
        assert!(cache.wanted_boards().is_empty(), "handed out once");
        let ticket = wanted.pop().unwrap();
        assert_eq!(ticket.key(), &key());
        ticket.finish(stale, board(large));
        let Lookup::Ready(fresh) = cache.lookup(&key(), stale, None) else {
            panic!("the refreshed ranking is served");
        };
        assert_eq!(fresh.at, stale);

        // A small board is still re-ranked on the request path.
        let small = BoardKey {
            window: Window::Today,
            ..key()
        };
        let Lookup::Build(ticket) = cache.lookup(&small, at(1_000), None) else {
            panic!("a missing ranking is built by the request");
        };
        ticket.finish(at(1_000), board(3));
        assert!(matches!(
            cache.lookup(&small, stale, None),
            Lookup::Build(_)
        ));
        cache.refresher_running(false);
        assert!(cache.wanted_boards().is_empty());
    }

    #[test]
    fn later_pages_keep_their_ranking_across_one_rebuild() {
        let cache = ReadCache::new(Duration::ZERO);
        serve(&cache, 1_000, None);
        serve(&cache, 2_000, None);
        assert_eq!(serve(&cache, 2_500, Some(1_000)), (1_000, false));
        serve(&cache, 3_000, None);
        // Two rebuilds later the first ranking is gone: the page comes from the current one.
        assert_eq!(serve(&cache, 3_000, Some(1_000)), (3_000, false));
    }

    #[test]
    fn a_pool_is_kept_until_a_photo_changes_or_it_grows_old() {
        let cache = ReadCache::new(Duration::from_secs(1));
        let key = PoolKey {
            index: Index::new(1).expect("index 1 exists"),
            partition: "cars#1".to_owned(),
            include_test_photos: false,
        };
        assert!(cache.pool(&key, at(1_000)).is_none());
        let generation = cache.generation();
        cache.keep_pool(key.clone(), generation, at(1_000), Pool::new());
        assert!(cache.pool(&key, at(1_999)).is_some());
        // Grown old: the first request reads it again, the others meanwhile use this one,
        // until the reader has had `fresh_for` to keep its read.
        assert!(cache.pool(&key, at(2_000)).is_none());
        assert!(cache.pool(&key, at(2_100)).is_some());
        assert!(cache.pool(&key, at(3_000)).is_none());
        cache.keep_pool(key.clone(), generation, at(3_000), Pool::new());
        assert!(cache.pool(&key, at(3_100)).is_some());
        // A photo changed: likewise.
        cache.photos_changed();
        assert!(cache.pool(&key, at(3_200)).is_none());
        assert!(cache.pool(&key, at(3_300)).is_some());
        // A read that started before the change is not kept over a newer one.
        let stale = generation;
        cache.keep_pool(key.clone(), cache.generation(), at(3_500), Pool::new());
        cache.keep_pool(key.clone(), stale, at(3_600), Pool::new());
        assert!(cache.pool(&key, at(3_700)).is_some());
        cache.photos_changed();
        assert!(cache.pool(&key, at(3_700)).is_none());
    }

    #[test]
    fn writes_are_noted_by_what_they_touch() {
        let user = UserId::from_u128(7);
        let put = |key: Key, version: u64, condition: Condition, body: &str| Write::Put {
            item: Item::new(key, version, body.as_bytes().to_vec()),
            condition,
        };
        let user_key = super::super::store::user_key(&user.to_string());
        let banned = put(
            user_key,
            4,
            Condition::VersionIs(3),
            r#"{"id":"x","deleted":false,"banned":true,"role":"user"}"#,
        );
        let Some(Note::User {
            user: noted,
            written: Some(written),
        }) = Note::of(&banned)
        else {
            panic!("a user put is noted with what it stores");
        };
        assert_eq!(noted, user);
        assert_eq!(
            (written.read_version, written.version, written.standing),
            (Some(3), 4, Standing::Banned)
        );
        let token = TokenHash::of("t");
        let revoke = Write::Delete {
            key: super::super::store::token_key(&token.to_hex()),
            condition: Condition::Always,
        };
        assert!(matches!(Note::of(&revoke), Some(Note::TokenDeleted(hash)) if hash == token));
        let match_id = MatchId::new(PhotoId::from_u128(1), PhotoId::from_u128(2)).unwrap();
        let shown_key =
            super::super::store::shown_match_key(&user.to_string(), &match_id.to_string());
        let vote = put(
            shown_key,
            2,
            Condition::VersionIs(1),
            r#"{"left":"a","right":"b","proposed_at":1,"vote":{"winner":"a"}}"#,
        );
        let Some(Note::ShownMatch {
            judge,
            match_id: noted_match,
            written: Some(shown),
        }) = Note::of(&vote)
        else {
            panic!("a shown match put is noted");
        };
        assert_eq!((judge, noted_match), (user, match_id));
        assert_eq!((shown.version(), shown.judged()), (2, true));
        let photo = put(
            super::super::store::photo_key("p"),
            1,
            Condition::Absent,
            "{}",
        );
        assert!(matches!(Note::of(&photo), Some(Note::Photo)));
        // A new token, the user's win counts, a name claim: nothing kept depends on them.
        let new_token = put(
            super::super::store::token_key(&token.to_hex()),
            1,
            Condition::Absent,
            "{}",
        );
        let stats = put(
            Key::new(format!("u#{user}"), "stats"),
            1,
            Condition::Absent,
            "{}",
        );
        let name = put(
            super::super::store::name_key("ann"),
            1,
            Condition::Absent,
            "{}",
        );
        for write in [new_token, stats, name] {
            assert!(Note::of(&write).is_none(), "{write:?}");
        }
    }

    #[test]
    fn an_older_build_never_replaces_a_newer_ranking() {
        let cache = ReadCache::new(Duration::ZERO);
        let Lookup::Build(slow) = cache.lookup(&key(), at(1_000), None) else {
            panic!("an empty cache builds");
        };
        let Lookup::Build(fast) = cache.lookup(&key(), at(1_001), None) else {
            panic!("no ranking to serve yet: a second build");
        };
        cache.photos_changed();
        let Lookup::Build(newest) = cache.lookup(&key(), at(1_002), None) else {
            panic!("no ranking to serve yet: a third build");
        };
        newest.finish(at(1_002), board(3));
        fast.finish(at(1_001), board(3));
        slow.finish(at(1_000), board(3));
        assert_eq!(serve(&cache, 1_002, Some(1_002)), (1_002, false));
    }
}
