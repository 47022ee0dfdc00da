//! Moderation: flags on users, photos and comments (one per flagger per object), the
//! moderation queue ordered by open-flag count, and the admins' actions (hide or restore a
//! photo or a comment, ban or unban a user, resolve a flag), each written to the object's
//! history with the admin's id and time in the same commit as the action (the actions are in
//! `moderation/actions.rs`).
//!
//! Effects live in the records the rest of the game already reads: a hidden photo or a
//! banned owner's photo stops `PhotoRecord::competes` (so it leaves every pool, board, tag
//! pool and match at once, its pool index keys dropped), a hidden photo is seen by its owner
//! only, a hidden comment leaves its photo's list and count, and a banned user's token is
//! refused by [`Game::authenticate`]. Hidden photos stay as records with their ratings:
//! votes already cast on them keep scoring, and `rescore` replays them like any other, so
//! hiding and restoring never changes anyone's rating.

use ocean::records::{Item, Key, Order, Query, SortRange};
use serde::{Deserialize, Serialize};

use crate::ids::{CommentId, PhotoId, UserId};
use crate::service::comments::comment_view;
use crate::service::store::{self, Versioned};
use crate::service::users::{Role, UserRecord};
use crate::service::{CommentView, Game, PhotoView, ServiceError, UserView};
use crate::time::Timestamp;

mod actions;

/// The longest flag reason, in characters.
pub const MAX_REASON_CHARS: usize = 255;
/// Attempts at an action while others change the same records.
const MAX_ACTION_ATTEMPTS: usize = 8;
/// Items read per page of an object's flags and history.
const READ_PAGE: u32 = 1000;
/// Photos of a user shown on the user's moderation page.
const USER_PAGE_PHOTOS: u32 = 50;
/// The moderation queue's partition in [`store::MODERATION_QUEUE`].
const QUEUE_PARTITION: &str = "modq";
/// Sort-key prefix of flags in an object's partition.
const FLAG_PREFIX: &str = "f#";
/// Sort-key prefix of history entries in an object's partition.
const HISTORY_PREFIX: &str = "h#";

/// What a flag is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagTarget {
    /// A user.
    User(UserId),
    /// A photo.
    Photo(PhotoId),
    /// A comment.
    Comment(CommentId),
}

impl FlagTarget {
    /// `user`, `photo` or `comment`.
    pub fn kind(self) -> &'static str {
        match self {
            FlagTarget::User(_) => "user",
            FlagTarget::Photo(_) => "photo",
            FlagTarget::Comment(_) => "comment",
        }
    }

    /// The flagged object's id (32 hex).
    pub fn object_id(self) -> String {
        match self {
            FlagTarget::User(id) => id.to_string(),
            FlagTarget::Photo(id) => id.to_string(),
            FlagTarget::Comment(id) => id.to_string(),
        }
    }

    /// The API's `kind_id`: kind and id, e.g. `photo:0190...`.
    pub fn kind_id(self) -> String {
        format!("{}:{}", self.kind(), self.object_id())
    }

    /// The target of `kind` (`user`, `photo` or `comment`) and `object_id`;
    /// [`ServiceError::Invalid`] naming `kind` or `object_id` otherwise.
    pub fn parse(kind: &str, object_id: &str) -> Result<Self, ServiceError> {
        let bad_id = |error: crate::Error| ServiceError::invalid("object_id", error.to_string());
        match kind {
            "user" => Ok(FlagTarget::User(UserId::parse(object_id).map_err(bad_id)?)),
            "photo" => Ok(FlagTarget::Photo(
                PhotoId::parse(object_id).map_err(bad_id)?,
            )),
            "comment" => Ok(FlagTarget::Comment(
                CommentId::parse(object_id).map_err(bad_id)?,
            )),
            other => Err(ServiceError::invalid(
                "kind",
                format!("{other:?}: use user, photo or comment"),
            )),
        }
    }

    /// The partition of the object's flags, flag counts and history.
    fn partition(self) -> String {
        format!("flag#{}#{}", self.kind(), self.object_id())
    }
}

