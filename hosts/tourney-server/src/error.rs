//! The server's errors and the one function that turns them, and warp's own rejections, into
//! the JSON error body `{"error": "snake_case_code", "message": "...", "field": "..."}` with
//! the right status.

use std::convert::Infallible;

use serde::Serialize;
use tourney_core::service::ServiceError;
use utoipa::ToSchema;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reject::{
    InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader, PayloadTooLarge,
    Reject, UnsupportedMediaType,
};
use warp::reply::Response;
use warp::{Rejection, Reply};

/// What went wrong with a request, by the status it answers. Handlers return it; filters
/// reject with it (it implements [`Reject`]); [`error_response`] renders it.
///
/// Each variant with a `code` lets a handler name a more precise snake_case code than the
/// default (e.g. `not_enough_photos` for a 404) with [`ApiError::with_code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: malformed or invalid input (default code `bad_request`, or `invalid` when a
    /// field is named).
    #[error("{message}")]
    BadRequest {
        /// The snake_case code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// The offending field or parameter, if one is to blame.
        field: Option<String>,
    },
    /// 401: no or bad credentials.
    #[error("{message}")]
    Unauthorized {
        /// What is missing or wrong.
        message: String,
    },
    /// 403: authenticated but not allowed (or a bad URL signature).
    #[error("{message}")]
    Forbidden {
        /// The snake_case code (default `forbidden`).
        code: &'static str,
        /// Why not.
        message: String,
    },
    /// 404: the thing asked for does not exist (code `no_route` when no route matched).
    #[error("{message}")]
    NotFound {
        /// The snake_case code (default `not_found`).
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// 405: the route exists, not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// 409: a condition did not hold (taken name, already judged, duplicate flag).
    #[error("{message}")]
    Conflict {
        /// The snake_case code (default `conflict`).
        code: &'static str,
        /// Which condition failed.
        message: String,
        /// The field whose value conflicts, if one.
        field: Option<String>,
    },
    /// 413: the body is too large.
    #[error("{message}")]
    PayloadTooLarge {
        /// The limit that was passed.
        message: String,
    },
    /// 415: the body's content type is not one this route takes.
    #[error("{message}")]
    UnsupportedMediaType {
        /// What was sent and what is wanted.
        message: String,
    },
    /// 422: well-formed but semantically invalid (a bad bracket report).
    #[error("{message}")]
    Unprocessable {
        /// The snake_case code (default `unprocessable`).
        code: &'static str,
        /// What does not hold.
        message: String,
        /// The offending field, if one.
        field: Option<String>,
    },
    /// 429: over a rate limit; answered with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// The limit hit, as the settings name it (`votes_user`): the body's `field`.
        limit: &'static str,
        /// What limit was hit and when to retry.
        message: String,
        /// Whole seconds, at least 1, until a request can pass: the `Retry-After` header.
        retry_after_secs: u64,
    },
    /// 503: a backend is temporarily unavailable; retrying later may work.
    #[error("{message}")]
    Unavailable {
        /// Which service is down (no internals).
        message: String,
    },
    /// 500: a bug or a permanent backend failure. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "bad_request",
            message: message.into(),
            field: None,
        }
    }

    /// A 400 `invalid` naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            message: message.into(),
        }
    }

    /// A 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    /// A 404 `not_found`; `what` is e.g. `photo 0123...` (the message adds "not found").
    pub fn not_found(what: impl AsRef<str>) -> Self {
        ApiError::NotFound {
            code: "not_found",
            message: format!("{} not found", what.as_ref()),
        }
    }

    /// A 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code: "conflict",
            message: message.into(),
            field: None,
        }
    }

    /// A 413 `payload_too_large` for a body over `limit_bytes`.
    pub fn payload_too_large(limit_bytes: u64) -> Self {
        ApiError::PayloadTooLarge {
            message: format!("the request body is larger than {limit_bytes} bytes"),
        }
    }

    /// A 415 `unsupported_media_type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        ApiError::UnsupportedMediaType {
            message: message.into(),
        }
    }

    /// A 422 `unprocessable` naming `field`.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            code: "unprocessable",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 429 `too_many_requests` over the limit named `limit`, to retry after
    /// `retry_after_secs` seconds (at least 1).
    pub fn too_many_requests(
        limit: &'static str,
        message: impl Into<String>,
        retry_after_secs: u64,
    ) -> Self {
        ApiError::TooManyRequests {
            limit,
            message: message.into(),
            retry_after_secs: retry_after_secs.max(1),
        }
    }

    /// A 503 `unavailable`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable {
            message: message.into(),
        }
    }

    /// A 500 whose cause is logged.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(cause.into())
    }

    /// This error with snake_case `code` instead of its default, for the variants that carry
    /// one (400, 403, 404, 409, 422); the others keep their fixed code.
    #[must_use]
    pub fn with_code(mut self, new_code: &'static str) -> Self {
        match &mut self {
            ApiError::BadRequest { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => *code = new_code,
            _ => {}
        }
        self
    }

    /// This error naming `field` as the culprit, for the variants that carry one (400, 409,
    /// 422).
    #[must_use]
    pub fn with_field(mut self, new_field: impl Into<String>) -> Self {
        match &mut self {
            ApiError::BadRequest { field, .. }
            | ApiError::Conflict { field, .. }
            | ApiError::Unprocessable { field, .. } => *field = Some(new_field.into()),
            _ => {}
        }
        self
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The snake_case code of the JSON body's `error`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The field the JSON body's `field` names, if any: the input at fault, or for a 429
    /// the limit hit.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. }
            | ApiError::Conflict { field, .. }
            | ApiError::Unprocessable { field, .. } => field.as_deref(),
            ApiError::TooManyRequests { limit, .. } => Some(limit),
            _ => None,
        }
    }

    /// This error as a warp rejection, for filters (handlers return the error itself).
    pub fn reject(self) -> Rejection {
        warp::reject::custom(self)
    }
}

