//! Tags: free text on photos, added at upload or later by the owner, matched
//! case-insensitively and shown as first typed. A competing photo's tags make it a member
//! of each tag's pool in its category (tag boards, tag matches) and put the tag in the
//! category's search index; `reindex_search` rebuilds both from the photos. Featured tags
//! (a setting per category) are listed with their best photos; each tag's uses feed
//! trending (`trending_tags.rs`).

use ocean::records::{Item, Key, Query, Write};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ids::{PhotoId, UserId};
use crate::leaderboard::{PageSize, Window};
use crate::names::{Category, Tag};
use crate::service::boards::BoardView;
use crate::service::matches::MatchView;
use crate::service::photos::{PhotoRecord, PhotoView};
use crate::service::read_cache::Pool;
use crate::service::sharded::MergedScan;
use crate::service::store;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// Most tags one photo carries.
pub const MAX_TAGS_PER_PHOTO: usize = 20;
/// Most tags a search answers (the spec's 25).
pub const MAX_TAG_HITS: u32 = 25;
/// Members read per page while building a tag's pool.
const MEMBER_PAGE: u32 = 1000;
/// Attempts at adding a tag while the photo keeps changing.
const MAX_TAG_ATTEMPTS: usize = 5;

/// A tag found by search, with its best photo.
#[derive(Debug, Clone, PartialEq)]
pub struct TagHit {
    /// The tag as first typed.
    pub tag: String,
    /// The tag's best photo by the board's ranking key.
    pub cover: PhotoView,
    /// How many competing photos carry it.
    pub n_photos: usize,
}

/// A photo's membership in a tag's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TagMember {
    photo_id: String,
    /// The tag as typed on this photo.
    tag: String,
}

/// What `reindex_search` rebuilt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Competing photos read.
    pub photos: usize,
    /// Tag memberships written.
    pub memberships: usize,
    /// Distinct tags indexed for search (per category).
    pub tags: usize,
}

