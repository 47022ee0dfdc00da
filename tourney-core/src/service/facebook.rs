//! Facebook: linking an account (its id claimed by exactly one user), logging in on a new
//! device with a Facebook token, and the worker's profile sync, through the identity port.
//!
//! The access token is used at once and never stored or queued: linking reads the profile
//! and the friends who use the app, and queues what the provider returned. The worker then
//! copies names into the profile only where the user left them unset; gives each friend
//! already here one `joined` activity naming the user (an activity only: no notification
//! setting is about it, so it is not pushed); and, when the user has no profile photo yet,
//! puts the Facebook profile picture through the upload pipeline as a profile-only photo
//! (once per user: a marker record names its photo id, so a retried or repeated sync finds
//! it instead of making another).

use ocean::identity::{MAX_FRIENDS, Picture};
use ocean::records::{Condition, Key, Write};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::ids::{PhotoId, UserId};
use crate::names::UserName;
use crate::service::activity::ActivityKind;
use crate::service::photos::PhotoState;
use crate::service::store::{self, Versioned};
use crate::service::users::{TokenRecord, UserRecord, UserView};
use crate::service::{Game, ProfileFields, ProfilePatch, ServiceError};
use crate::time::Timestamp;

/// The job queue of profiles waiting to be synced into their users.
pub const FACEBOOK_SYNC_QUEUE: &str = "facebook-sync";

/// A profile to sync: what the provider said at link time (no token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacebookSyncJob {
    /// The user it is linked to.
    pub user_id: String,
    /// The provider's first name.
    pub first_name: Option<String>,
    /// The provider's last name.
    pub last_name: Option<String>,
    /// The provider's full name (a user name candidate).
    pub name: Option<String>,
    /// The profile picture's URL (it may expire); `None` when the user has none. Absent in
    /// jobs queued before pictures were imported.
    #[serde(default)]
    pub picture_url: Option<String>,
    /// The provider ids of the user's friends who use the app, read at link time (at most
    /// [`MAX_FRIENDS`]); they are told the user joined. Absent in older jobs.
    #[serde(default)]
    pub friend_ids: Vec<String>,
}

/// The stored promise that a user's Facebook picture becomes photo `photo_id`, created
/// once (create-if-absent), so every later sync imports into the same photo or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PictureImport {
    photo_id: String,
    created_at: i64,
}

/// Which user a Facebook id is linked to.
pub(crate) fn claim_key(facebook_id: &str) -> Key {
    Key::new(format!("fb#{facebook_id}"), "facebook")
}

/// Where a user's [`PictureImport`] is kept.
fn picture_import_key(user: &str) -> Key {
    Key::new(format!("u#{user}"), "facebook-picture")
}

/// The category a user's imported profile picture goes in: the post category they chose,
/// else the category they chose to judge; `None` when they chose neither yet.
fn picture_category(post_category: Option<&str>, view_category: Option<&str>) -> Option<String> {
    post_category.or(view_category).map(str::to_owned)
}

/// The id of `user`'s imported Facebook picture, first planned at `at`: time-ordered like
/// any photo id, its random bits derived from the user (so two users never share one).
fn picture_photo_id(user: UserId, at: Timestamp) -> PhotoId {
    let hash = store::vote_id(&format!("facebook-picture#{user}"));
    PhotoId::from_time_and_random(at, u128::from_str_radix(&hash, 16).unwrap_or_default())
}

/// The friend ids worth looking up: each once, in order, at most [`MAX_FRIENDS`], only
/// plausible provider ids (1 to 64 ASCII letters, digits, `_` or `-`).
fn friend_ids_to_look_up(friend_ids: &[String]) -> Vec<&str> {
    let mut unique: Vec<&str> = Vec::new();
    for id in friend_ids {
        let plausible = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if plausible && !unique.contains(&id.as_str()) {
            unique.push(id);
            if unique.len() == MAX_FRIENDS {
                break;
            }
        }
    }
    unique
}

impl Game {
    fn identity(&self) -> Result<&dyn ocean::Identity, ServiceError> {
        self.ports
            .identity
            .as_deref()
            .ok_or_else(|| ServiceError::Conflict {
                code: "facebook_disabled",
                message: "this server has no Facebook login (identity.backend = \"disabled\")"
                    .to_owned(),
            })
    }

