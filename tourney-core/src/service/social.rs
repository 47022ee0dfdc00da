//! Follows and the feed: following is idempotent both ways and kept as two rows (mine and
//! theirs) written in one commit; the feed reads the followed users' newest photos at
//! request time and merges them, so a new follow shows at once and nothing is fanned out.

use std::collections::BTreeMap;

use ocean::records::{Condition, Item, Key, Order, Query, SortRange, Write};
use serde::{Deserialize, Serialize};

use crate::ids::{PhotoId, UserId};
use crate::service::activity::ActivityKind;
use crate::service::photos::{PhotoRecord, PhotoView};
use crate::service::store;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// Most followed users the feed reads.
pub const MAX_FEED_SOURCES: u32 = 1000;
/// Rows read per page while listing follows.
const FOLLOW_PAGE: u32 = 1000;

/// A user in a follow list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// The user.
    pub id: UserId,
    /// Their public name, if they have one.
    pub user_name: Option<String>,
}

/// One side of a follow, stored in the partition of the user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FollowRow {
    user_id: String,
    since: i64,
}

/// Sort-key prefixes in a user's partition: whom they follow, who follows them.
const FOLLOWING_PREFIX: &str = "f>#";
const FOLLOWER_PREFIX: &str = "f<#";

fn following_key(follower: &str, followee: &str) -> Key {
    Key::new(
        format!("u#{follower}"),
        format!("{FOLLOWING_PREFIX}{followee}"),
    )
}

fn follower_key(followee: &str, follower: &str) -> Key {
    Key::new(
        format!("u#{followee}"),
        format!("{FOLLOWER_PREFIX}{follower}"),
    )
}

