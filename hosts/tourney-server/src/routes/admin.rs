//! The admin area under `/admin`: server-rendered HTML pages (the moderation queue; a
//! user's, a photo's and a comment's page with flags and history; the votes held for
//! review) and the moderation actions (hide, restore, ban, unban, resolve a flag, release
//! or discard a held vote) as plain HTML forms POSTing to `/admin/...`, each answered with
//! a redirect back to the object's page (the held votes' list for held votes).
//!
//! Admins sign in with the API's own credentials: a request without valid ones gets a 401
//! with `WWW-Authenticate: Basic realm="admin"`, so a browser prompts (user name: the user
//! id; password: the token) and then sends Basic credentials with every request. Anyone
//! but an admin gets a 403 page. Refusals here are HTML pages, not the API's JSON.

mod pages;

use std::convert::Infallible;

use maud::Markup;
use serde::Deserialize;
use tourney_core::service::FlagTarget;
use tourney_core::{CommentId, PhotoId, UserId};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::filters::{raw_query, with_state};
use crate::routes::{clock, secure_rng};

/// Entries per page of the moderation queue.
const QUEUE_PAGE: u32 = 50;
/// Entries per page of the held votes.
const HELD_VOTES_PAGE: u32 = 50;

/// The headers of an admin request that authentication and the cross-site check read.
#[derive(Debug, Clone, Default)]
struct AdminRequest {
    authorization: Option<String>,
    sec_fetch_site: Option<String>,
    origin: Option<String>,
    /// The host the client addressed: `Host`, or behind a proxy `X-Forwarded-Host`'s first
    /// entry when set.
    host: Option<String>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let request = admin_request(state.settings.app.behind_proxy);
    let queue = warp::path!("admin")
        .and(warp::get())
        .and(raw_query())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(queue_page);
    let held = warp::path!("admin" / "held_votes")
        .and(warp::get())
        .and(raw_query())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(held_votes_page);
    let user = warp::path!("admin" / "users" / String)
        .and(warp::get())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(user_page);
    let photo = warp::path!("admin" / "photos" / String)
        .and(warp::get())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(photo_page);
    let comment = warp::path!("admin" / "comments" / String)
        .and(warp::get())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(comment_page);
    let hide_photo = warp::path!("admin" / "photos" / String / "hide")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(hide_photo);
    let restore_photo = warp::path!("admin" / "photos" / String / "restore")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(restore_photo);
    let hide_comment = warp::path!("admin" / "comments" / String / "hide")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(hide_comment);
    let restore_comment = warp::path!("admin" / "comments" / String / "restore")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(restore_comment);
    let ban = warp::path!("admin" / "users" / String / "ban")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(ban_user);
    let unban = warp::path!("admin" / "users" / String / "unban")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(unban_user);
    let resolve = warp::path!("admin" / "flags" / String / String / String / "resolve")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(resolve_flag);
    let release = warp::path!("admin" / "held_votes" / String / "release")
        .and(warp::post())
        .and(request.clone())
        .and(with_state(state.clone()))
        .then(release_held_vote);
    let discard = warp::path!("admin" / "held_votes" / String / "discard")
        .and(warp::post())
        .and(request)
        .and(with_state(state))
        .then(discard_held_vote);
    queue
        .or(held)
        .unify()
        .or(user)
        .unify()
        .or(photo)
        .unify()
        .or(comment)
        .unify()
        .or(hide_photo)
        .unify()
        .or(restore_photo)
        .unify()
        .or(hide_comment)
        .unify()
        .or(restore_comment)
        .unify()
        .or(ban)
        .unify()
        .or(unban)
        .unify()
        .or(resolve)
        .unify()
        .or(release)
        .unify()
        .or(discard)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(
    queue_page,
    held_votes_page,
    user_page,
    photo_page,
    comment_page,
    hide_photo,
    restore_photo,
    hide_comment,
    restore_comment,
    ban_user,
    unban_user,
    resolve_flag,
    release_held_vote,
    discard_held_vote
))]
pub(crate) struct Doc;

/// The request's [`AdminRequest`]; `behind_proxy`: the `app.behind_proxy` setting.
fn admin_request(
    behind_proxy: bool,
) -> impl Filter<Extract = (AdminRequest,), Error = Infallible> + Clone {
    optional_header("authorization")
        .and(optional_header("sec-fetch-site"))
        .and(optional_header("origin"))
        .and(optional_header("host"))
        .and(optional_header("x-forwarded-host"))
        .map(
            move |authorization,
                  sec_fetch_site,
                  origin,
                  host: Option<String>,
                  forwarded_host: Option<String>| {
                let forwarded_host = forwarded_host
                    .as_deref()
                    .and_then(|header| header.split(',').next())
                    .map(|entry| entry.trim().to_owned())
                    .filter(|entry| behind_proxy && !entry.is_empty());
                AdminRequest {
                    authorization,
                    sec_fetch_site,
                    origin,
                    host: forwarded_host.or(host),
                }
            },
        )
}

