//! Who a token belongs to and whether that user may play, kept between requests so that an
//! authenticated request reads no record while its answer is fresh.
//!
//! Two maps: a token's SHA-256 (never the token) to its user, and a user to their standing
//! (active, banned, gone) with the version of the user record it came from. Freshness:
//!
//! - every write through this process's [`Game`](crate::service::Game) that touches a
//!   user record or deletes a token is seen by [`WatchedRecords`](super::WatchedRecords):
//!   a ban, an unban, a deletion or a token rotation shows on the next request (a written
//!   user record updates the standing kept; a deleted token is forgotten);
//! - changes made by other processes show within `fresh_for` (the game's
//!   `board_fresh_for`), after which an entry is read again;
//! - a read that raced with such a write is not kept (a generation per token map and per
//!   stripe of users), and a standing is never replaced by one from an older version.
//!
//! Both maps hold at most [`MAX_ENTRIES`] entries; past that, stale ones are dropped, and
//! if that is not enough, all.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;

use super::age;
use crate::ids::UserId;
use crate::time::Timestamp;

/// Entries kept per map at most (about 64 bytes each).
pub(crate) const MAX_ENTRIES: usize = 50_000;

/// Stripes of the users' write generations: a read of one user is not kept when a user of
/// its stripe was written meanwhile, so there are many (every request for games writes
/// its judge's record).
const USER_STRIPES: usize = 4096;

/// A token's SHA-256, the only form in which tokens are stored or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of `token`.
    pub(crate) fn of(token: &str) -> Self {
        use sha2::Digest;
        Self(sha2::Sha256::digest(token.as_bytes()).into())
    }

    /// From its lowercase hex, as in token keys.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0_u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(bytes))
    }

    /// Lowercase hex, as in token keys.
    pub(crate) fn to_hex(self) -> String {
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        hex
    }
}

/// Whether a user may play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Plays.
    Active,
    /// Banned by a moderator: their token is refused.
    Banned,
    /// Deleted, or never stored: their token is refused.
    Gone,
}

impl Standing {
    /// The standing a user record's JSON body says, if it is one.
    pub(crate) fn of_body(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            deleted: bool,
            #[serde(default)]
            banned: bool,
        }
        let fields: Fields = serde_json::from_slice(body).ok()?;
        Some(Self::of_flags(fields.deleted, fields.banned))
    }

    /// The standing of a stored user with these flags.
    pub(crate) fn of_flags(deleted: bool, banned: bool) -> Self {
        if deleted {
            Standing::Gone
        } else if banned {
            Standing::Banned
        } else {
            Standing::Active
        }
    }
}

#[derive(Debug)]
struct TokenEntry {
    user: UserId,
    at: Timestamp,
}

#[derive(Debug)]
struct UserEntry {
    standing: Standing,
    version: u64,
    at: Timestamp,
}

/// The kept credentials of one [`Game`](crate::service::Game).
#[derive(Debug)]
pub(crate) struct Credentials {
    fresh_for: Duration,
    tokens: Mutex<HashMap<TokenHash, TokenEntry>>,
    users: Mutex<HashMap<UserId, UserEntry>>,
    /// Bumped by every token deletion (rare: rotation, account deletion).
    token_deletions: AtomicU64,
    /// Bumped by every write to a user record of the stripe.
    user_writes: [AtomicU64; USER_STRIPES],
}

impl Credentials {
    /// Empty; entries count as fresh for `fresh_for` after they were read (zero: never,
    /// every request reads).
    pub(crate) fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for,
            tokens: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            token_deletions: AtomicU64::new(0),
            user_writes: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn tokens(&self) -> MutexGuard<'_, HashMap<TokenHash, TokenEntry>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn users(&self) -> MutexGuard<'_, HashMap<UserId, UserEntry>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_fresh(&self, at: Timestamp, now: Timestamp) -> bool {
        age(at, now) < self.fresh_for
    }

    /// The user `token` belongs to, if kept and fresh at `now`.
    pub(crate) fn token_owner(&self, token: &TokenHash, now: Timestamp) -> Option<UserId> {
        let tokens = self.tokens();
        let entry = tokens.get(token)?;
        self.is_fresh(entry.at, now).then_some(entry.user)
    }

