//! The admins' actions: hide or restore a photo or a comment, ban or unban a user, resolve
//! a flag. Each one changes its records and adds a history entry (admin, time) in one
//! commit, retried while others change the same records; one that changes nothing (hiding
//! a hidden photo) writes nothing.

use ocean::records::{Key, Query, Write};
use rand::{Rng, RngExt};

use super::{
    FlagRecord, FlagSummary, FlagTarget, HISTORY_PREFIX, HistoryRecord, MAX_ACTION_ATTEMPTS,
    ModerationAction, READ_PAGE, busy, flag_key, is_conflict, summary_item, summary_key,
};
use crate::ids::{CommentId, PhotoId, UserId};
use crate::service::comments::{CommentCount, CommentRecord, count_key};
use crate::service::photos::PhotoRecord;
use crate::service::store::{self, Versioned};
use crate::service::users::Role;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

impl Game {
    /// Hides a photo for `admin`: it leaves every pool, board, tag pool, match and list at
    /// once, and only its owner still sees it (as `hidden`). Returns whether anything
    /// changed (hiding a hidden photo writes nothing, no history either).
    pub async fn hide_photo(
        &self,
        admin: UserId,
        photo: PhotoId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_photo_hidden(admin, photo, true, now, rng).await
    }

    /// Restores a hidden photo for `admin`: back in its pools, boards and tag pools with
    /// its rating. Returns whether anything changed.
    pub async fn restore_photo(
        &self,
        admin: UserId,
        photo: PhotoId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_photo_hidden(admin, photo, false, now, rng).await
    }

