//! Users: anonymous sign-up with a server-made token, authentication by the token's hash,
//! profile changes (names claimed exactly once, location resolved to the nearest place),
//! token rotation and account deletion.

use ocean::records::{Condition, Write};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::geo::Coordinates;
use crate::ids::UserId;
use crate::names::{Category, UserName};
use crate::registration::{Profile, RegistrationConfig, RegistrationStatus, registration_status};
use crate::service::read_cache::{Standing, TokenHash};
use crate::service::store::{self, Versioned};
use crate::service::{Game, ServiceError};
use crate::stats::win_loss_ratio;
use crate::time::Timestamp;

/// How many times a profile change is retried when another request changed the user first.
const MAX_UPDATE_ATTEMPTS: usize = 5;

/// A place as users see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceView {
    /// The place's id in the places dataset.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its region code.
    pub region: String,
    /// Its country code (lowercase).
    pub country: String,
}

impl From<ocean::places::Place> for PlaceView {
    fn from(place: ocean::places::Place) -> Self {
        Self {
            id: place.id,
            name: place.name,
            region: place.region,
            country: place.country,
        }
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub(crate) id: String,
    pub(crate) token_hash: String,
    pub(crate) user_name: Option<String>,
    #[serde(default)]
    pub(crate) profile: ProfileFields,
    pub(crate) post_category: Option<String>,
    pub(crate) view_category: Option<String>,
    pub(crate) place: Option<PlaceView>,
    pub(crate) profile_photo: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) deleted: bool,
    /// The judge's tournament cadence (`None`: a new judge).
    #[serde(default)]
    pub(crate) cadence: Option<StoredCadence>,
    /// What the user may do beyond playing.
    #[serde(default)]
    pub(crate) role: Role,
    /// Banned by a moderator: the token is refused (401) and their photos leave every
    /// pool until the ban is lifted.
    #[serde(default)]
    pub(crate) banned: bool,
    /// The linked Facebook account's id (claimed exactly once across users).
    #[serde(default)]
    pub(crate) facebook_id: Option<String>,
    /// Hashes of the extra tokens of devices logged in through Facebook; rotation and
    /// deletion revoke them with the main token.
    #[serde(default)]
    pub(crate) device_token_hashes: Vec<String>,
}

/// What a user may do beyond playing. Admins are made by the command line only, never
/// through the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Plays, uploads, comments.
    #[default]
    User,
    /// Also moderates: the admin area and its actions.
    Admin,
}

/// A judge's cadence as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCadence {
    pub(crate) matches_until_next_tournament: u32,
    pub(crate) next_tournament: String,
    pub(crate) last_touched: i64,
}

/// Free-text profile fields, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFields {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// A few words about the user.
    pub biography: Option<String>,
    /// A web address.
    pub website: Option<String>,
    /// Snapchat handle.
    pub snapchat: Option<String>,
    /// Instagram handle.
    pub instagram: Option<String>,
}

/// What signing up records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUser {
    /// The client's `User-Agent`, kept for support.
    pub user_agent: Option<String>,
}

/// A user as the API shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    /// The user's id.
    pub id: UserId,
    /// Their public name, once chosen.
    pub user_name: Option<String>,
    /// Free-text profile fields.
    pub profile: ProfileFields,
    /// Where their photos go (their choice, else the default).
    pub post_category: String,
    /// What they judge (their choice, else the default).
    pub view_category: String,
    /// Their place, once resolved.
    pub place: Option<PlaceView>,
    /// The first unmet registration step, or `ok`.
    pub registration: RegistrationStatus,
    /// Games their photos won.
    pub wins: u64,
    /// Games their photos lost.
    pub losses: u64,
    /// 100 * wins / games, 50.0 with no games.
    pub win_loss_ratio: f64,
    /// Their profile photo's id, once one is ready.
    pub profile_photo: Option<String>,
    /// When they signed up.
    pub created_at: Timestamp,
    /// What they may do beyond playing.
    pub role: Role,
}

