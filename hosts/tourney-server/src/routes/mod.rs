//! Every route group, and the one place that registers them: the filter tree
//! ([`all`]), the list of served routes ([`SERVED_ROUTES`], used for metrics labels and
//! checked against the OpenAPI document by the tests) and the OpenAPI document
//! ([`openapi`]).
//!
//! Adding a route group `users`: write `routes/users.rs` with
//! `pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)>` and a
//! `#[derive(OpenApi)] pub(crate) struct Doc` listing its `#[utoipa::path]` handlers; then
//! add `mod users;` and one line each to [`all`], [`SERVED_ROUTES`] and [`openapi`].

mod admin;
mod awards;
pub(crate) mod boards;
mod comments;
mod contract;
mod docs;
mod facebook;
mod flags;
mod media;
mod ops;
mod photos;
mod play;
mod service;
mod share;
mod social;
mod tags;
mod users;
mod web;

use std::sync::LazyLock;

use utoipa::OpenApi;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::AppState;
use crate::error::ErrorBody;

/// One route the server serves: method, path template as in the OpenAPI document (`{name}`
/// stands for one path segment, or for the rest of the path when `tail` is set), and the
/// route group its metrics count under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedRoute {
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template, e.g. `/v1/photos/{photo_id}`.
    pub path: &'static str,
    /// Whether the last `{name}` takes the rest of the path, slashes included (media keys).
    pub tail: bool,
    /// Route group: the file under `src/routes/` that serves it.
    pub group: &'static str,
    /// Whether its parameters take only 32-hex ids (the share page at the root, which
    /// leaves every other one-segment path alone).
    pub hex_id: bool,
}

/// A one-segment route of `group`.
const fn route(method: &'static str, path: &'static str, group: &'static str) -> ServedRoute {
    ServedRoute {
        method,
        path,
        tail: false,
        group,
        hex_id: false,
    }
}

/// A one-segment route of `group` whose parameters take only 32-hex ids.
const fn hex_id_route(
    method: &'static str,
    path: &'static str,
    group: &'static str,
) -> ServedRoute {
    ServedRoute {
        method,
        path,
        tail: false,
        group,
        hex_id: true,
    }
}

/// A route of `group` whose last parameter takes the rest of the path.
const fn tail_route(method: &'static str, path: &'static str, group: &'static str) -> ServedRoute {
    ServedRoute {
        method,
        path,
        tail: true,
        group,
        hex_id: false,
    }
}