/// A header's value, `None` when absent or not visible ASCII.
fn optional_header(
    name: &'static str,
) -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::header::optional::<String>(name)
        .or(warp::any().map(|| None))
        .unify()
}

impl AdminRequest {
    /// The admin sending a page request (401 or 403 otherwise).
    async fn admin(&self, state: &AppState) -> Result<UserId, ApiError> {
        auth::admin(state, self.authorization.as_deref()).await
    }

    /// The admin sending an action, refusing one a browser may have sent on another site's
    /// behalf (cross-site request forgery), with a 403.
    ///
    /// Why this check, and no token in the forms: the admin area signs in with the API's
    /// credentials. A browser remembers Basic credentials after its prompt and attaches
    /// them to every request to this origin, including a form that another site submits
    /// here, so Basic credentials alone do not show that one of our pages sent the form.
    /// Bearer credentials are never attached by a browser on its own, and a script on
    /// another site cannot add an `Authorization` header without a CORS preflight this
    /// server never grants, so requests with Bearer credentials pass. Requests with Basic
    /// credentials must show they come from this origin, by headers that page scripts
    /// cannot set: `Sec-Fetch-Site: same-origin` (every current browser sends it), or,
    /// from a browser without Fetch Metadata, an `Origin` naming the host the request was
    /// sent to. A Basic request with neither is refused: browsers send `Origin` with every
    /// form POST, so only an older browser or a tool would omit both, and a tool can send
    /// Bearer. The pages stay plain HTML with no per-session state.
    async fn admin_for_action(&self, state: &AppState) -> Result<UserId, ApiError> {
        let admin = self.admin(state).await?;
        self.check_same_origin()?;
        Ok(admin)
    }

    fn check_same_origin(&self) -> Result<(), ApiError> {
        if !auth::is_basic(self.authorization.as_deref()) {
            return Ok(());
        }
        let refused = |why: String| {
            ApiError::forbidden(format!("cross-site request refused: {why}"))
                .with_code("cross_site_request")
        };
        if let Some(site) = &self.sec_fetch_site {
            if site.eq_ignore_ascii_case("same-origin") {
                return Ok(());
            }
            return Err(refused(format!("Sec-Fetch-Site is {site:?}")));
        }
        let Some(origin) = &self.origin else {
            return Err(refused(
                "a form sent with Basic credentials must carry Origin or Sec-Fetch-Site".to_owned(),
            ));
        };
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        match (origin_host, &self.host) {
            (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host) => Ok(()),
            _ => Err(refused(format!(
                "Origin {origin:?} is not this site ({:?})",
                self.host.as_deref().unwrap_or("")
            ))),
        }
    }
}

/// `?cursor=` of the queue and of the held votes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    cursor: Option<String>,
}

/// The moderation queue: flagged users, photos and comments by open flags, highest first.
#[utoipa::path(get, path = "/admin", tag = "admin",
    params(("cursor" = Option<String>, Query, description = "the next page's cursor")),
    responses((status = 200, description = "the queue", content_type = "text/html"),
        (status = 401, description = "no or bad credentials; asks for Basic (user id, token)", content_type = "text/html"),
        (status = 403, description = "not an admin", content_type = "text/html")))]
async fn queue_page(query: String, request: AdminRequest, state: AppState) -> Response {
    render(
        async {
            let admin = request.admin(&state).await?;
            let query: QueueQuery = serde_urlencoded::from_str(&query)
                .map_err(|e| ApiError::invalid("query", format!("bad query string: {e}")))?;
            let (entries, next) = state
                .game
                .moderation_queue(admin, QUEUE_PAGE, query.cursor)
                .await?;
            Ok((
                "Moderation queue".to_owned(),
                pages::queue(&entries, next.as_deref()),
            ))
        }
        .await,
    )
}