impl Reject for ApiError {}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

impl From<ocean::Error> for ApiError {
    fn from(error: ocean::Error) -> Self {
        match error {
            ocean::Error::NotFound { what } => ApiError::NotFound {
                code: "not_found",
                message: format!("{what} not found"),
            },
            ocean::Error::Conflict { what } => ApiError::Conflict {
                code: "conflict",
                message: format!("conflict: {what}"),
                field: None,
            },
            ocean::Error::Invalid { field, message } => ApiError::invalid(field, message),
            ocean::Error::Unavailable { backend, source } => {
                tracing::warn!(backend, cause = %source, "backend unavailable");
                ApiError::unavailable(format!("the {backend} backend is unavailable, retry later"))
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid { field, message } => ApiError::invalid(field, message),
            ServiceError::Unauthorized { message } => ApiError::unauthorized(message),
            ServiceError::Forbidden { message } => ApiError::forbidden(message),
            ServiceError::NotFound { code, what } => ApiError::NotFound {
                code,
                message: what,
            },
            ServiceError::Conflict { code, message } => ApiError::conflict(message).with_code(code),
            ServiceError::Rules(rule) => rule_error(&rule),
            ServiceError::Port(port) => port.into(),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<tourney_core::Error> for ApiError {
    /// A malformed id or any other rule broken by the input: 400 naming its field (ids name
    /// theirs: `photo_id`, `user_id`...).
    fn from(rule: tourney_core::Error) -> Self {
        rule_error(&rule)
    }
}

/// A game rule's refusal: 400 naming the field where the rule says which.
fn rule_error(rule: &tourney_core::Error) -> ApiError {
    let message = rule.to_string();
    if let tourney_core::Error::BracketWinnerNotInGame { position, .. } = rule {
        return ApiError::unprocessable(format!("winners[{position}]"), message);
    }
    match rule.field() {
        Some(field) => ApiError::invalid(field, message),
        None => ApiError::bad_request(message),
    }
}

impl From<anyhow::Error> for ApiError {
    /// Port errors keep their mapping through `anyhow` (context added with `.context` is
    /// dropped from the answer, kept in the log of a 500).
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<ocean::Error>() {
            Ok(port_error) => port_error.into(),
            Err(other) => ApiError::Internal(other),
        }
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code, e.g. `not_found`, `invalid`, `payload_too_large`.
    pub error: String,
    /// Human text; never a stack trace or a backend's internals.
    pub message: String,
    /// The input field at fault, when one is; for a 429 the limit hit (e.g. `votes_user`,
    /// `sign_up_ip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// THE function that renders an error: status, JSON body (a 429 with `Retry-After`), and for
/// every 5xx an error-level
/// log line (a Sentry event when Sentry is set up) with the cause chain of an internal
/// error (the body then says only "internal error").
pub fn error_response(error: &ApiError) -> Response {
    let status = error.status();
    if let ApiError::Internal(cause) = error {
        tracing::error!(
            status = status.as_u16(),
            error = format!("{cause:#}"),
            "internal error"
        );
    } else if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %error, "server error");
    }
    let json = warp::reply::json(&error_body(error));
    let mut response = warp::reply::with_status(json, error.status()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let ApiError::Unavailable { .. } = error {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    if let ApiError::TooManyRequests {
        retry_after_secs, ..
    } = error
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response
}

/// The `Retry-After` (seconds) of a 503: a backend outage is usually a connection lost and
/// re-made or a failover, so a retry a few seconds later is worth it and cheap to refuse.
const UNAVAILABLE_RETRY_AFTER_SECS: &str = "5";

/// The JSON body for `error`.
fn error_body(error: &ApiError) -> ErrorBody {
    ErrorBody {
        error: error.code().to_owned(),
        message: error.to_string(),
        field: error.field().map(str::to_owned),
    }
}

/// Renders a handler's result: the reply, or the error through [`error_response`]. Use as
/// `.then(handler).map(respond)`.
pub fn respond<T: Reply>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(reply) => reply.into_response(),
        Err(error) => error_response(&error),
    }
}

/// The `recover` handler: every rejection, ours or warp's, through [`error_response`].
/// [`crate::routes`] applies it to the whole app; public for tests that serve a filter of
/// their own.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    // Our own errors win (a handler or filter said exactly what is wrong), then warp's.
    if let Some(error) = rejection.find::<ApiError>() {
        return Ok(error_response(error));
    }
    Ok(error_response(&warp_rejection_error(&rejection)))
}

/// Maps warp's own rejections: body and header problems first (the route matched), then
/// 405 (the path exists with another method), and 404 when no route matched at all.
fn warp_rejection_error(rejection: &Rejection) -> ApiError {
    if rejection.is_not_found() {
        return no_route();
    }
    if rejection.find::<PayloadTooLarge>().is_some() {
        return ApiError::PayloadTooLarge {
            message: "the request body is too large".to_owned(),
        };
    }
    if rejection.find::<UnsupportedMediaType>().is_some() {
        return ApiError::unsupported_media_type("this route does not take that content type");
    }
    if rejection.find::<LengthRequired>().is_some() {
        return ApiError::bad_request("a content-length header is required");
    }
    if let Some(body_error) = rejection.find::<warp::filters::body::BodyDeserializeError>() {
        return ApiError::bad_request(body_error.to_string());
    }
    if rejection.find::<InvalidQuery>().is_some() {
        return ApiError::bad_request("the query string is invalid").with_field("query");
    }
    if let Some(missing) = rejection.find::<MissingHeader>() {
        return ApiError::bad_request(format!("the {} header is missing", missing.name()))
            .with_field(missing.name());
    }
    if let Some(invalid) = rejection.find::<InvalidHeader>() {
        return ApiError::bad_request(format!("the {} header is invalid", invalid.name()))
            .with_field(invalid.name());
    }
    if rejection.find::<MethodNotAllowed>().is_some() {
        return ApiError::MethodNotAllowed;
    }
    ApiError::internal(anyhow::anyhow!("unhandled rejection: {rejection:?}"))
}

/// The 404 for a method and path no route serves.
pub(crate) fn no_route() -> ApiError {
    ApiError::NotFound {
        code: "no_route",
        message: "no route serves this path".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(error: &ApiError) -> serde_json::Value {
        serde_json::to_value(error_body(error)).expect("json")
    }

    #[test]
    fn port_errors_map_to_statuses_and_codes() {
        let cases: [(ocean::Error, StatusCode, &str); 4] = [
            (
                ocean::Error::not_found("photo x"),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                ocean::Error::conflict("user_name#a"),
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                ocean::Error::invalid("object_key", "empty"),
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                ocean::Error::Unsupported {
                    operation: "sent",
                    backend: "sns",
                },
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ];
        for (port_error, status, code) in cases {
            let error = ApiError::from(port_error);
            assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
        }
    }

    #[test]
    fn invalid_names_its_field_and_internal_hides_its_cause() {
        let body = body_of(&ApiError::from(ocean::Error::invalid("count", "too big")));
        assert_eq!(body["error"], "invalid");
        assert_eq!(body["field"], "count");
        assert_eq!(body["message"], "too big");

        let body = body_of(&ApiError::internal(anyhow::anyhow!("secret path /x/y")));
        assert_eq!(body["message"], "internal error");
        assert!(
            body.get("field").is_none(),
            "no field key when none: {body}"
        );
    }

    #[test]
    fn an_unavailable_backend_is_a_503_that_names_it_and_says_when_to_retry() {
        let error = ApiError::from(ocean::Error::Unavailable {
            backend: "postgresql places",
            source: "connection refused".into(),
        });
        let response = error_response(&error);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body = body_of(&error);
        assert_eq!(body["error"], "unavailable");
        assert_eq!(
            body["message"],
            "the postgresql places backend is unavailable, retry later"
        );
        assert!(
            !body.to_string().contains("refused"),
            "no internals: {body}"
        );
    }

    #[test]
    fn too_many_requests_names_its_limit_and_says_when_to_retry() {
        let error = ApiError::too_many_requests("votes_user", "too many votes", 0);
        let response = error_response(&error);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1", "at least 1 s");
        let body = body_of(&error);
        assert_eq!(body["error"], "too_many_requests");
        assert_eq!(body["field"], "votes_user");
    }

    #[test]
    fn anyhow_keeps_the_port_mapping() {
        let wrapped = anyhow::Error::from(ocean::Error::not_found("user u"));
        assert_eq!(ApiError::from(wrapped).status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn with_code_overrides_only_variants_with_a_code() {
        let error = ApiError::not_found("photos").with_code("not_enough_photos");
        assert_eq!(error.code(), "not_enough_photos");
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            ApiError::unauthorized("no token").with_code("x").code(),
            "unauthorized"
        );
    }
}