/// Every route the server serves (the media routes only with the embedded media backend).
/// Tests check that each is served and documented, and that the OpenAPI document has no
/// other.
pub static SERVED_ROUTES: &[ServedRoute] = &[
    route("GET", "/health", "ops"),
    route("GET", "/metrics", "ops"),
    route("GET", "/v1/test", "service"),
    route("GET", "/v1/test_auth", "service"),
    route("GET", "/v1/test_location_db", "service"),
    route("GET", "/v1/test_search_db", "service"),
    route("GET", "/v1/config", "service"),
    route("POST", "/v1/test_push", "social"),
    route("GET", "/v1/users/me/following", "social"),
    route("POST", "/v1/users/me/following", "social"),
    route("DELETE", "/v1/users/me/following", "social"),
    route("GET", "/v1/users/me/followers", "social"),
    route("GET", "/v1/users/me/followers/{user_id}", "social"),
    route("GET", "/v1/users/me/feed", "social"),
    route("GET", "/v1/users/me/activity", "social"),
    route("GET", "/v1/users/me/notification_history", "social"),
    route("GET", "/v1/users/me/notification_settings", "social"),
    route("PATCH", "/v1/users/me/notification_settings", "social"),
    route("POST", "/v1/users", "users"),
    route("GET", "/v1/users/me", "users"),
    route("PATCH", "/v1/users/me", "users"),
    route("DELETE", "/v1/users/me", "users"),
    route("POST", "/v1/users/me/token", "users"),
    route("GET", "/v1/users/{user_id}", "users"),
    route("GET", "/v1/user_names/{name}", "users"),
    route("GET", "/v1/users_by_name/{name}", "users"),
    route("PUT", "/v1/users/me/facebook", "facebook"),
    route("GET", "/v1/users_by_facebook/{facebook_id}", "facebook"),
    route("POST", "/v1/photos", "photos"),
    route("POST", "/v1/photos/{photo_id}/uploaded", "photos"),
    route("GET", "/v1/photos/{photo_id}", "photos"),
    route("DELETE", "/v1/photos/{photo_id}", "photos"),
    route("GET", "/v1/users/{user_id}/photos", "photos"),
    route("GET", "/v1/users/me/photos/{size}", "photos"),
    route("GET", "/v1/photos/{photo_id}/comments", "comments"),
    route("POST", "/v1/photos/{photo_id}/comments", "comments"),
    route("GET", "/v1/photos/{photo_id}/awards", "awards"),
    route("GET", "/v1/photo_share/{photo_id}", "share"),
    hex_id_route("GET", "/{photo_id}", "share"),
    route("GET", "/v1/users/me/matches", "play"),
    route("GET", "/v1/users/me/tag_matches/{tag}", "play"),
    route("GET", "/v1/users/me/matches/{id}", "play"),
    route("PUT", "/v1/users/me/matches/{id}", "play"),
    route("GET", "/v1/users/me/wins", "play"),
    route("GET", "/v1/users/me/tournaments/{tournament_id}", "play"),
    route("PUT", "/v1/users/me/tournaments/{tournament_id}", "play"),
    route("GET", "/v1/leaderboards/{category}", "boards"),
    route("GET", "/v1/leaderboards/{category}/{place}", "boards"),
    route("GET", "/v1/tags/search/{category}/{term}", "tags"),
    route("GET", "/v1/tags/trending/{category}", "tags"),
    route("GET", "/v1/tags/{category}", "tags"),
    route("POST", "/v1/users/{user_id}/flags", "flags"),
    route("POST", "/v1/photos/{photo_id}/flags", "flags"),
    route("POST", "/v1/photo_comments/{comment_id}/flags", "flags"),
    route("GET", "/admin", "admin"),
    route("GET", "/admin/held_votes", "admin"),
    route("GET", "/admin/users/{user_id}", "admin"),
    route("GET", "/admin/photos/{photo_id}", "admin"),
    route("GET", "/admin/comments/{comment_id}", "admin"),
    route("POST", "/admin/photos/{photo_id}/hide", "admin"),
    route("POST", "/admin/photos/{photo_id}/restore", "admin"),
    route("POST", "/admin/comments/{comment_id}/hide", "admin"),
    route("POST", "/admin/comments/{comment_id}/restore", "admin"),
    route("POST", "/admin/users/{user_id}/ban", "admin"),
    route("POST", "/admin/users/{user_id}/unban", "admin"),
    route(
        "POST",
        "/admin/flags/{kind}/{object_id}/{flagger_id}/resolve",
        "admin",
    ),
    route("POST", "/admin/held_votes/{vote_id}/release", "admin"),
    route("POST", "/admin/held_votes/{vote_id}/discard", "admin"),
    route("GET", "/v1/tags/{category}/{tag}", "tags"),
    route("PUT", "/v1/tags/{tag}/{photo_id}", "tags"),
    tail_route("PUT", "/media/upload/{key}", "media"),
    tail_route("GET", "/media/{key}", "media"),
    route("GET", "/openapi.json", "docs"),
    route("GET", "/docs", "docs"),
    route("GET", "/docs/swagger-ui.css", "docs"),
    route("GET", "/docs/swagger-ui-bundle.js", "docs"),
];

/// Every route group's filters, combined. Each group answers with a `Response` (errors
/// already rendered) or rejects; `lib::routes` adds the rejection handler and the request
/// log.
pub(crate) fn all(state: AppState) -> BoxedFilter<(Response,)> {
    ops::routes(state.clone())
        .or(service::routes(state.clone()))
        .unify()
        .or(users::routes(state.clone()))
        .unify()
        .or(photos::routes(state.clone()))
        .unify()
        .or(play::routes(state.clone()))
        .unify()
        .or(boards::routes(state.clone()))
        .unify()
        .or(tags::routes(state.clone()))
        .unify()
        .or(comments::routes(state.clone()))
        .unify()
        .or(flags::routes(state.clone()))
        .unify()
        .or(admin::routes(state.clone()))
        .unify()
        .or(social::routes(state.clone()))
        .unify()
        .or(facebook::routes(state.clone()))
        .unify()
        .or(awards::routes(state.clone()))
        .unify()
        .or(media::routes(&state))
        .unify()
        .or(share::routes(state))
        .unify()
        .or(docs::routes())
        .unify()
        .or(web::routes())
        .unify()
        .or(contract::method_not_allowed())
        .unify()
        .boxed()
}

/// The wall clock, read here and passed to the use cases as a parameter.
pub(crate) fn clock() -> tourney_core::Timestamp {
    tourney_worker::now()
}

/// A cryptographically secure generator for ids and tokens (seeded from the OS).
pub(crate) fn secure_rng() -> rand::rngs::StdRng {
    rand::make_rng()
}