/// A flag as the API and the admin area show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagView {
    /// What is flagged.
    pub target: FlagTarget,
    /// Who flagged it.
    pub flagger: UserId,
    /// Why, as written (trimmed, 1 to [`MAX_REASON_CHARS`] characters).
    pub reason: String,
    /// The flagger's client address as the host saw it.
    pub ip: String,
    /// When it was flagged.
    pub created_on: Timestamp,
    /// Which admin resolved it and when; `None` while it is open.
    pub resolved: Option<(UserId, Timestamp)>,
}

/// One object in the moderation queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    /// What is flagged.
    pub target: FlagTarget,
    /// Flags not resolved yet (the queue's order, highest first).
    pub open_flags: u32,
    /// Flags ever made on it.
    pub total_flags: u32,
    /// When it was last flagged.
    pub last_flagged: Timestamp,
}

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Hid a photo.
    HidePhoto,
    /// Restored a hidden photo.
    RestorePhoto,
    /// Hid a comment.
    HideComment,
    /// Restored a hidden comment.
    RestoreComment,
    /// Banned a user.
    BanUser,
    /// Lifted a user's ban.
    UnbanUser,
    /// Resolved one flag.
    ResolveFlag,
}

impl ModerationAction {
    /// The snake_case name (`hide_photo`, `ban_user`...).
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::HidePhoto => "hide_photo",
            ModerationAction::RestorePhoto => "restore_photo",
            ModerationAction::HideComment => "hide_comment",
            ModerationAction::RestoreComment => "restore_comment",
            ModerationAction::BanUser => "ban_user",
            ModerationAction::UnbanUser => "unban_user",
            ModerationAction::ResolveFlag => "resolve_flag",
        }
    }
}

/// One entry of an object's moderation history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// What was done.
    pub action: ModerationAction,
    /// The admin who did it.
    pub admin: UserId,
    /// When.
    pub at: Timestamp,
    /// For [`ModerationAction::ResolveFlag`]: whose flag.
    pub flagger: Option<UserId>,
}

/// A user as the admin area shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratedUser {
    /// The user.
    pub user: UserView,
    /// Whether they are banned.
    pub banned: bool,
    /// Their newest photos in every state (hidden ones as `hidden`).
    pub photos: Vec<PhotoView>,
    /// Flags on them, oldest first.
    pub flags: Vec<FlagView>,
    /// What admins did to them, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A photo as the admin area shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratedPhoto {
    /// The photo (state `hidden` when hidden and otherwise ready).
    pub photo: PhotoView,
    /// Whether a moderator hid it.
    pub hidden: bool,
    /// Whether its owner is banned (it is then out of every pool).
    pub owner_banned: bool,
    /// Flags on it, oldest first.
    pub flags: Vec<FlagView>,
    /// What admins did to it, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A comment as the admin area shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratedComment {
    /// The comment.
    pub comment: CommentView,
    /// Whether a moderator hid it.
    pub hidden: bool,
    /// Flags on it, oldest first.
    pub flags: Vec<FlagView>,
    /// What admins did to it, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A flag as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FlagRecord {
    flagger: String,
    reason: String,
    ip: String,
    created_at: i64,
    resolved_by: Option<String>,
    resolved_at: Option<i64>,
}

/// An object's flag counts as stored; in the queue index while `open > 0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FlagSummary {
    kind: String,
    object_id: String,
    open: u32,
    total: u32,
    last_flagged: i64,
}

/// A history entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HistoryRecord {
    action: ModerationAction,
    admin: String,
    at: i64,
    flagger: Option<String>,
}

fn flag_key(target: FlagTarget, flagger: UserId) -> Key {
    Key::new(target.partition(), format!("{FLAG_PREFIX}{flagger}"))
}

fn summary_key(target: FlagTarget) -> Key {
    Key::new(target.partition(), "summary")
}

/// The item storing `summary` at `version`, in the queue while flags are open.
fn summary_item(
    target: FlagTarget,
    summary: &FlagSummary,
    version: u64,
) -> Result<Item, ServiceError> {
    let item = Item::new(summary_key(target), version, store::encode(summary)?);
    if summary.open == 0 {
        return Ok(item);
    }
    let sort = format!(
        "{:010}#{}#{}#{}",
        summary.open,
        store::time_key(summary.last_flagged),
        summary.kind,
        summary.object_id
    );
    Ok(item.with_index_key(store::MODERATION_QUEUE, Key::new(QUEUE_PARTITION, sort)))
}

