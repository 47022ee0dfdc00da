//! The game: matches proposed to the caller, votes on them, and the caller's wins.

use serde::Deserialize;
use tourney_core::service::ProposalOptions;
use tourney_core::{MatchId, PhotoId, TournamentId, UserId};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{
    List, Match, Matches, Paging, ReportBody, Tournament, VoteBody, VoteRecorded, Win, page_count,
    rfc3339,
};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, percent_decode, query, with_state};
use crate::rate_limit::{Action, authenticated_within, within_address_limit};
use crate::routes::{clock, secure_rng};

/// `GET /v1/users/me/matches` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchesQuery {
    /// Include test photos.
    is_test: Option<bool>,
    /// Start the tournament cadence over.
    reset_tournament_status: Option<bool>,
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
    let tag_matches = warp::path!("v1" / "users" / "me" / "tag_matches" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_tag_matches)
        .map(respond);
    let with_photo = warp::path!("v1" / "users" / "me" / "matches" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_match_with_photo)
        .map(respond);
    let vote = warp::path!("v1" / "users" / "me" / "matches" / String)
        .and(warp::put())
        .and(within_address_limit(&state, Action::Votes))
        .and(authenticated_within(state.clone(), Action::Votes))
        .and(json_body::<VoteBody>())
        .and(with_state(state.clone()))
        .then(put_vote)
        .map(respond);
    let wins = warp::path!("v1" / "users" / "me" / "wins")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(get_wins)
        .map(respond);
    let tournament = warp::path!("v1" / "users" / "me" / "tournaments" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_tournament)
        .map(respond);
    let report = warp::path!("v1" / "users" / "me" / "tournaments" / String)
        .and(warp::put())
        .and(within_address_limit(&state, Action::Votes))
        .and(authenticated_within(state.clone(), Action::Votes))
        .and(json_body::<ReportBody>())
        .and(with_state(state))
        .then(put_report)
        .map(respond);
    matches
        .or(tag_matches)
        .unify()
        .or(with_photo)
        .unify()
        .or(vote)
        .unify()
        .or(wins)
        .unify()
        .or(tournament)
        .unify()
        .or(report)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(get_matches, get_tag_matches, get_match_with_photo, put_vote, get_wins, get_tournament, put_report),
    components(schemas(Match, Matches, VoteBody, VoteRecorded, Win, List<Win>, Tournament, ReportBody))
)]
pub(crate) struct Doc;

/// Up to 10 matches from the caller's pool (view category at their place), or a 16-photo
/// tournament when the cadence says one is due.
#[utoipa::path(get, path = "/v1/users/me/matches", tag = "game",
    params(("is_test" = Option<bool>, Query, description = "include test photos"),
        ("reset_tournament_status" = Option<bool>, Query, description = "start the tournament cadence over")),
    responses((status = 200, body = Matches),
        (status = 404, body = crate::ErrorBody, description = "not_enough_photos or no_unique_matches")))]
async fn get_matches(
    judge: UserId,
    query: MatchesQuery,
    state: AppState,
) -> Result<Response, ApiError> {
    let options = ProposalOptions {
        include_test_photos: query.is_test.unwrap_or(false),
        reset_tournament_status: query.reset_tournament_status.unwrap_or(false),
    };
    let proposal = state
        .game
        .propose(judge, options, clock(), &mut secure_rng())
        .await?;
    let body = Matches {
        matches: proposal.matches.into_iter().map(Match::from).collect(),
        tournament: proposal.tournament.map(Tournament::from),
    };
    Ok(warp::reply::json(&body).into_response())
}

/// Up to 10 matches among the photos carrying a tag in the caller's view category; never a
/// tournament, and the tournament cadence is untouched.
#[utoipa::path(get, path = "/v1/users/me/tag_matches/{tag}", tag = "game",
    params(("tag" = String, Path, description = "percent-encoded; any case")),
    responses((status = 200, body = Matches),
        (status = 404, body = crate::ErrorBody, description = "not_enough_photos or no_unique_matches")))]
