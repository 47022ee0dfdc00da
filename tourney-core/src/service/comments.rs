//! Comments on photos: 1 to 300 characters by users whose registration is complete,
//! listed oldest first with paging. A comment, its lookup by id and the photo's comment
//! count are one commit, so the count never drifts from the list. Comments hidden by a
//! moderator are left out of the list and the count (`service/moderation.rs`).

use ocean::records::{Key, Order, Query, SortRange};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ids::{CommentId, PhotoId, UserId};
use crate::names::CommentText;
use crate::service::activity::ActivityKind;
use crate::service::photos::PhotoState;
use crate::service::store::{self, Versioned};
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// Attempts at adding a comment while others comment on the same photo.
const MAX_COMMENT_ATTEMPTS: usize = 8;

/// A comment as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    /// The comment.
    pub id: CommentId,
    /// The photo it is on.
    pub photo_id: PhotoId,
    /// Its author.
    pub user_id: UserId,
    /// The author's name (authors have one: commenting needs a complete registration).
    pub user_name: Option<String>,
    /// The text.
    pub text: String,
    /// When it was written.
    pub created_at: Timestamp,
}

/// A comment as stored, in its photo's partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommentRecord {
    pub(crate) id: String,
    pub(crate) photo_id: String,
    pub(crate) user_id: String,
    pub(crate) text: String,
    pub(crate) created_at: i64,
    /// Hidden by a moderator: left out of the list and the photo's count.
    #[serde(default)]
    pub(crate) hidden: bool,
}

/// Where a comment lives, by its id (flags and moderation find it this way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommentLookup {
    pub(crate) photo_id: String,
    pub(crate) sort: String,
}

/// A photo's number of comments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommentCount {
    pub(crate) count: u64,
}

/// The sort-key prefix of comments in a photo's partition.
const COMMENT_PREFIX: &str = "c#";

fn comment_key(photo_id: &str, created_at: i64, comment_id: &str) -> Key {
    Key::new(
        format!("p#{photo_id}"),
        format!(
            "{COMMENT_PREFIX}{}#{comment_id}",
            store::time_key(created_at)
        ),
    )
}

fn lookup_key(comment_id: &str) -> Key {
    Key::new(format!("c#{comment_id}"), "comment")
}

pub(crate) fn count_key(photo_id: &str) -> Key {
    Key::new(format!("p#{photo_id}"), "comments")
}

impl Game {
    /// Adds a comment to a ready photo. The author's registration must be `ok`
    /// ([`ServiceError::Forbidden`] naming their status otherwise); the text is 1 to 300
    /// characters ([`ServiceError::Invalid`] naming `text`).
    pub async fn add_comment(
        &self,
        author: UserId,
        photo_id: PhotoId,
        text: &str,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<CommentView, ServiceError> {
        let text = CommentText::parse(text)?;
        let author_view = self.user(author).await?;
        if !author_view.registration.is_ok() {
            return Err(ServiceError::Forbidden {
                message: format!(
                    "commenting needs a complete registration; yours is `{}`",
                    author_view.registration.as_str()
                ),
            });
        }
        self.ready_photo(photo_id).await?;
        let comment_id = CommentId::generate(now, rng);
        let record = CommentRecord {
            id: comment_id.to_string(),
            photo_id: photo_id.to_string(),
            user_id: author.to_string(),
            text: text.as_str().to_owned(),
            created_at: now.millis(),
            hidden: false,
        };
        let key = comment_key(&record.photo_id, record.created_at, &record.id);
        let lookup = CommentLookup {
            photo_id: record.photo_id.clone(),
            sort: key.sort.clone(),
        };
        for _ in 0..MAX_COMMENT_ATTEMPTS {
            let count: Option<Versioned<CommentCount>> =
                store::get(self.ports.records.as_ref(), &count_key(&record.photo_id)).await?;
            let (count, version) =
                count.map_or((CommentCount::default(), 0), |c| (c.value, c.version));
            let writes = vec![
                store::put(key.clone(), &record, 0)?,
                store::put(lookup_key(&record.id), &lookup, 0)?,
                store::put(
                    count_key(&record.photo_id),
                    &CommentCount {
                        count: count.count + 1,
                    },
                    version,
                )?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    // The comment is stored: failing now would make the client post it
                    // again, so a lost activity is logged instead.
                    if let Err(error) = self
                        .tell_owner_of_comment(photo_id, author, comment_id, now)
                        .await
                    {
                        tracing::warn!(%photo_id, %error, "new_comment activity not recorded");
                    }
                    return comment_view(&record, author_view.user_name);
                }
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: format!("photo {photo_id} is being commented on busily; try again"),
        })
    }

