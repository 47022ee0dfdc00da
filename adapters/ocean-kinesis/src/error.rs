//! The one place Kinesis and DynamoDB failures become ocean error kinds (or the few outcomes
//! the adapter acts on itself), and which of them are worth a retry.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use ocean::{BoxError, Error};
use ocean_aws::Failure;

/// The backend name in ocean errors about streams.
pub(crate) const KINESIS: &str = "kinesis";
/// The backend name in ocean errors about checkpoints.
pub(crate) const DYNAMODB: &str = "dynamodb";

/// Error codes of throttling and of internal failures: [`Error::Unavailable`], retryable (the
/// SDK's standard retry has already tried a few times). The same codes mark the failed
/// entries of a `PutRecords` that the adapter sends again.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "KMSThrottlingException",
    "InternalFailure",
    "InternalFailureException",
    "InternalServerError",
    "ServiceUnavailable",
    // An iterator older than five minutes: reading again gets a fresh one.
    "ExpiredIteratorException",
];

/// Whether a service error `code` (also a failed `PutRecords` entry's) is worth a retry.
pub(crate) fn is_retryable_code(code: &str) -> bool {
    RETRYABLE_CODES.contains(&code)
}

/// What a Kinesis or DynamoDB call's failure means to the adapter.
#[derive(Debug)]
pub(crate) enum AwsFailure {
    /// `ResourceNotFoundException`: the stream or table does not exist.
    Missing,
    /// `ResourceInUseException`: the stream or table exists already (or is being created).
    InUse,
    /// `ConditionalCheckFailedException`: a conditional write's condition did not hold.
    ConditionFailed,
    /// Every other failure, already an ocean error.
    Other(Error),
}

/// Sorts `error` of a call to `backend` ([`KINESIS`] or [`DYNAMODB`]): the codes the adapter
/// acts on, then retryable codes ([`is_retryable_code`]) as [`Error::Unavailable`], invalid
/// arguments as [`Error::Invalid`] naming `field`, everything else (access denied, KMS keys
/// disabled, ...) as [`Error::Backend`]; transport failures and timeouts are
/// [`Error::Unavailable`] through [`ocean_aws::classify`].
pub(crate) fn aws_failure<E, R>(
    backend: &'static str,
    field: &'static str,
    error: SdkError<E, R>,
) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let service = match ocean_aws::classify(backend, error) {
        Failure::Service(service) => service,
        Failure::Other(error) => return AwsFailure::Other(error),
    };
    let code = service.code().unwrap_or_default();
    match code {
        "ResourceNotFoundException" => AwsFailure::Missing,
        "ResourceInUseException" => AwsFailure::InUse,
        "ConditionalCheckFailedException" => AwsFailure::ConditionFailed,
        "InvalidArgumentException" | "ValidationException" => AwsFailure::Other(Error::invalid(
            field,
            service.message().unwrap_or(code).to_owned(),
        )),
        code if is_retryable_code(code) => AwsFailure::Other(Error::Unavailable {
            backend,
            source: BoxError::from(service),
        }),
        _ => AwsFailure::Other(Error::Backend {
            backend,
            source: BoxError::from(service),
        }),
    }
}

impl AwsFailure {
    /// The ocean error for a failure the caller has no special use for, naming `what` (the
    /// stream or table): a missing or busy resource is [`Error::Backend`] (the adapter creates
    /// streams itself, so a missing one was deleted under it; the checkpoint table is created
    /// by `init-aws`), a failed condition where none was set too.
    pub(crate) fn into_error(self, backend: &'static str, what: &str) -> Error {
        let problem = match self {
            AwsFailure::Other(error) => return error,
            AwsFailure::Missing => format!("{what} does not exist"),
            AwsFailure::InUse => format!("{what} is in use"),
            AwsFailure::ConditionFailed => format!("unexpected condition failure on {what}"),
        };
        Error::Backend {
            backend,
            source: BoxError::from(problem),
        }
    }
}

/// A [`Error::Backend`] of `backend` for a response missing something it always sends.
pub(crate) fn malformed(backend: &'static str, what: impl Into<String>) -> Error {
    Error::Backend {
        backend,
        source: BoxError::from(what.into()),
    }
}