/// A flag reason: trimmed, 1 to [`MAX_REASON_CHARS`] characters, no control characters
/// other than line breaks.
fn parse_reason(reason: &str) -> Result<String, ServiceError> {
    let trimmed = reason.trim();
    let n_chars = trimmed.chars().count();
    if n_chars == 0 || n_chars > MAX_REASON_CHARS {
        return Err(ServiceError::invalid(
            "reason",
            format!("{n_chars} characters; a reason has 1 to {MAX_REASON_CHARS}"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::invalid(
            "reason",
            "no control characters other than line breaks",
        ));
    }
    Ok(trimmed.to_owned())
}

fn is_conflict(error: &ocean::Error) -> bool {
    error.kind() == ocean::ErrorKind::Conflict
}

fn busy(what: &str) -> ServiceError {
    ServiceError::Conflict {
        code: "concurrent_update",
        message: format!("{what} kept changing; try again"),
    }
}

impl Game {
    /// Refuses anyone but an admin with [`ServiceError::Forbidden`] (unknown or deleted
    /// users: not found).
    pub async fn require_admin(&self, user: UserId) -> Result<(), ServiceError> {
        if self.user_record(user).await?.value.role == Role::Admin {
            return Ok(());
        }
        Err(ServiceError::Forbidden {
            message: "the admin area is for admins only".to_owned(),
        })
    }

    /// Flags `target` for `flagger` with `reason` (trimmed, 1 to [`MAX_REASON_CHARS`]
    /// characters, else [`ServiceError::Invalid`] naming `reason`), recording `ip`, the
    /// client address the host saw. Something that does not exist, or that the flagger
    /// cannot see (a hidden photo or comment, a photo not ready), is not found; a second
    /// flag by the same user on the same object is [`ServiceError::Conflict`]
    /// `already_flagged`. The flag and the object's counts (the queue's order) are one
    /// commit.
    pub async fn flag(
        &self,
        flagger: UserId,
        target: FlagTarget,
        reason: &str,
        ip: &str,
        now: Timestamp,
    ) -> Result<FlagView, ServiceError> {
        let reason = parse_reason(reason)?;
        self.check_flaggable(flagger, target).await?;
        let record = FlagRecord {
            flagger: flagger.to_string(),
            reason,
            ip: ip.to_owned(),
            created_at: now.millis(),
            resolved_by: None,
            resolved_at: None,
        };
        let key = flag_key(target, flagger);
        let already_flagged = || ServiceError::Conflict {
            code: "already_flagged",
            message: format!("you already flagged this {}", target.kind()),
        };
        for _ in 0..MAX_ACTION_ATTEMPTS {
            if self.ports.records.get(&key).await?.is_some() {
                return Err(already_flagged());
            }
            let stored: Option<Versioned<FlagSummary>> =
                store::get(self.ports.records.as_ref(), &summary_key(target)).await?;
            let (mut summary, version) = match stored {
                Some(stored) => (stored.value, stored.version),
                None => (
                    FlagSummary {
                        kind: target.kind().to_owned(),
                        object_id: target.object_id(),
                        open: 0,
                        total: 0,
                        last_flagged: now.millis(),
                    },
                    0,
                ),
            };
            summary.open += 1;
            summary.total += 1;
            summary.last_flagged = summary.last_flagged.max(now.millis());
            let writes = vec![
                store::put(key.clone(), &record, 0)?,
                store::put_item(summary_item(target, &summary, version + 1)?, version),
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => return flag_view(target, &record),
                // Flagged by this user meanwhile (refused on the next attempt), or by
                // someone else (counted again).
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(busy(&format!("the flags of this {}", target.kind())))
    }

    /// Refuses a target that does not exist or that `viewer` cannot see (not found).
    async fn check_flaggable(
        &self,
        viewer: UserId,
        target: FlagTarget,
    ) -> Result<(), ServiceError> {
        let not_found =
            || ServiceError::not_found(format!("{} {}", target.kind(), target.object_id()));
        match target {
            FlagTarget::User(user) => {
                self.user_record(user).await?;
            }
            FlagTarget::Photo(photo) => {
                let stored = self.photo_record(&photo.to_string()).await?;
                if !stored.is_some_and(|stored| stored.value.visible_to(Some(viewer))) {
                    return Err(not_found());
                }
            }
            FlagTarget::Comment(comment) => {
                let (_, stored) = self.comment_by_id(comment).await?.ok_or_else(not_found)?;
                if stored.value.hidden {
                    return Err(not_found());
                }
                let photo = self.photo_record(&stored.value.photo_id).await?;
                if !photo.is_some_and(|photo| photo.value.visible_to(Some(viewer))) {
                    return Err(not_found());
                }
            }
        }
        Ok(())
    }

    /// One page of the moderation queue for `admin`: the objects with open flags, most
    /// open flags first (then most recently flagged), with the next page's cursor.
    pub async fn moderation_queue(
        &self,
        admin: UserId,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<QueueEntry>, Option<String>), ServiceError> {
        self.require_admin(admin).await?;
        let query = Query {
            index: Some(store::MODERATION_QUEUE),
            order: Order::Descending,
            cursor: cursor.map(ocean::records::Cursor),
            ..Query::partition(
                QUEUE_PARTITION,
                limit.clamp(1, ocean::records::MAX_PAGE_ITEMS),
            )
        };
        let page = self.ports.records.query(&query).await?;
        let mut entries = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let summary: FlagSummary = store::decode(item)?;
            entries.push(QueueEntry {
                target: FlagTarget::parse(&summary.kind, &summary.object_id)?,
                open_flags: summary.open,
                total_flags: summary.total,
                last_flagged: Timestamp::from_millis(summary.last_flagged),
            });
        }
        Ok((entries, page.next.map(|cursor| cursor.0)))
    }

    /// A user's moderation page for `admin`: the user, their ban, newest photos, flags
    /// and history. Unknown or deleted users are not found.
    pub async fn moderated_user(
        &self,
        admin: UserId,
        user: UserId,
        now: Timestamp,
    ) -> Result<ModeratedUser, ServiceError> {
        self.require_admin(admin).await?;
        let banned = self.user_record(user).await?.value.banned;
        let view = self.user(user).await?;
        let (photos, _) = self
            .user_photos(user, user, USER_PAGE_PHOTOS, None, now)
            .await?;
        let (flags, history) = self.flags_and_history(FlagTarget::User(user)).await?;
        Ok(ModeratedUser {
            user: view,
            banned,
            photos,
            flags,
            history,
        })
    }

    /// A photo's moderation page for `admin`, whatever its state. Unknown photos are not
    /// found.
    pub async fn moderated_photo(
        &self,
        admin: UserId,
        photo: PhotoId,
        now: Timestamp,
    ) -> Result<ModeratedPhoto, ServiceError> {
        self.require_admin(admin).await?;
        let record = self
            .photo_record(&photo.to_string())
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("photo {photo}")))?
            .value;
        let (flags, history) = self.flags_and_history(FlagTarget::Photo(photo)).await?;
        Ok(ModeratedPhoto {
            photo: self.detailed_photo_view(&record, now).await?,
            hidden: record.hidden,
            owner_banned: record.owner_banned,
            flags,
            history,
        })
    }

    /// A comment's moderation page for `admin`, hidden or not. Unknown comments are not
    /// found.
    pub async fn moderated_comment(
        &self,
        admin: UserId,
        comment: CommentId,
    ) -> Result<ModeratedComment, ServiceError> {
        self.require_admin(admin).await?;
        let (_, stored) = self
            .comment_by_id(comment)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("comment {comment}")))?;
        let author: Option<Versioned<UserRecord>> = store::get(
            self.ports.records.as_ref(),
            &store::user_key(&stored.value.user_id),
        )
        .await?;
        let author_name = author.and_then(|author| author.value.user_name);
        let (flags, history) = self.flags_and_history(FlagTarget::Comment(comment)).await?;
        Ok(ModeratedComment {
            comment: comment_view(&stored.value, author_name)?,
            hidden: stored.value.hidden,
            flags,
            history,
        })
    }

    /// Every flag (oldest first) and history entry (oldest first) of `target`.
    async fn flags_and_history(
        &self,
        target: FlagTarget,
    ) -> Result<(Vec<FlagView>, Vec<HistoryEntry>), ServiceError> {
        let mut flags = Vec::new();
        let mut query = Query {
            range: SortRange::Prefix(FLAG_PREFIX.to_owned()),
            ..Query::partition(target.partition(), READ_PAGE)
        };
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                flags.push(flag_view(target, &store::decode(item)?)?);
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        flags.sort_by_key(|flag| (flag.created_on, flag.flagger));
        let mut history = Vec::new();
        let mut query = Query {
            range: SortRange::Prefix(HISTORY_PREFIX.to_owned()),
            ..Query::partition(target.partition(), READ_PAGE)
        };
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let record: HistoryRecord = store::decode(item)?;
                history.push(HistoryEntry {
                    action: record.action,
                    admin: UserId::parse(&record.admin)?,
                    at: Timestamp::from_millis(record.at),
                    flagger: record.flagger.as_deref().map(UserId::parse).transpose()?,
                });
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        Ok((flags, history))
    }
}

