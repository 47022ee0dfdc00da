//! The one place DynamoDB's errors become ocean's error kinds, and which of them are worth a
//! retry.
//!
//! | DynamoDB says | ocean kind | retryable |
//! |---|---|---|
//! | `ConditionalCheckFailedException`, a cancelled transaction's `ConditionalCheckFailed` | `Conflict` naming the key (and the write's index in a commit) | no (re-read first) |
//! | `TransactionConflictException`, a cancelled transaction's `TransactionConflict` | `Conflict`: another transaction held the item; nothing was written | no (re-read first) |
//! | `ProvisionedThroughputExceededException`, `ThrottlingException`, `RequestLimitExceeded`, `InternalServerError`, `TransactionInProgressException`, a cancelled transaction's `ThrottlingError` / `ProvisionedThroughputExceeded` | `Unavailable` | yes |
//! | `ResourceNotFoundException` | `Backend`, saying to run `init-aws` | no |
//! | `ValidationException` and everything else | `Backend` (ocean checks every input first, so the request the adapter built is at fault) | no |
//! | no connection, a timeout, an unreadable response | `Unavailable` (through [`ocean_aws::classify`]) | yes |
//!
//! Contention between transactions is a `Conflict`, not `Unavailable`: DynamoDB guarantees the
//! cancelled call wrote nothing (which `Conflict` promises and `Unavailable` does not), and a
//! caller's answer to either is the same as to a failed version check: read again, decide
//! again. The conformance check `concurrent_commits_are_serialisable` relies on it.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;
use ocean::records::Write;
use ocean::{BoxError, Error};
use ocean_aws::Failure;

use crate::item::describe_condition;

/// The backend name in ocean errors.
pub(crate) const BACKEND: &str = "dynamodb";

/// Error codes that mean "too much at once, or a passing fault": retry later.
const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "TransactionInProgressException",
    "ServiceUnavailable",
];

/// Cancellation reasons of a transaction that mean "retry later".
const RETRYABLE_REASONS: [&str; 2] = ["ThrottlingError", "ProvisionedThroughputExceeded"];

/// The ocean error for a failed call on `table` that wrote at most the item `conflict`
/// describes: `conflict` is the text of the [`Error::Conflict`] a failed condition or a
/// transaction conflict becomes (it names the key).
pub(crate) fn from_sdk<E, R>(
    error: SdkError<E, R>,
    table: &str,
    conflict: impl FnOnce() -> String,
) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match ocean_aws::classify(BACKEND, error) {
        Failure::Other(error) => error,
        Failure::Service(service) => from_service(service, table, conflict),
    }
}

/// The ocean error for a failed `TransactWriteItems` of `writes` on `table`: a cancelled
/// transaction names its first failing write (index and key) from the cancellation reasons.
pub(crate) fn from_transaction<R>(
    error: SdkError<TransactWriteItemsError, R>,
    table: &str,
    writes: &[Write],
) -> Error
where
    R: fmt::Debug + Send + Sync + 'static,
{
    match ocean_aws::classify(BACKEND, error) {
        Failure::Other(error) => error,
        Failure::Service(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let reasons = cancelled.cancellation_reasons().to_vec();
            from_cancellation(&reasons, writes).unwrap_or_else(|| Error::Backend {
                backend: BACKEND,
                source: BoxError::from(cancelled),
            })
        }
        Failure::Service(service) => from_service(service, table, || {
            "another transaction was writing one of the commit's items (contention: nothing was \
             written)"
                .to_owned()
        }),
    }
}

