//! Photos: an entry is created with a presigned direct upload; the upload's arrival queues
//! a processing job; the worker's result makes it `ready` (with renditions, in its pools),
//! `rejected` (with a reason) or `duplicate`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocean::media::{ObjectKey, PresignedUpload, ReadAccess, UploadRequest};
use ocean::records::{Item, Key};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::geo::Coordinates;
use crate::ids::{PhotoId, UserId};
use crate::names::Category;
use crate::period::PhotoRating;
use crate::pool::MediaType;
use crate::service::store::{self, Versioned};
use crate::service::users::PlaceView;
use crate::service::{Game, MEDIA_QUEUE, ServiceError};
use crate::time::Timestamp;
use glicko2::Rating;

/// Where a photo is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// Created; waiting for the client's upload.
    PendingUpload,
    /// Uploaded; waiting for the worker.
    Processing,
    /// Validated, with renditions; shown, matched and ranked.
    Ready,
    /// Refused by validation (see the reason).
    Rejected,
    /// The same bytes as a photo already ready.
    Duplicate,
    /// Deleted by its owner: out of every pool, list and board, its media removed. The
    /// record stays so the vote log still names it (`rescore` needs it).
    Deleted,
    /// Ready but hidden by a moderator: only its owner sees it, in this state. Never
    /// stored as a state (the record keeps `ready` and a `hidden` mark, so restoring it
    /// needs nothing else); views show it.
    Hidden,
}

/// Rendition sizes: the longest side fits inside N x N.
pub const RENDITIONS: [(&str, u32); 3] = [("small", 240), ("medium", 480), ("large", 960)];

/// What a new entry declares.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    /// Competing category; `None`: the owner's post category.
    pub category: Option<String>,
    /// Photo or movie.
    pub media_type: MediaType,
    /// The content type the upload will carry.
    pub content_type: String,
    /// Whether it competes (false: a profile-only photo, never matched or ranked).
    pub enter_in_tournament: bool,
    /// Whether it becomes the owner's profile photo once ready.
    pub set_as_profile_photo: bool,
    /// Coordinates of where it was taken; `None`: the owner's place.
    pub location: Option<Coordinates>,
    /// Marks a test photo (only matched for judges asking for test photos).
    pub is_test: bool,
    /// Tags as typed (at most [`crate::service::MAX_TAGS_PER_PHOTO`]; duplicates in any
    /// case are dropped).
    pub tags: Vec<String>,
}

/// A created entry and where to upload its content.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUpload {
    /// The new photo.
    pub photo_id: PhotoId,
    /// The presigned direct upload for its original.
    pub upload: PresignedUpload,
}

/// A processing job: which photo's upload to process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadJob {
    /// The photo.
    pub photo_id: String,
}

/// The worker's verdict on an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessedMedia {
    /// Valid: the renditions (JPEG bytes per [`RENDITIONS`] name) and the original's hash.
    Ready {
        /// SHA-256 hex of the original bytes (exact duplicates share it).
        content_hash: String,
        /// (`small` | `medium` | `large`, JPEG bytes).
        renditions: Vec<(&'static str, Vec<u8>)>,
    },
    /// Refused, with the API's reason code.
    Rejected {
        /// Why (`not_an_image`, `type_mismatch`, ...).
        reason: String,
    },
}

