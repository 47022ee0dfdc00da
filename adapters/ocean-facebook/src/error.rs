//! The one place Graph API answers and HTTP failures become port error kinds, and the only
//! place that decides what is retryable.
//!
//! | what happened | port error | retried |
//! |---|---|---|
//! | the token is empty, or Graph says `OAuthException` code 190 or 102 | `Invalid` naming `token` | no |
//! | HTTP 5xx, 408 or 429, a Graph error marked `is_transient` or with a temporary code (1, 2, 4, 17, 32, 341, 613: outage, throttling) | `Unavailable` | yes |
//! | no answer: connection refused or reset, timeout, the body cut short | `Unavailable` | yes |
//! | any other answer: another Graph error (permissions, a bad field), a redirect, a body that is not a profile or a friend list, a `paging.next` URL on another host | `Backend` | no |
//! | a picture URL that is not `http`/`https`, or that answers 4xx but 408 and 429 (expired, gone) | `Invalid` naming `url` | no |
//! | a picture answer that is not `image/...`, is empty or is over the size cap | `Backend` | no |

use std::fmt;

use ocean::Error;
use serde::Deserialize;

/// The backend name in every error this crate returns.
pub(crate) const BACKEND: &str = "facebook";

/// Graph error codes that mean "temporary: wait and retry": 1 (unknown, possibly downtime),
/// 2 (service), 4, 17, 32, 613 (call rate limits), 341 (application limit).
const TEMPORARY_CODES: &[i64] = &[1, 2, 4, 17, 32, 341, 613];

/// Graph error codes that mean the access token is not accepted: 190 (invalid, expired,
/// revoked) and 102 (session).
const TOKEN_CODES: &[i64] = &[190, 102];

/// What went wrong in one exchange with the Graph API, before it becomes a port error.
/// Never holds the access token: transport errors lose their URL, Graph's messages have it
/// replaced.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GraphFailure {
    /// No complete answer: the connection failed, timed out, or the body was cut short.
    #[error("graph api request failed")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what was asked for: an error status or a Graph error object.
    #[error("graph api answered HTTP {status}{}", graph.as_ref().map(|g| format!(": {g}")).unwrap_or_default())]
    Answer {
        /// The HTTP status.
        status: u16,
        /// The Graph error object, when the body held one.
        graph: Option<GraphError>,
    },
    /// A successful status whose body is not what was asked for (not a profile, not a
    /// friend list, not an image, too large).
    #[error("graph api answered HTTP {status} with {reason}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What is wrong with the body.
        reason: String,
    },
}

/// The Graph API's error object (`{"error": {...}}`), as far as this crate reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct GraphError {
    /// Graph's human-readable message, with the token (if it appeared) replaced.
    #[serde(default)]
    pub(crate) message: String,
    /// The error type, e.g. `OAuthException`.
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    /// The error code, e.g. 190.
    #[serde(default)]
    pub(crate) code: Option<i64>,
    /// The subcode, e.g. 463 (expired).
    #[serde(default)]
    pub(crate) error_subcode: Option<i64>,
    /// Whether Graph says a retry may succeed.
    #[serde(default)]
    pub(crate) is_transient: Option<bool>,
    /// Graph's support trace id.
    #[serde(default)]
    pub(crate) fbtrace_id: Option<String>,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} code {}", self.kind, self.code.unwrap_or(0))?;
        if let Some(subcode) = self.error_subcode {
            write!(f, " subcode {subcode}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " (fbtrace_id {trace})")?;
        }
        Ok(())
    }
}

impl GraphError {
    /// Whether Graph refuses the access token itself.
    fn rejects_token(&self) -> bool {
        self.code.is_some_and(|code| TOKEN_CODES.contains(&code))
    }

    /// Whether Graph says the failure is temporary.
    fn is_temporary(&self) -> bool {
        self.is_transient == Some(true)
            || self
                .code
                .is_some_and(|code| TEMPORARY_CODES.contains(&code))
    }

    /// Why the token was refused, for the user's error message.
    fn token_problem(&self) -> &'static str {
        match self.error_subcode {
            Some(463) => "it has expired",
            Some(460) => "the password changed since it was issued",
            Some(458) => "the user removed the application",
            Some(459 | 464) => "the user must log in to facebook.com first",
            _ => "it is invalid or revoked",
        }
    }
}

