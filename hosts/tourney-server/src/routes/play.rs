//! The game: matches proposed to the caller, votes on them, and the caller's wins.

use serde::Deserialize;
use tourney_core::{MatchId, UserId};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{List, Match, Matches, Paging, VoteBody, Win, rfc3339};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, query, with_state};
use crate::routes::{clock, secure_rng};

/// `GET /v1/users/me/matches` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchesQuery {
    /// Include test photos.
    is_test: Option<bool>,
}

/// Default and largest page of wins.
const WINS_PAGE: (u32, u32) = (50, 200);

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let matches = warp::path!("v1" / "users" / "me" / "matches")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<MatchesQuery>())
        .and(with_state(state.clone()))
        .then(get_matches)
        .map(respond);
    let vote = warp::path!("v1" / "users" / "me" / "matches" / String)
        .and(warp::put())
        .and(authenticated(state.clone()))
        .and(json_body::<VoteBody>())
        .and(with_state(state.clone()))
        .then(put_vote)
        .map(respond);
    let wins = warp::path!("v1" / "users" / "me" / "wins")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state))
        .then(get_wins)
        .map(respond);
    matches.or(vote).unify().or(wins).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(get_matches, put_vote, get_wins),
    components(schemas(Match, Matches, VoteBody, Win, List<Win>))
)]
pub(crate) struct Doc;

/// Up to 10 matches from the caller's pool (view category at their place).
#[utoipa::path(get, path = "/v1/users/me/matches", tag = "game",
    params(("is_test" = Option<bool>, Query, description = "include test photos")),
    responses((status = 200, body = Matches),
        (status = 404, body = crate::ErrorBody, description = "not_enough_photos or no_unique_matches")))]
async fn get_matches(
    judge: UserId,
    query: MatchesQuery,
    state: AppState,
) -> Result<Response, ApiError> {
    let matches = state
        .game
        .propose_matches(
            judge,
            query.is_test.unwrap_or(false),
            clock(),
            &mut secure_rng(),
        )
        .await?;
    let body = Matches {
        matches: matches.into_iter().map(Match::from).collect(),
        tournament: None,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// Votes on a match proposed to the caller: `{"winner": "a" | "b"}`. Once per match.
#[utoipa::path(put, path = "/v1/users/me/matches/{match_id}", tag = "game",
    params(("match_id" = String, Path, description = "64 hex")),
    request_body = VoteBody,
    responses((status = 200, description = "recorded"), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody)))]
async fn put_vote(
    match_id: String,
    judge: UserId,
    body: VoteBody,
    state: AppState,
) -> Result<Response, ApiError> {
    let match_id =
        MatchId::parse(&match_id).map_err(|e| ApiError::invalid("match_id", e.to_string()))?;
    state
        .game
        .vote(judge, match_id, &body.winner, clock())
        .await?;
    Ok(warp::reply::json(&serde_json::json!({"status": "recorded"})).into_response())
}

/// The caller's wins (one per vote a photo of theirs won), newest first.
#[utoipa::path(get, path = "/v1/users/me/wins", tag = "game",
    params(("count" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Win>)))]
async fn get_wins(user: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = paging.count.unwrap_or(WINS_PAGE.0);
    if count == 0 || count > WINS_PAGE.1 {
        return Err(ApiError::invalid(
            "count",
            format!("count must be within [1, {}], got {count}", WINS_PAGE.1),
        ));
    }
    let (wins, next_cursor) = state.game.wins(user, count, paging.cursor).await?;
    let body = List {
        items: wins
            .into_iter()
            .map(|(photo, opponent, at)| Win {
                photo_id: photo.to_string(),
                opponent_id: opponent.to_string(),
                created_at: rfc3339(at),
            })
            .collect(),
        next_cursor,
    };
    Ok(warp::reply::json(&body).into_response())
}