/// A profile change: every field is optional; what is absent stays as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    /// A new public name (claimed exactly once across users, case-insensitively).
    pub user_name: Option<String>,
    /// New free-text fields (each `Some` replaces that field).
    pub profile: ProfileFields,
    /// A new post category.
    pub post_category: Option<String>,
    /// A new view category.
    pub view_category: Option<String>,
    /// New coordinates, resolved to the nearest place.
    pub location: Option<Coordinates>,
}

impl Game {
    /// Signs a new anonymous user up and returns their id and token. The token (128 random
    /// bits from `rng`, which must be a cryptographically secure generator) is shown once:
    /// only its SHA-256 is stored.
    pub async fn create_user(
        &self,
        new_user: NewUser,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<(UserId, String), ServiceError> {
        let (user_id, token, record) = new_user_record(new_user, now, rng);
        self.commit_new_user(&record, None).await?;
        Ok((user_id, token))
    }

    /// Creates an admin named `name` (claimed like any user name; taken -> a
    /// [`ServiceError::Conflict`] `name_taken`) and returns their id and token. All or
    /// nothing: no nameless user is left behind when the name is taken.
    pub async fn create_admin(
        &self,
        name: &str,
        now: Timestamp,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<(UserId, String), ServiceError> {
        let name = UserName::parse(name)?;
        let (user_id, token, mut record) = new_user_record(NewUser::default(), now, rng);
        record.user_name = Some(name.as_str().to_owned());
        record.role = Role::Admin;
        match self.commit_new_user(&record, Some(&name)).await {
            Err(ServiceError::Port(error)) if error.kind() == ocean::ErrorKind::Conflict => {
                Err(name_taken(&name))
            }
            other => other.map(|()| (user_id, token)),
        }
    }

    /// Gives an existing user `role` (idempotent).
    pub async fn set_role(&self, user_id: UserId, role: Role) -> Result<(), ServiceError> {
        self.update_user(user_id, |record| {
            let changed = record.role != role;
            record.role = role;
            changed
        })
        .await
    }

    /// Applies `change` to the stored user and writes it under the version read, reading
    /// again when another request changed the user first. `change` answers whether it
    /// changed anything (nothing is written when not).
    pub(crate) async fn update_user(
        &self,
        user_id: UserId,
        mut change: impl FnMut(&mut UserRecord) -> bool,
    ) -> Result<(), ServiceError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let stored = self.user_record(user_id).await?;
            let mut record = stored.value;
            if !change(&mut record) {
                return Ok(());
            }
            let write = store::put(store::user_key(&record.id), &record, stored.version)?;
            match self.ports.records.write(write).await {
                Ok(()) => return Ok(()),
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: format!("user {user_id} kept changing; try again"),
        })
    }

    /// Stores a new user, their token and (if named) their name claim in one commit.
    async fn commit_new_user(
        &self,
        record: &UserRecord,
        name: Option<&UserName>,
    ) -> Result<(), ServiceError> {
        let owner = || TokenRecord {
            user_id: record.id.clone(),
        };
        let mut writes = vec![
            store::put(store::user_key(&record.id), record, 0)?,
            store::put(store::token_key(&record.token_hash), &owner(), 0)?,
        ];
        if let Some(name) = name {
            writes.push(store::put(store::name_key(&name_key(name)), &owner(), 0)?);
        }
        self.ports.records.commit(writes).await?;
        Ok(())
    }

    /// The user a bearer token belongs to; [`ServiceError::Unauthorized`] for an unknown,
    /// rotated or deleted token, or a banned user's. With `claimed_user` (Basic auth's user
    /// part) the token must also belong to that user. Reads the token's and the user's
    /// records every time (see [`Game::authenticate_at`] for the kept answer).
    pub async fn authenticate(
        &self,
        token: &str,
        claimed_user: Option<UserId>,
    ) -> Result<UserId, ServiceError> {
        self.check_credentials(token, claimed_user, None).await
    }

