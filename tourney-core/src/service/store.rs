//! How the game's data lies in the records port: one key scheme, the stored shapes, and
//! typed reads and writes over them.
//!
//! | item | partition | sort | secondary indexes |
//! |---|---|---|---|
//! | user | `u#<user>` | `user` | |
//! | token | `t#<sha256(token)>` | `token` | |
//! | user name claim | `n#<lowercase name>` | `name` | |
//! | match shown to a judge | `u#<judge>` | `m#<match>` | |
//! | photo | `p#<photo>` | `photo` | 0: `o#<owner>`; 1: `pool#<category>#<place>`; 2: `pool#<category>#<country>#<region>`; 3: `pool#<category>#<shard>` (sort: posted time, photo; shard `0..GLOBAL_POOL_SHARDS`, from the photo id) |
//! | content hash claim | `h#<sha256>` | `hash` | |
//! | scored vote marker | `v#<vote>` | `vote` | |
//! | win | `w#<owner>` | `<time>#<vote>` | |
//! | tag member (a competing photo carrying the tag) | `tag#<category>#<lowercase tag>` | `<photo>` | |
//! | owner's win counts | `u#<user>` | `stats` | |
//! | rating period (kept: the vote log's periods) | `period#<stream position>` | `period` | |
//! | tag use claim (one per photo and tag: counted once) | `tag_use#<photo>` | `<lowercase tag>` | |
//! | tag use by time (what trending reads) | `tu#<category>` | `<time>#<photo>#<lowercase tag>` | |
//! | a category's trending tags as last computed | `trending#<category>` | `trending` | |
//! | a scheduled worker job's last run (`trending`, `awards`) | `schedule#<job>` | `schedule` | |
//! | a category's awards of an ISO week (the claim settling it once) | `award#<category>#<YYYY-Www>` | `award` | |
//! | a photo's award | `pa#<photo>` | `<YYYY-Www>#<category>` | |
//! | flag (one per flagger per object; kind `user`, `photo` or `comment`) | `flag#<kind>#<object>` | `f#<flagger>` | |
//! | an object's flag counts | `flag#<kind>#<object>` | `summary` | 0 while flags are open: `modq` (sort: open count, last flag time, kind, object) |
//! | moderation history entry | `flag#<kind>#<object>` | `h#<time>#<random>` | |
//! | vote or tournament report held for review (`held_votes.rs`) | `held_votes` | `<time>#<vote>` | 0: `hv#<vote>` / `held` (its id to its entry) |
//! | an admin's decision on a held vote (released or discarded) | `hv#<vote>` | `decided` | |
//!
//! Bodies are JSON. Versions count writes: each write stores the read version + 1 under
//! `Condition::VersionIs(read version)`, so concurrent writers conflict instead of losing
//! updates.

use ocean::Records;
use ocean::records::{Condition, Index, Item, Key, Write};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::service::ServiceError;

/// Secondary index of a user's photos, newest last.
pub(crate) const BY_OWNER: Index = index(0);
/// Secondary index of a place's pool per category.
pub(crate) const LOCAL_POOL: Index = index(1);
/// Secondary index of a region's pool per category.
pub(crate) const REGIONAL_POOL: Index = index(2);
/// Secondary index of a category's global pool, split over [`GLOBAL_POOL_SHARDS`]
/// partitions (read them merged with `sharded::MergedScan`).
pub(crate) const GLOBAL_POOL: Index = index(3);
/// How many partitions a category's global pool is split into, so that rating updates of
/// a whole category do not all write one index partition (a hot GSI partition on
/// DynamoDB). Changing it moves photos between partitions: every photo must then be
/// written again (its index keys come from `PhotoRecord::to_item`).
pub(crate) const GLOBAL_POOL_SHARDS: u8 = 8;
/// Secondary index of the moderation queue: index 0, shared with [`BY_OWNER`] under its own
/// partition (`modq`), holding the flag counts of objects with open flags.
pub(crate) const MODERATION_QUEUE: Index = index(0);

