//! Activities, notification history, notification settings and push.
//!
//! Something that concerns a user (a new follower, a comment on their photo, a new photo by
//! someone they follow, a tournament won) becomes one activity in their list, exactly
//! once: the activity, a marker named by what it is about, and (when their settings allow
//! that kind) the notification-history entry are one create-if-absent commit, so a retried
//! call records nothing twice. The push through the notifications port follows the commit
//! and is best effort (at most once): the history is the record; a failed push is logged.

use std::collections::BTreeMap;

use ocean::notifications::{Device, Endpoint, Push};
use ocean::records::{Item, Key, Order, Query, SortRange, Write};
use serde::{Deserialize, Serialize};

use crate::ids::{CommentId, PhotoId, UserId};
use crate::service::store::{self, Versioned};
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// Most unread entries the badge counts.
pub const MAX_BADGE: u32 = 99;

/// What an activity is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A Facebook friend of yours linked their account here (the actor). No notification
    /// setting is about it, so it is never pushed nor in the notification history: it is
    /// an activity only.
    Joined,
    /// Someone you follow posted a photo.
    NewPhoto,
    /// Someone commented on your photo.
    NewComment,
    /// Someone followed you.
    NewFollower,
    /// A photo of someone you follow won a tournament.
    WonTournament,
    /// Your photo won a tournament.
    YouWonTournament,
}

impl ActivityKind {
    /// The snake_case name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Joined => "joined",
            ActivityKind::NewPhoto => "new_photo",
            ActivityKind::NewComment => "new_comment",
            ActivityKind::NewFollower => "new_follower",
            ActivityKind::WonTournament => "won_tournament",
            ActivityKind::YouWonTournament => "you_won_tournament",
        }
    }

    /// The push text.
    fn message(self) -> &'static str {
        match self {
            ActivityKind::Joined => "A friend of yours joined",
            ActivityKind::NewPhoto => "Someone you follow posted a new photo",
            ActivityKind::NewComment => "New comment on your photo",
            ActivityKind::NewFollower => "You have a new follower",
            ActivityKind::WonTournament => "A photo by someone you follow won a tournament",
            ActivityKind::YouWonTournament => "Your photo won a tournament!",
        }
    }
}

/// An activity or notification-history entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityView {
    /// Its id (32 hex, derived from what it is about).
    pub id: String,
    /// What it is about.
    pub kind: ActivityKind,
    /// Whether it had been read before this request.
    pub read: bool,
    /// When it happened.
    pub created_at: Timestamp,
    /// Who did it, when someone did.
    pub actor: Option<UserId>,
    /// The photo it is about.
    pub photo: Option<PhotoId>,
    /// The comment it is about.
    pub comment: Option<CommentId>,
}

/// Which activities are pushed: each `true` unless the user turned it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Someone you follow posted a photo.
    pub new_photo: bool,
    /// A comment on your photo.
    pub new_comment: bool,
    /// A new follower.
    pub new_follower: bool,
    /// A photo by someone you follow won a tournament.
    pub won_tournament: bool,
    /// Your photo won a tournament.
    pub you_won_tournament: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            new_photo: true,
            new_comment: true,
            new_follower: true,
            won_tournament: true,
            you_won_tournament: true,
        }
    }
}

impl NotificationSettings {
    fn allows(&self, kind: ActivityKind) -> bool {
        match kind {
            ActivityKind::Joined => false,
            ActivityKind::NewPhoto => self.new_photo,
            ActivityKind::NewComment => self.new_comment,
            ActivityKind::NewFollower => self.new_follower,
            ActivityKind::WonTournament => self.won_tournament,
            ActivityKind::YouWonTournament => self.you_won_tournament,
        }
    }
}

/// A settings change: only what is `Some` changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationSettingsPatch {
    /// New value of `new_photo`.
    pub new_photo: Option<bool>,
    /// New value of `new_comment`.
    pub new_comment: Option<bool>,
    /// New value of `new_follower`.
    pub new_follower: Option<bool>,
    /// New value of `won_tournament`.
    pub won_tournament: Option<bool>,
    /// New value of `you_won_tournament`.
    pub you_won_tournament: Option<bool>,
}

/// An activity as stored (in the activity list and, when pushed, the history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ActivityRecord {
    id: String,
    kind: ActivityKind,
    read: bool,
    created_at: i64,
    actor: Option<String>,
    photo: Option<String>,
    comment: Option<String>,
}

/// A user's registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct DeviceRecord {
    platform: ocean::notifications::Platform,
    token: String,
    endpoint: String,
}

fn activity_partition(user: &str) -> String {
    format!("a#{user}")
}

fn history_partition(user: &str) -> String {
    format!("nh#{user}")
}

