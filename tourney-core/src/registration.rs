//! The registration ladder: the first unmet step of a profile, which gates posting
//! tournament photos, commenting, following and looking users up by name.

use std::fmt;

/// What a profile has filled in, as the ladder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Profile {
    /// The user has a valid name.
    pub has_name: bool,
    /// The user has linked a Facebook account.
    pub has_facebook: bool,
    /// The user has picked a post category (the configured default does not count).
    pub has_post_category: bool,
    /// The user has a ready profile picture.
    pub has_profile_picture: bool,
    /// The user has a location (a place resolved from coordinates or chosen).
    pub has_location: bool,
    /// The user has picked a view category (the configured default does not count).
    pub has_view_category: bool,
}

/// Ladder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegistrationConfig {
    /// Whether a linked Facebook account is a step (default false).
    pub require_facebook: bool,
}

/// A profile's place on the ladder: the first unmet step, or `Ok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegistrationStatus {
    /// `need name`.
    NeedName,
    /// `need facebook` (only when required).
    NeedFacebook,
    /// `need category`: no post category picked.
    NeedCategory,
    /// `need pic`: no profile picture.
    NeedPic,
    /// `need location`.
    NeedLocation,
    /// `need view category`.
    NeedViewCategory,
    /// `ok`: fully registered.
    Ok,
}

impl RegistrationStatus {
    /// The wire text, e.g. `need view category`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::NeedName => "need name",
            RegistrationStatus::NeedFacebook => "need facebook",
            RegistrationStatus::NeedCategory => "need category",
            RegistrationStatus::NeedPic => "need pic",
            RegistrationStatus::NeedLocation => "need location",
            RegistrationStatus::NeedViewCategory => "need view category",
            RegistrationStatus::Ok => "ok",
        }
    }

    /// Whether the user may post tournament photos, comment, follow and look users up.
    pub fn is_ok(self) -> bool {
        self == RegistrationStatus::Ok
    }
}

impl fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first unmet step of `profile`, in the spec's order: name, Facebook (only when
/// `require_facebook`), post category, picture, location, view category; `Ok` when none.
///
/// ```
/// use tourney_core::{Profile, RegistrationConfig, RegistrationStatus, registration_status};
///
/// let named = Profile { has_name: true, ..Profile::default() };
/// let status = registration_status(&named, &RegistrationConfig::default());
/// assert_eq!(status.as_str(), "need category");
/// ```
pub fn registration_status(profile: &Profile, config: &RegistrationConfig) -> RegistrationStatus {
    let steps = [
        (profile.has_name, RegistrationStatus::NeedName),
        (
            profile.has_facebook || !config.require_facebook,
            RegistrationStatus::NeedFacebook,
        ),
        (profile.has_post_category, RegistrationStatus::NeedCategory),
        (profile.has_profile_picture, RegistrationStatus::NeedPic),
        (profile.has_location, RegistrationStatus::NeedLocation),
        (
            profile.has_view_category,
            RegistrationStatus::NeedViewCategory,
        ),
    ];
    steps
        .into_iter()
        .find(|(is_met, _)| !is_met)
        .map_or(RegistrationStatus::Ok, |(_, status)| status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPLETE: Profile = Profile {
        has_name: true,
        has_facebook: true,
        has_post_category: true,
        has_profile_picture: true,
        has_location: true,
        has_view_category: true,
    };

    #[test]
    fn the_first_unmet_step_wins() {
        let without_facebook = Profile {
            has_facebook: false,
            ..COMPLETE
        };
        let cases = [
            (Profile::default(), false, "need name"),
            (Profile::default(), true, "need name"),
            (
                Profile {
                    has_name: true,
                    ..Profile::default()
                },
                false,
                "need category",
            ),
            (
                Profile {
                    has_name: true,
                    ..Profile::default()
                },
                true,
                "need facebook",
            ),
            (without_facebook, false, "ok"),
            (without_facebook, true, "need facebook"),
            (
                Profile {
                    has_post_category: false,
                    ..COMPLETE
                },
                false,
                "need category",
            ),
            (
                Profile {
                    has_profile_picture: false,
                    ..COMPLETE
                },
                false,
                "need pic",
            ),
            (
                Profile {
                    has_location: false,
                    ..COMPLETE
                },
                false,
                "need location",
            ),
            (
                Profile {
                    has_view_category: false,
                    ..COMPLETE
                },
                false,
                "need view category",
            ),
            (
                Profile {
                    has_name: false,
                    ..COMPLETE
                },
                false,
                "need name",
            ),
            (
                Profile {
                    has_profile_picture: false,
                    has_location: false,
                    ..COMPLETE
                },
                false,
                "need pic",
            ),
            (COMPLETE, true, "ok"),
        ];
        for (profile, require_facebook, expected) in cases {
            let config = RegistrationConfig { require_facebook };
            let status = registration_status(&profile, &config);
            assert_eq!(status.as_str(), expected, "{profile:?} {config:?}");
            assert_eq!(status.is_ok(), expected == "ok");
        }
    }
}
