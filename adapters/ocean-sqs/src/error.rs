//! The one place SQS failures become ocean error kinds (or the few outcomes the adapter acts
//! on itself), and which of them are worth a retry.

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use ocean::{BoxError, Error};
use ocean_aws::Failure;

/// The backend name in ocean errors.
pub(crate) const BACKEND: &str = "sqs";

/// What an SQS call's failure means to the adapter.
#[derive(Debug)]
pub(crate) enum SqsFailure {
    /// The queue does not exist (never created, or deleted after its URL was cached).
    QueueMissing,
    /// `CreateQueue` found the queue already there with other attributes.
    QueueExists,
    /// The receipt handle names no message that can still be changed or deleted: the message
    /// was deleted or its delivery expired, or the handle was never issued.
    ReceiptInvalid,
    /// Every other failure, already an ocean error.
    Other(Error),
}

/// Sorts `error` of an SQS call: the service's codes the adapter acts on, then
/// - throttling, over-limit and internal errors: [`Error::Unavailable`], retryable (the SDK's
///   standard retry has already tried a few times);
/// - invalid parameters (a body SQS refuses, say): [`Error::Invalid`] naming `field`;
/// - everything else (access denied, a queue deleted moments ago): [`Error::Backend`];
/// - transport failures and timeouts: [`Error::Unavailable`], through [`ocean_aws::classify`].
pub(crate) fn sqs_failure<E, R>(field: &'static str, error: SdkError<E, R>) -> SqsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let service = match ocean_aws::classify(BACKEND, error) {
        Failure::Service(service) => service,
        Failure::Other(error) => return SqsFailure::Other(error),
    };
    // The JSON protocol names errors by shape (`QueueDoesNotExist`), the query protocol and
    // query-compatible servers by their legacy code (`AWS.SimpleQueueService.NonExistentQueue`).
    let code = service.code().unwrap_or_default();
    let code = code.strip_prefix("AWS.SimpleQueueService.").unwrap_or(code);
    match code {
        "QueueDoesNotExist" | "NonExistentQueue" => SqsFailure::QueueMissing,
        "QueueAlreadyExists" | "QueueNameExists" => SqsFailure::QueueExists,
        "ReceiptHandleIsInvalid" | "MessageNotInflight" => SqsFailure::ReceiptInvalid,
        // What SQS answers to ChangeMessageVisibility once a delivery has expired: "Value ...
        // for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not
        // available for visibility timeout change."
        "InvalidParameterValue" | "InvalidParameterValueException"
            if service
                .message()
                .is_some_and(|m| m.contains("ReceiptHandle")) =>
        {
            SqsFailure::ReceiptInvalid
        }
        "InvalidParameterValue"
        | "InvalidParameterValueException"
        | "InvalidAttributeValue"
        | "InvalidAttributeName"
        | "InvalidMessageContents"
        | "InvalidBatchEntryId"
        | "MissingParameter"
        | "ValidationError"
        | "ValidationException" => SqsFailure::Other(Error::invalid(
            field,
            service.message().unwrap_or(code).to_owned(),
        )),
        "RequestThrottled"
        | "ThrottlingException"
        | "OverLimit"
        | "KmsThrottled"
        | "ServiceUnavailable"
        | "InternalError"
        | "InternalFailure" => SqsFailure::Other(Error::Unavailable {
            backend: BACKEND,
            source: BoxError::from(service),
        }),
        _ => SqsFailure::Other(Error::Backend {
            backend: BACKEND,
            source: BoxError::from(service),
        }),
    }
}

impl SqsFailure {
    /// The ocean error for a failure the caller has no special use for: a missing queue is
    /// [`Error::Unavailable`] (its cached URL is dropped, so the next call creates it again),
    /// an unexpected `QueueExists` or invalid receipt is [`Error::Backend`].
    pub(crate) fn into_error(self, queue: &str) -> Error {
        match self {
            SqsFailure::Other(error) => error,
            SqsFailure::QueueMissing => Error::Unavailable {
                backend: BACKEND,
                source: BoxError::from(format!("queue {queue} no longer exists")),
            },
            SqsFailure::QueueExists => Error::Backend {
                backend: BACKEND,
                source: BoxError::from(format!("queue {queue} exists with other attributes")),
            },
            SqsFailure::ReceiptInvalid => Error::Backend {
                backend: BACKEND,
                source: BoxError::from(format!("unexpected invalid receipt on queue {queue}")),
            },
        }
    }
}

/// A [`Error::Backend`] for a response missing something SQS always sends.
pub(crate) fn malformed(what: impl Into<String>) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(what.into()),
    }
}
