//! Operations and service routes: health, metrics, port health, public config, and the
//! JSON answers for unknown routes and wrong methods.

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_ok() {
    let server = TestServer::start().await;
    let response = server.get("/health").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({"status": "ok"}));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_group_and_status_class() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        assert_eq!(server.get("/health").await.status, 200);
    }
    assert_eq!(server.get("/nowhere").await.status, 404);
    let response = server.get("/metrics").await;
    assert_eq!(response.status, 200);
    assert!(
        response.header("content-type").starts_with("text/plain"),
        "{:?}",
        response.headers
    );
    let text = response.text();
    for line in [
        r#"tourney_http_requests_total{group="ops",status="2xx"} 3"#,
        r#"tourney_http_requests_total{group="unmatched",status="4xx"} 1"#,
        r#"tourney_http_request_duration_seconds_count{group="ops"} 3"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert!(text.contains("# TYPE tourney_http_request_duration_seconds histogram"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_test_reports_every_port_ok() {
    let server = TestServer::start().await;
    let response = server.get("/v1/test").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    for port in [
        "records",
        "media",
        "stream",
        "queue",
        "places",
        "search",
        "notifications",
    ] {
        assert_eq!(body[port], "ok", "{port} in {body}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_shows_public_settings_only() {
    let server = TestServer::start_with(
        |settings| {
            settings.app.max_upload_bytes = 1234;
            settings.media = ocean::settings::MediaBackend::Embedded {
                public_url: "http://127.0.0.1:1".to_owned(),
                signing_key: Some(ocean::settings::Secret::new("very-secret-key")),
            };
        },
        |state| state,
    )
    .await;
    let response = server.get("/v1/config").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(
        body["categories"],
        serde_json::json!(["female", "male", "landscapes", "architecture", "cars"])
    );
    assert_eq!(body["default_post_category"], "female");
    assert_eq!(body["default_view_category"], "female");
    assert_eq!(body["max_upload_bytes"], 1234);
    let text = response.text();
    assert!(!text.contains("very-secret-key"), "no secrets: {text}");
    assert!(!text.contains("data_dir"), "no paths: {text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_is_a_json_404() {
    let server = TestServer::start().await;
    for (method, path) in [
        ("GET", "/nowhere"),
        ("POST", "/v1/nothing/here"),
        ("GET", "/v1"),
    ] {
        let response = server.request(method, path, &[], Vec::new()).await;
        let body = response.assert_error(404, "no_route");
        assert!(body.get("field").is_none(), "no field: {body}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_is_a_json_405() {
    let server = TestServer::start().await;
    for (method, path) in [
        ("POST", "/health"),
        ("DELETE", "/v1/config"),
        ("PUT", "/metrics"),
    ] {
        let response = server.request(method, path, &[], Vec::new()).await;
        response.assert_error(405, "method_not_allowed");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_server() {
    let server = TestServer::start().await;
    let address = server.address;
    server.stop().await;
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "the listener is closed after shutdown"
    );
}
