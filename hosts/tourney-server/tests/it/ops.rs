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
async fn metrics_count_requests_by_route_and_status_class() {
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
        r#"tourney_http_requests_total{method="GET",route="/health",group="ops",status="2xx"} 3"#,
        r#"tourney_http_requests_total{method="",route="unmatched",group="unmatched",status="4xx"} 1"#,
        r#"tourney_http_request_duration_seconds_count{method="GET",route="/health",group="ops"} 3"#,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_location_or_search_database_is_reported_and_the_rest_answers() {
    use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty};
    let server = TestServer::start_with(
        |_| {},
        |state| {
            state.modified(|state| {
                let down = FaultPlan::fail_after(0, FaultMode::Refuse);
                state.ports.places = std::sync::Arc::new(Faulty::new(
                    std::sync::Arc::clone(&state.ports.places),
                    std::sync::Arc::clone(&down),
                ));
                state.ports.search = std::sync::Arc::new(Faulty::new(
                    std::sync::Arc::clone(&state.ports.search),
                    down,
                ));
            })
        },
    )
    .await;
    let all = server.get("/v1/test").await;
    assert_eq!(all.status, 503, "{}", all.text());
    let body = all.json();
    assert_eq!(
        (&body["places"], &body["search"]),
        (&"down".into(), &"down".into())
    );
    assert_eq!(body["records"], "ok", "{body}");
    for (path, port) in [
        ("/v1/test_location_db", "places"),
        ("/v1/test_search_db", "search"),
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status, 503, "{path}");
        assert_eq!(
            response.json(),
            serde_json::json!({"port": port, "state": "down"})
        );
    }

    // The rest of the API answers.
    let created = server.request("POST", "/v1/users", &[], Vec::new()).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    let token = body["token"].as_str().expect("token");
    let auth = format!("Bearer {token}");
    let checked = server
        .request(
            "GET",
            "/v1/test_auth",
            &[("authorization", auth.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.text());
    assert_eq!(checked.json()["user_id"], body["id"]);
    server
        .get("/v1/test_auth")
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_location_and_search_databases_answer_200() {
    let server = TestServer::start().await;
    for (path, port) in [
        ("/v1/test_location_db", "places"),
        ("/v1/test_search_db", "search"),
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        assert_eq!(
            response.json(),
            serde_json::json!({"port": port, "state": "ok"})
        );
    }
    server.stop().await;
}