impl Game {
    /// `follower` follows `followee`. Following needs a complete registration
    /// ([`ServiceError::Forbidden`] naming the status); following yourself is
    /// [`ServiceError::Invalid`] naming `user_id`; an unknown user is not found. Idempotent:
    /// following again changes nothing and tells the followee once.
    pub async fn follow(
        &self,
        follower: UserId,
        followee: UserId,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        if follower == followee {
            return Err(ServiceError::invalid(
                "user_id",
                "you cannot follow yourself",
            ));
        }
        let me = self.user(follower).await?;
        if !me.registration.is_ok() {
            return Err(ServiceError::Forbidden {
                message: format!(
                    "following needs a complete registration; yours is `{}`",
                    me.registration.as_str()
                ),
            });
        }
        self.user_record(followee).await?;
        let (follower_text, followee_text) = (follower.to_string(), followee.to_string());
        let row = |user_id: &str| FollowRow {
            user_id: user_id.to_owned(),
            since: now.millis(),
        };
        let writes = vec![
            store::put(
                following_key(&follower_text, &followee_text),
                &row(&followee_text),
                0,
            )?,
            store::put(
                follower_key(&followee_text, &follower_text),
                &row(&follower_text),
                0,
            )?,
        ];
        match self.ports.records.commit(writes).await {
            Ok(()) => {}
            // Already following (both rows exist) or a half-finished earlier call: make
            // sure both rows exist, unconditionally.
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                self.ports
                    .records
                    .write_batch(vec![
                        Write::put(Item::new(
                            following_key(&follower_text, &followee_text),
                            1,
                            store::encode(&row(&followee_text))?,
                        )),
                        Write::put(Item::new(
                            follower_key(&followee_text, &follower_text),
                            1,
                            store::encode(&row(&follower_text))?,
                        )),
                    ])
                    .await?;
            }
            Err(error) => return Err(error.into()),
        }
        // Deduplicated by (kind, follower): re-following never tells twice.
        self.tell(
            followee,
            ActivityKind::NewFollower,
            Some(follower),
            None,
            None,
            &format!("new_follower#{follower}"),
            now,
        )
        .await
    }

    /// `follower` stops following `followee`. Idempotent; an unknown user is not found.
    pub async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), ServiceError> {
        self.user_record(followee).await?;
        let (follower_text, followee_text) = (follower.to_string(), followee.to_string());
        self.ports
            .records
            .commit(vec![
                Write::Delete {
                    key: following_key(&follower_text, &followee_text),
                    condition: Condition::Always,
                },
                Write::Delete {
                    key: follower_key(&followee_text, &follower_text),
                    condition: Condition::Always,
                },
            ])
            .await?;
        Ok(())
    }

    /// Whether `follower` follows `followee`.
    pub async fn follows(&self, follower: UserId, followee: UserId) -> Result<bool, ServiceError> {
        let key = following_key(&follower.to_string(), &followee.to_string());
        Ok(self.ports.records.get(&key).await?.is_some())
    }

    /// Whom `user` follows, one page, oldest follow first by user id order.
    pub async fn following(
        &self,
        user: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<UserSummary>, Option<String>), ServiceError> {
        self.follow_page(user, FOLLOWING_PREFIX, limit, cursor)
            .await
    }

    /// Who follows `user`, one page.
    pub async fn followers(
        &self,
        user: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<UserSummary>, Option<String>), ServiceError> {
        self.follow_page(user, FOLLOWER_PREFIX, limit, cursor).await
    }

    /// Every follower of `user` (for telling them about a new photo).
    pub(crate) async fn all_followers(&self, user: UserId) -> Result<Vec<UserId>, ServiceError> {
        let mut query = Query {
            range: SortRange::Prefix(FOLLOWER_PREFIX.to_owned()),
            ..Query::partition(format!("u#{user}"), FOLLOW_PAGE)
        };
        let mut followers = Vec::new();
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let row: FollowRow = store::decode(item)?;
                followers.push(UserId::parse(&row.user_id)?);
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(followers),
            }
        }
    }

    async fn follow_page(
        &self,
        user: UserId,
        prefix: &str,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<UserSummary>, Option<String>), ServiceError> {
        self.user_record(user).await?;
        let query = Query {
            range: SortRange::Prefix(prefix.to_owned()),
            cursor: cursor.map(ocean::records::Cursor),
            ..Query::partition(format!("u#{user}"), limit)
        };
        let page = self.ports.records.query(&query).await?;
        let rows: Vec<FollowRow> = page
            .items
            .iter()
            .map(store::decode)
            .collect::<Result<_, _>>()?;
        let keys: Vec<Key> = rows
            .iter()
            .map(|row| store::user_key(&row.user_id))
            .collect();
        let users = self.ports.records.get_many(&keys).await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for (row, user) in rows.iter().zip(users) {
            let user_name = match user {
                Some(item) => {
                    let record: crate::service::users::UserRecord = store::decode(&item)?;
                    if record.deleted {
                        continue;
                    }
                    record.user_name
                }
                None => continue,
            };
            summaries.push(UserSummary {
                id: UserId::parse(&row.user_id)?,
                user_name,
            });
        }
        Ok((summaries, page.next.map(|cursor| cursor.0)))
    }

    /// The newest ready photos of the users `user` follows, newest first, one page of
    /// `limit`; the cursor is the last photo's id.
    pub async fn feed(
        &self,
        user: UserId,
        limit: u32,
        cursor: Option<String>,
        now: Timestamp,
    ) -> Result<(Vec<PhotoView>, Option<String>), ServiceError> {
        let before = match cursor.as_deref() {
            Some(text) => Some(PhotoId::parse(text).map_err(|_| {
                ServiceError::invalid("cursor", format!("{text:?} is not a feed cursor"))
            })?),
            None => None,
        };
        let (followed, _) = self.following(user, MAX_FEED_SOURCES, None).await?;
        // Newest first across every followed user: each one's newest `limit` photos before
        // the cursor, merged by (posted time, id) descending.
        let mut merged: BTreeMap<(i64, String), PhotoRecord> = BTreeMap::new();
        for followee in &followed {
            let range = match before {
                Some(before) => SortRange::Between {
                    start: String::new(),
                    end: store::posted_key(before.created_at().millis(), &before.to_string()),
                },
                None => SortRange::All,
            };
            let mut query = Query {
                index: Some(store::BY_OWNER),
                range,
                order: Order::Descending,
                ..Query::partition(store::owner_partition(&followee.id.to_string()), limit)
            };
            let mut kept = 0;
            'pages: loop {
                let page = self.ports.records.query(&query).await?;
                for item in &page.items {
                    let record: PhotoRecord = store::decode(item)?;
                    if Some(record.id.as_str()) == before.map(|b| b.to_string()).as_deref() {
                        continue;
                    }
                    if record.competes() {
                        merged.insert((record.created_at, record.id.clone()), record);
                        kept += 1;
                        if kept >= limit {
                            break 'pages;
                        }
                    }
                }
                match page.next {
                    Some(next) => query.cursor = Some(next),
                    None => break,
                }
            }
        }
        let mut views = Vec::with_capacity(limit as usize);
        for record in merged.values().rev().take(limit as usize) {
            views.push(self.photo_view(record, now)?);
        }
        self.add_photo_details(&mut views).await?;
        // A full page may be followed by more; the last page is the first short one.
        let next = (views.len() == limit as usize)
            .then(|| views.last().map(|view| view.id.to_string()))
            .flatten();
        Ok((views, next))
    }
}
