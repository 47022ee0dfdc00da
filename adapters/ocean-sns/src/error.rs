//! The one place SNS failures become ocean error kinds (or the few outcomes the adapter acts
//! on itself), and which of them are worth a retry.

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use ocean::{BoxError, Error};
use ocean_aws::Failure;

/// The backend name in ocean errors.
pub(crate) const BACKEND: &str = "sns";

/// What an SNS call's failure means to the adapter.
#[derive(Debug)]
pub(crate) enum SnsFailure {
    /// The endpoint does not exist, or is disabled by the push service (`NotFound`,
    /// `EndpointDisabled`, or `InvalidParameter` "No endpoint found for the target arn").
    EndpointGone,
    /// `CreatePlatformEndpoint`: an endpoint with this token exists with other attributes
    /// (disabled, say); the message names it ("Endpoint <arn> already exists with the same
    /// Token, but different attributes").
    EndpointExists(String),
    /// Every other failure, already an ocean error.
    Other(Error),
}

/// Sorts `error` of an SNS call: the codes the adapter acts on, then
/// - throttling and internal errors: [`Error::Unavailable`], retryable (the SDK's standard
///   retry has run, except for `Publish`, which is never retried);
/// - other invalid parameters (a token SNS refuses, a payload too long): [`Error::Invalid`]
///   naming `field`;
/// - everything else (an application disabled by bad credentials, access denied):
///   [`Error::Backend`];
/// - transport failures and timeouts: [`Error::Unavailable`], through [`ocean_aws::classify`].
pub(crate) fn sns_failure<E, R>(field: &'static str, error: SdkError<E, R>) -> SnsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let service = match ocean_aws::classify(BACKEND, error) {
        Failure::Service(service) => service,
        Failure::Other(error) => return SnsFailure::Other(error),
    };
    let code = service.code().unwrap_or_default();
    let message = service.message().unwrap_or_default();
    match code {
        "NotFound" | "NotFoundException" | "EndpointDisabled" | "EndpointDisabledException" => {
            SnsFailure::EndpointGone
        }
        "InvalidParameter" | "InvalidParameterException"
            if message.contains("No endpoint found") =>
        {
            SnsFailure::EndpointGone
        }
        "InvalidParameter" | "InvalidParameterException" if message.contains("already exists") => {
            match endpoint_arn_in(message) {
                Some(arn) => SnsFailure::EndpointExists(arn),
                None => SnsFailure::Other(Error::Backend {
                    backend: BACKEND,
                    source: BoxError::from(service),
                }),
            }
        }
        "InvalidParameter"
        | "InvalidParameterException"
        | "InvalidParameterValue"
        | "InvalidParameterValueException"
        | "ValidationError" => SnsFailure::Other(Error::invalid(field, message.to_owned())),
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "InternalError"
        | "InternalErrorException"
        | "KMSThrottling"
        | "KMSThrottlingException" => SnsFailure::Other(Error::Unavailable {
            backend: BACKEND,
            source: BoxError::from(service),
        }),
        _ => SnsFailure::Other(Error::Backend {
            backend: BACKEND,
            source: BoxError::from(service),
        }),
    }
}

/// The endpoint ARN in a "Endpoint <arn> already exists ..." message.
fn endpoint_arn_in(message: &str) -> Option<String> {
    message
        .split_whitespace()
        .find(|word| word.starts_with("arn:") && word.contains(":endpoint/"))
        .map(str::to_owned)
}

impl SnsFailure {
    /// The ocean error for a failure the caller has no special use for, naming `what`.
    pub(crate) fn into_error(self, what: &str) -> Error {
        match self {
            SnsFailure::Other(error) => error,
            SnsFailure::EndpointGone => Error::not_found(what.to_owned()),
            SnsFailure::EndpointExists(arn) => Error::Backend {
                backend: BACKEND,
                source: BoxError::from(format!("{what}: unexpected existing endpoint {arn}")),
            },
        }
    }
}

/// A [`Error::Backend`] for a response SNS should not have given.
pub(crate) fn unexpected(what: impl Into<String>) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(what.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint_arn_in;

    #[test]
    fn the_existing_endpoint_is_parsed_from_the_message() {
        let message = "Invalid parameter: Token Reason: Endpoint \
            arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/5e3e9847-3183-3f18-a7e8-671c3a57d4b3 \
            already exists with the same Token, but different attributes.";
        assert_eq!(
            endpoint_arn_in(message).as_deref(),
            Some(
                "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/5e3e9847-3183-3f18-a7e8-671c3a57d4b3"
            )
        );
        assert_eq!(endpoint_arn_in("Endpoint already exists"), None);
    }
}