/// The tags of an upload: each parsed, duplicates (by key) dropped keeping the first
/// spelling, at most [`MAX_TAGS_PER_PHOTO`].
pub(crate) fn parse_tags(texts: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut tags: Vec<Tag> = Vec::with_capacity(texts.len());
    for text in texts {
        let tag = Tag::parse(text)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS_PER_PHOTO {
        return Err(ServiceError::invalid(
            "tags",
            format!(
                "{} tags; a photo carries at most {MAX_TAGS_PER_PHOTO}",
                tags.len()
            ),
        ));
    }
    Ok(tags.iter().map(|tag| tag.display().to_owned()).collect())
}

/// The search namespace of a category's tags.
fn search_namespace(category: &str) -> String {
    format!("tags.{category}")
}

/// The partition of a tag's members in a category.
fn tag_partition(category: &str, tag: &Tag) -> String {
    format!("tag#{category}#{}", tag.key())
}

fn member_key(category: &str, tag: &Tag, photo_id: &str) -> Key {
    Key::new(tag_partition(category, tag), photo_id)
}

impl Game {
    /// Adds `tag` to a photo for its owner (others: [`ServiceError::Forbidden`]; a photo
    /// the caller cannot see: not found). Idempotent: a tag already on the photo, in any
    /// case, changes nothing. A competing photo joins the tag's pool at once.
    pub async fn add_tag(
        &self,
        caller: UserId,
        photo_id: PhotoId,
        tag: &str,
        now: Timestamp,
    ) -> Result<PhotoView, ServiceError> {
        let tag = Tag::parse(tag)?;
        let not_found = || ServiceError::not_found(format!("photo {photo_id}"));
        for _ in 0..MAX_TAG_ATTEMPTS {
            let stored = self
                .photo_record(&photo_id.to_string())
                .await?
                .ok_or_else(not_found)?;
            let mut record = stored.value;
            if record.owner != caller.to_string() {
                if !record.visible_to(Some(caller)) {
                    return Err(not_found());
                }
                return Err(ServiceError::Forbidden {
                    message: format!("only the owner of photo {photo_id} may tag it"),
                });
            }
            if record.has_tag(&tag) {
                // Idempotent, and it finishes an earlier call that stored the tag but
                // crashed before indexing it.
                if record.competes() {
                    self.index_tags(&record).await?;
                }
                return self.detailed_photo_view(&record, now).await;
            }
            if record.tags.len() >= MAX_TAGS_PER_PHOTO {
                return Err(ServiceError::invalid(
                    "tag",
                    format!("photo {photo_id} already has {MAX_TAGS_PER_PHOTO} tags"),
                ));
            }
            record.tags.push(tag.display().to_owned());
            let write = store::put_item(record.to_item(stored.version + 1)?, stored.version);
            match self.ports.records.write(write).await {
                Ok(()) => {
                    if record.competes() {
                        // Used now, before `index_tags` would count it at upload time.
                        self.record_tag_uses(&record, std::slice::from_ref(&tag), now)
                            .await?;
                        self.index_tags(&record).await?;
                    }
                    return self.detailed_photo_view(&record, now).await;
                }
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: format!("photo {photo_id} kept changing; try again"),
        })
    }

    /// Writes a competing photo's tag memberships, indexes its tags for search and records
    /// each tag's use for trending (at upload time, unless recorded already). Idempotent.
    pub(crate) async fn index_tags(&self, record: &PhotoRecord) -> Result<usize, ServiceError> {
        let mut writes = Vec::with_capacity(record.tags.len());
        let mut tags = Vec::with_capacity(record.tags.len());
        for text in &record.tags {
            let tag = Tag::parse(text)?;
            tags.push(tag.clone());
            let member = TagMember {
                photo_id: record.id.clone(),
                tag: tag.display().to_owned(),
            };
            writes.push(Write::put(Item::new(
                member_key(&record.category, &tag, &record.id),
                1,
                store::encode(&member)?,
            )));
        }
        let n_written = writes.len();
        if writes.is_empty() {
            return Ok(0);
        }
        self.ports.records.write_batch(writes).await?;
        let namespace = search_namespace(&record.category);
        for text in &record.tags {
            self.ports.search.index(&namespace, text).await?;
        }
        self.record_tag_uses(record, &tags, Timestamp::from_millis(record.created_at))
            .await?;
        Ok(n_written)
    }

    /// The competing photos carrying `tag` in `category`.
    async fn tag_pool(&self, category: &str, tag: &Tag) -> Result<Pool, ServiceError> {
        let mut query = Query::partition(tag_partition(category, tag), MEMBER_PAGE);
        let mut keys = Vec::new();
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let member: TagMember = store::decode(item)?;
                keys.push(store::photo_key(&member.photo_id));
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        let mut pool = Pool::new();
        for chunk in keys.chunks(MEMBER_PAGE as usize) {
            for item in self
                .ports
                .records
                .get_many(chunk)
                .await?
                .into_iter()
                .flatten()
            {
                let record: PhotoRecord = store::decode(&item)?;
                // Members whose photo stopped competing or lost the tag are left behind
                // by moderation; they are skipped here.
                if record.competes() && !record.is_test && record.has_tag(tag) {
                    pool.insert(record.photo_id()?, record);
                }
            }
        }
        Ok(pool)
    }

    /// One page of a tag's board in `category`: its competing photos of every time and
    /// place, ranked like the boards. An unknown category is [`ServiceError::Invalid`].
    pub async fn tag_board(
        &self,
        category: &str,
        tag: &str,
        count: PageSize,
        cursor: Option<String>,
        now: Timestamp,
    ) -> Result<BoardView, ServiceError> {
        let category = Category::parse(category, &self.config.categories)?;
        let tag = Tag::parse(tag)?;
        let (now, cursor) = crate::service::boards::read_cursor(cursor.as_deref(), now)?;
        let pool = self.tag_pool(category.as_str(), &tag).await?;
        let records: Vec<PhotoRecord> = pool.into_photos().into_values().collect();
        self.board_page(&records, Window::AllTime, count, cursor.as_ref(), now)
            .await
    }

    /// Up to the configured number of matches from the photos carrying `tag` in the
    /// judge's view category, remembered like any proposal; never a tournament, and the
    /// cadence is untouched. Not found (`not_enough_photos`, `no_unique_matches`) like
    /// [`Game::propose`].
    pub async fn propose_tagged(
        &self,
        judge: UserId,
        tag: &str,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Vec<MatchView>, ServiceError> {
        let tag = Tag::parse(tag)?;
        let judge_record = self.user_record(judge).await?.value;
        let category = self.view_category_of(&judge_record);
        let pool = self.tag_pool(&category, &tag).await?;
        let n_matches = self.config.cadence.max_matches_per_response;
        let (writes, views) = self
            .pick_matches(judge, &pool, n_matches, None, now, rng)
            .await?;
        self.ports.records.commit(writes).await?;
        Ok(views)
    }

    /// Tags of `category` matching `term` (substring, any case), best match first, at
    /// most `limit` (≤ [`MAX_TAG_HITS`]); only tags with competing photos, each with its
    /// best photo as cover.
    pub async fn search_tags(
        &self,
        category: &str,
        term: &str,
        limit: u32,
        now: Timestamp,
    ) -> Result<Vec<TagHit>, ServiceError> {
        let category = Category::parse(category, &self.config.categories)?;
        let term =
            Tag::parse(term).map_err(|error| ServiceError::invalid("term", error.to_string()))?;
        let hits = self
            .ports
            .search
            .search(
                &search_namespace(category.as_str()),
                term.display(),
                ocean::search::MAX_HITS,
            )
            .await?;
        let mut found = Vec::new();
        for hit in hits {
            if found.len() >= limit.clamp(1, MAX_TAG_HITS) as usize {
                break;
            }
            let Ok(tag) = Tag::parse(&hit.term) else {
                continue;
            };
            if let Some(found_tag) = self.tag_hit(category.as_str(), &tag, now).await? {
                found.push(found_tag);
            }
        }
        Ok(found)
    }

    /// The featured tags of `category` (the `featured_tags` setting) that have competing
    /// photos, in the configured order, each shown as first typed with its best photo and
    /// how many photos carry it. An unknown category is refused.
    pub async fn featured_tags(
        &self,
        category: &str,
        now: Timestamp,
    ) -> Result<Vec<TagHit>, ServiceError> {
        let category = Category::parse(category, &self.config.categories)?;
        let Some(texts) = self.config.featured_tags.get(category.as_str()) else {
            return Ok(Vec::new());
        };
        let mut featured = Vec::with_capacity(texts.len());
        for text in texts {
            let tag = Tag::parse(text)?;
            if let Some(hit) = self.tag_hit(category.as_str(), &tag, now).await? {
                featured.push(hit);
            }
        }
        Ok(featured)
    }

    /// `tag` in `category` with its best competing photo (by the boards' ranking key) and
    /// how many carry it, shown as first typed (the spelling on its oldest photo); `None`
    /// when no competing photo carries it.
    pub(crate) async fn tag_hit(
        &self,
        category: &str,
        tag: &Tag,
        now: Timestamp,
    ) -> Result<Option<TagHit>, ServiceError> {
        let pool = self.tag_pool(category, tag).await?;
        let records: Vec<PhotoRecord> = pool.into_photos().into_values().collect();
        let best = self
            .board_page(&records, Window::AllTime, PageSize::new(1)?, None, now)
            .await?;
        let Some((_, _, cover)) = best.entries.into_iter().next() else {
            return Ok(None);
        };
        let first_typed = records
            .iter()
            .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
            .and_then(|oldest| {
                oldest
                    .tags
                    .iter()
                    .find(|text| Tag::parse(text).is_ok_and(|t| t == *tag))
            })
            .cloned()
            .unwrap_or_else(|| tag.display().to_owned());
        Ok(Some(TagHit {
            tag: first_typed,
            cover,
            n_photos: records.len(),
        }))
    }

    /// Rebuilds every tag membership and the tag search index from the competing photos
    /// of every configured category. Idempotent; `progress` gets the photos read so far.
    pub async fn reindex_search(
        &self,
        mut progress: impl FnMut(usize),
    ) -> Result<ReindexReport, ServiceError> {
        let mut report = ReindexReport::default();
        for category in self.config.categories.names() {
            let query = Query {
                index: Some(store::GLOBAL_POOL),
                ..Query::partition("", MEMBER_PAGE)
            };
            let partitions = store::global_pool_partitions(category);
            let mut scan = MergedScan::new(self.ports.records.as_ref(), query, partitions);
            let mut tags = std::collections::HashSet::new();
            loop {
                let page = scan.next_page(MEMBER_PAGE as usize).await?;
                if page.is_empty() {
                    break;
                }
                for item in &page {
                    let record: PhotoRecord = store::decode(item)?;
                    if !record.competes() {
                        continue;
                    }
                    report.photos += 1;
                    report.memberships += self.index_tags(&record).await?;
                    for text in &record.tags {
                        tags.insert(Tag::parse(text)?);
                    }
                }
                progress(report.photos);
            }
            report.tags += tags.len();
        }
        Ok(report)
    }
}

impl PhotoRecord {
    /// Whether the record carries `tag` (any case).
    pub(crate) fn has_tag(&self, tag: &Tag) -> bool {
        self.tags
            .iter()
            .filter_map(|text| Tag::parse(text).ok())
            .any(|carried| carried == *tag)
    }
}