/// The votes held for review (cast sooner after their match was proposed than
/// `app.min_vote_delay_ms`: recorded, never scored), newest first, 50 a page.
#[utoipa::path(get, path = "/admin/held_votes", tag = "admin",
    params(("cursor" = Option<String>, Query, description = "the next page's cursor")),
    responses((status = 200, description = "the held votes", content_type = "text/html"),
        (status = 400, description = "a bad query string or cursor", content_type = "text/html"),
        (status = 401, description = "no or bad credentials; asks for Basic (user id, token)", content_type = "text/html"),
        (status = 403, description = "not an admin", content_type = "text/html")))]
async fn held_votes_page(query: String, request: AdminRequest, state: AppState) -> Response {
    render(
        async {
            let admin = request.admin(&state).await?;
            let query: QueueQuery = serde_urlencoded::from_str(&query)
                .map_err(|e| ApiError::invalid("query", format!("bad query string: {e}")))?;
            let (held, next) = state
                .game
                .held_votes(admin, HELD_VOTES_PAGE, query.cursor)
                .await?;
            Ok((
                "Votes held for review".to_owned(),
                pages::held_votes(&held, next.as_deref()),
            ))
        }
        .await,
    )
}

/// A user's moderation page: ban state, photos, flags, history and the ban form.
#[utoipa::path(get, path = "/admin/users/{user_id}", tag = "admin",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, description = "the user's page", content_type = "text/html"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin", content_type = "text/html"),
        (status = 404, description = "no such user", content_type = "text/html")))]
async fn user_page(user: String, request: AdminRequest, state: AppState) -> Response {
    render(
        async {
            let admin = request.admin(&state).await?;
            let user = UserId::parse(&user)?;
            let page = state.game.moderated_user(admin, user, clock()).await?;
            Ok((format!("User {user}"), pages::user(&page)))
        }
        .await,
    )
}

/// A photo's moderation page: the image, state, flags, history and the hide form.
#[utoipa::path(get, path = "/admin/photos/{photo_id}", tag = "admin",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, description = "the photo's page", content_type = "text/html"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin", content_type = "text/html"),
        (status = 404, description = "no such photo", content_type = "text/html")))]
async fn photo_page(photo: String, request: AdminRequest, state: AppState) -> Response {
    render(
        async {
            let admin = request.admin(&state).await?;
            let photo = PhotoId::parse(&photo)?;
            let page = state.game.moderated_photo(admin, photo, clock()).await?;
            Ok((format!("Photo {photo}"), pages::photo(&page)))
        }
        .await,
    )
}

/// A comment's moderation page: text, author, flags, history and the hide form.
#[utoipa::path(get, path = "/admin/comments/{comment_id}", tag = "admin",
    params(("comment_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, description = "the comment's page", content_type = "text/html"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin", content_type = "text/html"),
        (status = 404, description = "no such comment", content_type = "text/html")))]
async fn comment_page(comment: String, request: AdminRequest, state: AppState) -> Response {
    render(
        async {
            let admin = request.admin(&state).await?;
            let comment = CommentId::parse(&comment)?;
            let page = state.game.moderated_comment(admin, comment).await?;
            Ok((format!("Comment {comment}"), pages::comment(&page)))
        }
        .await,
    )
}

/// The moderation actions on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    HidePhoto,
    RestorePhoto,
    HideComment,
    RestoreComment,
    BanUser,
    UnbanUser,
}

/// Hides a photo: out of every list, board, tag pool and match; its owner still sees it.
#[utoipa::path(post, path = "/admin/photos/{photo_id}/hide", tag = "admin",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the photo's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such photo", content_type = "text/html")))]
async fn hide_photo(photo: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::HidePhoto, &photo, &request, &state).await
}

/// Restores a hidden photo.
#[utoipa::path(post, path = "/admin/photos/{photo_id}/restore", tag = "admin",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the photo's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such photo", content_type = "text/html")))]
async fn restore_photo(photo: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::RestorePhoto, &photo, &request, &state).await
}

/// Hides a comment: out of its photo's list and count.
#[utoipa::path(post, path = "/admin/comments/{comment_id}/hide", tag = "admin",
    params(("comment_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the comment's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such comment", content_type = "text/html")))]
async fn hide_comment(comment: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::HideComment, &comment, &request, &state).await
}

/// Restores a hidden comment.
#[utoipa::path(post, path = "/admin/comments/{comment_id}/restore", tag = "admin",
    params(("comment_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the comment's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such comment", content_type = "text/html")))]
async fn restore_comment(comment: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::RestoreComment, &comment, &request, &state).await
}

/// Bans a user: their token stops working and their photos leave boards and matches.
#[utoipa::path(post, path = "/admin/users/{user_id}/ban", tag = "admin",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the user's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, a cross-site request, or the user is an admin", content_type = "text/html"),
        (status = 404, description = "no such user", content_type = "text/html")))]
