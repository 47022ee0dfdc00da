//! What a photo view shows beyond its own record: its comment count and its owner's user
//! name, read for a whole page of views in one batch.

use std::collections::HashMap;

use serde::Deserialize;

use super::comments::{CommentCount, count_key};
use super::photos::{PhotoRecord, PhotoView};
use super::read_cache::Pool;
use super::store::{self, user_key};
use super::{Game, ServiceError};
use crate::ids::{PhotoId, UserId};
use crate::time::Timestamp;

/// The one field of a user record a photo view needs.
#[derive(Deserialize)]
struct OwnerName {
    user_name: Option<String>,
}

/// Comment counts and owner names of a set of photos, as read at one instant.
#[derive(Debug, Default)]
pub(crate) struct PhotoDetails {
    comment_counts: HashMap<PhotoId, u64>,
    owner_names: HashMap<UserId, String>,
}

impl PhotoDetails {
    /// Fills in `view`'s comment count and owner name (0 and none when not read).
    fn apply(&self, view: &mut PhotoView) {
        view.comment_count = self.comment_counts.get(&view.id).copied().unwrap_or(0);
        view.owner_name = self.owner_names.get(&view.owner).cloned();
    }
}

impl Game {
    /// Fills in `comment_count` and `owner_name` of `views` with one `get_many` of their
    /// comment counters and their (distinct) owners' records.
    pub(crate) async fn add_photo_details<'a>(
        &self,
        views: impl IntoIterator<Item = &'a mut PhotoView>,
    ) -> Result<(), ServiceError> {
        let views: Vec<&mut PhotoView> = views.into_iter().collect();
        if views.is_empty() {
            return Ok(());
        }
        let details = self
            .read_photo_details(views.iter().map(|view| (view.id, view.owner)))
            .await?;
        for view in views {
            details.apply(view);
        }
        Ok(())
    }

    /// [`Game::add_photo_details`] for views of `pool`'s photos: the details of the whole
    /// pool are read once and kept with it (so they are as fresh as the pool), by the
    /// first request that needs them; requests meanwhile read their own views' details.
    pub(crate) async fn add_pool_photo_details<'a>(
        &self,
        pool: &Pool,
        views: impl IntoIterator<Item = &'a mut PhotoView>,
    ) -> Result<(), ServiceError> {
        let details = if let Some(details) = pool.details() {
            details
        } else if let Some(claim) = pool.claim_details() {
            let mut photos = Vec::with_capacity(pool.len());
            for (photo_id, record) in pool.iter() {
                photos.push((*photo_id, UserId::parse(&record.owner)?));
            }
            claim.keep(self.read_photo_details(photos).await?)
        } else {
            return self.add_photo_details(views).await;
        };
        for view in views {
            details.apply(view);
        }
        Ok(())
    }

    /// The details of `photos` (photo, owner), in one `get_many` of their comment counters
    /// and their distinct owners' records.
    async fn read_photo_details(
        &self,
        photos: impl IntoIterator<Item = (PhotoId, UserId)>,
    ) -> Result<PhotoDetails, ServiceError> {
        let (mut photos, mut owners): (Vec<PhotoId>, Vec<UserId>) = photos.into_iter().unzip();
        photos.sort_unstable();
        photos.dedup();
        owners.sort_unstable();
        owners.dedup();
        let keys: Vec<_> = photos
            .iter()
            .map(|photo| count_key(&photo.to_string()))
            .chain(owners.iter().map(|owner| user_key(&owner.to_string())))
            .collect();
        let items = self.ports.records.get_many(&keys).await?;
        let (counts, users) = items.split_at(photos.len());
        let mut details = PhotoDetails {
            comment_counts: HashMap::with_capacity(photos.len()),
            owner_names: HashMap::with_capacity(owners.len()),
        };
        for (photo, item) in photos.iter().zip(counts) {
            if let Some(item) = item {
                let stored: CommentCount = store::decode(item)?;
                details.comment_counts.insert(*photo, stored.count);
            }
        }
        for (owner, item) in owners.iter().zip(users) {
            if let Some(item) = item {
                let stored: OwnerName = store::decode(item)?;
                if let Some(name) = stored.user_name {
                    details.owner_names.insert(*owner, name);
                }
            }
        }
        Ok(details)
    }

    /// One record's view with its details (see [`Game::add_photo_details`]).
    pub(crate) async fn detailed_photo_view(
        &self,
        record: &PhotoRecord,
        now: Timestamp,
    ) -> Result<PhotoView, ServiceError> {
        let mut view = self.photo_view(record, now)?;
        self.add_photo_details([&mut view]).await?;
        Ok(view)
    }
}
