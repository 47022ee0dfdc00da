//! The JSON body and query filters, served by a route of the test's own and rendered by
//! the server's rejection handler: 415, 413 and 400 with serde's message.

use std::net::SocketAddr;

use serde::Deserialize;
use tourney_server::filters::{json_body, json_body_with_limit, query};
use warp::Filter;

use crate::support::{TestResponse, send};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vote {
    winner: String,
}

#[derive(Debug, Deserialize)]
struct Page {
    count: Option<u32>,
}

/// Serves `POST /vote` (default limit), `POST /small` (16 bytes), `GET /page?count=` and
/// `POST /warp-json` (warp's own JSON filter) until the test ends.
async fn start_filter_server() -> SocketAddr {
    let vote = warp::path!("vote")
        .and(warp::post())
        .and(json_body::<Vote>())
        .map(|vote: Vote| warp::reply::json(&vote.winner));
    let small = warp::path!("small")
        .and(warp::post())
        .and(json_body_with_limit::<Vote>(16))
        .map(|vote: Vote| warp::reply::json(&vote.winner));
    let page = warp::path!("page")
        .and(warp::get())
        .and(query::<Page>())
        .map(|page: Page| warp::reply::json(&page.count));
    let warp_json = warp::path!("warp-json")
        .and(warp::post())
        .and(warp::body::json::<Vote>())
        .map(|vote: Vote| warp::reply::json(&vote.winner));
    let routes = vote
        .or(small)
        .unify()
        .or(page)
        .unify()
        .or(warp_json)
        .unify()
        .recover(tourney_server::error::recover);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    address
}

async fn post(address: SocketAddr, path: &str, content_type: &str, body: &str) -> TestResponse {
    let headers = [("content-type", content_type)];
    send(address, "POST", path, &headers, body.as_bytes().to_vec()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_accepts_json_with_a_charset() {
    let address = start_filter_server().await;
    let response = post(
        address,
        "/vote",
        "application/json; charset=utf-8",
        r#"{"winner":"a"}"#,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_refuses_other_content_types_with_415() {
    let address = start_filter_server().await;
    let response = post(address, "/vote", "text/plain", r#"{"winner":"a"}"#).await;
    response.assert_error(415, "unsupported_media_type");
    let response = send(address, "POST", "/vote", &[], b"{}".to_vec()).await;
    response.assert_error(415, "unsupported_media_type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_refuses_bodies_over_the_limit_with_413() {
    let address = start_filter_server().await;
    let response = post(
        address,
        "/small",
        "application/json",
        r#"{"winner":"abcdefghij"}"#,
    )
    .await;
    response.assert_error(413, "payload_too_large");
    let huge = format!(r#"{{"winner":"{}"}}"#, "x".repeat(70 * 1024));
    let response = post(address, "/vote", "application/json", &huge).await;
    response.assert_error(413, "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_explains_bad_json_with_400() {
    let address = start_filter_server().await;
    let body = post(address, "/vote", "application/json", "{oops")
        .await
        .assert_error(400, "bad_request");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("key must be a string")),
        "serde's message: {body}"
    );
    let body = post(address, "/vote", "application/json", "{}")
        .await
        .assert_error(400, "invalid");
    assert_eq!(body["field"], "winner");
    let body = post(address, "/vote", "application/json", "")
        .await
        .assert_error(400, "bad_request");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("empty")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_filter_explains_bad_queries_with_400() {
    let address = start_filter_server().await;
    let response = send(address, "GET", "/page?count=7", &[], Vec::new()).await;
    assert_eq!(response.json(), 7);
    let response = send(address, "GET", "/page", &[], Vec::new()).await;
    assert_eq!(response.json(), serde_json::Value::Null);
    let body = send(address, "GET", "/page?count=many", &[], Vec::new())
        .await
        .assert_error(400, "bad_request");
    assert_eq!(body["field"], "query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warps_own_body_rejections_get_the_same_shape() {
    let address = start_filter_server().await;
    let body = post(address, "/warp-json", "application/json", "{}")
        .await
        .assert_error(400, "bad_request");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("winner")),
        "names the problem: {body}"
    );
    post(address, "/warp-json", "text/plain", "{}")
        .await
        .assert_error(415, "unsupported_media_type");
}
