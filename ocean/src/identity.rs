//! The identity port: who an external provider's access token belongs to (Facebook's Graph
//! API, say), so an application can link an account or log a user in on a new device; the
//! profile picture's bytes, so it can become the user's first photo; and which of the user's
//! friends at the provider already use the application, so they can be told who joined.

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

/// The largest profile picture [`Identity::picture`] returns, in bytes (4 MiB); a provider's
/// profile pictures are far smaller, so a larger answer is refused rather than read.
pub const MAX_PICTURE_BYTES: usize = 4 << 20;

/// The most friends [`Identity::friends`] returns: an adapter stops reading the provider's
/// pages once it has this many (or after its own bounded number of pages) and returns what
/// it has, so one popular user cannot make a link slow or a queued job large.
pub const MAX_FRIENDS: usize = 1000;

/// A profile picture's content, as [`Identity::picture`] fetched it.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    /// The picture's bytes: never empty, at most [`MAX_PICTURE_BYTES`].
    pub bytes: Vec<u8>,
    /// The content type the provider declared, lowercase and without parameters; always
    /// `image/...` (e.g. `image/jpeg`). The bytes are not decoded: they may still turn out
    /// not to be that type, which the media pipeline checks.
    pub content_type: String,
}

impl fmt::Debug for Picture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Picture")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// An external identity provider.
///
/// Read-only and idempotent: asking twice about one token has no effect at the provider and
/// returns the same answer while the token is valid, so any call may be retried. Errors:
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

    /// The content of a profile picture, `url` being an [`ExternalProfile::picture_url`]
    /// (no token is sent: such URLs are signed by the provider and may expire). Errors as
    /// the trait says, except that [`crate::Error::Invalid`] names `url`: the URL is not an
    /// `http`/`https` URL, or the provider answers 4xx (the URL expired or the picture is
    /// gone: read the profile again for a fresh URL, retrying will not help).
    /// [`crate::Error::Backend`] when the answer is not an image (its content type is not
    /// `image/...`), is empty, or is larger than [`MAX_PICTURE_BYTES`] (nothing past the
    /// cap is read). Redirects are not followed.
    async fn picture(&self, url: &str) -> Result<Picture>;

    /// The provider's ids (as [`ExternalProfile::id`]) of the friends of the user
    /// `access_token` belongs to who also use this application and agreed to be listed (on
    /// Facebook: `/me/friends`, which needs the `user_friends` permission; without it the
    /// list is empty, not an error). Each id once, in the provider's order, at most
    /// [`MAX_FRIENDS`]: a longer list is cut short (the adapter logs that). Errors as the
    /// trait says.
    async fn friends(&self, access_token: &str) -> Result<Vec<String>>;
}