/// A photo as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoView {
    /// The photo.
    pub id: PhotoId,
    /// Its owner.
    pub owner: UserId,
    /// Its category.
    pub category: String,
    /// Its place.
    pub place: PlaceView,
    /// Photo or movie.
    pub media_type: MediaType,
    /// Where it is in its life.
    pub state: PhotoState,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Rating, RD aged to the time asked about.
    pub score: f64,
    /// Rating deviation aged to the time asked about.
    pub rd: f64,
    /// Games played.
    pub games: u32,
    /// Games won.
    pub wins: u32,
    /// Games lost.
    pub losses: u32,
    /// Whether RD is above the provisional threshold.
    pub provisional: bool,
    /// Rendition URLs (`small`, `medium`, `large`, `original`), once ready.
    pub urls: Vec<(&'static str, String)>,
    /// Its tags, as first typed.
    pub tags: Vec<String>,
    /// How many comments it has (filled in by the use case that returns the view).
    pub comment_count: u64,
    /// Its owner's user name, when they have one (filled in like `comment_count`).
    pub owner_name: Option<String>,
    /// Its public share page.
    pub share_url: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A photo as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PhotoRecord {
    pub(crate) id: String,
    pub(crate) owner: String,
    pub(crate) category: String,
    pub(crate) place: PlaceView,
    pub(crate) media_type: String,
    pub(crate) content_type: String,
    pub(crate) state: PhotoState,
    pub(crate) rejection_reason: Option<String>,
    pub(crate) rating: StoredRating,
    pub(crate) wins: u32,
    pub(crate) losses: u32,
    pub(crate) enter_in_tournament: bool,
    pub(crate) set_as_profile_photo: bool,
    pub(crate) is_test: bool,
    pub(crate) created_at: i64,
    pub(crate) content_hash: Option<String>,
    /// The rating period last applied to this photo, and its values before that period, so
    /// a period re-run after a crash recomputes from the same start.
    pub(crate) applied_period: Option<String>,
    pub(crate) before_period: Option<PeriodStart>,
    /// Tags as first typed.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// Hidden by a moderator: out of every pool, board, tag pool, match and list, and seen
    /// by its owner only. The record and its rating stay: votes already cast still score.
    #[serde(default)]
    pub(crate) hidden: bool,
    /// Its owner is banned: out of every pool, board, tag pool and match until the ban is
    /// lifted (still shown on its own page).
    #[serde(default)]
    pub(crate) owner_banned: bool,
}

/// A rating as stored: r, RD, sigma, and when it was last rated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredRating {
    pub(crate) r: f64,
    pub(crate) rd: f64,
    pub(crate) volatility: f64,
    pub(crate) last_rated: Option<i64>,
}

/// A photo's values at the start of the period last applied to it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct PeriodStart {
    pub(crate) rating: StoredRating,
    pub(crate) wins: u32,
    pub(crate) losses: u32,
}

impl StoredRating {
    pub(crate) fn from_photo_rating(rating: &PhotoRating) -> Self {
        Self {
            r: rating.rating.rating(),
            rd: rating.rating.deviation(),
            volatility: rating.rating.volatility(),
            last_rated: rating.last_rated.map(Timestamp::millis),
        }
    }

    pub(crate) fn to_photo_rating(self) -> Result<PhotoRating, ServiceError> {
        let rating = Rating::new(self.r, self.rd, self.volatility).map_err(|error| {
            ServiceError::Corrupt {
                what: format!("stored rating: {error}"),
            }
        })?;
        Ok(PhotoRating {
            rating,
            last_rated: self.last_rated.map(Timestamp::from_millis),
        })
    }
}

impl PhotoRecord {
    pub(crate) fn photo_id(&self) -> Result<PhotoId, ServiceError> {
        PhotoId::parse(&self.id).map_err(|error| ServiceError::Corrupt {
            what: format!("photo id {:?}: {error}", self.id),
        })
    }

    pub(crate) fn media_type(&self) -> MediaType {
        if self.media_type == "movie" {
            MediaType::Movie
        } else {
            MediaType::Photo
        }
    }

    /// Its rating with RD aged to `now`.
    pub(crate) fn aged_rating(
        &self,
        now: Timestamp,
        settings: &crate::period::RatingSettings,
    ) -> Result<Rating, ServiceError> {
        Ok(self.rating.to_photo_rating()?.aged_to(now, settings)?)
    }

    /// Whether it is in its pools: ready, entered, not hidden by a moderator and its owner
    /// not banned. Pools, boards, tag pools and matches all go by this (and the pool index
    /// keys of [`PhotoRecord::to_item`]), so hiding or banning takes it out of all of them
    /// with one write.
    pub(crate) fn competes(&self) -> bool {
        self.state == PhotoState::Ready
            && self.enter_in_tournament
            && !self.hidden
            && !self.owner_banned
    }

