//! The one place S3 errors become media port error kinds.
//!
//! | S3 says | ocean kind | retryable |
//! |---|---|---|
//! | `NoSuchKey`, `NotFound` (a HEAD's 404) | [`Error::NotFound`] | no |
//! | `SlowDown`, `ServiceUnavailable`, `InternalError`, `RequestTimeout`, any 5xx | [`Error::Unavailable`] | yes |
//! | no connection, a timeout, an unreadable response or body | [`Error::Unavailable`] | yes |
//! | anything else (`NoSuchBucket`, `AccessDenied`, `SignatureDoesNotMatch`, ...) | [`Error::Backend`] | no |
//!
//! The SDK itself retries the retryable ones a few times (standard mode) before they reach
//! the caller.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use ocean::{BoxError, Error};
use ocean_aws::Failure;

/// The backend name in every error this crate returns.
pub(crate) const BACKEND: &str = "s3";

/// Error codes S3 uses for "try again later".
const RETRYABLE_CODES: [&str; 4] = [
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
];

/// Error codes meaning the object is not there.
const NOT_FOUND_CODES: [&str; 2] = ["NoSuchKey", "NotFound"];

/// Maps a failed SDK call about `what` (e.g. `object photos/a.jpg`).
pub(crate) fn from_sdk<E>(error: SdkError<E, HttpResponse>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    match ocean_aws::classify(BACKEND, error) {
        Failure::Other(error) => error,
        Failure::Service(service) => from_service(service, status, what),
    }
}

/// Maps an error S3 answered with (`status` is its HTTP status, when known).
fn from_service<E>(error: E, status: Option<u16>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().unwrap_or_default();
    if NOT_FOUND_CODES.contains(&code) {
        return Error::not_found(what);
    }
    if RETRYABLE_CODES.contains(&code) || status.is_some_and(|status| status >= 500) {
        return unavailable(Box::new(error));
    }
    Error::Backend {
        backend: BACKEND,
        source: Box::new(error),
    }
}

/// A retryable error (a body that could not be read to the end, throttling, a 5xx).
pub(crate) fn unavailable(source: BoxError) -> Error {
    Error::Unavailable {
        backend: BACKEND,
        source,
    }
}

/// A permanent error with `message` (a response missing what S3 always sends).
pub(crate) fn backend(message: String) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_types::error::ErrorMetadata;
    use ocean::ErrorKind;

    use super::*;

    /// An unmodelled error with `code`.
    fn generic(code: &str) -> GetObjectError {
        GetObjectError::generic(ErrorMetadata::builder().code(code).build())
    }

    #[test]
    fn codes_map_to_kinds() {
        // As the SDK deserialises it: the modelled error carries the response's code.
        let missing = GetObjectError::NoSuchKey(
            NoSuchKey::builder()
                .meta(ErrorMetadata::builder().code("NoSuchKey").build())
                .build(),
        );
        assert_eq!(
            from_service(missing, Some(404), "object a").kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            from_service(generic("SlowDown"), Some(503), "object a").kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(
            from_service(generic("Whatever"), Some(502), "object a").kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(
            from_service(generic("AccessDenied"), Some(403), "object a").kind(),
            ErrorKind::Backend
        );
        assert_eq!(
            from_service(generic("NoSuchBucket"), Some(404), "object a").kind(),
            ErrorKind::Backend
        );
    }
}
