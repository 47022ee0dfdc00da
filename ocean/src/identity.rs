//! The identity port: who an external provider's access token belongs to (Facebook's Graph
//! API, say), so an application can link an account or log a user in on a new device.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;

/// A user's profile as the identity provider reports it for one access token.
///
/// Every field but `id` is `None` when the provider did not give it (a permission the user
/// did not grant, a field left empty); empty strings are never returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalProfile {
    /// The provider's id of the user, stable for this application (Facebook: the
    /// app-scoped user id, decimal digits as a string). Never empty.
    pub id: String,
    /// The first name.
    pub first_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// The full name as the provider displays it.
    pub name: Option<String>,
    /// The e-mail address, only when the user granted it.
    pub email: Option<String>,
    /// A URL of the profile picture (it may expire: fetch it soon); `None` when the user has
    /// none or only the provider's default silhouette.
    pub picture_url: Option<String>,
}

/// An external identity provider.
///
/// Read-only and idempotent: asking twice about one token has no effect at the provider and
/// returns the same profile while the token is valid, so any call may be retried. Errors:
/// [`crate::Error::Invalid`] naming `token` when the token is empty or the provider rejects
/// it (malformed, expired, revoked, another application's): the user must log in to the
/// provider again, retrying will not help; [`crate::Error::Unavailable`] when the provider is
/// down, answers 5xx, throttles or times out (after the adapter's own bounded retries);
/// [`crate::Error::Backend`] for anything else (an answer that is not a profile, a
/// misconfigured application). Never `NotFound`, `Conflict` or `Unsupported`. No message,
/// log line or error source ever contains the token.
#[async_trait]
pub trait Identity: Send + Sync + fmt::Debug + 'static {
    /// The profile of the user `access_token` belongs to.
    async fn profile(&self, access_token: &str) -> Result<ExternalProfile>;
}