    /// [`Game::authenticate`] for a request at `now`, answered from memory while what was
    /// read is fresh, so a request reads no record for its credentials: who a token
    /// belongs to (kept by the token's SHA-256, never the token) and whether that user is
    /// banned or deleted, each read at most once per `board_fresh_for`.
    ///
    /// A ban, unban, deletion or token rotation made through this process's `Game` (or a
    /// clone of it) takes effect on the next request; one made by another process (another
    /// server, the command line) within `board_fresh_for`.
    pub async fn authenticate_at(
        &self,
        token: &str,
        claimed_user: Option<UserId>,
        now: Timestamp,
    ) -> Result<UserId, ServiceError> {
        self.check_credentials(token, claimed_user, Some(now)).await
    }

    /// The user `token` belongs to and may play; from kept credentials fresh at `now`
    /// (`None`: read both records).
    async fn check_credentials(
        &self,
        token: &str,
        claimed_user: Option<UserId>,
        now: Option<Timestamp>,
    ) -> Result<UserId, ServiceError> {
        let unauthorized = || ServiceError::Unauthorized {
            message: "unknown or revoked token".to_owned(),
        };
        let credentials = self.read_cache.credentials();
        let token_hash = TokenHash::of(token);
        let kept_owner = now.and_then(|now| credentials.token_owner(&token_hash, now));
        let user_id = match kept_owner {
            Some(user_id) => user_id,
            None => {
                let generation = credentials.token_generation();
                let key = store::token_key(&token_hash.to_hex());
                let stored: Option<Versioned<TokenRecord>> =
                    store::get(self.ports.records.as_ref(), &key).await?;
                let user_id = stored.ok_or_else(unauthorized)?.value.user_id;
                let user_id = UserId::parse(&user_id).map_err(|_| unauthorized())?;
                if let Some(now) = now {
                    credentials.keep_token(token_hash, user_id, generation, now);
                }
                user_id
            }
        };
        if claimed_user.is_some_and(|claimed| claimed != user_id) {
            return Err(unauthorized());
        }
        let kept_standing = now.and_then(|now| credentials.standing(user_id, now));
        let standing = match kept_standing {
            Some(standing) => standing,
            None => {
                let generation = credentials.user_generation(user_id);
                let key = store::user_key(&user_id.to_string());
                let (standing, version) = match self.ports.records.get(&key).await? {
                    Some(item) => {
                        let standing =
                            Standing::of_body(&item.body).ok_or_else(|| ServiceError::Corrupt {
                                what: format!("record {key}: not a user"),
                            })?;
                        (standing, item.version)
                    }
                    None => (Standing::Gone, 0),
                };
                if let Some(now) = now {
                    credentials.keep_standing(user_id, standing, version, generation, now);
                }
                standing
            }
        };
        match standing {
            Standing::Active => Ok(user_id),
            Standing::Banned => Err(ServiceError::Unauthorized {
                message: "this account is banned".to_owned(),
            }),
            Standing::Gone => Err(unauthorized()),
        }
    }

    /// A user as the API shows them; [`ServiceError::NotFound`] for unknown or deleted ones.
    pub async fn user(&self, user_id: UserId) -> Result<UserView, ServiceError> {
        let stored = self.user_record(user_id).await?;
        let wins = self.win_counts(user_id).await?;
        Ok(self.user_view(&stored.value, wins))
    }

