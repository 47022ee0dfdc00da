//! What every operation of the OpenAPI document shares, filled in one place so each
//! handler's annotation lists only what is particular to it: the credentials a route takes
//! (the `bearer` and `basic` schemes, and its 401), and the refusals the shared filters give
//! any route (400 for a malformed parameter or body, 404 when a path segment fits no route,
//! 413 and 415 for a JSON body, 429 with `Retry-After` on the rate-limited routes, 503 when
//! a backend is down). Also the 405 with `Allow` for a served path asked with another
//! method.
//!
//! `tests/contract/run.sh` holds the running server to this document with schemathesis.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::Response as ResponseDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Object, OpenApi, Ref, RefOr, Type};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, Method, header};
use warp::reply::Response;

use super::{SERVED_ROUTES, ServedRoute, template_matches};
use crate::error::{ApiError, error_response};
use crate::rate_limit::LIMITED_ROUTES;

/// The routes that take no credentials (method, path template): sign-up, the name check,
/// the Facebook login (its token is the credential), the service checks, the public share
/// page and photo, the signed media URLs, and the operations and documentation routes.
/// Every other route answers 401 without valid credentials.
static PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/v1/test"),
    ("GET", "/v1/test_location_db"),
    ("GET", "/v1/test_search_db"),
    ("GET", "/v1/config"),
    ("POST", "/v1/users"),
    ("GET", "/v1/user_names/{name}"),
    ("GET", "/v1/users_by_facebook/{facebook_id}"),
    ("GET", "/v1/photo_share/{photo_id}"),
    ("GET", "/{photo_id}"),
    ("PUT", "/media/upload/{key}"),
    ("GET", "/media/{key}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/swagger-ui.css"),
    ("GET", "/docs/swagger-ui-bundle.js"),
];

/// The route groups that never touch a backend (so never answer 503).
const STATIC_GROUPS: &[&str] = &["ops", "docs"];

/// Whether `route` needs `Authorization: Bearer <token>` (or Basic `user_id:token`).
fn needs_credentials(route: &ServedRoute) -> bool {
    !PUBLIC_ROUTES
        .iter()
        .any(|(method, path)| *method == route.method && *path == route.path)
}

/// Adds the security schemes, and to every operation its credentials and the shared
/// refusals it does not list itself.
pub(crate) fn complete(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components.add_security_scheme(
        "basic",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
    );
    for (path, item) in &mut document.paths.paths {
        for (method, operation) in operations_mut(item) {
            let route = SERVED_ROUTES
                .iter()
                .find(|route| route.method == method && route.path == path.as_str());
            complete_operation(route, operation);
        }
    }
}

/// One operation's credentials and shared refusals.
fn complete_operation(route: Option<&ServedRoute>, operation: &mut Operation) {
    let template = error_content(operation);
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                let mut response = ResponseDoc::new(description);
                response.content = template.content.clone();
                RefOr::T(response)
            });
    };
    let takes_credentials = route.is_some_and(needs_credentials);
    if takes_credentials {
        add("401", "no or bad credentials (also a banned account)");
    }
    let has_parameters = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    let has_json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if has_parameters || operation.request_body.is_some() {
        add("400", "a malformed parameter or body");
    }
    if has_json_body {
        add("413", "the body is larger than the route takes");
        add("415", "the body is not `application/json`");
    }
    let has_path_parameters = route.is_some_and(|route| route.path.contains('{'));
    if has_path_parameters {
        add("404", "not found, or a path segment no route takes");
    }
    if route.is_some_and(|route| !STATIC_GROUPS.contains(&route.group)) {
        add("503", "a backend is unavailable; retry later");
    }
    if route.is_some_and(is_rate_limited) {
        add(
            "429",
            "over a rate limit (`app.rate_limits`); `field` names it, `Retry-After` says when to retry",
        );
        if let Some(RefOr::T(too_many)) = operation.responses.responses.get_mut("429") {
            too_many
                .headers
                .entry("Retry-After".to_owned())
                .or_insert_with(retry_after_header);
        }
    }
    if has_path_parameters {
        // A segment that fits no route gets the API's JSON 404 even where the route's own
        // refusals are HTML pages.
        if let Some(RefOr::T(not_found)) = operation.responses.responses.get_mut("404") {
            not_found
                .content
                .entry("application/json".to_owned())
                .or_insert_with(error_body);
        }
    }
    if takes_credentials {
        operation.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("basic", Vec::<String>::new()),
        ]);
    }
}

/// Whether `route` counts against a rate limit.
fn is_rate_limited(route: &ServedRoute) -> bool {
    LIMITED_ROUTES
        .iter()
        .any(|(method, path, _)| *method == route.method && *path == route.path)
}