async fn get_tag_matches(
    tag: String,
    judge: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let tag = percent_decode("tag", &tag)?;
    let matches = state
        .game
        .propose_tagged(judge, &tag, clock(), &mut secure_rng())
        .await?;
    let body = Matches {
        matches: matches.into_iter().map(Match::from).collect(),
        tournament: None,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// One match containing a photo (a new pair for the caller).
#[utoipa::path(get, path = "/v1/users/me/matches/{id}", tag = "game",
    params(("id" = String, Path, description = "the photo id, 32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Match), (status = 404, body = crate::ErrorBody)))]
async fn get_match_with_photo(
    photo_id: String,
    judge: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    let view = state
        .game
        .propose_with_photo(judge, photo_id, clock(), &mut secure_rng())
        .await?;
    Ok(warp::reply::json(&Match::from(view)).into_response())
}

/// Votes on a match proposed to the caller: `{"winner": "a" | "b"}`. Once per match. A
/// vote sooner after the proposal than a person judges is recorded but held for review,
/// not counted (`held: true`).
#[utoipa::path(put, path = "/v1/users/me/matches/{id}", tag = "game",
    params(("id" = String, Path, description = "the match id, 64 hex: the two photo ids, the smaller first", pattern = "^[0-9a-f]{64}$")),
    request_body = VoteBody,
    responses((status = 200, body = VoteRecorded,
            description = "recorded; `held: true` when it came too soon after the proposal to count"),
        (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody, description = "no such match was proposed to you"),
        (status = 409, body = crate::ErrorBody, description = "`already_judged`: you voted on it already")))]
async fn put_vote(
    match_id: String,
    judge: UserId,
    body: VoteBody,
    state: AppState,
) -> Result<Response, ApiError> {
    let match_id = MatchId::parse(&match_id)?;
    let outcome = state
        .game
        .vote(judge, match_id, &body.winner, clock())
        .await?;
    Ok(warp::reply::json(&VoteRecorded::from(outcome)).into_response())
}

/// The caller's wins (one per vote a photo of theirs won), newest first.
#[utoipa::path(get, path = "/v1/users/me/wins", tag = "game",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Win>)))]
async fn get_wins(user: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = page_count(paging.count, WINS_PAGE.0, WINS_PAGE.1)?;
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

/// A tournament proposed to the caller.
#[utoipa::path(get, path = "/v1/users/me/tournaments/{tournament_id}", tag = "game",
    params(("tournament_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Tournament), (status = 404, body = crate::ErrorBody)))]
async fn get_tournament(
    tournament_id: String,
    judge: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let tournament_id = TournamentId::parse(&tournament_id)?;
    let view = state.game.tournament(judge, tournament_id, clock()).await?;
    Ok(warp::reply::json(&Tournament::from(view)).into_response())
}

/// Reports a tournament's 15 winners in bracket order (games 0-7, quarter-finals 8-11,
/// semi-finals 12-13, final 14). Once per tournament. A report sooner after the tournament
/// was proposed than a person judges 15 games is recorded but held for review, not counted
/// (`held: true`).
#[utoipa::path(put, path = "/v1/users/me/tournaments/{tournament_id}", tag = "game",
    params(("tournament_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    request_body = ReportBody,
    responses((status = 200, body = VoteRecorded,
            description = "recorded; `held: true` when it came too soon after the proposal to count"),
        (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody, description = "a winner who cannot be in that game")))]
async fn put_report(
    tournament_id: String,
    judge: UserId,
    body: ReportBody,
    state: AppState,
) -> Result<Response, ApiError> {
    let tournament_id = TournamentId::parse(&tournament_id)?;
    let winners: Vec<PhotoId> = body
        .winners
        .iter()
        .map(|id| PhotoId::parse(id))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::invalid("winners", e.to_string()))?;
    let outcome = state
        .game
        .report_tournament(judge, tournament_id, &winners, clock())
        .await?;
    Ok(warp::reply::json(&VoteRecorded::from(outcome)).into_response())
}
