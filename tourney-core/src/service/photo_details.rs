//! What a photo view shows beyond its own record: its comment count and its owner's user
//! name, read for a whole page of views in one batch.

use std::collections::HashMap;

use serde::Deserialize;

use super::comments::{CommentCount, count_key};
use super::photos::{PhotoRecord, PhotoView};
use super::store::{self, user_key};
use super::{Game, ServiceError};
use crate::time::Timestamp;

/// The one field of a user record a photo view needs.
#[derive(Deserialize)]
struct OwnerName {
    user_name: Option<String>,
}

impl Game {
    /// Fills in `comment_count` and `owner_name` of `views` with one `get_many` of their
    /// comment counters and their (distinct) owners' records.
    pub(crate) async fn add_photo_details<'a>(
        &self,
        views: impl IntoIterator<Item = &'a mut PhotoView>,
    ) -> Result<(), ServiceError> {
        let mut views: Vec<&mut PhotoView> = views.into_iter().collect();
        if views.is_empty() {
            return Ok(());
        }
        let mut photos: Vec<String> = views.iter().map(|view| view.id.to_string()).collect();
        let mut owners: Vec<String> = views.iter().map(|view| view.owner.to_string()).collect();
        for ids in [&mut photos, &mut owners] {
            ids.sort_unstable();
            ids.dedup();
        }
        let keys: Vec<_> = photos
            .iter()
            .map(|photo| count_key(photo))
            .chain(owners.iter().map(|owner| user_key(owner)))
            .collect();
        let items = self.ports.records.get_many(&keys).await?;
        let (counts, users) = items.split_at(photos.len());
        let mut comment_counts = HashMap::with_capacity(photos.len());
        for (photo, item) in photos.iter().zip(counts) {
            if let Some(item) = item {
                let stored: CommentCount = store::decode(item)?;
                comment_counts.insert(photo.as_str(), stored.count);
            }
        }
        let mut names = HashMap::with_capacity(owners.len());
        for (owner, item) in owners.iter().zip(users) {
            if let Some(item) = item {
                let stored: OwnerName = store::decode(item)?;
                names.insert(owner.as_str(), stored.user_name);
            }
        }
        for view in &mut views {
            view.comment_count = comment_counts
                .get(view.id.to_string().as_str())
                .copied()
                .unwrap_or(0);
            view.owner_name = names
                .get(view.owner.to_string().as_str())
                .cloned()
                .flatten();
        }
        Ok(())
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