const fn index(n: u8) -> Index {
    match Index::new(n) {
        Some(index) => index,
        None => panic!("index number out of range"),
    }
}

/// A stored value with the version it was read at (0: absent).
#[derive(Debug, Clone)]
pub(crate) struct Versioned<T> {
    pub(crate) value: T,
    pub(crate) version: u64,
}

/// The write that stores `value` under `key` after `read_version` (0: must be absent).
pub(crate) fn put<T: Serialize>(
    key: Key,
    value: &T,
    read_version: u64,
) -> Result<Write, ServiceError> {
    Ok(put_item(
        Item::new(key, read_version + 1, encode(value)?),
        read_version,
    ))
}

/// The write that stores `item` (its version already set) after `read_version`.
pub(crate) fn put_item(item: Item, read_version: u64) -> Write {
    let condition = if read_version == 0 {
        Condition::Absent
    } else {
        Condition::VersionIs(read_version)
    };
    Write::Put { item, condition }
}

/// JSON bytes of a stored shape.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(value).map_err(|error| ServiceError::Corrupt {
        what: format!("encoding a record: {error}"),
    })
}

/// A stored shape from an item's JSON body.
pub(crate) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, ServiceError> {
    serde_json::from_slice(&item.body).map_err(|error| ServiceError::Corrupt {
        what: format!("record {}: {error}", item.key),
    })
}

/// Reads and decodes the item at `key`.
pub(crate) async fn get<T: DeserializeOwned>(
    records: &dyn Records,
    key: &Key,
) -> Result<Option<Versioned<T>>, ServiceError> {
    let Some(item) = records.get(key).await? else {
        return Ok(None);
    };
    Ok(Some(Versioned {
        value: decode(&item)?,
        version: item.version,
    }))
}

/// Lowercase hex of SHA-256 of `bytes` (token and content hashes).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

/// A vote's id: 32 hex characters derived from what makes it unique (judge and match, or
/// judge, tournament and bracket position), so a resent vote keeps its id.
pub(crate) fn vote_id(unique_text: &str) -> String {
    let mut hash = sha256_hex(unique_text.as_bytes());
    hash.truncate(32);
    hash
}

/// A time as a fixed-width sort key part (milliseconds, zero-padded; negative times clamp
/// to zero).
pub(crate) fn time_key(millis: i64) -> String {
    format!("{:015}", millis.max(0))
}

pub(crate) fn user_key(user_id: &str) -> Key {
    Key::new(format!("u#{user_id}"), "user")
}

pub(crate) fn token_key(token_hash: &str) -> Key {
    Key::new(format!("t#{token_hash}"), "token")
}

pub(crate) fn name_key(name_key: &str) -> Key {
    Key::new(format!("n#{name_key}"), "name")
}

pub(crate) fn shown_match_key(judge: &str, match_id: &str) -> Key {
    Key::new(format!("u#{judge}"), format!("m#{match_id}"))
}

/// The sort-key prefix of every match shown to a judge, in the judge's partition.
pub(crate) const SHOWN_MATCH_PREFIX: &str = "m#";

pub(crate) fn photo_key(photo_id: &str) -> Key {
    Key::new(format!("p#{photo_id}"), "photo")
}

/// Whether `key` is a photo record's ([`photo_key`]).
pub(crate) fn is_photo_key(key: &Key) -> bool {
    key.sort == "photo" && key.partition.starts_with("p#")
}

pub(crate) fn hash_key(content_hash: &str) -> Key {
    Key::new(format!("h#{content_hash}"), "hash")
}

pub(crate) fn vote_marker_key(vote_id: &str) -> Key {
    Key::new(format!("v#{vote_id}"), "vote")
}

pub(crate) fn win_key(owner: &str, at_millis: i64, vote_id: &str) -> Key {
    Key::new(
        format!("w#{owner}"),
        format!("{}#{vote_id}", time_key(at_millis)),
    )
}

