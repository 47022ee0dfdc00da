//! Trending tags per category: every use of a tag (on a competing photo at upload, or added
//! by its owner later) is recorded once; the worker's schedule recomputes each category's
//! decayed counts ([`crate::trending_tags`]) into one record, which the API reads with a
//! cover photo per tag. Equal scores are all kept, ordered by tag.

use std::time::Duration;

use ocean::records::{Key, Order, Query, SortRange, Write};
use serde::{Deserialize, Serialize};

use crate::names::{Category, Tag};
use crate::service::photos::{PhotoRecord, PhotoView};
use crate::service::store;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;
use crate::trending::{TagUse, trending_tags};

/// Most trending tags the API answers (the spec's 25).
pub const MAX_TRENDING_TAGS: usize = 25;
/// Tags kept per category's record: more than answered, so tags whose photos have all left
/// the pools (deleted, hidden) can be skipped and still leave a full answer.
const STORED_TRENDING_TAGS: usize = 100;
/// Uses older than this many half-lives weigh under 2^-20 (one in a million) and are not
/// read any more.
const HORIZON_HALF_LIVES: u32 = 20;
/// Uses read per page while recomputing.
const USE_READ_PAGE: u32 = 1000;

/// A trending tag with its best photo.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendingTagView {
    /// The tag as most recently typed.
    pub tag: String,
    /// Its decayed count when the worker last recomputed it.
    pub score: f64,
    /// Its best competing photo.
    pub cover: PhotoView,
}

/// One use of a tag, as stored twice: under its photo and tag (the claim that records it
/// once) and under its category by time (what recomputing reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredTagUse {
    category: String,
    /// As typed on this photo.
    tag: String,
    photo_id: String,
    used_at: i64,
}

/// A category's trending tags as last computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrendingRecord {
    computed_at: i64,
    /// Highest first; equal scores ordered by tag key.
    tags: Vec<TrendingEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrendingEntry {
    tag: String,
    score: f64,
}

/// When the trending job last ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct TrendingSchedule {
    last_run: i64,
}

fn use_claim_key(photo_id: &str, tag: &Tag) -> Key {
    Key::new(format!("tag_use#{photo_id}"), tag.key())
}

fn uses_partition(category: &str) -> String {
    format!("tu#{category}")
}

fn use_key(category: &str, used_at: Timestamp, photo_id: &str, tag: &Tag) -> Key {
    Key::new(
        uses_partition(category),
        format!(
            "{}#{photo_id}#{}",
            store::time_key(used_at.millis()),
            tag.key()
        ),
    )
}

fn trending_key(category: &str) -> Key {
    Key::new(format!("trending#{category}"), "trending")
}

fn trending_schedule_key() -> Key {
    Key::new("schedule#trending", "schedule")
}

