//! Facebook: linking an account (its id claimed by exactly one user), logging in on a new
//! device with a Facebook token, and the worker's profile sync, through the identity port.
//!
//! The access token is used at once and never stored or queued: linking queues the profile
//! the provider returned, and the worker copies names into the profile only where the user
//! left them unset.

use ocean::records::{Condition, Key, Write};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::names::UserName;
use crate::service::store::{self, Versioned};
use crate::service::users::{TokenRecord, UserView};
use crate::service::{Game, ProfileFields, ProfilePatch, ServiceError};

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
}

/// Which user a Facebook id is linked to.
pub(crate) fn claim_key(facebook_id: &str) -> Key {
    Key::new(format!("fb#{facebook_id}"), "facebook")
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
    /// profile sync. Linking the same account again is fine; an account linked to another
    /// user is [`ServiceError::Conflict`] (`facebook_taken`); a rejected token is invalid,
    /// naming `token`.
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

    /// The worker's half of linking: copies the provider's first and last names into the
    /// profile where unset, and its full name as user name when the user has none and the
    /// name is free. Idempotent.
    pub async fn sync_facebook_profile(&self, job: &FacebookSyncJob) -> Result<(), ServiceError> {
        let user = UserId::parse(&job.user_id)?;
        let record = match self.user_record(user).await {
            Ok(stored) => stored.value,
            // The account was deleted meanwhile: nothing to sync.
            Err(ServiceError::NotFound { .. }) => return Ok(()),
            Err(error) => return Err(error),
        };
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
}
