//! The API documentation: the OpenAPI document lists exactly the served routes, every
//! listed route is served, and Swagger UI's page and vendored assets load.

use std::collections::BTreeSet;

use tourney_server::SERVED_ROUTES;

use crate::support::TestServer;

/// A concrete path for a template: each `{name}` becomes a sample segment.
fn sample_path(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            // The share page answers only a 32-hex segment.
            "{photo_id}" => "0123456789abcdef0123456789abcdef",
            s if s.starts_with('{') => "sample",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_json_lists_exactly_the_served_routes() {
    let server = TestServer::start().await;
    let response = server.get("/openapi.json").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), "application/json");
    let document = response.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let mut documented = BTreeSet::new();
    let paths = document["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = SERVED_ROUTES
        .iter()
        .map(|route| (route.method.to_owned(), route.path.to_owned()))
        .collect();
    assert_eq!(
        documented, served,
        "the OpenAPI paths are the served routes"
    );
    assert!(
        document["components"]["schemas"]["ErrorBody"].is_object(),
        "the error schema is documented"
    );
    assert_eq!(
        openapi_paths_of_the_library(),
        served,
        "the library's document too"
    );
    server.stop().await;
}

fn openapi_paths_of_the_library() -> BTreeSet<(String, String)> {
    let document = tourney_server::openapi();
    let mut pairs = BTreeSet::new();
    for (path, item) in &document.paths.paths {
        let value = serde_json::to_value(item).expect("path item as json");
        for method in value.as_object().expect("operations").keys() {
            pairs.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_route_is_served() {
    // Embedded: the list includes the embedded media routes.
    let server = TestServer::start_embedded().await;
    for route in SERVED_ROUTES {
        let path = sample_path(route.path);
        let response = server.request(route.method, &path, &[], Vec::new()).await;
        let code = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|body| body["error"].as_str().map(str::to_owned));
        assert!(
            response.status != 405 && code.as_deref() != Some("no_route"),
            "{} {} ({path}) is listed but not served: {} {}",
            route.method,
            route.path,
            response.status,
            response.text()
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_loads_the_vendored_swagger_ui() {
    let server = TestServer::start().await;
    let page = server.get("/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = page.text();
    for (asset, content_type, marker) in [
        ("/docs/swagger-ui.css", "text/css", ".swagger-ui"),
        (
            "/docs/swagger-ui-bundle.js",
            "text/javascript",
            "SwaggerUIBundle",
        ),
    ] {
        assert!(
            html.contains(&format!("\"{asset}\"")),
            "the page links {asset}: {html}"
        );
        let response = server.get(asset).await;
        assert_eq!(response.status, 200, "{asset}");
        assert!(
            response.header("content-type").starts_with(content_type),
            "{asset}"
        );
        assert!(response.text().contains(marker), "{asset} is Swagger UI's");
    }
    assert!(
        html.contains("/openapi.json"),
        "the page loads the document"
    );
    server.stop().await;
}