    async fn set_photo_hidden(
        &self,
        admin: UserId,
        photo: PhotoId,
        hidden: bool,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.require_admin(admin).await?;
        let action = if hidden {
            ModerationAction::HidePhoto
        } else {
            ModerationAction::RestorePhoto
        };
        for _ in 0..MAX_ACTION_ATTEMPTS {
            let stored = self
                .photo_record(&photo.to_string())
                .await?
                .ok_or_else(|| ServiceError::not_found(format!("photo {photo}")))?;
            if stored.value.hidden == hidden {
                return Ok(false);
            }
            let mut record: PhotoRecord = stored.value;
            record.hidden = hidden;
            let writes = vec![
                store::put_item(record.to_item(stored.version + 1)?, stored.version),
                history_write(FlagTarget::Photo(photo), action, admin, None, now, rng)?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    // Tag memberships stay while hidden (tag pools skip what does not
                    // compete); written again in case a reindex ran meanwhile.
                    if record.competes() {
                        self.index_tags(&record).await?;
                    }
                    return Ok(true);
                }
                // Scored or tagged meanwhile: read it again.
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(busy(&format!("photo {photo}")))
    }

    /// Hides a comment for `admin`: it leaves its photo's list and count. Returns whether
    /// anything changed.
    pub async fn hide_comment(
        &self,
        admin: UserId,
        comment: CommentId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_comment_hidden(admin, comment, true, now, rng)
            .await
    }

    /// Restores a hidden comment for `admin`: back in the list and the count. Returns
    /// whether anything changed.
    pub async fn restore_comment(
        &self,
        admin: UserId,
        comment: CommentId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_comment_hidden(admin, comment, false, now, rng)
            .await
    }

    async fn set_comment_hidden(
        &self,
        admin: UserId,
        comment: CommentId,
        hidden: bool,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.require_admin(admin).await?;
        let action = if hidden {
            ModerationAction::HideComment
        } else {
            ModerationAction::RestoreComment
        };
        for _ in 0..MAX_ACTION_ATTEMPTS {
            let (key, stored) = self
                .comment_by_id(comment)
                .await?
                .ok_or_else(|| ServiceError::not_found(format!("comment {comment}")))?;
            if stored.value.hidden == hidden {
                return Ok(false);
            }
            let mut record: CommentRecord = stored.value;
            record.hidden = hidden;
            let count_at = count_key(&record.photo_id);
            let count: Option<Versioned<CommentCount>> =
                store::get(self.ports.records.as_ref(), &count_at).await?;
            let (count, count_version) =
                count.map_or((CommentCount::default(), 0), |c| (c.value, c.version));
            let new_count = CommentCount {
                count: if hidden {
                    count.count.saturating_sub(1)
                } else {
                    count.count + 1
                },
            };
            let writes = vec![
                store::put(key, &record, stored.version)?,
                store::put(count_at, &new_count, count_version)?,
                history_write(FlagTarget::Comment(comment), action, admin, None, now, rng)?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => return Ok(true),
                // Commented on meanwhile: read again.
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(busy(&format!("comment {comment}")))
    }

    /// Bans a user for `admin`: their token is refused from the next request on and each
    /// of their photos leaves every pool, board and match. Admins cannot be banned
    /// ([`ServiceError::Forbidden`]). Returns whether the ban is new; the photos are
    /// marked either way, so repeating a ban interrupted midway finishes it.
    pub async fn ban_user(
        &self,
        admin: UserId,
        user: UserId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_banned(admin, user, true, now, rng).await
    }

    /// Lifts a user's ban for `admin`: their token works again and their photos return to
    /// their pools with their ratings. Returns whether the user was banned; the photos are
    /// unmarked either way.
    pub async fn unban_user(
        &self,
        admin: UserId,
        user: UserId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.set_banned(admin, user, false, now, rng).await
    }

    async fn set_banned(
        &self,
        admin: UserId,
        user: UserId,
        banned: bool,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.require_admin(admin).await?;
        let action = if banned {
            ModerationAction::BanUser
        } else {
            ModerationAction::UnbanUser
        };
        let mut changed = None;
        for _ in 0..MAX_ACTION_ATTEMPTS {
            let stored = self.user_record(user).await?;
            if banned && stored.value.role == Role::Admin {
                return Err(ServiceError::Forbidden {
                    message: "an admin cannot be banned".to_owned(),
                });
            }
            if stored.value.banned == banned {
                changed = Some(false);
                break;
            }
            let mut record = stored.value;
            record.banned = banned;
            let writes = vec![
                store::put(store::user_key(&record.id), &record, stored.version)?,
                history_write(FlagTarget::User(user), action, admin, None, now, rng)?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    changed = Some(true);
                    break;
                }
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let changed = changed.ok_or_else(|| busy(&format!("user {user}")))?;
        self.mark_owner_banned(user, banned).await?;
        Ok(changed)
    }

    /// Sets `owner_banned` on every photo of `owner` (their whole list, every state).
    async fn mark_owner_banned(&self, owner: UserId, banned: bool) -> Result<(), ServiceError> {
        let mut query = Query {
            index: Some(store::BY_OWNER),
            ..Query::partition(store::owner_partition(&owner.to_string()), READ_PAGE)
        };
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let record: PhotoRecord = store::decode(item)?;
                if record.owner_banned != banned {
                    self.set_owner_banned(&record.id, banned).await?;
                }
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(()),
            }
        }
    }

    async fn set_owner_banned(&self, photo_id: &str, banned: bool) -> Result<(), ServiceError> {
        for _ in 0..MAX_ACTION_ATTEMPTS {
            let Some(stored) = self.photo_record(photo_id).await? else {
                return Ok(());
            };
            if stored.value.owner_banned == banned {
                return Ok(());
            }
            let mut record = stored.value;
            record.owner_banned = banned;
            let write = store::put_item(record.to_item(stored.version + 1)?, stored.version);
            match self.ports.records.write(write).await {
                Ok(()) => {
                    if record.competes() {
                        self.index_tags(&record).await?;
                    }
                    return Ok(());
                }
                // Scored or processed meanwhile: read it again.
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(busy(&format!("photo {photo_id}")))
    }

    /// Resolves `flagger`'s flag on `target` for `admin`: it stops counting in the queue
    /// (the object leaves it with its last open flag). Returns whether anything changed
    /// (resolving a resolved flag writes nothing); a flag that does not exist is not found.
    pub async fn resolve_flag(
        &self,
        admin: UserId,
        target: FlagTarget,
        flagger: UserId,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<bool, ServiceError> {
        self.require_admin(admin).await?;
        let not_found = || {
            ServiceError::not_found(format!(
                "a flag by {flagger} on {} {}",
                target.kind(),
                target.object_id()
            ))
        };
        let key = flag_key(target, flagger);
        for _ in 0..MAX_ACTION_ATTEMPTS {
            let stored: Versioned<FlagRecord> = store::get(self.ports.records.as_ref(), &key)
                .await?
                .ok_or_else(not_found)?;
            if stored.value.resolved_by.is_some() {
                return Ok(false);
            }
            let summary: Versioned<FlagSummary> =
                store::get(self.ports.records.as_ref(), &summary_key(target))
                    .await?
                    .ok_or_else(|| ServiceError::Corrupt {
                        what: format!("flag counts of {} are missing", target.kind_id()),
                    })?;
            let mut record = stored.value;
            record.resolved_by = Some(admin.to_string());
            record.resolved_at = Some(now.millis());
            let mut counts = summary.value;
            counts.open = counts.open.saturating_sub(1);
            let writes = vec![
                store::put(key.clone(), &record, stored.version)?,
                store::put_item(
                    summary_item(target, &counts, summary.version + 1)?,
                    summary.version,
                ),
                history_write(
                    target,
                    ModerationAction::ResolveFlag,
                    admin,
                    Some(flagger),
                    now,
                    rng,
                )?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => return Ok(true),
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(busy(&format!("the flags of {}", target.kind_id())))
    }
}

/// The write adding a history entry for `action` on `target`.
fn history_write(
    target: FlagTarget,
    action: ModerationAction,
    admin: UserId,
    flagger: Option<UserId>,
    now: Timestamp,
    rng: &mut (impl Rng + ?Sized),
) -> Result<Write, ServiceError> {
    let key = Key::new(
        target.partition(),
        format!(
            "{HISTORY_PREFIX}{}#{:016x}",
            store::time_key(now.millis()),
            rng.random::<u64>()
        ),
    );
    let entry = HistoryRecord {
        action,
        admin: admin.to_string(),
        at: now.millis(),
        flagger: flagger.map(|flagger| flagger.to_string()),
    };
    store::put(key, &entry, 0)
}