    /// Pass to [`Credentials::keep_token`] with what is read after this call.
    pub(crate) fn token_generation(&self) -> u64 {
        self.token_deletions.load(Ordering::Acquire)
    }

    /// Keeps that `token` belongs to `user`, as read at `at` after
    /// [`Credentials::token_generation`] returned `generation`; not if a token was deleted
    /// since (the read may predate it).
    pub(crate) fn keep_token(
        &self,
        token: TokenHash,
        user: UserId,
        generation: u64,
        at: Timestamp,
    ) {
        let mut tokens = self.tokens();
        if self.token_deletions.load(Ordering::Acquire) != generation {
            return;
        }
        self.make_room(&mut tokens, at, |entry| entry.at);
        tokens.insert(token, TokenEntry { user, at });
    }

    /// The standing of `user`, if kept and fresh at `now`.
    pub(crate) fn standing(&self, user: UserId, now: Timestamp) -> Option<Standing> {
        let users = self.users();
        let entry = users.get(&user)?;
        self.is_fresh(entry.at, now).then_some(entry.standing)
    }

    /// Pass to [`Credentials::keep_standing`] with what is read after this call.
    pub(crate) fn user_generation(&self, user: UserId) -> u64 {
        self.user_writes[stripe(user)].load(Ordering::Acquire)
    }