impl Game {
    /// Records one use of each of `tags` on `record` at `used_at`, unless that photo's use
    /// of the tag is recorded already (at any time). Idempotent; test photos do not count.
    pub(crate) async fn record_tag_uses(
        &self,
        record: &PhotoRecord,
        tags: &[Tag],
        used_at: Timestamp,
    ) -> Result<usize, ServiceError> {
        if record.is_test || tags.is_empty() {
            return Ok(0);
        }
        let claim_keys: Vec<Key> = tags
            .iter()
            .map(|tag| use_claim_key(&record.id, tag))
            .collect();
        let claims = self.ports.records.get_many(&claim_keys).await?;
        let mut per_tag = Vec::new();
        for (tag, claim) in tags.iter().zip(claims) {
            if claim.is_some() {
                continue;
            }
            let stored = StoredTagUse {
                category: record.category.clone(),
                tag: tag.display().to_owned(),
                photo_id: record.id.clone(),
                used_at: used_at.millis(),
            };
            per_tag.push([
                store::put(use_claim_key(&record.id, tag), &stored, 0)?,
                store::put(
                    use_key(&record.category, used_at, &record.id, tag),
                    &stored,
                    0,
                )?,
            ]);
        }
        if per_tag.is_empty() {
            return Ok(0);
        }
        let n_uses = per_tag.len();
        let all: Vec<Write> = per_tag.iter().flatten().cloned().collect();
        match self.ports.records.commit(all).await {
            Ok(()) => return Ok(n_uses),
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
            Err(error) => return Err(error.into()),
        }
        // Another call recorded some of them meanwhile: the rest one by one.
        let mut n_recorded = 0;
        for writes in per_tag {
            match self.ports.records.commit(writes.to_vec()).await {
                Ok(()) => n_recorded += 1,
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(n_recorded)
    }

    /// Recomputes every category's trending tags at `now` when the configured interval has
    /// passed since the last run (or on the first run); returns whether it ran. Two workers
    /// may both run it: they write the same kind of answer and the later one stands.
    pub async fn refresh_trending_if_due(&self, now: Timestamp) -> Result<bool, ServiceError> {
        let schedule_key = trending_schedule_key();
        let schedule: Option<store::Versioned<TrendingSchedule>> =
            store::get(self.ports.records.as_ref(), &schedule_key).await?;
        if let Some(stored) = &schedule {
            let due_at = Timestamp::from_millis(stored.value.last_run)
                .saturating_add(self.config.trending_interval);
            if now < due_at {
                return Ok(false);
            }
        }
        self.refresh_trending(now).await?;
        let write = store::put(
            schedule_key,
            &TrendingSchedule {
                last_run: now.millis(),
            },
            schedule.map_or(0, |stored| stored.version),
        )?;
        match self.ports.records.write(write).await {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => Ok(true),
            Err(error) => Err(error.into()),
        }
    }

    /// Recomputes every category's trending tags at `now` from the uses of the last
    /// 20 half-lives (older uses weigh under a millionth) and stores them, one record per
    /// category.
    pub async fn refresh_trending(&self, now: Timestamp) -> Result<(), ServiceError> {
        let horizon = self
            .config
            .trending
            .half_life()
            .saturating_mul(HORIZON_HALF_LIVES);
        for category in self.config.categories.names() {
            let uses = self.recent_tag_uses(category, now, horizon).await?;
            let trending = trending_tags(&uses, now, &self.config.trending);
            let record = TrendingRecord {
                computed_at: now.millis(),
                tags: trending
                    .into_iter()
                    .take(STORED_TRENDING_TAGS)
                    .map(|tagged| TrendingEntry {
                        tag: tagged.tag.display().to_owned(),
                        score: tagged.score,
                    })
                    .collect(),
            };
            let item =
                ocean::records::Item::new(trending_key(category), 1, store::encode(&record)?);
            self.ports.records.write(Write::put(item)).await?;
        }
        Ok(())
    }

    /// A category's trending tags as the worker last computed them, highest first (equal
    /// scores all listed, by tag), at most [`MAX_TRENDING_TAGS`]; only tags that still have
    /// competing photos, each with its best one. Empty before the first computation. An
    /// unknown category is refused.
    pub async fn trending_tags(
        &self,
        category: &str,
        now: Timestamp,
    ) -> Result<Vec<TrendingTagView>, ServiceError> {
        let category = Category::parse(category, &self.config.categories)?;
        let stored: Option<store::Versioned<TrendingRecord>> = store::get(
            self.ports.records.as_ref(),
            &trending_key(category.as_str()),
        )
        .await?;
        let Some(stored) = stored else {
            return Ok(Vec::new());
        };
        let mut trending = Vec::new();
        for entry in stored.value.tags {
            if trending.len() >= MAX_TRENDING_TAGS {
                break;
            }
            let Ok(tag) = Tag::parse(&entry.tag) else {
                continue;
            };
            let Some(hit) = self.tag_hit(category.as_str(), &tag, now).await? else {
                continue;
            };
            trending.push(TrendingTagView {
                tag: entry.tag,
                score: entry.score,
                cover: hit.cover,
            });
        }
        Ok(trending)
    }

    /// The uses of `category`'s tags from `horizon` before `now` on (later ones too).
    async fn recent_tag_uses(
        &self,
        category: &str,
        now: Timestamp,
        horizon: Duration,
    ) -> Result<Vec<TagUse>, ServiceError> {
        let mut query = Query {
            range: SortRange::Between {
                start: store::time_key(now.saturating_sub(horizon).millis()),
                end: "~".to_owned(),
            },
            order: Order::Ascending,
            ..Query::partition(uses_partition(category), USE_READ_PAGE)
        };
        let mut uses = Vec::new();
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let stored: StoredTagUse = store::decode(item)?;
                let Ok(tag) = Tag::parse(&stored.tag) else {
                    continue;
                };
                uses.push(TagUse {
                    tag,
                    used_at: Timestamp::from_millis(stored.used_at),
                });
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(uses),
            }
        }
    }
}