fn entry_sort(created_at: i64, id: &str) -> String {
    format!("{}#{id}", store::time_key(created_at))
}

fn marker_key(user: &str, id: &str) -> Key {
    Key::new(format!("a#{user}"), format!("~done#{id}"))
}

fn settings_key(user: &str) -> Key {
    Key::new(format!("u#{user}"), "notify")
}

fn device_key(user: &str) -> Key {
    Key::new(format!("u#{user}"), "device")
}

impl Game {
    /// Records an activity for `recipient` once per `about` (what makes it unique, e.g.
    /// `new_comment#<comment>`), with a history entry and a push when their settings allow
    /// `kind`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn tell(
        &self,
        recipient: UserId,
        kind: ActivityKind,
        actor: Option<UserId>,
        photo: Option<PhotoId>,
        comment: Option<CommentId>,
        about: &str,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let user = recipient.to_string();
        let id = store::vote_id(&format!("{user}#{about}"));
        let record = ActivityRecord {
            id: id.clone(),
            kind,
            read: false,
            created_at: now.millis(),
            actor: actor.map(|a| a.to_string()),
            photo: photo.map(|p| p.to_string()),
            comment: comment.map(|c| c.to_string()),
        };
        let settings = self.notification_settings(recipient).await?;
        let sort = entry_sort(record.created_at, &id);
        let mut writes = vec![
            store::put(marker_key(&user, &id), &sort, 0)?,
            store::put(
                Key::new(activity_partition(&user), sort.clone()),
                &record,
                0,
            )?,
        ];
        let pushed = settings.allows(kind);
        if pushed {
            writes.push(store::put(
                Key::new(history_partition(&user), sort),
                &record,
                0,
            )?);
        }
        // A conflict means the marker exists (told before) or, on a backend whose
        // transactions can lose to a concurrent one (DynamoDB), that nothing was written:
        // the marker says which, and a lost race is tried again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.ports.records.commit(writes.clone()).await {
                Ok(()) => break,
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                    if self
                        .ports
                        .records
                        .get(&marker_key(&user, &id))
                        .await?
                        .is_some()
                    {
                        return Ok(());
                    }
                    if attempts >= 3 {
                        return Err(error.into());
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        if pushed {
            let mut data = BTreeMap::new();
            data.insert("kind".to_owned(), kind.as_str().to_owned());
            data.insert("activity_id".to_owned(), id);
            if let Some(photo) = &record.photo {
                data.insert("photo_id".to_owned(), photo.clone());
            }
            let push = Push {
                message: kind.message().to_owned(),
                badge: None,
                data,
            };
            if let Err(error) = self.push_to(recipient, push).await {
                tracing::warn!(
                    user = %recipient,
                    kind = kind.as_str(),
                    %error,
                    "push failed; the notification stays in the user's history"
                );
            }
        }
        Ok(())
    }