/// The port error for `failure`: see the table in this module's documentation.
pub(crate) fn port_error(failure: GraphFailure) -> Error {
    let retryable = match &failure {
        GraphFailure::Transport(error) => !error.is_builder(),
        GraphFailure::Answer { status, graph } => {
            if *status < 500
                && let Some(graph) = graph.as_ref().filter(|graph| graph.rejects_token())
            {
                return Error::invalid(
                    "token",
                    format!(
                        "facebook refuses the access token ({}): log in to facebook again",
                        graph.token_problem()
                    ),
                );
            }
            *status >= 500
                || matches!(status, 408 | 429)
                || graph.as_ref().is_some_and(GraphError::is_temporary)
        }
        GraphFailure::Unexpected { .. } => false,
    };
    if retryable {
        Error::Unavailable {
            backend: BACKEND,
            source: Box::new(failure),
        }
    } else {
        Error::Backend {
            backend: BACKEND,
            source: Box::new(failure),
        }
    }
}

/// The port error for a picture URL that answered HTTP `status` (not 2xx) without a body
/// worth reading: 4xx but 408 and 429 say the URL expired or the picture is gone
/// (`Invalid` naming `url`); the rest go by [`port_error`] (5xx, 408, 429 `Unavailable`;
/// redirects `Backend`).
pub(crate) fn picture_status_error(status: u16) -> Error {
    if (400..500).contains(&status) && !matches!(status, 408 | 429) {
        return Error::invalid(
            "url",
            format!(
                "the profile picture's URL answered HTTP {status} (expired, or the picture \
                 is gone): read the profile again for a fresh URL"
            ),
        );
    }
    port_error(GraphFailure::Answer {
        status,
        graph: None,
    })
}

#[cfg(test)]
mod tests {
    use ocean::ErrorKind;

    use super::*;

    fn graph(code: i64, subcode: Option<i64>) -> Option<GraphError> {
        Some(GraphError {
            message: "m".to_owned(),
            kind: "OAuthException".to_owned(),
            code: Some(code),
            error_subcode: subcode,
            ..GraphError::default()
        })
    }

    fn kind_of(status: u16, graph: Option<GraphError>) -> ErrorKind {
        port_error(GraphFailure::Answer { status, graph }).kind()
    }

    #[test]
    fn a_refused_token_is_invalid_naming_token() {
        for (code, subcode) in [(190, None), (190, Some(463)), (190, Some(460)), (102, None)] {
            let error = port_error(GraphFailure::Answer {
                status: 400,
                graph: graph(code, subcode),
            });
            assert!(
                matches!(error, Error::Invalid { field: "token", .. }),
                "{code}/{subcode:?}: {error:?}"
            );
        }
        let expired = port_error(GraphFailure::Answer {
            status: 400,
            graph: graph(190, Some(463)),
        });
        assert!(expired.to_string().contains("expired"), "{expired}");
    }

    #[test]
    fn outages_and_throttling_are_unavailable() {
        for status in [500, 502, 503, 504, 408, 429] {
            assert_eq!(kind_of(status, None), ErrorKind::Unavailable, "{status}");
        }
        assert_eq!(kind_of(500, graph(190, None)), ErrorKind::Unavailable);
        for code in [1, 2, 4, 17, 32, 341, 613] {
            assert_eq!(kind_of(400, graph(code, None)), ErrorKind::Unavailable);
        }
        let transient = GraphError {
            is_transient: Some(true),
            ..GraphError::default()
        };
        assert_eq!(kind_of(400, Some(transient)), ErrorKind::Unavailable);
    }

    #[test]
    fn other_answers_are_backend_failures() {
        for (status, code) in [
            (400, Some(10)),
            (400, Some(100)),
            (403, Some(200)),
            (404, None),
        ] {
            let graph = code.and_then(|code| graph(code, None));
            assert_eq!(kind_of(status, graph), ErrorKind::Backend, "{status}");
        }
        assert_eq!(kind_of(302, None), ErrorKind::Backend);
        let not_a_profile = port_error(GraphFailure::Unexpected {
            status: 200,
            reason: "no id".to_owned(),
        });
        assert_eq!(not_a_profile.kind(), ErrorKind::Backend);
    }

    #[test]
    fn picture_statuses_map_to_invalid_url_unavailable_or_backend() {
        for status in [400, 403, 404, 410] {
            let error = picture_status_error(status);
            assert!(
                matches!(error, Error::Invalid { field: "url", .. }),
                "{status}: {error:?}"
            );
        }
        for status in [408, 429, 500, 503] {
            assert_eq!(
                picture_status_error(status).kind(),
                ErrorKind::Unavailable,
                "{status}"
            );
        }
        assert_eq!(picture_status_error(302).kind(), ErrorKind::Backend);
    }

    #[test]
    fn the_graph_error_shows_type_codes_message_and_trace() {
        let error = GraphError {
            fbtrace_id: Some("T1".to_owned()),
            ..graph(190, Some(463)).unwrap()
        };
        assert_eq!(
            error.to_string(),
            "OAuthException code 190 subcode 463: m (fbtrace_id T1)"
        );
    }
}