async fn ban_user(user: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::BanUser, &user, &request, &state).await
}

/// Lifts a user's ban.
#[utoipa::path(post, path = "/admin/users/{user_id}/unban", tag = "admin",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the user's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such user", content_type = "text/html")))]
async fn unban_user(user: String, request: AdminRequest, state: AppState) -> Response {
    act(Action::UnbanUser, &user, &request, &state).await
}

/// Resolves one flag: it stops counting in the queue.
#[utoipa::path(post, path = "/admin/flags/{kind}/{object_id}/{flagger_id}/resolve", tag = "admin",
    params(("kind" = String, Path, description = "user, photo or comment", pattern = "^(user|photo|comment)$"),
        ("object_id" = String, Path, description = "the flagged object's id (32 hex)", pattern = "^[0-9a-f]{32}$"),
        ("flagger_id" = String, Path, description = "who flagged it (32 hex)", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done; to the object's page"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such flag", content_type = "text/html")))]
async fn resolve_flag(
    kind: String,
    object_id: String,
    flagger: String,
    request: AdminRequest,
    state: AppState,
) -> Response {
    let result = async {
        let admin = request.admin_for_action(&state).await?;
        let target = FlagTarget::parse(&kind, &object_id)?;
        let flagger =
            UserId::parse(&flagger).map_err(|e| ApiError::invalid("flagger_id", e.to_string()))?;
        state
            .game
            .resolve_flag(admin, target, flagger, clock(), &mut secure_rng())
            .await?;
        Ok(see_other(&pages::object_path(target)))
    }
    .await;
    result.unwrap_or_else(|error| error_page(&error))
}

/// Releases a held vote: it is sent for scoring as it would have been when cast (a
/// tournament report: its 15 games), under its own vote ids, so it counts once however often
/// it is released. Releasing a released vote changes nothing.
#[utoipa::path(post, path = "/admin/held_votes/{vote_id}/release", tag = "admin",
    params(("vote_id" = String, Path, description = "the held vote's id (32 hex)", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done (or released before); to the held votes"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such held vote", content_type = "text/html"),
        (status = 409, description = "`held_vote_discarded`: the vote was discarded", content_type = "text/html"),
        (status = 503, description = "the stream is unavailable: the vote is released but not yet sent; release it again", content_type = "text/html")))]
async fn release_held_vote(vote_id: String, request: AdminRequest, state: AppState) -> Response {
    decide_held_vote(Verdict::Release, &vote_id, &request, &state).await
}

/// Discards a held vote: it leaves the list and is never counted. Discarding a discarded
/// vote changes nothing.
#[utoipa::path(post, path = "/admin/held_votes/{vote_id}/discard", tag = "admin",
    params(("vote_id" = String, Path, description = "the held vote's id (32 hex)", pattern = "^[0-9a-f]{32}$")),
    responses((status = 303, description = "done (or discarded before); to the held votes"),
        (status = 401, description = "no or bad credentials", content_type = "text/html"),
        (status = 403, description = "not an admin, or a cross-site request", content_type = "text/html"),
        (status = 404, description = "no such held vote", content_type = "text/html"),
        (status = 409, description = "`held_vote_released`: the vote was released and counted", content_type = "text/html")))]
async fn discard_held_vote(vote_id: String, request: AdminRequest, state: AppState) -> Response {
    decide_held_vote(Verdict::Discard, &vote_id, &request, &state).await
}

/// What an admin decides about a held vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Release,
    Discard,
}

/// Releases or discards the held vote `vote_id` for the admin sending `request`, then sends
/// the browser back to the held votes.
async fn decide_held_vote(
    verdict: Verdict,
    vote_id: &str,
    request: &AdminRequest,
    state: &AppState,
) -> Response {
    let result = async {
        let admin = request.admin_for_action(state).await?;
        let game = &state.game;
        match verdict {
            Verdict::Release => game.release_held_vote(admin, vote_id, clock()).await?,
            Verdict::Discard => game.discard_held_vote(admin, vote_id, clock()).await?,
        };
        Ok::<_, ApiError>(see_other(pages::HELD_VOTES_PATH))
    }
    .await;
    result.unwrap_or_else(|error| error_page(&error))
}