    /// Keeps `standing`, read at `at` from version `version` of the user record after
    /// [`Credentials::user_generation`] returned `generation`; not if a user of its
    /// stripe was written since, nor over a newer version.
    pub(crate) fn keep_standing(
        &self,
        user: UserId,
        standing: Standing,
        version: u64,
        generation: u64,
        at: Timestamp,
    ) {
        let mut users = self.users();
        if self.user_writes[stripe(user)].load(Ordering::Acquire) != generation {
            return;
        }
        self.make_room(&mut users, at, |entry| entry.at);
        match users.entry(user) {
            Entry::Occupied(mut kept) if kept.get().version <= version => {
                kept.insert(UserEntry {
                    standing,
                    version,
                    at,
                });
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(vacant) => {
                vacant.insert(UserEntry {
                    standing,
                    version,
                    at,
                });
            }
        }
    }

    /// A write of `user`'s record reached the store (`written`: its new version and the
    /// standing its body says) or failed, or may have, or deleted it (`None`).
    pub(crate) fn user_written(&self, user: UserId, written: Option<(u64, Standing)>) {
        let mut users = self.users();
        self.user_writes[stripe(user)].fetch_add(1, Ordering::AcqRel);
        match (users.get_mut(&user), written) {
            (Some(kept), Some((version, standing))) => {
                if kept.version < version {
                    kept.version = version;
                    kept.standing = standing;
                }
            }
            (Some(_), None) => {
                users.remove(&user);
            }
            (None, _) => {}
        }
    }

    /// A token was deleted (or a delete of it failed, so may have happened).
    pub(crate) fn token_deleted(&self, token: &TokenHash) {
        let mut tokens = self.tokens();
        self.token_deletions.fetch_add(1, Ordering::AcqRel);
        tokens.remove(token);
    }

    /// Drops stale entries of a full map, and all of them if that is not enough.
    fn make_room<K, V>(
        &self,
        map: &mut HashMap<K, V>,
        now: Timestamp,
        read_at: impl Fn(&V) -> Timestamp,
    ) {
        if map.len() < MAX_ENTRIES {
            return;
        }
        map.retain(|_, entry| self.is_fresh(read_at(entry), now));
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
}

fn stripe(user: UserId) -> usize {
    (user.as_u128() % USER_STRIPES as u128) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    const ALICE: UserId = UserId::from_u128(1);

    #[test]
    fn token_hashes_round_trip_through_hex_like_token_keys() {
        let hash = TokenHash::of("abc");
        assert_eq!(
            hash.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(TokenHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(TokenHash::from_hex("ab"), None);
        assert_eq!(TokenHash::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn entries_serve_while_fresh() {
        let credentials = Credentials::new(Duration::from_secs(1));
        let token = TokenHash::of("t");
        credentials.keep_token(token, ALICE, credentials.token_generation(), at(1_000));
        assert_eq!(credentials.token_owner(&token, at(1_999)), Some(ALICE));
        assert_eq!(credentials.token_owner(&token, at(2_000)), None);
        let generation = credentials.user_generation(ALICE);
        credentials.keep_standing(ALICE, Standing::Active, 3, generation, at(1_000));
        assert_eq!(
            credentials.standing(ALICE, at(1_500)),
            Some(Standing::Active)
        );
        assert_eq!(credentials.standing(ALICE, at(2_500)), None);
        let never = Credentials::new(Duration::ZERO);
        never.keep_token(token, ALICE, never.token_generation(), at(1_000));
        assert_eq!(never.token_owner(&token, at(1_000)), None);
    }

    #[test]
    fn a_write_through_the_game_changes_the_standing_at_once() {
        let credentials = Credentials::new(Duration::from_secs(60));
        let generation = credentials.user_generation(ALICE);
        credentials.keep_standing(ALICE, Standing::Active, 3, generation, at(1_000));
        credentials.user_written(ALICE, Some((4, Standing::Banned)));
        assert_eq!(
            credentials.standing(ALICE, at(1_001)),
            Some(Standing::Banned)
        );
        // An older write's news arriving late changes nothing.
        credentials.user_written(ALICE, Some((3, Standing::Active)));
        assert_eq!(
            credentials.standing(ALICE, at(1_001)),
            Some(Standing::Banned)
        );
        // Nor does a read of an older version.
        let generation = credentials.user_generation(ALICE);
        credentials.keep_standing(ALICE, Standing::Active, 3, generation, at(1_002));
        assert_eq!(
            credentials.standing(ALICE, at(1_003)),
            Some(Standing::Banned)
        );
        // A failed write forgets the user: the next request reads.
        credentials.user_written(ALICE, None);
        assert_eq!(credentials.standing(ALICE, at(1_003)), None);
    }

    #[test]
    fn a_read_that_raced_with_a_write_is_not_kept() {
        let credentials = Credentials::new(Duration::from_secs(60));
        let token = TokenHash::of("t");
        let token_generation = credentials.token_generation();
        let user_generation = credentials.user_generation(ALICE);
        // Meanwhile: the token is deleted (rotation) and the user banned.
        credentials.token_deleted(&token);
        credentials.user_written(ALICE, Some((2, Standing::Banned)));
        credentials.keep_token(token, ALICE, token_generation, at(1_000));
        credentials.keep_standing(ALICE, Standing::Active, 1, user_generation, at(1_000));
        assert_eq!(credentials.token_owner(&token, at(1_000)), None);
        assert_eq!(credentials.standing(ALICE, at(1_000)), None);
    }

    #[test]
    fn deleting_a_token_forgets_it() {
        let credentials = Credentials::new(Duration::from_secs(60));
        let token = TokenHash::of("t");
        credentials.keep_token(token, ALICE, credentials.token_generation(), at(1_000));
        credentials.token_deleted(&token);
        assert_eq!(credentials.token_owner(&token, at(1_000)), None);
    }

    #[test]
    fn a_full_map_drops_stale_entries_first() {
        let credentials = Credentials::new(Duration::from_secs(1));
        for n in 0..MAX_ENTRIES as u128 {
            let user = UserId::from_u128(n);
            let generation = credentials.user_generation(user);
            let read_at = if n == 0 { at(5_000) } else { at(1_000) };
            credentials.keep_standing(user, Standing::Active, 1, generation, read_at);
        }
        let newcomer = UserId::from_u128(u128::MAX);
        let generation = credentials.user_generation(newcomer);
        credentials.keep_standing(newcomer, Standing::Active, 1, generation, at(5_000));
        assert_eq!(credentials.users().len(), 2);
        assert_eq!(
            credentials.standing(UserId::from_u128(0), at(5_001)),
            Some(Standing::Active)
        );
        assert_eq!(
            credentials.standing(newcomer, at(5_001)),
            Some(Standing::Active)
        );
    }
}
