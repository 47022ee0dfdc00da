//! The web client at `/app/`: the page and every file it loads (followed from the page's
//! links and the modules' imports) are served with their content types, a cache header and
//! an `ETag` that answers 304; `/app` redirects to `/app/`; nothing else under `/app/` is
//! served, and the API's own routes (the share page at the root, the OpenAPI document) are
//! untouched.

use std::collections::{BTreeSet, VecDeque};

use crate::support::TestServer;

/// The values of `marker"..."` (or `marker'...'`) in `text`: `src="` gives every `src`.
fn quoted_after(text: &str, marker: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + marker.len()..];
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = after;
            continue;
        };
        let body = &after[1..];
        let Some(end) = body.find(quote) else { break };
        values.push(body[..end].to_owned());
        rest = &body[end..];
    }
    values
}

/// The files a page or module refers to, relative to `/app/` (links in HTML, imports in
/// JavaScript); URLs, fragments and absolute paths are left out.
fn referenced_files(name: &str, text: &str) -> Vec<String> {
    let candidates = if name.ends_with(".html") {
        [quoted_after(text, "src="), quoted_after(text, "href=")].concat()
    } else if name.ends_with(".js") {
        [quoted_after(text, "from "), quoted_after(text, "import ")].concat()
    } else {
        Vec::new()
    };
    candidates
        .into_iter()
        .filter(|link| !link.starts_with('#') && !link.starts_with('/') && !link.contains(':'))
        .map(|link| link.trim_start_matches("./").to_owned())
        .collect()
}

/// The content type a file's extension calls for.
fn expected_content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        other => panic!("{name}: an unexpected kind of file ({other:?})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_every_file_it_loads_are_served_with_their_types() {
    let server = TestServer::start().await;

    let redirect = server.get("/app").await;
    assert_eq!(redirect.status, 308, "{}", redirect.text());
    assert_eq!(redirect.header("location"), "/app/");

    let page = server.get("/app/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-cache");
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self'"),
        "{:?}",
        page.headers
    );
    let html = page.text();
    assert!(
        html.contains(r#"<script type="module" src="app.js"></script>"#),
        "{html}"
    );
    assert_eq!(server.get("/app/index.html").await.body, page.body);

    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut to_fetch: VecDeque<String> = referenced_files("index.html", &html).into();
    while let Some(name) = to_fetch.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let response = server.get(&format!("/app/{name}")).await;
        assert_eq!(response.status, 200, "/app/{name}: {}", response.text());
        assert!(
            response
                .header("content-type")
                .starts_with(expected_content_type(&name)),
            "/app/{name}: {}",
            response.header("content-type")
        );
        assert_eq!(response.header("cache-control"), "no-cache", "/app/{name}");
        assert_eq!(response.header("x-content-type-options"), "nosniff");
        assert!(
            !response.header("etag").is_empty(),
            "/app/{name} has an etag"
        );
        to_fetch.extend(referenced_files(&name, &response.text()));
    }
    for expected in [
        "app.js",
        "app.css",
        "icon.svg",
        "api.js",
        "judge.js",
        "bracket.js",
    ] {
        assert!(seen.contains(expected), "{expected} is loaded: {seen:?}");
    }
    assert!(seen.len() >= 15, "the modules are followed: {seen:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_file_answers_304_and_unknown_paths_404() {
    let server = TestServer::start().await;
    let script = server.get("/app/app.js").await;
    let etag = script.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = server
        .request(
            "GET",
            "/app/app.js",
            &[("if-none-match", &etag)],
            Vec::new(),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    let changed = server
        .request(
            "GET",
            "/app/app.js",
            &[("if-none-match", "\"0\"")],
            Vec::new(),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body, script.body);

    for path in [
        "/app/missing.js",
        "/app/../Cargo.toml",
        "/app/views/app.js",
        "/application",
    ] {
        server.get(path).await.assert_error(404, "no_route");
    }
    let post = server.request("POST", "/app/", &[], Vec::new()).await;
    assert_eq!(post.status, 405, "{}", post.text());

    // The root's share page still takes photo ids, and the API document has no /app route.
    let share = server.get("/0123456789abcdef0123456789abcdef").await;
    assert_eq!(share.status, 404);
    assert!(share.header("content-type").starts_with("text/html"));
    let document = server.get("/openapi.json").await.json();
    let paths = document["paths"].as_object().expect("paths");
    assert!(
        paths.keys().all(|path| !path.starts_with("/app")),
        "{paths:?}"
    );
    server.stop().await;
}