/// The `Retry-After` header of a 429: whole seconds, at least 1.
fn retry_after_header() -> Header {
    let mut header = Header::new(Object::with_type(Type::Integer));
    header.description = Some("seconds until a request can pass (at least 1)".to_owned());
    header
}

/// A response carrying the operation's own refusals' content (the admin area's are HTML
/// pages), else the API's JSON error body.
fn error_content(operation: &Operation) -> ResponseDoc {
    let mut template = ResponseDoc::new("");
    let listed = operation
        .responses
        .responses
        .iter()
        .filter(|(status, _)| status.starts_with('4'))
        .find_map(|(_, response)| match response {
            RefOr::T(response) if !response.content.is_empty() => Some(response.content.clone()),
            _ => None,
        });
    match listed {
        Some(content) => template.content = content,
        None => {
            template
                .content
                .insert("application/json".to_owned(), error_body());
        }
    }
    template
}

/// `application/json` content of [`crate::ErrorBody`].
fn error_body() -> Content {
    Content::new(Some(Ref::from_schema_name("ErrorBody")))
}

/// Every operation of a path item with its upper-case method.
fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("PUT", item.put.as_mut()),
        ("POST", item.post.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("OPTIONS", item.options.as_mut()),
        ("HEAD", item.head.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("TRACE", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
    .collect()
}

/// The methods the served routes take on `path` (empty when no route serves it).
fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = SERVED_ROUTES
        .iter()
        .filter(|route| template_matches(route, path))
        .map(|route| route.method)
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// The 405 with `Allow` for a path some route serves, asked with a method none takes there.
/// Rejects every other request as not found, so any other refusal a route gave wins.
pub(crate) fn method_not_allowed() -> BoxedFilter<(Response,)> {
    warp::method()
        .and(warp::path::full())
        .and_then(|method: Method, path: warp::path::FullPath| async move {
            let allowed = allowed_methods(path.as_str());
            if allowed.is_empty() || allowed.contains(&method.as_str()) {
                return Err(warp::reject::not_found());
            }
            let mut response = error_response(&ApiError::MethodNotAllowed);
            let allow = HeaderValue::from_str(&allowed.join(", "))
                .unwrap_or_else(|_| HeaderValue::from_static("GET"));
            response.headers_mut().insert(header::ALLOW, allow);
            Ok::<_, warp::Rejection>(response)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_are_those_of_every_route_on_the_path() {
        assert_eq!(allowed_methods("/v1/users/me"), ["DELETE", "GET", "PATCH"]);
        assert_eq!(allowed_methods("/v1/users"), ["POST"]);
        assert_eq!(
            allowed_methods("/media/upload/photos/a.jpg"),
            ["GET", "PUT"],
            "a media key may start with upload/"
        );
        assert!(allowed_methods("/v1/nothing/here").is_empty());
    }

    #[test]
    fn operations_get_credentials_and_the_shared_refusals() {
        let document = crate::routes::openapi();
        let operation = |path: &str, method: &str| {
            let item = document.paths.paths.get(path).expect("a documented path");
            serde_json::to_value(item).expect("json")[method].clone()
        };
        let me = operation("/v1/users/me", "patch");
        assert_eq!(me["security"][0]["bearer"], serde_json::json!([]), "{me}");
        for status in ["400", "401", "413", "415", "503"] {
            assert!(me["responses"][status].is_object(), "{status} in {me}");
        }
        let sign_up = operation("/v1/users", "post");
        assert!(sign_up["security"].is_null(), "{sign_up}");
        assert!(sign_up["responses"]["401"].is_null(), "{sign_up}");
        let retry_after = &sign_up["responses"]["429"]["headers"]["Retry-After"];
        assert_eq!(retry_after["schema"]["type"], "integer", "{sign_up}");
        assert!(
            me["responses"]["429"].is_null(),
            "no limit on PATCH /v1/users/me: {me}"
        );
        for (method, path, _) in LIMITED_ROUTES {
            let limited = operation(path, &method.to_ascii_lowercase());
            assert!(limited["responses"]["429"].is_object(), "{method} {path}");
        }
        let health = operation("/health", "get");
        assert!(health["responses"]["503"].is_null(), "{health}");
        let admin_page = operation("/admin/users/{user_id}", "get");
        let not_found = &admin_page["responses"]["404"]["content"];
        assert!(
            not_found["text/html"].is_object() && not_found["application/json"].is_object(),
            "an HTML page, or the JSON no_route: {admin_page}"
        );
        let components = serde_json::to_value(&document.components).expect("json");
        assert_eq!(components["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
