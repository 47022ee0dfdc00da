//! The share page over HTTP: `share_url` leads to a public HTML page with Open Graph and
//! Twitter card tags, the large image, score and place, everything escaped; an HTML 404 for
//! photos it cannot show; its JSON twin `GET /v1/photo_share/{id}`; and the root route
//! taking only 32-hex segments, so `/health`, `/docs` and the others keep answering.

use serde_json::json;

use crate::support::{
    TestResponse, TestServer, call, drain, ready_photos, send_upload, sign_up, start_with_places,
};

/// A place name and a tag a browser must not run.
const EVIL_PLACE: &str = "<script>alert(\"owned\")</script> & Sons";
const EVIL_TAG: &str = "<img src=x onerror=alert(1)>";

/// `text` as it must appear in HTML text and double-quoted attributes.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The content of `<meta {attribute}="{name}" content="...">` in `html`.
fn meta_content(html: &str, attribute: &str, name: &str) -> String {
    let marker = format!("<meta {attribute}=\"{name}\" content=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').expect("the attribute ends") + start;
    html[start..end].to_owned()
}

fn assert_html_404(response: &TestResponse, what: &str) {
    assert_eq!(response.status, 404, "{what}: {}", response.text());
    assert!(
        response.header("content-type").starts_with("text/html"),
        "{what}: {:?}",
        response.headers
    );
    assert!(response.text().contains("Photo not found"), "{what}");
}

/// A server whose default place (Los Angeles' id) has a hostile name.
async fn start_with_evil_place() -> TestServer {
    let server = TestServer::start().await;
    server
        .ports
        .places
        .load(vec![ocean::places::Place {
            id: "5368361".to_owned(),
            name: EVIL_PLACE.to_owned(),
            region: "CA".to_owned(),
            country: "us".to_owned(),
            lat: 34.05,
            lon: -118.24,
            population: Some(1_000_000),
        }])
        .await
        .expect("load places");
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_share_url_is_a_public_page_with_escaped_open_graph_tags() {
    let server = start_with_evil_place().await;
    let (_, token) = sign_up(&server).await;
    let created = call(
        &server,
        "POST",
        "/v1/photos",
        &token,
        Some(json!({"content_type": "image/jpeg", "tags": [EVIL_TAG, "Sunset"]})),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text());
    let created = created.json();
    let photo_id = created["id"].as_str().expect("id").to_owned();
    let share_url = created["share_url"].as_str().expect("share_url").to_owned();
    assert_eq!(share_url, format!("{}/{photo_id}", server.base_url()));
    let jpeg = tourney_media::generate_demo_image(3, 96, 72);
    let sent = send_upload(&server, &created["upload"], jpeg).await;
    assert!(matches!(sent.status, 200 | 204), "{}", sent.text());
    let completion = format!("/v1/photos/{photo_id}/uploaded");
    let completed = call(&server, "POST", &completion, &token, None).await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    let early = server.get(&share_url).await;
    assert_html_404(&early, "still processing");
    drain(&server).await;

    // The public JSON, without credentials.
    let public = server.get(&format!("/v1/photo_share/{photo_id}")).await;
    assert_eq!(public.status, 200, "{}", public.text());
    let photo = public.json();
    assert_eq!(
        (photo["id"].as_str(), photo["state"].as_str()),
        (Some(photo_id.as_str()), Some("ready"))
    );
    assert_eq!(photo["place"]["name"], EVIL_PLACE);
    let large = photo["url_large"].as_str().expect("url_large").to_owned();

    let page = server.get(&share_url).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let html = page.text();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    let title = meta_content(&html, "property", "og:title");
    assert!(title.contains(&escaped(EVIL_PLACE)), "{title}");
    assert_eq!(meta_content(&html, "property", "og:image"), escaped(&large));
    assert_eq!(
        meta_content(&html, "property", "og:url"),
        escaped(&share_url)
    );
    assert_eq!(meta_content(&html, "property", "og:type"), "article");
    assert_eq!(
        meta_content(&html, "name", "twitter:card"),
        "summary_large_image"
    );
    assert!(
        html.contains(&format!("<img src=\"{}\"", escaped(&large))),
        "the large image: {html}"
    );
    assert!(html.contains("Score 1500"), "the score: {html}");
    assert!(html.contains(&escaped(EVIL_TAG)), "the tags: {html}");
    for raw in ["<script>alert", "<img src=x", "\"owned\""] {
        assert!(!html.contains(raw), "{raw} left unescaped in {html}");
    }
    // The image the page shows is served.
    assert_eq!(server.get(&large).await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_the_page_cannot_show_are_html_404s() {
    let server = start_with_places().await;
    let photos = ready_photos(&server, 3, 40).await;
    let (_, token) = sign_up(&server).await;
    let pending = call(
        &server,
        "POST",
        "/v1/photos",
        &token,
        Some(json!({"content_type": "image/jpeg"})),
    )
    .await
    .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let deleted = &photos[1];
    let response = call(
        &server,
        "DELETE",
        &format!("/v1/photos/{}", deleted.id),
        &deleted.owner_token,
        None,
    )
    .await;
    assert_eq!(response.status, 204, "{}", response.text());
    let hidden = &photos[2];
    let mut rng = rand::make_rng::<rand::rngs::StdRng>();
    let (admin, _) = server
        .game
        .create_admin("share-admin", tourney_worker::now(), &mut rng)
        .await
        .expect("an admin");
    server
        .game
        .hide_photo(
            admin,
            tourney_core::PhotoId::parse(&hidden.id).expect("id"),
            tourney_worker::now(),
            &mut rng,
        )
        .await
        .expect("hide");

    assert_eq!(server.get(&format!("/{}", photos[0].id)).await.status, 200);
    let unknown = "0123456789abcdef0123456789abcdef";
    for (what, id) in [
        ("unknown", unknown.to_owned()),
        ("not uploaded", pending.clone()),
        ("deleted", deleted.id.clone()),
        ("hidden", hidden.id.clone()),
        ("upper case", photos[0].id.to_uppercase()),
    ] {
        assert_html_404(&server.get(&format!("/{id}")).await, what);
    }
    for (what, id) in [
        ("unknown", unknown),
        ("not uploaded", &pending),
        ("deleted", &deleted.id),
        ("hidden", &hidden.id),
    ] {
        let response = server.get(&format!("/v1/photo_share/{id}")).await;
        response.assert_error(404, "not_found");
        assert!(!response.text().contains("url_large"), "{what}");
    }
    server
        .get("/v1/photo_share/not-an-id")
        .await
        .assert_error(400, "invalid");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_route_takes_only_photo_ids() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/health").await.json(), json!({"status": "ok"}));
    for path in ["/metrics", "/docs", "/openapi.json"] {
        assert_eq!(server.get(path).await.status, 200, "{path}");
    }
    for path in [
        "/nowhere",
        "/0123456789abcdef0123456789abcdeg",
        "/0123456789abcdef0123456789abcde",
        "/0123456789abcdef0123456789abcdef/more",
    ] {
        server.get(path).await.assert_error(404, "no_route");
    }
    let response = server
        .request("POST", "/0123456789abcdef0123456789abcdef", &[], Vec::new())
        .await;
    response.assert_error(405, "method_not_allowed");
    let metrics = server.get("/metrics").await.text();
    assert!(
        metrics
            .lines()
            .any(|line| line
                == r#"tourney_http_requests_total{method="GET",route="/{photo_id}",group="share",status="4xx"} 1"#),
        "the 405 counts for the share page, the others as unmatched: {metrics}"
    );
    server.stop().await;
}