    /// Links the Facebook account `access_token` belongs to with `user` and queues the
    /// profile sync (with the profile picture's URL and the friends who use the app; a
    /// failure to read the friends is logged and syncs no friend). Linking the same account
    /// again is fine; an account linked to another user is [`ServiceError::Conflict`]
    /// (`facebook_taken`); a rejected token is invalid, naming `token`.
    pub async fn link_facebook(
        &self,
        user: UserId,
        access_token: &str,
    ) -> Result<UserView, ServiceError> {
        let profile = self.identity()?.profile(access_token).await?;
        for _ in 0..5 {
            let stored = self.user_record(user).await?;
            let claim: Option<Versioned<TokenRecord>> =
                store::get(self.ports.records.as_ref(), &claim_key(&profile.id)).await?;
            let mut writes = Vec::new();
            match claim {
                Some(claim) if claim.value.user_id != user.to_string() => {
                    return Err(ServiceError::Conflict {
                        code: "facebook_taken",
                        message: "this Facebook account is linked to another user".to_owned(),
                    });
                }
                Some(_) => {}
                None => writes.push(store::put(
                    claim_key(&profile.id),
                    &TokenRecord {
                        user_id: user.to_string(),
                    },
                    0,
                )?),
            }
            let mut record = stored.value.clone();
            if let Some(old) = record.facebook_id.replace(profile.id.clone())
                && old != profile.id
            {
                writes.push(Write::Delete {
                    key: claim_key(&old),
                    condition: Condition::Always,
                });
            }
            writes.push(store::put(
                store::user_key(&record.id),
                &record,
                stored.version,
            )?);
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    let job = FacebookSyncJob {
                        user_id: user.to_string(),
                        first_name: profile.first_name.clone(),
                        last_name: profile.last_name.clone(),
                        name: profile.name.clone(),
                        picture_url: profile.picture_url.clone(),
                        friend_ids: self.facebook_friends(user, access_token).await?,
                    };
                    self.ports
                        .queue
                        .send(FACEBOOK_SYNC_QUEUE, store::encode(&job)?)
                        .await?;
                    return self.user(user).await;
                }
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: "the account kept changing while linking Facebook; try again".to_owned(),
        })
    }

    /// Logs in on a new device: when `access_token` belongs to the Facebook account
    /// `facebook_id` and that account is linked, a new token for its user (the user's other
    /// devices stay logged in). A token of another account or a rejected one is
    /// [`ServiceError::Unauthorized`]; an unlinked account is not found.
    pub async fn login_by_facebook(
        &self,
        facebook_id: &str,
        access_token: &str,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<(UserId, String), ServiceError> {
        let unauthorized = |message: &str| ServiceError::Unauthorized {
            message: message.to_owned(),
        };
        let profile = match self.identity()?.profile(access_token).await {
            Ok(profile) => profile,
            Err(error) if error.kind() == ocean::ErrorKind::Invalid => {
                return Err(unauthorized("Facebook rejected the token"));
            }
            Err(error) => return Err(error.into()),
        };
        if profile.id != facebook_id {
            return Err(unauthorized(
                "the token belongs to another Facebook account",
            ));
        }
        let claim: Option<Versioned<TokenRecord>> =
            store::get(self.ports.records.as_ref(), &claim_key(facebook_id)).await?;
        let claim = claim.ok_or_else(|| {
            ServiceError::not_found(format!("a user linked to Facebook account {facebook_id}"))
        })?;
        let user = UserId::parse(&claim.value.user_id)?;
        for _ in 0..5 {
            let stored = self.user_record(user).await?;
            if stored.value.banned {
                return Err(unauthorized("this account is banned"));
            }
            let token = format!("{:032x}", rng.random::<u128>());
            let hash = store::sha256_hex(token.as_bytes());
            let mut record = stored.value.clone();
            record.device_token_hashes.push(hash.clone());
            let writes = vec![
                store::put(
                    store::token_key(&hash),
                    &TokenRecord {
                        user_id: record.id.clone(),
                    },
                    0,
                )?,
                store::put(store::user_key(&record.id), &record, stored.version)?,
            ];
            match self.ports.records.commit(writes).await {
                Ok(()) => return Ok((user, token)),
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: "the account kept changing during the login; try again".to_owned(),
        })
    }

    /// The provider ids of the friends of `access_token`'s account who use the app, at
    /// most [`MAX_FRIENDS`]; none (logged) when the provider cannot say: the link does not
    /// fail for want of a friend list.
    async fn facebook_friends(
        &self,
        user: UserId,
        access_token: &str,
    ) -> Result<Vec<String>, ServiceError> {
        match self.identity()?.friends(access_token).await {
            Ok(mut friend_ids) => {
                friend_ids.truncate(MAX_FRIENDS);
                Ok(friend_ids)
            }
            Err(error) => {
                tracing::warn!(
                    user = %user,
                    %error,
                    "could not read the facebook friends; no joined activities for this link"
                );
                Ok(Vec::new())
            }
        }
    }

    /// The worker's half of linking, at `now`: copies the provider's first and last names
    /// into the profile where unset, and its full name as user name when the user has none
    /// and the name is free; gives each friend in `friend_ids` who has linked an account
    /// here one `joined` activity naming the user; and, when the user has no profile photo
    /// and the job has a picture, imports it (see [`Game::import_facebook_picture`]).
    /// Idempotent: a retried or repeated job changes nothing more. An error (a port
    /// unavailable, the picture's host too) leaves the job for a retry.
    pub async fn sync_facebook_profile(
        &self,
        job: &FacebookSyncJob,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let user = UserId::parse(&job.user_id)?;
        let record = match self.user_record(user).await {
            Ok(stored) => stored.value,
            // The account was deleted meanwhile: nothing to sync.
            Err(ServiceError::NotFound { .. }) => return Ok(()),
            Err(error) => return Err(error),
        };
        self.sync_facebook_names(user, &record, job).await?;
        self.tell_facebook_friends(user, &job.friend_ids, now)
            .await?;
        if let Some(url) = job.picture_url.as_deref() {
            self.import_facebook_picture(user, url, now).await?;
        }
        Ok(())
    }

    /// Copies the names of `job` into `user`'s profile where `record` has none.
    async fn sync_facebook_names(
        &self,
        user: UserId,
        record: &UserRecord,
        job: &FacebookSyncJob,
    ) -> Result<(), ServiceError> {
        let unset = |current: &Option<String>, offered: &Option<String>| {
            if current.is_none() {
                offered.clone()
            } else {
                None
            }
        };
        let mut patch = ProfilePatch {
            profile: ProfileFields {
                first_name: unset(&record.profile.first_name, &job.first_name),
                last_name: unset(&record.profile.last_name, &job.last_name),
                ..ProfileFields::default()
            },
            ..ProfilePatch::default()
        };
        if record.user_name.is_none()
            && let Some(name) = job.name.as_deref()
            && UserName::parse(name).is_ok()
            && !self.user_name_taken(name).await?
        {
            patch.user_name = Some(name.to_owned());
        }
        if patch.user_name.is_none() && patch.profile == ProfileFields::default() {
            return Ok(());
        }
        match self.update_profile(user, patch.clone()).await {
            Ok(_) => Ok(()),
            // The name was claimed meanwhile: sync the rest.
            Err(ServiceError::Conflict {
                code: "name_taken", ..
            }) => {
                patch.user_name = None;
                self.update_profile(user, patch).await.map(drop)
            }
            Err(error) => Err(error),
        }
    }

    /// Tells each user linked to one of `friend_ids` (but `user` themself, banned users and
    /// deleted ones) that `user` joined: one `joined` activity per friend and user, however
    /// often this runs (its key is `joined#<user>`), dated `now`.
    async fn tell_facebook_friends(
        &self,
        user: UserId,
        friend_ids: &[String],
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        for facebook_id in friend_ids_to_look_up(friend_ids) {
            let claim: Option<Versioned<TokenRecord>> =
                store::get(self.ports.records.as_ref(), &claim_key(facebook_id)).await?;
            let Some(claim) = claim else {
                continue;
            };
            let friend = UserId::parse(&claim.value.user_id)?;
            if friend == user {
                continue;
            }
            match self.user_record(friend).await {
                Ok(stored) if !stored.value.banned => {}
                Ok(_) | Err(ServiceError::NotFound { .. }) => continue,
                Err(error) => return Err(error),
            }
            self.tell(
                friend,
                ActivityKind::Joined,
                Some(user),
                None,
                None,
                &format!("joined#{user}"),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Makes the Facebook picture at `url` the profile photo of `user` if they have none:
    /// a profile-only photo (not entered in tournaments) in their post category (else their
    /// view category; with neither, or without a place, it is skipped with a log line),
    /// stored and queued for processing like an upload, so the worker makes its renditions,
    /// marks it ready and sets it as profile photo. At most once per user: the photo id is
    /// planned once in a marker record, and a photo past `pending_upload` is left alone
    /// (deleting it later does not bring it back). A picture the provider refuses (expired
    /// URL, not an image, too large) or the pipeline cannot take is skipped with a log
    /// line; an unavailable provider or port is an error, for a retry.
    pub async fn import_facebook_picture(
        &self,
        user: UserId,
        url: &str,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let Some(identity) = self.ports.identity.as_deref() else {
            tracing::info!(user = %user, "no identity port: facebook picture not imported");
            return Ok(());
        };
        let record = self.user_record(user).await?.value;
        if record.profile_photo.is_some() {
            return Ok(());
        }
        let Some(category) = picture_category(
            record.post_category.as_deref(),
            record.view_category.as_deref(),
        ) else {
            tracing::info!(
                user = %user,
                "the user has chosen no category yet: facebook picture not imported"
            );
            return Ok(());
        };
        let import = self.picture_import(user, now).await?;
        let photo_id = PhotoId::parse(&import.photo_id)?;
        if let Some(photo) = self.photo_record(&import.photo_id).await?
            && photo.value.state != PhotoState::PendingUpload
        {
            return Ok(());
        }
        let picture: Picture = match identity.picture(url).await {
            Ok(picture) => picture,
            Err(error) if error.is_retryable() => return Err(error.into()),
            Err(error) => {
                tracing::warn!(
                    user = %user,
                    %error,
                    "the facebook profile picture could not be fetched; not imported"
                );
                return Ok(());
            }
        };
        let created_at = Timestamp::from_millis(import.created_at);
        match self
            .import_profile_photo(user, photo_id, category, picture, created_at)
            .await
        {
            Ok(()) => Ok(()),
            Err(
                error @ (ServiceError::Invalid { .. }
                | ServiceError::Rules(_)
                | ServiceError::Conflict {
                    code: "no_location",
                    ..
                }),
            ) => {
                tracing::warn!(
                    user = %user,
                    %error,
                    "the facebook profile picture cannot become a photo; not imported"
                );
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// `user`'s picture import, planned now (photo id and time from `now`) unless it was
    /// before.
    async fn picture_import(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<PictureImport, ServiceError> {
        let key = picture_import_key(&user.to_string());
        let stored: Option<Versioned<PictureImport>> =
            store::get(self.ports.records.as_ref(), &key).await?;
        if let Some(stored) = stored {
            return Ok(stored.value);
        }
        let import = PictureImport {
            photo_id: picture_photo_id(user, now).to_string(),
            created_at: now.millis(),
        };
        match self
            .ports
            .records
            .write(store::put(key.clone(), &import, 0)?)
            .await
        {
            Ok(()) => Ok(import),
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                // Another attempt planned it first: use theirs.
                let stored: Option<Versioned<PictureImport>> =
                    store::get(self.ports.records.as_ref(), &key).await?;
                stored
                    .map(|stored| stored.value)
                    .ok_or_else(|| ServiceError::Conflict {
                        code: "concurrent_update",
                        message: "the facebook picture import kept changing; try again".to_owned(),
                    })
            }
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| (*text).to_owned()).collect()
    }

    #[test]
    fn the_picture_goes_in_the_post_category_else_the_view_category() {
        assert_eq!(
            picture_category(Some("female"), Some("male")).as_deref(),
            Some("female")
        );
        assert_eq!(
            picture_category(None, Some("male")).as_deref(),
            Some("male")
        );
        assert_eq!(picture_category(None, None), None);
    }

    #[test]
    fn the_picture_photo_id_is_the_users_and_time_ordered() {
        let ann = UserId::from_u128(1);
        let bob = UserId::from_u128(2);
        let at = Timestamp::from_millis(1_700_000_000_000);
        assert_eq!(picture_photo_id(ann, at), picture_photo_id(ann, at));
        assert_ne!(picture_photo_id(ann, at), picture_photo_id(bob, at));
        assert_eq!(picture_photo_id(ann, at).created_at(), at);
        let later = Timestamp::from_millis(at.millis() + 1);
        assert!(picture_photo_id(bob, at) < picture_photo_id(ann, later));
    }

    #[test]
    fn friend_ids_are_looked_up_once_each_and_only_when_plausible() {
        let too_long = "9".repeat(65);
        let friend_ids = ids(&[
            "12",
            "",
            "12",
            "x y",
            "fb#1",
            "34",
            too_long.as_str(),
            "ab_C-5",
        ]);
        assert_eq!(friend_ids_to_look_up(&friend_ids), ["12", "34", "ab_C-5"]);
    }

    #[test]
    fn at_most_max_friends_are_looked_up() {
        let friend_ids: Vec<String> = (0..MAX_FRIENDS + 10).map(|n| n.to_string()).collect();
        let looked_up = friend_ids_to_look_up(&friend_ids);
        assert_eq!(looked_up.len(), MAX_FRIENDS);
        assert_eq!(looked_up[0], "0");
    }

    #[test]
    fn older_jobs_without_picture_or_friends_still_read() {
        let job: FacebookSyncJob = serde_json::from_str(
            r#"{"user_id":"u","first_name":"Ann","last_name":null,"name":null}"#,
        )
        .unwrap();
        assert_eq!(job.picture_url, None);
        assert!(job.friend_ids.is_empty());
    }
}
