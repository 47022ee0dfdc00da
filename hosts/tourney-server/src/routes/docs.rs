//! API documentation routes: the OpenAPI document (`GET /openapi.json`) and Swagger UI
//! (`GET /docs`) from assets vendored under `assets/swagger-ui/` and embedded in the binary.

use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, header};
use warp::reply::Response;
use warp::{Filter, Reply};

/// Swagger UI's stylesheet (swagger-ui-dist, see `assets/swagger-ui/README.md`).
const SWAGGER_UI_CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");

/// Swagger UI's script bundle (swagger-ui-dist, see `assets/swagger-ui/README.md`).
const SWAGGER_UI_BUNDLE_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");

/// The page at `/docs`: Swagger UI pointed at `/openapi.json`.
const DOCS_HTML: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>LocalPicTourney API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="utf-8"></script>
  <script>
    window.onload = function () {
      window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
    };
  </script>
</body>
</html>
"##;

/// `cache-control` of the vendored assets: they change only with a new binary.
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// This group's routes.
pub(crate) fn routes() -> BoxedFilter<(Response,)> {
    let document = crate::routes::openapi()
        .to_json()
        .unwrap_or_else(|e| format!(r#"{{"error":"internal","message":"{e}"}}"#));
    let openapi_json = warp::path!("openapi.json")
        .and(warp::get())
        .map(move || openapi_json(document.clone()));
    let docs_page = warp::path!("docs")
        .and(warp::get())
        .map(|| docs_page().into_response());
    let css = warp::path!("docs" / "swagger-ui.css")
        .and(warp::get())
        .map(swagger_ui_css);
    let bundle = warp::path!("docs" / "swagger-ui-bundle.js")
        .and(warp::get())
        .map(swagger_ui_bundle_js);
    openapi_json
        .or(docs_page)
        .unify()
        .or(css)
        .unify()
        .or(bundle)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(openapi_json, docs_page, swagger_ui_css, swagger_ui_bundle_js))]
pub(crate) struct Doc;

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "docs",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json"))
)]
fn openapi_json(document: String) -> Response {
    let mut response = document.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Swagger UI for this API.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "docs",
    responses((status = 200, description = "an HTML page", content_type = "text/html"))
)]
fn docs_page() -> impl Reply {
    warp::reply::html(DOCS_HTML)
}

/// Swagger UI's stylesheet.
#[utoipa::path(
    get,
    path = "/docs/swagger-ui.css",
    tag = "docs",
    responses((status = 200, description = "CSS", content_type = "text/css"))
)]
fn swagger_ui_css() -> Response {
    asset(SWAGGER_UI_CSS, "text/css; charset=utf-8")
}

/// Swagger UI's script.
#[utoipa::path(
    get,
    path = "/docs/swagger-ui-bundle.js",
    tag = "docs",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript"))
)]
fn swagger_ui_bundle_js() -> Response {
    asset(SWAGGER_UI_BUNDLE_JS, "text/javascript; charset=utf-8")
}

/// A vendored asset with its content type.
fn asset(bytes: &'static [u8], content_type: &'static str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(ASSET_CACHE_CONTROL),
    );
    response
}