/// The partition of a user's wins.
pub(crate) fn wins_partition(owner: &str) -> String {
    format!("w#{owner}")
}

pub(crate) fn period_key(start: &str) -> Key {
    Key::new(format!("period#{start}"), "period")
}

pub(crate) fn owner_partition(owner: &str) -> String {
    format!("o#{owner}")
}

pub(crate) fn local_pool(category: &str, place_id: &str) -> String {
    format!("pool#{category}#{place_id}")
}

pub(crate) fn regional_pool(category: &str, country: &str, region: &str) -> String {
    format!("pool#{category}#{country}#{region}")
}

/// The global pool partition of `photo_id` in `category`: `pool#<category>#<shard>`. (A
/// local pool's partition may look alike, but lives in another index.)
pub(crate) fn global_pool(category: &str, photo_id: &str) -> String {
    format!("pool#{category}#{}", global_pool_shard(photo_id))
}

/// Every partition of `category`'s global pool, in shard order.
pub(crate) fn global_pool_partitions(category: &str) -> Vec<String> {
    (0..GLOBAL_POOL_SHARDS)
        .map(|shard| format!("pool#{category}#{shard}"))
        .collect()
}

/// The global pool shard of a photo: the first byte of SHA-256 of its id's text, mod
/// [`GLOBAL_POOL_SHARDS`]. Stable (a pure function of the id) and even whatever the id's
/// layout: a UUIDv7 begins with its creation time and a UUIDv1 ends with its machine, so
/// neither end of the id itself would spread the photos posted at one time.
pub(crate) fn global_pool_shard(photo_id: &str) -> u8 {
    use sha2::Digest;
    sha2::Sha256::digest(photo_id.as_bytes())[0] % GLOBAL_POOL_SHARDS
}

/// The index sort key of a photo in its pools and its owner's list: posted time, then id.
pub(crate) fn posted_key(posted_at_millis: i64, photo_id: &str) -> String {
    format!("{}#{photo_id}", time_key(posted_at_millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_like_times() {
        let times = [0_i64, 9, 10, 1_700_000_000_000, 99_999_999_999_999];
        let keys: Vec<String> = times.iter().map(|t| time_key(*t)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(time_key(-5), time_key(0));
    }

    #[test]
    fn global_pool_shards_are_stable_and_spread_ids_over_every_shard() {
        // Fixed answers (first byte of SHA-256 mod 8, as computed elsewhere): a shard may
        // never change for a stored photo.
        let id = "ffffffffffffffffffffffffffffffff";
        assert_eq!(global_pool_shard(id), 5);
        assert_eq!(global_pool_shard("00000000000000000000000000000003"), 1);
        assert_eq!(global_pool_shard("0000000000000000000000000000000b"), 6);
        assert_eq!(
            global_pool("female", id),
            format!("pool#female#{}", global_pool_shard(id))
        );
        // Time-ordered ids made in one millisecond (shared prefix) and sequential ids
        // (shared everything but the last digits) both reach every shard, about evenly.
        for make in [
            |n: u128| {
                format!(
                    "{:032x}",
                    (0x0190_a1b2_c3d4_u128 << 80) | (7 << 76) | (n * 7919)
                )
            },
            |n: u128| format!("{n:032x}"),
        ] {
            let mut counts = [0_u32; GLOBAL_POOL_SHARDS as usize];
            for n in 0..800 {
                let shard = global_pool_shard(&make(n));
                assert!(shard < GLOBAL_POOL_SHARDS);
                counts[usize::from(shard)] += 1;
            }
            assert!(
                counts.iter().all(|&c| (60..=140).contains(&c)),
                "{counts:?}"
            );
        }
        let partitions = global_pool_partitions("female");
        assert_eq!(partitions.len(), usize::from(GLOBAL_POOL_SHARDS));
        assert_eq!(partitions[0], "pool#female#0");
        assert!(partitions.contains(&global_pool("female", id)));
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