    /// Sends `push` (with the unread count as badge) to the user's device, if one is
    /// registered. An endpoint the push service disabled is forgotten. Returns whether a
    /// push went out.
    async fn push_to(&self, user: UserId, mut push: Push) -> Result<bool, ServiceError> {
        let device: Option<Versioned<DeviceRecord>> =
            store::get(self.ports.records.as_ref(), &device_key(&user.to_string())).await?;
        let Some(device) = device else {
            return Ok(false);
        };
        push.badge = Some(self.unread_count(user).await?);
        let endpoint = Endpoint(device.value.endpoint.clone());
        match self.ports.notifications.send(&endpoint, &push).await {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ocean::ErrorKind::NotFound => {
                self.ports
                    .records
                    .write(Write::Delete {
                        key: device_key(&user.to_string()),
                        condition: ocean::records::Condition::VersionIs(device.version),
                    })
                    .await?;
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Unread notification-history entries, at most [`MAX_BADGE`].
    pub async fn unread_count(&self, user: UserId) -> Result<u32, ServiceError> {
        let query = Query {
            order: Order::Descending,
            ..Query::partition(history_partition(&user.to_string()), 200)
        };
        let page = self.ports.records.query(&query).await?;
        let mut unread = 0;
        for item in &page.items {
            let record: ActivityRecord = store::decode(item)?;
            if !record.read {
                unread += 1;
            }
        }
        Ok(unread.min(MAX_BADGE))
    }

    /// The user's activities, newest first, one page: shown as they were, then marked read.
    pub async fn activity(
        &self,
        user: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<ActivityView>, Option<String>), ServiceError> {
        self.user_record(user).await?;
        self.read_entries(activity_partition(&user.to_string()), limit, cursor)
            .await
    }

    /// The notifications the user was sent (the activities their settings allowed), newest
    /// first, one page: shown as they were, then marked read (the badge counts the unread).
    pub async fn notification_history(
        &self,
        user: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<ActivityView>, Option<String>), ServiceError> {
        self.user_record(user).await?;
        self.read_entries(history_partition(&user.to_string()), limit, cursor)
            .await
    }

    async fn read_entries(
        &self,
        partition: String,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<ActivityView>, Option<String>), ServiceError> {
        let query = Query {
            order: Order::Descending,
            // Entries sort by time; the dedup markers (`~done#`) sort after every time.
            range: SortRange::Between {
                start: "0".to_owned(),
                end: "9~".to_owned(),
            },
            cursor: cursor.map(ocean::records::Cursor),
            ..Query::partition(partition, limit)
        };
        let page = self.ports.records.query(&query).await?;
        let mut views = Vec::with_capacity(page.items.len());
        let mut mark_read = Vec::new();
        for item in &page.items {
            let mut record: ActivityRecord = store::decode(item)?;
            views.push(ActivityView {
                id: record.id.clone(),
                kind: record.kind,
                read: record.read,
                created_at: Timestamp::from_millis(record.created_at),
                actor: record.actor.as_deref().map(UserId::parse).transpose()?,
                photo: record.photo.as_deref().map(PhotoId::parse).transpose()?,
                comment: record
                    .comment
                    .as_deref()
                    .map(CommentId::parse)
                    .transpose()?,
            });
            if !record.read {
                record.read = true;
                mark_read.push(Write::put(Item::new(
                    item.key.clone(),
                    item.version + 1,
                    store::encode(&record)?,
                )));
            }
        }
        if !mark_read.is_empty() {
            self.ports.records.write_batch(mark_read).await?;
        }
        Ok((views, page.next.map(|cursor| cursor.0)))
    }

    /// The user's notification settings (every kind on until turned off).
    pub async fn notification_settings(
        &self,
        user: UserId,
    ) -> Result<NotificationSettings, ServiceError> {
        let stored: Option<Versioned<NotificationSettings>> = store::get(
            self.ports.records.as_ref(),
            &settings_key(&user.to_string()),
        )
        .await?;
        Ok(stored.map(|s| s.value).unwrap_or_default())
    }

    /// Changes only the settings `patch` names; returns them all.
    pub async fn update_notification_settings(
        &self,
        user: UserId,
        patch: NotificationSettingsPatch,
    ) -> Result<NotificationSettings, ServiceError> {
        self.user_record(user).await?;
        for _ in 0..5 {
            let key = settings_key(&user.to_string());
            let stored: Option<Versioned<NotificationSettings>> =
                store::get(self.ports.records.as_ref(), &key).await?;
            let (mut settings, version) = stored
                .map_or((NotificationSettings::default(), 0), |s| {
                    (s.value, s.version)
                });
            let fields = [
                (&mut settings.new_photo, patch.new_photo),
                (&mut settings.new_comment, patch.new_comment),
                (&mut settings.new_follower, patch.new_follower),
                (&mut settings.won_tournament, patch.won_tournament),
                (&mut settings.you_won_tournament, patch.you_won_tournament),
            ];
            for (field, value) in fields {
                if let Some(value) = value {
                    *field = value;
                }
            }
            match self
                .ports
                .records
                .write(store::put(key, &settings, version)?)
                .await
            {
                Ok(()) => return Ok(settings),
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: "the notification settings kept changing; try again".to_owned(),
        })
    }

    /// Registers the user's device for push (replacing an earlier one).
    pub async fn register_device(&self, user: UserId, device: Device) -> Result<(), ServiceError> {
        self.user_record(user).await?;
        let endpoint = self.ports.notifications.register(&device).await?;
        let record = DeviceRecord {
            platform: device.platform,
            token: device.token,
            endpoint: endpoint.0,
        };
        self.ports
            .records
            .write(Write::put(Item::new(
                device_key(&user.to_string()),
                1,
                store::encode(&record)?,
            )))
            .await?;
        Ok(())
    }

    /// Sends a test push to the user's own device. [`ServiceError::Conflict`]
    /// (`no_device`) when none is registered.
    pub async fn test_push(&self, user: UserId) -> Result<(), ServiceError> {
        self.user_record(user).await?;
        let mut data = BTreeMap::new();
        data.insert("kind".to_owned(), "test".to_owned());
        let push = Push {
            message: "Test notification from LocalPicTourney".to_owned(),
            badge: None,
            data,
        };
        if self.push_to(user, push).await? {
            Ok(())
        } else {
            Err(ServiceError::Conflict {
                code: "no_device",
                message: "no device is registered for push: send PATCH /v1/users/me with \
                          apn_device_id first"
                    .to_owned(),
            })
        }
    }
}