/// What the cancellation `reasons` (one per write, in order) of a transaction of `writes`
/// mean: a conflict naming the first write whose condition failed, else the first write that
/// met another transaction, else `Unavailable` when throttled. `None` for reasons it does not
/// know (the caller reports the whole exception as a backend failure).
pub(crate) fn from_cancellation(reasons: &[CancellationReason], writes: &[Write]) -> Option<Error> {
    let first_with = |code: &str| {
        reasons
            .iter()
            .position(|reason| reason.code() == Some(code))
            .and_then(|position| Some((position, writes.get(position)?)))
    };
    if let Some((position, write)) = first_with("ConditionalCheckFailed") {
        return Some(Error::conflict(format!(
            "write {position} on key {}: {}",
            write.key(),
            describe_condition(write.condition())
        )));
    }
    if let Some((position, write)) = first_with("TransactionConflict") {
        return Some(Error::conflict(format!(
            "write {position} on key {}: another transaction was writing it at the same time \
             (contention: nothing was written)",
            write.key()
        )));
    }
    let throttled = reasons.iter().any(|reason| {
        reason
            .code()
            .is_some_and(|code| RETRYABLE_REASONS.contains(&code))
    });
    throttled.then(|| Error::Unavailable {
        backend: BACKEND,
        source: BoxError::from(format!(
            "a transaction was throttled: {}",
            describe_reasons(reasons)
        )),
    })
}

/// The ocean error for DynamoDB's own error `service` on `table`.
fn from_service<E>(service: E, table: &str, conflict: impl FnOnce() -> String) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match service.code().unwrap_or_default() {
        "ConditionalCheckFailedException" => Error::conflict(conflict()),
        "TransactionConflictException" => Error::conflict(format!(
            "{} (another transaction was writing it: nothing was written)",
            conflict()
        )),
        code if RETRYABLE_CODES.contains(&code) => Error::Unavailable {
            backend: BACKEND,
            source: BoxError::from(service),
        },
        "ResourceNotFoundException" => Error::Backend {
            backend: BACKEND,
            source: BoxError::from(Explained {
                message: format!(
                    "table {table} does not exist or is not active; create it with `init-aws` \
                     (DynamoRecords::create_table)"
                ),
                source: BoxError::from(service),
            }),
        },
        _ => Error::Backend {
            backend: BACKEND,
            source: BoxError::from(service),
        },
    }
}

/// One line listing a transaction's cancellation reasons, for logs and error messages.
fn describe_reasons(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .enumerate()
        .map(|(n, reason)| format!("{n}: {}", reason.code().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A backend error with a sentence of advice in front of the SDK's own error.
#[derive(Debug)]
struct Explained {
    /// What went wrong and what to do about it.
    message: String,
    /// The SDK's error.
    source: BoxError,
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Explained {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use ocean::ErrorKind;
    use ocean::records::{Condition, Item, Key};

    use super::*;

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    fn writes() -> Vec<Write> {
        (0..4)
            .map(|n| Write::Put {
                item: Item::new(Key::new("p", format!("s{n}")), 1, Vec::new()),
                condition: Condition::VersionIs(1),
            })
            .collect()
    }

    #[test]
    fn the_first_failed_condition_is_named() {
        let reasons = [
            reason("None"),
            reason("TransactionConflict"),
            reason("ConditionalCheckFailed"),
            reason("ConditionalCheckFailed"),
        ];
        let error = from_cancellation(&reasons, &writes()).expect("an error");
        assert_eq!(error.kind(), ErrorKind::Conflict);
        let message = error.to_string();
        assert!(message.contains("write 2 on key (p, s2)"), "{message}");
    }

    #[test]
    fn contention_alone_is_a_conflict_naming_the_write() {
        let reasons = [reason("None"), reason("TransactionConflict")];
        let error = from_cancellation(&reasons, &writes()).expect("an error");
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert!(error.to_string().contains("write 1 on key (p, s1)"));
    }

    #[test]
    fn throttling_is_retryable_and_unknown_reasons_are_not_mapped() {
        let throttled = from_cancellation(&[reason("ThrottlingError")], &writes());
        assert!(throttled.is_some_and(|error| error.is_retryable()));
        assert!(from_cancellation(&[reason("ValidationError")], &writes()).is_none());
    }
}
