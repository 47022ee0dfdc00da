//! The credentials URLs are signed with, available without waiting: signing is synchronous
//! (the media port's `presign_upload` and `read_url` do no I/O), while a credentials provider
//! may need I/O (an instance or container role).
//!
//! A static provider (keys from the settings or the tests) answers at once and is asked each
//! time. Any other provider is asked in the background, starting at construction; its answer
//! is kept until five minutes before it expires, and a refresh starts then while the old
//! credentials keep signing. Until a first answer arrives, signing fails with
//! [`Error::Unavailable`] (retryable).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use futures_util::FutureExt;
use ocean::{BoxError, Error, Result};

use crate::error::BACKEND;

/// How long before their expiry cached credentials are refreshed.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// The signing credentials of one [`crate::S3Media`].
#[derive(Clone)]
pub(crate) struct SigningCredentials {
    /// Where they come from; `None` when the SDK configuration has no provider.
    provider: Option<SharedCredentialsProvider>,
    /// The last credentials a provider gave, and whether a refresh is running.
    state: Arc<State>,
}

/// What [`SigningCredentials`] share with their background refresh.
#[derive(Default)]
struct State {
    /// The last credentials obtained.
    cached: Mutex<Option<Credentials>>,
    /// Whether a background refresh is running (at most one at a time).
    refreshing: AtomicBool,
}

impl fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningCredentials")
            .field("has_provider", &self.provider.is_some())
            .finish_non_exhaustive()
    }
}

impl SigningCredentials {
    /// Credentials from `provider`, fetched in the background right away when it cannot
    /// answer at once and a tokio runtime is running.
    pub(crate) fn new(provider: Option<SharedCredentialsProvider>) -> Self {
        let credentials = Self {
            provider,
            state: Arc::default(),
        };
        let _ = credentials.current();
        credentials
    }

    /// Credentials to sign with now.
    pub(crate) fn current(&self) -> Result<Credentials> {
        let Some(provider) = &self.provider else {
            return Err(Error::Backend {
                backend: BACKEND,
                source: "the SDK configuration has no credentials provider to sign urls with"
                    .into(),
            });
        };
        let now = SystemTime::now();
        let cached = self.cached();
        if let Some(credentials) = &cached
            && !expires_within(credentials, now, REFRESH_AHEAD)
        {
            return Ok(credentials.clone());
        }
        if let Some(answer) = provider.provide_credentials().now_or_never() {
            let credentials = answer.map_err(|error| unavailable(Box::new(error)))?;
            self.store(credentials.clone());
            return Ok(credentials);
        }
        self.refresh_in_background(provider);
        match cached {
            Some(credentials) if !expires_within(&credentials, now, Duration::ZERO) => {
                Ok(credentials)
            }
            _ => Err(unavailable(
                "the credentials to sign urls with are still loading".into(),
            )),
        }
    }

    /// The cached credentials, if any.
    fn cached(&self) -> Option<Credentials> {
        self.state
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Keeps `credentials`.
    fn store(&self, credentials: Credentials) {
        *self
            .state
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(credentials);
    }

    /// Asks `provider` on the running tokio runtime unless a refresh is already running (or
    /// there is no runtime: then the next call asks again).
    fn refresh_in_background(&self, provider: &SharedCredentialsProvider) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.state.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let provider = provider.clone();
        let this = self.clone();
        runtime.spawn(async move {
            // A failure leaves the cache as it was; the next signature asks again.
            if let Ok(credentials) = provider.provide_credentials().await {
                this.store(credentials);
            }
            this.state.refreshing.store(false, Ordering::Release);
        });
    }
}

/// Whether `credentials` expire before `now + margin`.
fn expires_within(credentials: &Credentials, now: SystemTime, margin: Duration) -> bool {
    credentials
        .expiry()
        .is_some_and(|expiry| expiry <= now + margin)
}

/// A retryable error for a credentials problem.
fn unavailable(source: BoxError) -> Error {
    Error::Unavailable {
        backend: BACKEND,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_credentials_answer_at_once() {
        let provider =
            SharedCredentialsProvider::new(Credentials::new("id", "secret", None, None, "test"));
        let credentials = SigningCredentials::new(Some(provider));
        let current = credentials.current().expect("static credentials");
        assert_eq!(current.access_key_id(), "id");
    }

    #[test]
    fn no_provider_is_a_backend_error() {
        let credentials = SigningCredentials::new(None);
        let error = credentials.current().expect_err("no provider");
        assert_eq!(error.kind(), ocean::ErrorKind::Backend);
    }
}