    /// The user holding `name` (case-insensitively), for a caller whose registration is
    /// `ok` ([`ServiceError::Forbidden`] naming the caller's status otherwise).
    pub async fn user_by_name(&self, caller: UserId, name: &str) -> Result<UserView, ServiceError> {
        let caller_view = self.user(caller).await?;
        if !caller_view.registration.is_ok() {
            return Err(ServiceError::Forbidden {
                message: format!(
                    "looking users up by name needs a complete registration; yours is `{}`",
                    caller_view.registration.as_str()
                ),
            });
        }
        let name = UserName::parse(name)?;
        let claim: Option<Versioned<TokenRecord>> = store::get(
            self.ports.records.as_ref(),
            &store::name_key(&name_key(&name)),
        )
        .await?;
        let claim =
            claim.ok_or_else(|| ServiceError::not_found(format!("user {:?}", name.as_str())))?;
        self.user(UserId::parse(&claim.value.user_id)?).await
    }

    /// Whether a user name is taken (case-insensitively).
    pub async fn user_name_taken(&self, name: &str) -> Result<bool, ServiceError> {
        let name = UserName::parse(name)?;
        let key = store::name_key(&name_key(&name));
        Ok(self.ports.records.get(&key).await?.is_some())
    }

    /// Applies a profile change and returns the user as it now stands. A taken name is
    /// [`ServiceError::Conflict`] (`name_taken`); a location with no place near enough is
    /// [`ServiceError::Invalid`] naming `location`. All or nothing: the name claim, the old
    /// name's release and the profile are one commit.
    pub async fn update_profile(
        &self,
        user_id: UserId,
        patch: ProfilePatch,
    ) -> Result<UserView, ServiceError> {
        let new_name = patch
            .user_name
            .as_deref()
            .map(UserName::parse)
            .transpose()?;
        for category in [&patch.post_category, &patch.view_category]
            .into_iter()
            .flatten()
        {
            Category::parse(category, &self.config.categories)?;
        }
        let place = match patch.location {
            Some(location) => Some(self.resolve_place(location).await?),
            None => None,
        };
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let stored = self.user_record(user_id).await?;
            let mut record = stored.value.clone();
            let mut writes = Vec::new();
            if let Some(name) = &new_name {
                let new_key = name_key(name);
                let old_key = record
                    .user_name
                    .as_deref()
                    .and_then(|old| UserName::parse(old).ok());
                let old_key = old_key.as_ref().map(name_key);
                if old_key.as_deref() != Some(new_key.as_str()) {
                    if self
                        .ports
                        .records
                        .get(&store::name_key(&new_key))
                        .await?
                        .is_some()
                    {
                        return Err(name_taken(name));
                    }
                    writes.push(store::put(
                        store::name_key(&new_key),
                        &TokenRecord {
                            user_id: record.id.clone(),
                        },
                        0,
                    )?);
                    if let Some(old_key) = old_key {
                        writes.push(Write::Delete {
                            key: store::name_key(&old_key),
                            condition: Condition::Always,
                        });
                    }
                }
                record.user_name = Some(name.as_str().to_owned());
            }
            apply_fields(&mut record.profile, &patch.profile);
            if let Some(category) = &patch.post_category {
                record.post_category = Some(category.clone());
            }
            if let Some(category) = &patch.view_category {
                record.view_category = Some(category.clone());
            }
            if let Some(place) = &place {
                record.place = Some(place.clone());
            }
            writes.push(store::put(
                store::user_key(&record.id),
                &record,
                stored.version,
            )?);
            match self.ports.records.commit(writes).await {
                Ok(()) => {
                    let wins = self.win_counts(user_id).await?;
                    return Ok(self.user_view(&record, wins));
                }
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {
                    // Either the name was claimed meanwhile (refused on the next attempt)
                    // or the user changed: read again.
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Conflict {
            code: "concurrent_update",
            message: "the profile kept changing during the update; try again".to_owned(),
        })
    }

    /// Replaces the user's token: the old one stops working at once. Returns the new token.
    pub async fn rotate_token(
        &self,
        user_id: UserId,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<String, ServiceError> {
        let stored = self.user_record(user_id).await?;
        let token = format!("{:032x}", rng.random::<u128>());
        let mut record = stored.value.clone();
        record.token_hash = store::sha256_hex(token.as_bytes());
        let mut writes = revoke_device_tokens(&mut record);
        writes.extend([
            Write::Delete {
                key: store::token_key(&stored.value.token_hash),
                condition: Condition::Always,
            },
            store::put(
                store::token_key(&record.token_hash),
                &TokenRecord {
                    user_id: record.id.clone(),
                },
                0,
            )?,
            store::put(store::user_key(&record.id), &record, stored.version)?,
        ]);
        self.ports.records.commit(writes).await?;
        Ok(token)
    }

    /// Deletes the account: the name is freed and the token stops working. Photos stay
    /// until moderation removes them.
    pub async fn delete_user(&self, user_id: UserId) -> Result<(), ServiceError> {
        let stored = self.user_record(user_id).await?;
        let mut record = stored.value.clone();
        let mut writes = revoke_device_tokens(&mut record);
        writes.push(Write::Delete {
            key: store::token_key(&record.token_hash),
            condition: Condition::Always,
        });
        if let Some(facebook_id) = record.facebook_id.take() {
            writes.push(Write::Delete {
                key: crate::service::facebook::claim_key(&facebook_id),
                condition: Condition::Always,
            });
        }
        if let Some(name) = record
            .user_name
            .take()
            .and_then(|n| UserName::parse(&n).ok())
        {
            writes.push(Write::Delete {
                key: store::name_key(&name_key(&name)),
                condition: Condition::Always,
            });
        }
        record.deleted = true;
        writes.push(store::put(
            store::user_key(&record.id),
            &record,
            stored.version,
        )?);
        self.ports.records.commit(writes).await?;
        Ok(())
    }

    /// The stored user, refusing unknown and deleted ones.
    pub(crate) async fn user_record(
        &self,
        user_id: UserId,
    ) -> Result<Versioned<UserRecord>, ServiceError> {
        let stored: Option<Versioned<UserRecord>> = store::get(
            self.ports.records.as_ref(),
            &store::user_key(&user_id.to_string()),
        )
        .await?;
        match stored {
            Some(stored) if !stored.value.deleted => Ok(stored),
            _ => Err(ServiceError::not_found(format!("user {user_id}"))),
        }
    }

    /// The place nearest to `location` within the configured distance.
    pub(crate) async fn resolve_place(
        &self,
        location: Coordinates,
    ) -> Result<PlaceView, ServiceError> {
        let nearby = self
            .ports
            .places
            .nearest(
                location.lat(),
                location.lon(),
                self.config.max_place_distance_km,
            )
            .await?;
        let Some(nearby) = nearby else {
            return Err(ServiceError::invalid(
                "location",
                "no known place is near enough to these coordinates",
            ));
        };
        Ok(nearby.place.into())
    }

    /// The user's place, else the configured default place ([`Game::default_place`]).
    pub(crate) async fn place_of(&self, record: &UserRecord) -> Result<PlaceView, ServiceError> {
        match &record.place {
            Some(place) => Ok(place.clone()),
            None => self.default_place().await,
        }
    }

    /// The configured default place, where users without a location of their own judge
    /// and post. It is read from the places port once and then kept by this `Game` and its
    /// clones, so such users are still placed while the places database is down; a server
    /// reads it at start for that reason. Its id comes from the settings and does not
    /// change; a dataset reloaded under a running server with a renamed default place shows
    /// the new name after a restart. A default place missing from the dataset is
    /// [`ServiceError::Conflict`] (`no_location`) and is not kept: every call asks again.
    pub async fn default_place(&self) -> Result<PlaceView, ServiceError> {
        if let Some(place) = self.default_place.get() {
            return Ok(place.clone());
        }
        let place = self.ports.places.get(&self.config.default_place).await?;
        let place = place.ok_or_else(|| ServiceError::Conflict {
            code: "no_location",
            message: format!(
                "the user has no location and the default place {} is not in the places dataset",
                self.config.default_place
            ),
        })?;
        // Two first calls at once both read it; whichever finishes first is kept.
        Ok(self.default_place.get_or_init(|| place.into()).clone())
    }

    pub(crate) fn post_category_of(&self, record: &UserRecord) -> String {
        record
            .post_category
            .clone()
            .unwrap_or_else(|| self.config.default_post_category.clone())
    }

    pub(crate) fn view_category_of(&self, record: &UserRecord) -> String {
        record
            .view_category
            .clone()
            .unwrap_or_else(|| self.config.default_view_category.clone())
    }

    fn user_view(&self, record: &UserRecord, (wins, losses): (u64, u64)) -> UserView {
        let profile = Profile {
            has_name: record.user_name.is_some(),
            has_facebook: record.facebook_id.is_some(),
            has_post_category: record.post_category.is_some(),
            has_profile_picture: record.profile_photo.is_some(),
            has_location: record.place.is_some(),
            has_view_category: record.view_category.is_some(),
        };
        let ladder = RegistrationConfig {
            require_facebook: self.config.require_facebook,
        };
        UserView {
            id: UserId::parse(&record.id).unwrap_or(UserId::from_u128(0)),
            user_name: record.user_name.clone(),
            profile: record.profile.clone(),
            post_category: self.post_category_of(record),
            view_category: self.view_category_of(record),
            place: record.place.clone(),
            registration: registration_status(&profile, &ladder),
            wins,
            losses,
            win_loss_ratio: win_loss_ratio(wins, losses),
            profile_photo: record.profile_photo.clone(),
            created_at: Timestamp::from_millis(record.created_at),
            role: record.role,
        }
    }
}

/// A new anonymous user: their id, token (shown once) and record (storing only the
/// token's SHA-256). The token is 128 random bits from `rng`.
fn new_user_record(
    new_user: NewUser,
    now: Timestamp,
    rng: &mut (impl Rng + ?Sized),
) -> (UserId, String, UserRecord) {
    let user_id = UserId::generate(now, rng);
    let token = format!("{:032x}", rng.random::<u128>());
    let record = UserRecord {
        id: user_id.to_string(),
        token_hash: store::sha256_hex(token.as_bytes()),
        user_name: None,
        profile: ProfileFields::default(),
        post_category: None,
        view_category: None,
        place: None,
        profile_photo: None,
        user_agent: new_user.user_agent,
        created_at: now.millis(),
        deleted: false,
        cadence: None,
        role: Role::User,
        banned: false,
        facebook_id: None,
        device_token_hashes: Vec::new(),
    };
    (user_id, token, record)
}

/// The writes revoking every device token of `record` (and forgetting them).
fn revoke_device_tokens(record: &mut UserRecord) -> Vec<Write> {
    record
        .device_token_hashes
        .drain(..)
        .map(|hash| Write::Delete {
            key: store::token_key(&hash),
            condition: Condition::Always,
        })
        .collect()
}

/// Which user a token or a name belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub(crate) user_id: String,
}

/// The claim key of a name: case-insensitive.
fn name_key(name: &UserName) -> String {
    name.as_str().to_lowercase()
}

fn name_taken(name: &UserName) -> ServiceError {
    ServiceError::Conflict {
        code: "name_taken",
        message: format!("the user name {:?} is taken", name.as_str()),
    }
}

fn apply_fields(fields: &mut ProfileFields, patch: &ProfileFields) {
    let pairs = [
        (&mut fields.first_name, &patch.first_name),
        (&mut fields.last_name, &patch.last_name),
        (&mut fields.biography, &patch.biography),
        (&mut fields.website, &patch.website),
        (&mut fields.snapchat, &patch.snapchat),
        (&mut fields.instagram, &patch.instagram),
    ];
    for (field, new_value) in pairs {
        if let Some(value) = new_value {
            *field = Some(value.clone());
        }
    }
}