/// The OpenAPI document: the service's info and shared schemas, merged with each route
/// group's paths, then completed with what every operation shares (credentials, the shared
/// refusals: see `contract.rs`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    for group in [
        ops::Doc::openapi(),
        service::Doc::openapi(),
        users::Doc::openapi(),
        photos::Doc::openapi(),
        play::Doc::openapi(),
        boards::Doc::openapi(),
        tags::Doc::openapi(),
        comments::Doc::openapi(),
        flags::Doc::openapi(),
        admin::Doc::openapi(),
        social::Doc::openapi(),
        facebook::Doc::openapi(),
        awards::Doc::openapi(),
        share::Doc::openapi(),
        media::Doc::openapi(),
        docs::Doc::openapi(),
    ] {
        document.merge(group);
    }
    contract::complete(&mut document);
    document
}

/// The document's head: title, version, the error schema every route may answer with.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "LocalPicTourney",
        description = "Photo tournaments: upload photos into a category and a place, judge \
                       them in pairs or brackets, browse leaderboards. Every error answers \
                       `{\"error\": \"snake_case_code\", \"message\": \"...\", \"field\": \"...\"}`."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The listed route serving `method` and `path`: one with both matching, else one with the
/// path matching (a 405), else `None`. Runs for every request (metrics, the log line): the
/// path is split once and compared with templates split once per process.
pub fn route_of(method: &str, path: &str) -> Option<&'static ServedRoute> {
    static TEMPLATES: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
        SERVED_ROUTES
            .iter()
            .map(|route| route.path.trim_start_matches('/').split('/').collect())
            .collect()
    });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut path_match = None;
    for (route, template) in SERVED_ROUTES.iter().zip(TEMPLATES.iter()) {
        if template_fits(route, template, &segments) {
            if route.method.eq_ignore_ascii_case(method) {
                return Some(route);
            }
            path_match.get_or_insert(route);
        }
    }
    path_match
}

/// Whether `path` fits `route`'s template.
fn template_matches(route: &ServedRoute, path: &str) -> bool {
    let template: Vec<&str> = route.path.trim_start_matches('/').split('/').collect();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    template_fits(route, &template, &segments)
}

/// Whether the path `segments` fit `route`'s `template` segments.
fn template_fits(route: &ServedRoute, template: &[&str], segments: &[&str]) -> bool {
    for (n, template_segment) in template.iter().enumerate() {
        let is_param = template_segment.starts_with('{') && template_segment.ends_with('}');
        if is_param && n + 1 == template.len() && route.tail {
            let rest = segments.get(n..).unwrap_or_default();
            return !rest.is_empty() && rest.iter().all(|segment| !segment.is_empty());
        }
        let Some(path_segment) = segments.get(n) else {
            return false;
        };
        let fits = if is_param {
            !path_segment.is_empty() && (!route.hex_id || share::is_hex_id(path_segment))
        } else {
            template_segment == path_segment
        };
        if !fits {
            return false;
        }
    }
    segments.len() == template.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_of_matches_templates_methods_and_tails() {
        let found = |method, path| route_of(method, path).map(|route| (route.method, route.path));
        assert_eq!(found("GET", "/health"), Some(("GET", "/health")));
        assert_eq!(
            found("POST", "/health"),
            Some(("GET", "/health")),
            "405s count too"
        );
        assert_eq!(found("GET", "/healthz"), None);
        assert_eq!(found("GET", "/health/x"), None);
        assert_eq!(
            found("PUT", "/media/upload/photos/a/b.jpg"),
            Some(("PUT", "/media/upload/{key}"))
        );
        assert_eq!(
            found("GET", "/media/upload/photos/a.jpg"),
            Some(("GET", "/media/{key}")),
            "upload/... is a valid key to read"
        );
        assert_eq!(found("GET", "/media/"), None);
        assert_eq!(found("GET", "/media/a//b"), None);
    }

    #[test]
    fn one_segment_parameters_take_one_segment() {
        let photo = route("GET", "/v1/photos/{photo_id}", "photos");
        assert!(template_matches(&photo, "/v1/photos/abc"));
        assert!(!template_matches(&photo, "/v1/photos/abc/def"));
        assert!(!template_matches(&photo, "/v1/photos/"));
        assert!(!template_matches(&photo, "/v1/photos"));
    }

    #[test]
    fn served_routes_are_unique() {
        for (route_idx, route) in SERVED_ROUTES.iter().enumerate() {
            let n_same = SERVED_ROUTES[route_idx + 1..]
                .iter()
                .filter(|other| other.method == route.method && other.path == route.path)
                .count();
            assert_eq!(n_same, 0, "{} {} is listed twice", route.method, route.path);
        }
    }
}