    /// Whether `viewer` may see it: ready and not hidden, or anything but deleted for its
    /// owner.
    pub(crate) fn visible_to(&self, viewer: Option<UserId>) -> bool {
        let is_owner = viewer.is_some_and(|viewer| viewer.to_string() == self.owner);
        match self.state {
            PhotoState::Deleted => false,
            PhotoState::Ready if !self.hidden => true,
            _ => is_owner,
        }
    }

    /// The item storing this record at `version`, with its index keys.
    pub(crate) fn to_item(&self, version: u64) -> Result<Item, ServiceError> {
        let posted = store::posted_key(self.created_at, &self.id);
        let mut item = Item::new(store::photo_key(&self.id), version, store::encode(self)?)
            .with_index_key(
                store::BY_OWNER,
                Key::new(store::owner_partition(&self.owner), posted.clone()),
            );
        if self.competes() {
            let pools = [
                (
                    store::LOCAL_POOL,
                    store::local_pool(&self.category, &self.place.id),
                ),
                (
                    store::REGIONAL_POOL,
                    store::regional_pool(&self.category, &self.place.country, &self.place.region),
                ),
                (
                    store::GLOBAL_POOL,
                    store::global_pool(&self.category, &self.id),
                ),
            ];
            for (index, partition) in pools {
                item = item.with_index_key(index, Key::new(partition, posted.clone()));
            }
        }
        Ok(item)
    }
}

/// Where a photo's original is stored.
pub(crate) fn original_key(photo_id: &str) -> Result<ObjectKey, ServiceError> {
    Ok(ObjectKey::parse(&format!("photos/{photo_id}/original"))?)
}

/// Where a photo's rendition `name` is stored.
pub(crate) fn rendition_key(photo_id: &str, name: &str) -> Result<ObjectKey, ServiceError> {
    Ok(ObjectKey::parse(&format!("photos/{photo_id}/{name}.jpg"))?)
}

fn system_time(at: Timestamp) -> SystemTime {
    let millis = u64::try_from(at.millis()).unwrap_or(0);
    UNIX_EPOCH + Duration::from_millis(millis)
}