/// Runs `action` on the object `id` for the admin sending `request`, then sends the
/// browser back to the object's page.
async fn act(action: Action, id: &str, request: &AdminRequest, state: &AppState) -> Response {
    let result = async {
        let admin = request.admin_for_action(state).await?;
        let (now, rng) = (clock(), &mut secure_rng());
        let game = &state.game;
        let target = match action {
            Action::HidePhoto | Action::RestorePhoto => {
                let photo = PhotoId::parse(id)?;
                if action == Action::HidePhoto {
                    game.hide_photo(admin, photo, now, rng).await?;
                } else {
                    game.restore_photo(admin, photo, now, rng).await?;
                }
                FlagTarget::Photo(photo)
            }
            Action::HideComment | Action::RestoreComment => {
                let comment = CommentId::parse(id)?;
                if action == Action::HideComment {
                    game.hide_comment(admin, comment, now, rng).await?;
                } else {
                    game.restore_comment(admin, comment, now, rng).await?;
                }
                FlagTarget::Comment(comment)
            }
            Action::BanUser | Action::UnbanUser => {
                let user = UserId::parse(id)?;
                if action == Action::BanUser {
                    game.ban_user(admin, user, now, rng).await?;
                } else {
                    game.unban_user(admin, user, now, rng).await?;
                }
                FlagTarget::User(user)
            }
        };
        Ok::<_, ApiError>(see_other(&pages::object_path(target)))
    }
    .await;
    result.unwrap_or_else(|error| error_page(&error))
}

/// A page's answer: 200 with the page, or the error's page.
fn render(result: Result<(String, Markup), ApiError>) -> Response {
    match result {
        Ok((title, content)) => html_response(StatusCode::OK, &pages::layout(&title, &content)),
        Err(error) => error_page(&error),
    }
}

/// The admin area's error page: the error's status and message as HTML (5xx: the cause
/// logged, a generic message shown); a 401 asks for Basic credentials so browsers prompt.
fn error_page(error: &ApiError) -> Response {
    if let ApiError::Internal(cause) = error {
        tracing::error!(
            error = format!("{cause:#}"),
            "internal error in the admin area"
        );
    }
    let status = error.status();
    let title = status.canonical_reason().unwrap_or("Error");
    let message = match status {
        StatusCode::UNAUTHORIZED => {
            format!(
                "{error}. Sign in with your user id as the user name and your token as the password."
            )
        }
        _ => error.to_string(),
    };
    let mut response = html_response(status, &pages::layout(title, &pages::error(&message)));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"admin\", charset=\"UTF-8\""),
        );
    }
    response
}

/// 303 to `location` (after an action: the browser GETs the object's page).
fn see_other(location: &str) -> Response {
    let content = maud::html! { p { "Done: " a href=(location) { (location) } } };
    let mut response = html_response(StatusCode::SEE_OTHER, &pages::layout("Done", &content));
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// An HTML answer with the admin area's headers: never cached, never framed (no
/// clickjacking of the action buttons), no script, forms posting here only.
fn html_response(status: StatusCode, body: &str) -> Response {
    let mut response =
        warp::reply::with_status(warp::reply::html(body.to_owned()), status).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic_request() -> AdminRequest {
        AdminRequest {
            authorization: Some("Basic dXNlcjp0b2tlbg==".to_owned()),
            host: Some("admin.example:8080".to_owned()),
            ..AdminRequest::default()
        }
    }

    #[test]
    fn basic_credentials_need_same_origin_proof() {
        let refused = |request: &AdminRequest| request.check_same_origin().is_err();
        assert!(refused(&basic_request()), "neither header");

        let same_site = AdminRequest {
            sec_fetch_site: Some("same-origin".to_owned()),
            ..basic_request()
        };
        assert!(!refused(&same_site));
        let cross_site = AdminRequest {
            sec_fetch_site: Some("cross-site".to_owned()),
            origin: Some("http://admin.example:8080".to_owned()),
            ..basic_request()
        };
        assert!(refused(&cross_site), "Sec-Fetch-Site wins over Origin");

        let own_origin = AdminRequest {
            origin: Some("https://ADMIN.example:8080".to_owned()),
            ..basic_request()
        };
        assert!(!refused(&own_origin));
        for origin in ["http://evil.example", "null", "http://admin.example"] {
            let foreign = AdminRequest {
                origin: Some(origin.to_owned()),
                ..basic_request()
            };
            assert!(refused(&foreign), "{origin}");
        }
    }

    #[test]
    fn bearer_credentials_pass_without_origin_headers() {
        let bearer = AdminRequest {
            authorization: Some("Bearer abc".to_owned()),
            ..AdminRequest::default()
        };
        assert!(bearer.check_same_origin().is_ok());
    }
}
