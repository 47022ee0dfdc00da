//! Facebook over HTTP against a fake Graph API on a loopback port: linking (once per
//! Facebook account), the worker's profile sync (only unset fields), and logging in on a
//! new device.

use ocean::settings::IdentityBackend;
use ocean_conformance::fake_graph::FakeGraph;
use serde_json::json;

use crate::support::{TestServer, call, drain, sign_up};

async fn start(graph: &FakeGraph) -> TestServer {
    let graph_url = graph.url().to_owned();
    TestServer::start_with(
        move |settings| {
            settings.identity = IdentityBackend::Facebook {
                graph_url,
                api_version: "v19.0".to_owned(),
                timeout_secs: 5,
            };
        },
        |state| state,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_syncs_unset_names_and_claims_the_account_once() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let ann_account = graph.sample_account("Ann", "Lee");
    let bob_account = graph.sample_account("Bob", "Stone");
    let (_, ann) = sign_up(&server).await;
    let (_, bob) = sign_up(&server).await;
    let link = |token: &str| Some(json!({"token": token}));

    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        link(&ann_account.token),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let again = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        link(&ann_account.token),
    )
    .await;
    assert_eq!(again.status, 200, "linking twice is fine");
    let taken = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&ann_account.token),
    )
    .await;
    taken.assert_error(409, "facebook_taken");
    let rejected = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&ann_account.invalid_token),
    )
    .await;
    assert_eq!(rejected.assert_error(400, "invalid")["field"], "token");
    assert!(
        !rejected.text().contains(&ann_account.invalid_token),
        "no token in errors"
    );

    // Bob chose a first name already: the sync fills only what is unset.
    let patched = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &bob,
        Some(json!({"first_name": "Robert"})),
    )
    .await;
    assert_eq!(patched.status, 200);
    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&bob_account.token),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());

    drain(&server).await;
    let ann_view = call(&server, "GET", "/v1/users/me", &ann, None)
        .await
        .json();
    assert_eq!(
        (
            &ann_view["first_name"],
            &ann_view["last_name"],
            &ann_view["user_name"]
        ),
        (&json!("Ann"), &json!("Lee"), &json!("Ann Lee")),
        "{ann_view}"
    );
    let bob_view = call(&server, "GET", "/v1/users/me", &bob, None)
        .await
        .json();
    assert_eq!(
        (&bob_view["first_name"], &bob_view["last_name"]),
        (&json!("Robert"), &json!("Stone")),
        "{bob_view}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_account_logs_in_on_a_new_device() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let account = graph.sample_account("Cleo", "Park");
    let stranger = graph.sample_account("Dan", "Ray");
    let (ann_id, ann) = sign_up(&server).await;
    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        Some(json!({"token": account.token})),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let facebook_id = &account.profile.id;

    let login = server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            account.token
        ))
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    let body = login.json();
    assert_eq!(body["id"], ann_id.as_str());
    let device = body["token"].as_str().expect("token").to_owned();
    assert_ne!(device, ann);
    for token in [&device, &ann] {
        let me = call(&server, "GET", "/v1/users/me", token, None).await;
        assert_eq!(me.status, 200, "both devices stay logged in");
    }

    server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            stranger.token
        ))
        .await
        .assert_error(401, "unauthorized");
    server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            account.invalid_token
        ))
        .await
        .assert_error(401, "unauthorized");
    server
        .get(&format!(
            "/v1/users_by_facebook/{}?token={}",
            stranger.profile.id, stranger.token
        ))
        .await
        .assert_error(404, "not_found");
    let missing = server
        .get(&format!("/v1/users_by_facebook/{facebook_id}"))
        .await;
    assert_eq!(missing.assert_error(400, "invalid")["field"], "token");

    // Rotating the token logs every device out.
    let rotated = call(&server, "POST", "/v1/users/me/token", &ann, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    call(&server, "GET", "/v1/users/me", &device, None)
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}
