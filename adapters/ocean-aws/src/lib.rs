//! What every ocean AWS adapter shares: [`sdk_config`] builds one SDK configuration from
//! ocean's `[aws]` settings (region, a local endpoint, static or default-chain credentials),
//! and [`classify`] sorts an SDK call's failure into ocean's error kinds, so each adapter
//! maps its service's own error codes and leaves transport failures to one place.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let config = ocean_aws::test_config("http://127.0.0.1:5000");
//! assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
//! # });
//! ```

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::result::SdkError;
use ocean::settings::AwsSettings;
use ocean::{BoxError, Error};

/// The SDK configuration for `aws`: its region, its endpoint (every service) when set, and
/// its static keys when set, else the default credential chain (environment, profile,
/// container or instance role).
pub async fn sdk_config(aws: &AwsSettings) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(aws.region.clone()));
    if let Some(endpoint) = &aws.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let (Some(id), Some(secret)) = (&aws.access_key_id, &aws.secret_access_key) {
        loader = loader.credentials_provider(Credentials::new(
            id,
            secret.expose(),
            None,
            None,
            "ocean settings",
        ));
    }
    loader.load().await
}

/// The configuration tests use against a local server at `endpoint`: region `us-east-1` and
/// the static keys `test`/`test`, with no lookup of the environment.
pub fn test_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "test",
                "test",
                None,
                None,
                "ocean tests",
            )),
        )
        .build()
}

/// What an SDK call's failure means to ocean, before the service's own error codes.
#[derive(Debug)]
pub enum Failure<E> {
    /// The service answered with an error of its own: the adapter maps it (a conditional
    /// check failing, a missing queue, ...).
    Service(E),
    /// Ocean's error for everything else: no connection, a timeout, a response that could
    /// not be read (all retryable, [`ocean::ErrorKind::Unavailable`]), or a request the SDK
    /// refused to build ([`ocean::ErrorKind::Backend`]).
    Other(Error),
}

/// Splits `error` of an SDK call to `backend` into the service's error, for the adapter to
/// map, and every other failure, already an ocean error.
pub fn classify<E, R>(backend: &'static str, error: SdkError<E, R>) -> Failure<E>
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => Failure::Service(service.into_err()),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Other(Error::Unavailable {
                backend,
                source: BoxError::from(error),
            })
        }
        other => Failure::Other(Error::Backend {
            backend,
            source: BoxError::from(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_config_points_every_service_at_the_endpoint() {
        let config = test_config("http://127.0.0.1:5000");
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(config.credentials_provider().is_some());
    }
}