    /// A ready photo's comments, oldest first, one page, with the next page's cursor.
    /// Hidden comments are left out (a page may then be short while the cursor is set).
    pub async fn comments(
        &self,
        photo_id: PhotoId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<CommentView>, Option<String>), ServiceError> {
        self.ready_photo(photo_id).await?;
        let query = Query {
            range: SortRange::Prefix(COMMENT_PREFIX.to_owned()),
            order: Order::Ascending,
            cursor: cursor.map(ocean::records::Cursor),
            ..Query::partition(format!("p#{photo_id}"), limit)
        };
        let page = self.ports.records.query(&query).await?;
        let mut records: Vec<CommentRecord> = page
            .items
            .iter()
            .map(store::decode)
            .collect::<Result<_, _>>()?;
        records.retain(|record| !record.hidden);
        let author_keys: Vec<Key> = records
            .iter()
            .map(|record| store::user_key(&record.user_id))
            .collect();
        let authors = self.ports.records.get_many(&author_keys).await?;
        let mut views = Vec::with_capacity(records.len());
        for (record, author) in records.iter().zip(authors) {
            let name = match author {
                Some(item) => store::decode::<crate::service::users::UserRecord>(&item)?.user_name,
                None => None,
            };
            views.push(comment_view(record, name)?);
        }
        Ok((views, page.next.map(|cursor| cursor.0)))
    }

    /// Tells the photo's owner about a comment (not their own).
    async fn tell_owner_of_comment(
        &self,
        photo_id: PhotoId,
        author: UserId,
        comment_id: CommentId,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let Some(photo) = self.photo_record(&photo_id.to_string()).await? else {
            return Ok(());
        };
        let owner = UserId::parse(&photo.value.owner)?;
        if owner == author {
            return Ok(());
        }
        self.tell(
            owner,
            ActivityKind::NewComment,
            Some(author),
            Some(photo_id),
            Some(comment_id),
            &format!("new_comment#{comment_id}"),
            now,
        )
        .await
    }

    /// How many comments a photo has.
    pub async fn comment_count(&self, photo_id: PhotoId) -> Result<u64, ServiceError> {
        let count: Option<Versioned<CommentCount>> = store::get(
            self.ports.records.as_ref(),
            &count_key(&photo_id.to_string()),
        )
        .await?;
        Ok(count.map_or(0, |c| c.value.count))
    }

    /// Refuses a photo that does not exist, is not ready or is hidden by a moderator (not
    /// found, as for anyone but its owner).
    async fn ready_photo(&self, photo_id: PhotoId) -> Result<(), ServiceError> {
        let stored = self.photo_record(&photo_id.to_string()).await?;
        match stored {
            Some(stored) if stored.value.state == PhotoState::Ready && !stored.value.hidden => {
                Ok(())
            }
            _ => Err(ServiceError::not_found(format!("photo {photo_id}"))),
        }
    }

    /// A comment by its id: where it is stored and its record at the version read; `None`
    /// when there is no such comment.
    pub(crate) async fn comment_by_id(
        &self,
        comment_id: CommentId,
    ) -> Result<Option<(Key, Versioned<CommentRecord>)>, ServiceError> {
        let lookup: Option<Versioned<CommentLookup>> = store::get(
            self.ports.records.as_ref(),
            &lookup_key(&comment_id.to_string()),
        )
        .await?;
        let Some(lookup) = lookup else {
            return Ok(None);
        };
        let key = Key::new(format!("p#{}", lookup.value.photo_id), lookup.value.sort);
        let stored: Option<Versioned<CommentRecord>> =
            store::get(self.ports.records.as_ref(), &key).await?;
        Ok(stored.map(|stored| (key, stored)))
    }
}

pub(crate) fn comment_view(
    record: &CommentRecord,
    user_name: Option<String>,
) -> Result<CommentView, ServiceError> {
    Ok(CommentView {
        id: CommentId::parse(&record.id)?,
        photo_id: PhotoId::parse(&record.photo_id)?,
        user_id: UserId::parse(&record.user_id)?,
        user_name,
        text: record.text.clone(),
        created_at: Timestamp::from_millis(record.created_at),
    })
}
