//! Who is asking: `Authorization: Bearer <token>` or `Basic base64(user_id:token)`, checked
//! against the stored token hashes by the game (answered from memory while fresh: see
//! `Game::authenticate_at`).

use base64::Engine as _;
use tourney_core::UserId;
use warp::{Filter, Rejection};

use crate::AppState;
use crate::error::ApiError;
use crate::filters::with_state;

/// Credentials as the header carries them.
#[derive(Debug, PartialEq, Eq)]
struct Credentials {
    token: String,
    claimed_user: Option<UserId>,
}

/// Extracts the authenticated user, or rejects with 401 (no header, a malformed one, or a
/// token that is unknown, rotated or belongs to a deleted user).
pub fn authenticated(
    state: AppState,
) -> impl Filter<Extract = (UserId,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(with_state(state))
        .and_then(|header: Option<String>, state: AppState| async move {
            let credentials = parse(header.as_deref()).map_err(ApiError::reject)?;
            state
                .game
                .authenticate_at(
                    &credentials.token,
                    credentials.claimed_user,
                    tourney_worker::now(),
                )
                .await
                .map_err(|error| ApiError::from(error).reject())
        })
}

/// The admin a request to the admin area comes from, by the same credentials as the API:
/// 401 for missing, malformed, unknown or banned credentials (the admin area answers it
/// with `WWW-Authenticate: Basic realm="admin"`, so a browser prompts for the user id and
/// the token), 403 for anyone but an admin.
pub(crate) async fn admin(state: &AppState, header: Option<&str>) -> Result<UserId, ApiError> {
    let credentials = parse(header)?;
    let user = state
        .game
        .authenticate_at(
            &credentials.token,
            credentials.claimed_user,
            tourney_worker::now(),
        )
        .await?;
    state.game.require_admin(user).await?;
    Ok(user)
}

/// Whether the header carries Basic credentials, the kind a browser remembers and sends
/// by itself (see the admin area's cross-site request check).
pub(crate) fn is_basic(header: Option<&str>) -> bool {
    header
        .map(str::trim_start)
        .and_then(|header| header.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
}

fn parse(header: Option<&str>) -> Result<Credentials, ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::unauthorized(
            "send `Authorization: Bearer <token>` (the token from POST /v1/users)",
        )
    })?;
    let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !value.is_empty() {
        return Ok(Credentials {
            token: value.to_owned(),
            claimed_user: None,
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let malformed =
            || ApiError::unauthorized("Basic credentials must be base64(user_id:token)");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (user, token) = decoded.split_once(':').ok_or_else(malformed)?;
        let user = UserId::parse(user).map_err(|_| malformed())?;
        return Ok(Credentials {
            token: token.to_owned(),
            claimed_user: Some(user),
        });
    }
    Err(ApiError::unauthorized(
        "the Authorization header must be `Bearer <token>` or `Basic <base64(user_id:token)>`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_are_read() {
        let bearer = parse(Some("Bearer abc123")).unwrap();
        assert_eq!(bearer.token, "abc123");
        let user = "0123456789abcdef0123456789abcdef";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:tok"));
        let basic = parse(Some(&format!("Basic {basic}"))).unwrap();
        assert_eq!(basic.token, "tok");
        assert_eq!(basic.claimed_user.unwrap().to_string(), user);
    }

    #[test]
    fn basic_is_told_from_bearer() {
        assert!(is_basic(Some("Basic abc")));
        assert!(is_basic(Some(" basic abc")));
        assert!(!is_basic(Some("Bearer abc")));
        assert!(!is_basic(Some("Basic")));
        assert!(!is_basic(None));
    }

    #[test]
    fn missing_or_malformed_headers_are_401() {
        for header in [
            None,
            Some(""),
            Some("Bearer "),
            Some("Token x"),
            Some("Basic !!"),
        ] {
            let error = parse(header).unwrap_err();
            assert_eq!(error.status().as_u16(), 401, "{header:?}");
        }
    }
}