fn flag_view(target: FlagTarget, record: &FlagRecord) -> Result<FlagView, ServiceError> {
    let resolved = match (&record.resolved_by, record.resolved_at) {
        (Some(admin), Some(at)) => Some((UserId::parse(admin)?, Timestamp::from_millis(at))),
        _ => None,
    };
    Ok(FlagView {
        target,
        flagger: UserId::parse(&record.flagger)?,
        reason: record.reason.clone(),
        ip: record.ip.clone(),
        created_on: Timestamp::from_millis(record.created_at),
        resolved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(parse_reason("  spam \n").unwrap(), "spam");
        assert_eq!(parse_reason(&"é".repeat(255)).unwrap().chars().count(), 255);
        for refused in ["", "   ", "bell\u{7}"] {
            assert!(
                matches!(
                    parse_reason(refused),
                    Err(ServiceError::Invalid {
                        field: "reason",
                        ..
                    })
                ),
                "{refused:?}"
            );
        }
        assert!(parse_reason(&"x".repeat(256)).is_err());
    }

    #[test]
    fn targets_parse_back_from_kind_and_id() {
        let photo = PhotoId::from_time_and_random(Timestamp::from_millis(1), 7);
        let target = FlagTarget::Photo(photo);
        assert_eq!(target.kind_id(), format!("photo:{photo}"));
        assert_eq!(
            FlagTarget::parse(target.kind(), &target.object_id()).unwrap(),
            target
        );
        assert!(matches!(
            FlagTarget::parse("video", &target.object_id()),
            Err(ServiceError::Invalid { field: "kind", .. })
        ));
        assert!(matches!(
            FlagTarget::parse("user", "nope"),
            Err(ServiceError::Invalid {
                field: "object_id",
                ..
            })
        ));
    }

    #[test]
    fn the_queue_orders_by_open_count_and_leaves_out_closed_objects() {
        let summary = |open: u32, last_flagged: i64| FlagSummary {
            kind: "photo".to_owned(),
            object_id: "a".repeat(32),
            open,
            total: open + 1,
            last_flagged,
        };
        let user = FlagTarget::User(UserId::from_u128(1));
        let queue_key = |summary: &FlagSummary| {
            summary_item(user, summary, 1)
                .unwrap()
                .index_key(store::MODERATION_QUEUE)
                .map(|key| key.sort.clone())
        };
        assert_eq!(queue_key(&summary(0, 5)), None);
        let two = queue_key(&summary(2, 5)).unwrap();
        let ten = queue_key(&summary(10, 1)).unwrap();
        assert!(ten > two, "more open flags sort later (read descending)");
        assert!(queue_key(&summary(2, 9)).unwrap() > two, "then the newest");
    }
}
