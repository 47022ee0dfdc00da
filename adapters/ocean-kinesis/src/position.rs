//! Positions over every shard of a stream: `v1` followed by `;<shard id>=<sequence number>`
//! for each shard read from (the last record read there) or `;<shard id>=end` for a closed
//! shard read to its end, shards in id order. `v1` alone is the start of the stream.

use std::collections::{BTreeMap, HashSet};

use ocean::stream::Position;
use ocean::{Error, Result};

/// The format version every position starts with.
const VERSION: &str = "v1";
/// The mark of a closed shard read to its end.
const END: &str = "end";

/// How far a position has read one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShardMark {
    /// Read up to and including this sequence number.
    After(String),
    /// Closed (split or merged) and read to its end.
    Done,
}

/// A shard as listed by `ListShards`: its id and its parents (set after a split or merge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    /// The shard id (`shardId-000000000000`).
    pub(crate) shard_id: String,
    /// `ParentShardId` and `AdjacentParentShardId`, when set.
    pub(crate) parents: Vec<String>,
}

/// A parsed position: each shard's mark; shards without one are read from the oldest record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShardPositions {
    /// Shard id -> mark.
    marks: BTreeMap<String, ShardMark>,
}

impl ShardPositions {
    /// Parses `position` (`None`: the start of the stream); [`Error::Invalid`] when it was not
    /// made by [`ShardPositions::to_position`].
    pub(crate) fn parse(position: Option<&Position>) -> Result<Self> {
        let Some(position) = position else {
            return Ok(ShardPositions::default());
        };
        let invalid = || {
            Error::invalid(
                "after",
                format!("{:?} is not a position of this stream backend", position.0),
            )
        };
        let mut parts = position.0.split(';');
        if parts.next() != Some(VERSION) {
            return Err(invalid());
        }
        let mut marks = BTreeMap::new();
        for part in parts {
            let (shard_id, mark) = part.split_once('=').ok_or_else(invalid)?;
            let shard_id_ok = !shard_id.is_empty()
                && shard_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
            let mark = if mark == END {
                ShardMark::Done
            } else if !mark.is_empty() && mark.bytes().all(|b| b.is_ascii_digit()) {
                ShardMark::After(mark.to_owned())
            } else {
                return Err(invalid());
            };
            if !shard_id_ok || marks.insert(shard_id.to_owned(), mark).is_some() {
                return Err(invalid());
            }
        }
        Ok(ShardPositions { marks })
    }

    /// The opaque position for these marks.
    pub(crate) fn to_position(&self) -> Position {
        let mut text = VERSION.to_owned();
        for (shard_id, mark) in &self.marks {
            let mark = match mark {
                ShardMark::After(sequence_number) => sequence_number.as_str(),
                ShardMark::Done => END,
            };
            text.push_str(&format!(";{shard_id}={mark}"));
        }
        Position(text)
    }

    /// `shard_id`'s mark, `None` when nothing was read there.
    pub(crate) fn mark(&self, shard_id: &str) -> Option<&ShardMark> {
        self.marks.get(shard_id)
    }

    /// Sets `shard_id`'s mark.
    pub(crate) fn set(&mut self, shard_id: &str, mark: ShardMark) {
        self.marks.insert(shard_id.to_owned(), mark);
    }

    /// Forgets shards no longer listed (gone past the stream's retention).
    pub(crate) fn keep_only(&mut self, listed: &[ShardInfo]) {
        let listed: HashSet<&str> = listed.iter().map(|s| s.shard_id.as_str()).collect();
        self.marks
            .retain(|shard_id, _| listed.contains(shard_id.as_str()));
    }

    /// Whether `shard` may be read now: it is not read to its end, and each parent still
    /// listed is (so records of one partition key come in order across a split or merge).
    pub(crate) fn may_read(&self, shard: &ShardInfo, listed: &[ShardInfo]) -> bool {
        if self.mark(&shard.shard_id) == Some(&ShardMark::Done) {
            return false;
        }
        shard.parents.iter().all(|parent| {
            let parent_listed = listed.iter().any(|s| &s.shard_id == parent);
            !parent_listed || self.mark(parent) == Some(&ShardMark::Done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard with `parents`.
    fn shard(shard_id: &str, parents: &[&str]) -> ShardInfo {
        ShardInfo {
            shard_id: shard_id.to_owned(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn positions_round_trip() {
        let mut positions = ShardPositions::default();
        assert_eq!(positions.to_position(), Position("v1".to_owned()));
        positions.set("shardId-000000000001", ShardMark::After("4959".to_owned()));
        positions.set("shardId-000000000000", ShardMark::Done);
        let position = positions.to_position();
        assert_eq!(
            position.0,
            "v1;shardId-000000000000=end;shardId-000000000001=4959"
        );
        assert_eq!(ShardPositions::parse(Some(&position)).unwrap(), positions);
        assert_eq!(
            ShardPositions::parse(None).unwrap(),
            ShardPositions::default()
        );
    }

    #[test]
    fn garbage_is_invalid() {
        for garbage in [
            "",
            "v2",
            "not a position",
            "v1;",
            "v1;shardId-0",
            "v1;shardId-0=",
            "v1;shardId-0=12a",
            "v1;=12",
            "v1;shard id=12",
            "v1;s=1;s=2",
        ] {
            let result = ShardPositions::parse(Some(&Position(garbage.to_owned())));
            let error = result.expect_err(garbage);
            assert_eq!(error.kind(), ocean::ErrorKind::Invalid, "{garbage:?}");
        }
    }

    #[test]
    fn children_wait_for_their_listed_parents() {
        let listed = [
            shard("s0", &[]),
            shard("s1", &[]),
            shard("s2", &["s0", "s1"]),
            shard("s3", &["gone"]),
        ];
        let mut positions = ShardPositions::default();
        assert!(positions.may_read(&listed[0], &listed));
        assert!(!positions.may_read(&listed[2], &listed), "parents unread");
        assert!(positions.may_read(&listed[3], &listed), "parent expired");
        positions.set("s0", ShardMark::Done);
        assert!(!positions.may_read(&listed[0], &listed), "read to its end");
        assert!(!positions.may_read(&listed[2], &listed), "one parent left");
        positions.set("s1", ShardMark::Done);
        assert!(positions.may_read(&listed[2], &listed));
    }

    #[test]
    fn unlisted_shards_are_forgotten() {
        let mut positions = ShardPositions::default();
        positions.set("old", ShardMark::Done);
        positions.set("s0", ShardMark::After("7".to_owned()));
        positions.keep_only(&[shard("s0", &[])]);
        assert_eq!(positions.to_position().0, "v1;s0=7");
    }
}