impl Game {
    /// Creates a photo entry (`pending_upload`) and a presigned upload for its original.
    pub async fn create_photo(
        &self,
        owner: UserId,
        new_photo: NewPhoto,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<NewUpload, ServiceError> {
        let owner_record = self.user_record(owner).await?.value;
        let category = match new_photo.category {
            Some(category) => category,
            None => self.post_category_of(&owner_record),
        };
        Category::parse(&category, &self.config.categories)?;
        check_content_type(new_photo.media_type, &new_photo.content_type)?;
        let tags = crate::service::tags::parse_tags(&new_photo.tags)?;
        let place = match new_photo.location {
            Some(location) => self.resolve_place(location).await?,
            None => self.place_of(&owner_record).await?,
        };
        let photo_id = PhotoId::generate(now, rng);
        let record = PhotoRecord {
            id: photo_id.to_string(),
            owner: owner.to_string(),
            category,
            place,
            media_type: new_photo.media_type.as_str().to_owned(),
            content_type: new_photo.content_type.clone(),
            state: PhotoState::PendingUpload,
            rejection_reason: None,
            rating: StoredRating::from_photo_rating(&PhotoRating::new_photo(&self.config.rating)),
            wins: 0,
            losses: 0,
            enter_in_tournament: new_photo.enter_in_tournament,
            set_as_profile_photo: new_photo.set_as_profile_photo,
            is_test: new_photo.is_test,
            created_at: now.millis(),
            content_hash: None,
            applied_period: None,
            before_period: None,
            tags,
            hidden: false,
            owner_banned: false,
        };
        let upload = self.ports.media.presign_upload(&UploadRequest {
            key: original_key(&record.id)?,
            content_type: new_photo.content_type,
            max_bytes: self.config.max_upload_bytes,
            signed_at: system_time(now),
            expires_in: self.config.upload_expires_in,
        })?;
        self.ports
            .records
            .write(store::put_item(record.to_item(1)?, 0))
            .await?;
        Ok(NewUpload { photo_id, upload })
    }

    /// The owner's word that a photo's upload is stored (where no storage event tells the
    /// worker, e.g. S3 without event notifications): checks the original is there and
    /// queues its processing as [`Game::upload_received`] does. Idempotent; others get
    /// [`ServiceError::Forbidden`] (not found for a photo they cannot see); nothing stored
    /// yet is [`ServiceError::Conflict`] (`upload_missing`).
    pub async fn upload_completed(
        &self,
        caller: UserId,
        photo_id: PhotoId,
        now: Timestamp,
    ) -> Result<PhotoView, ServiceError> {
        let text = photo_id.to_string();
        let not_found = || ServiceError::not_found(format!("photo {photo_id}"));
        let record = self.photo_record(&text).await?.ok_or_else(not_found)?.value;
        if record.owner != caller.to_string() {
            return Err(if record.visible_to(Some(caller)) {
                ServiceError::Forbidden {
                    message: format!("only the owner of photo {photo_id} may complete its upload"),
                }
            } else {
                not_found()
            });
        }
        let key = original_key(&text)?;
        if record.state == PhotoState::PendingUpload {
            match self.ports.media.head(&key).await {
                Ok(_) => self.upload_received(&key).await?,
                Err(error) if error.kind() == ocean::ErrorKind::NotFound => {
                    return Err(ServiceError::Conflict {
                        code: "upload_missing",
                        message: format!(
                            "nothing is stored for photo {photo_id} yet: send the upload first"
                        ),
                    });
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.photo(photo_id, Some(caller), now).await
    }

    /// Handles one storage event message (S3's event notification JSON, as SQS delivers it
    /// from the [`UPLOAD_EVENTS_QUEUE`](super::UPLOAD_EVENTS_QUEUE)): every object it says was
    /// created is passed to [`Game::upload_received`]. Returns how many objects it named; a
    /// body that is not an S3 event is [`ServiceError::Invalid`].
    pub async fn storage_event(&self, body: &[u8]) -> Result<usize, ServiceError> {
        let keys = created_objects(body)?;
        for key in &keys {
            self.upload_received(key).await?;
        }
        Ok(keys.len())
    }

    /// Records that an object arrived; for a photo's original still waiting for it, marks
    /// the photo `processing` and queues its processing job. Idempotent: a repeated call,
    /// or one for any other object, does nothing.
    pub async fn upload_received(&self, key: &ObjectKey) -> Result<(), ServiceError> {
        let Some(photo_id) = key
            .as_str()
            .strip_prefix("photos/")
            .and_then(|rest| rest.strip_suffix("/original"))
        else {
            return Ok(());
        };
        let Some(stored) = self.photo_record(photo_id).await? else {
            return Ok(());
        };
        if stored.value.state != PhotoState::PendingUpload {
            return Ok(());
        }
        let mut record = stored.value;
        record.state = PhotoState::Processing;
        let job = store::encode(&UploadJob {
            photo_id: record.id.clone(),
        })?;
        // Queue first: a crash between the two leaves the photo pending with a job that
        // finds it pending and processes it anyway.
        self.ports.queue.send(MEDIA_QUEUE, job).await?;
        self.ports
            .records
            .write(store::put_item(
                record.to_item(stored.version + 1)?,
                stored.version,
            ))
            .await?;
        Ok(())
    }

    /// The original bytes and declared content type of a photo waiting for processing;
    /// `None` when the photo is gone or already processed (the job is then done).
    pub async fn upload_to_process(
        &self,
        job: &UploadJob,
    ) -> Result<Option<(Vec<u8>, String, MediaType)>, ServiceError> {
        let Some(stored) = self.photo_record(&job.photo_id).await? else {
            return Ok(None);
        };
        if !matches!(
            stored.value.state,
            PhotoState::PendingUpload | PhotoState::Processing
        ) {
            return Ok(None);
        }
        let object = self.ports.media.get(&original_key(&job.photo_id)?).await?;
        Ok(Some((
            object.bytes,
            stored.value.content_type.clone(),
            stored.value.media_type(),
        )))
    }

    /// Applies the worker's verdict: stores renditions and makes the photo `ready` (or
    /// `duplicate` when a ready photo has the same bytes), or `rejected` with the reason.
    /// Idempotent: renditions are overwritten with the same bytes and a photo already out
    /// of processing is left alone.
    pub async fn finish_processing(
        &self,
        photo_id: &str,
        result: ProcessedMedia,
    ) -> Result<PhotoState, ServiceError> {
        let Some(stored) = self.photo_record(photo_id).await? else {
            return Err(ServiceError::not_found(format!("photo {photo_id}")));
        };
        if !matches!(
            stored.value.state,
            PhotoState::PendingUpload | PhotoState::Processing
        ) {
            // A retried job after a crash past the write: finish what follows it.
            self.after_processing(&stored.value).await?;
            return Ok(stored.value.state);
        }
        let mut record = stored.value;
        match result {
            ProcessedMedia::Rejected { reason } => {
                record.state = PhotoState::Rejected;
                record.rejection_reason = Some(reason);
            }
            ProcessedMedia::Ready {
                content_hash,
                renditions,
            } => {
                for (name, jpeg) in renditions {
                    let key = rendition_key(&record.id, name)?;
                    self.ports.media.put(&key, jpeg, "image/jpeg").await?;
                }
                let claim = store::put(
                    store::hash_key(&content_hash),
                    &HashClaim {
                        photo_id: record.id.clone(),
                    },
                    0,
                )?;
                let owned_claim = match self.ports.records.write(claim).await {
                    Ok(()) => true,
                    Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                        // Ours from an earlier attempt, or another photo's.
                        let existing: Option<Versioned<HashClaim>> = store::get(
                            self.ports.records.as_ref(),
                            &store::hash_key(&content_hash),
                        )
                        .await?;
                        existing.is_some_and(|claim| claim.value.photo_id == record.id)
                    }
                    Err(error) => return Err(error.into()),
                };
                record.content_hash = Some(content_hash);
                record.state = if owned_claim {
                    PhotoState::Ready
                } else {
                    PhotoState::Duplicate
                };
            }
        }
        self.ports
            .records
            .write(store::put_item(
                record.to_item(stored.version + 1)?,
                stored.version,
            ))
            .await?;
        self.after_processing(&record).await?;
        Ok(record.state)
    }

    /// What follows a photo becoming ready: the profile photo if asked, its tags in their
    /// pools and the search index. Idempotent.
    async fn after_processing(&self, record: &PhotoRecord) -> Result<(), ServiceError> {
        if record.state != PhotoState::Ready {
            return Ok(());
        }
        if record.set_as_profile_photo {
            self.set_profile_photo(record).await?;
        }
        if record.competes() {
            self.index_tags(record).await?;
            self.tell_followers_of_photo(record).await?;
        }
        Ok(())
    }

    /// Tells the owner's followers about a new competing photo (once each, however often
    /// the job runs), dated when the photo was posted.
    async fn tell_followers_of_photo(&self, record: &PhotoRecord) -> Result<(), ServiceError> {
        let owner = UserId::parse(&record.owner)?;
        let photo_id = record.photo_id()?;
        for follower in self.all_followers(owner).await? {
            self.tell(
                follower,
                crate::service::activity::ActivityKind::NewPhoto,
                Some(owner),
                Some(photo_id),
                None,
                &format!("new_photo#{photo_id}"),
                Timestamp::from_millis(record.created_at),
            )
            .await?;
        }
        Ok(())
    }

    /// A photo as the API shows it, RD aged to `now`. Only the owner sees a photo that is
    /// not ready or is hidden by a moderator (as `hidden`); for everyone else it does not
    /// exist.
    pub async fn photo(
        &self,
        photo_id: PhotoId,
        viewer: Option<UserId>,
        now: Timestamp,
    ) -> Result<PhotoView, ServiceError> {
        let stored = self.photo_record(&photo_id.to_string()).await?;
        let not_found = || ServiceError::not_found(format!("photo {photo_id}"));
        let record = stored.ok_or_else(not_found)?.value;
        if !record.visible_to(viewer) {
            return Err(not_found());
        }
        self.detailed_photo_view(&record, now).await
    }

    /// A user's photos, newest first, one page. The owner sees every state (hidden ones as
    /// `hidden`); others only ready photos that are not hidden (a page may then be short
    /// while `next` is set).
    pub async fn user_photos(
        &self,
        owner: UserId,
        viewer: UserId,
        limit: u32,
        cursor: Option<String>,
        now: Timestamp,
    ) -> Result<(Vec<PhotoView>, Option<String>), ServiceError> {
        self.user_record(owner).await?;
        let query = ocean::records::Query {
            index: Some(store::BY_OWNER),
            order: ocean::records::Order::Descending,
            cursor: cursor.map(ocean::records::Cursor),
            ..ocean::records::Query::partition(store::owner_partition(&owner.to_string()), limit)
        };
        let page = self.ports.records.query(&query).await?;
        let mut photos = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let record: PhotoRecord = store::decode(item)?;
            if record.visible_to(Some(viewer)) {
                photos.push(self.photo_view(&record, now)?);
            }
        }
        self.add_photo_details(&mut photos).await?;
        Ok((photos, page.next.map(|cursor| cursor.0)))
    }

    /// The public share page of photo `photo_id`.
    pub fn share_url(&self, photo_id: &str) -> String {
        format!("{}/{photo_id}", self.config.share_base_url)
    }

    pub(crate) fn photo_view(
        &self,
        record: &PhotoRecord,
        now: Timestamp,
    ) -> Result<PhotoView, ServiceError> {
        let rating = record
            .rating
            .to_photo_rating()?
            .aged_to(now, &self.config.rating)?;
        let mut urls = Vec::new();
        if record.state == PhotoState::Ready {
            for (name, _) in RENDITIONS {
                let key = rendition_key(&record.id, name)?;
                urls.push((name, self.ports.media.read_url(&key, ReadAccess::Public)?));
            }
            let original = original_key(&record.id)?;
            urls.push((
                "original",
                self.ports.media.read_url(&original, ReadAccess::Public)?,
            ));
        }
        Ok(PhotoView {
            id: record.photo_id()?,
            owner: UserId::parse(&record.owner)?,
            category: record.category.clone(),
            place: record.place.clone(),
            media_type: record.media_type(),
            state: if record.hidden && record.state == PhotoState::Ready {
                PhotoState::Hidden
            } else {
                record.state
            },
            rejection_reason: record.rejection_reason.clone(),
            score: rating.rating(),
            rd: rating.deviation(),
            games: record.wins + record.losses,
            wins: record.wins,
            losses: record.losses,
            provisional: rating.deviation() > self.config.leaderboard.provisional_rd_threshold,
            urls,
            tags: record.tags.clone(),
            comment_count: 0,
            owner_name: None,
            share_url: self.share_url(&record.id),
            created_at: Timestamp::from_millis(record.created_at),
        })
    }

    /// Deletes the caller's photo: it leaves every pool, board, list and match at once,
    /// its media objects are removed, its content hash is freed and it stops being the
    /// profile photo. Others get [`ServiceError::Forbidden`] (or not found for a photo they
    /// cannot see); deleting twice is not found.
    pub async fn delete_photo(
        &self,
        caller: UserId,
        photo_id: PhotoId,
    ) -> Result<(), ServiceError> {
        let not_found = || ServiceError::not_found(format!("photo {photo_id}"));
        let mut attempts = 0;
        let record = loop {
            attempts += 1;
            if attempts > 5 {
                return Err(ServiceError::Conflict {
                    code: "concurrent_update",
                    message: format!("photo {photo_id} kept changing; try again"),
                });
            }
            let stored = self
                .photo_record(&photo_id.to_string())
                .await?
                .filter(|stored| stored.value.state != PhotoState::Deleted)
                .ok_or_else(not_found)?;
            if stored.value.owner != caller.to_string() {
                if !stored.value.visible_to(Some(caller)) {
                    return Err(not_found());
                }
                return Err(ServiceError::Forbidden {
                    message: format!("only the owner may delete photo {photo_id}"),
                });
            }
            let mut record = stored.value;
            record.state = PhotoState::Deleted;
            let write = store::put_item(record.to_item(stored.version + 1)?, stored.version);
            match self.ports.records.write(write).await {
                Ok(()) => break record,
                // Scored or tagged meanwhile: read it again.
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        };
        let mut objects = vec![original_key(&record.id)?];
        for (name, _) in RENDITIONS {
            objects.push(rendition_key(&record.id, name)?);
        }
        for key in &objects {
            match self.ports.media.delete(key).await {
                Ok(()) => {}
                Err(error) if error.kind() == ocean::ErrorKind::NotFound => {}
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(hash) = &record.content_hash {
            let claim: Option<Versioned<HashClaim>> =
                store::get(self.ports.records.as_ref(), &store::hash_key(hash)).await?;
            if let Some(claim) = claim.filter(|claim| claim.value.photo_id == record.id) {
                self.ports
                    .records
                    .write(ocean::records::Write::Delete {
                        key: store::hash_key(hash),
                        condition: ocean::records::Condition::VersionIs(claim.version),
                    })
                    .await?;
            }
        }
        self.clear_profile_photo(caller, &record.id).await
    }

    /// Unsets the owner's profile photo if it is `photo_id`.
    async fn clear_profile_photo(&self, owner: UserId, photo_id: &str) -> Result<(), ServiceError> {
        self.update_user(owner, |record| {
            let is_it = record.profile_photo.as_deref() == Some(photo_id);
            if is_it {
                record.profile_photo = None;
            }
            is_it
        })
        .await
    }

    pub(crate) async fn photo_record(
        &self,
        photo_id: &str,
    ) -> Result<Option<Versioned<PhotoRecord>>, ServiceError> {
        store::get(self.ports.records.as_ref(), &store::photo_key(photo_id)).await
    }

    async fn set_profile_photo(&self, photo: &PhotoRecord) -> Result<(), ServiceError> {
        let owner = UserId::parse(&photo.owner)?;
        self.update_user(owner, |record| {
            let changed = record.profile_photo.as_deref() != Some(photo.id.as_str());
            record.profile_photo = Some(photo.id.clone());
            changed
        })
        .await
    }
}

/// Which photo first became ready with some content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HashClaim {
    photo_id: String,
}

/// The content types each media type accepts.
fn check_content_type(media_type: MediaType, content_type: &str) -> Result<(), ServiceError> {
    let allowed: &[&str] = match media_type {
        MediaType::Photo => &["image/jpeg", "image/png", "image/webp"],
        MediaType::Movie => &["video/mp4", "video/quicktime"],
    };
    if allowed.contains(&content_type) {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "content_type",
        format!(
            "{content_type:?} is not accepted for a {}; use one of {}",
            media_type.as_str(),
            allowed.join(", ")
        ),
    ))
}

impl Game {
    /// Puts `picture` through the upload pipeline as photo `photo_id` of `owner`, made by
    /// the server rather than uploaded (their Facebook profile picture): a profile-only
    /// photo (`enter_in_tournament` false, `set_as_profile_photo` true) in `category` at
    /// the owner's place, dated `created_at`, its original stored where an upload's would
    /// be, then recorded as received, which queues the usual processing job. Idempotent for
    /// one `photo_id`: the record is created if absent, and a photo already past
    /// `pending_upload` is left alone. Invalid for a content type or size an upload could
    /// not have; `no_location` when the owner has no place and the default is unknown.
    pub(crate) async fn import_profile_photo(
        &self,
        owner: UserId,
        photo_id: PhotoId,
        category: String,
        picture: ocean::identity::Picture,
        created_at: Timestamp,
    ) -> Result<(), ServiceError> {
        let owner_record = self.user_record(owner).await?.value;
        Category::parse(&category, &self.config.categories)?;
        check_content_type(MediaType::Photo, &picture.content_type)?;
        if picture.bytes.len() as u64 > self.config.max_upload_bytes {
            return Err(ServiceError::invalid(
                "content",
                format!(
                    "{} bytes is more than the {} an upload may have",
                    picture.bytes.len(),
                    self.config.max_upload_bytes
                ),
            ));
        }
        let place = self.place_of(&owner_record).await?;
        let record = PhotoRecord {
            id: photo_id.to_string(),
            owner: owner.to_string(),
            category,
            place,
            media_type: MediaType::Photo.as_str().to_owned(),
            content_type: picture.content_type.clone(),
            state: PhotoState::PendingUpload,
            rejection_reason: None,
            rating: StoredRating::from_photo_rating(&PhotoRating::new_photo(&self.config.rating)),
            wins: 0,
            losses: 0,
            enter_in_tournament: false,
            set_as_profile_photo: true,
            is_test: false,
            created_at: created_at.millis(),
            content_hash: None,
            applied_period: None,
            before_period: None,
            tags: Vec::new(),
            hidden: false,
            owner_banned: false,
        };
        if let Some(stored) = self.photo_record(&record.id).await?
            && stored.value.state != PhotoState::PendingUpload
        {
            return Ok(());
        }
        let key = original_key(&record.id)?;
        self.ports
            .media
            .put(&key, picture.bytes, &picture.content_type)
            .await?;
        match self
            .ports
            .records
            .write(store::put_item(record.to_item(1)?, 0))
            .await
        {
            Ok(()) => {}
            // An earlier attempt created it: the state check below is upload_received's.
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
            Err(error) => return Err(error.into()),
        }
        self.upload_received(&key).await
    }
}

/// The objects an S3 event notification says were created (`ObjectCreated:*` records; the
/// test event S3 sends when notifications are set up names none). Keys arrive URL-encoded;
/// a key that is not an object key of ours (a space, say) is left out.
pub(crate) fn created_objects(body: &[u8]) -> Result<Vec<ObjectKey>, ServiceError> {
    #[derive(Deserialize)]
    struct Event {
        #[serde(rename = "Records", default)]
        records: Vec<EventRecord>,
        #[serde(rename = "Event")]
        test_event: Option<String>,
    }
    #[derive(Deserialize)]
    struct EventRecord {
        #[serde(rename = "eventName")]
        event_name: String,
        s3: EventS3,
    }
    #[derive(Deserialize)]
    struct EventS3 {
        object: EventObject,
    }
    #[derive(Deserialize)]
    struct EventObject {
        key: String,
    }
    let invalid = |message: String| ServiceError::invalid("event", message);
    let event: Event = serde_json::from_slice(body)
        .map_err(|error| invalid(format!("not an S3 event notification: {error}")))?;
    if event.records.is_empty() && event.test_event.is_none() {
        return Err(invalid(
            "an S3 event notification without records".to_owned(),
        ));
    }
    let mut keys = Vec::with_capacity(event.records.len());
    for record in &event.records {
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let key = url_decode(&record.s3.object.key)
            .ok_or_else(|| invalid(format!("bad key encoding {:?}", record.s3.object.key)))?;
        if let Ok(key) = ObjectKey::parse(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Decodes S3's form-style URL encoding of event keys (`+` is a space, `%XX` a byte).
fn url_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = char::from(rest.next()?).to_digit(16)?;
                let low = char::from(rest.next()?).to_digit(16)?;
                bytes.push(u8::try_from(high * 16 + low).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod storage_event_tests {
    use super::created_objects;

    #[test]
    fn created_objects_are_read_and_decoded_and_other_events_ignored() {
        let body = br#"{"Records":[
            {"eventName":"ObjectCreated:Post","s3":{"object":{"key":"photos/ab%2Fc-d/original","size":3}}},
            {"eventName":"ObjectCreated:Put","s3":{"object":{"key":"not+ours/x","size":3}}},
            {"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"photos/x/original"}}}
        ]}"#;
        let keys = created_objects(body).unwrap();
        let keys: Vec<&str> = keys.iter().map(|key| key.as_str()).collect();
        assert_eq!(keys, ["photos/ab/c-d/original"]);
    }

    #[test]
    fn the_test_event_names_nothing_and_garbage_is_invalid() {
        let test_event = br#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#;
        assert!(created_objects(test_event).unwrap().is_empty());
        assert!(created_objects(b"{}").is_err());
        assert!(created_objects(b"not json").is_err());
        let bad_escape =
            br#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"a%zz"}}}]}"#;
        assert!(created_objects(bad_escape).is_err());
    }
}
