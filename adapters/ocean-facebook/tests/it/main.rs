//! The Facebook adapter against a fake Graph API on a loopback port: the identity
//! conformance suite, then how each kind of failure maps to a port error and which are
//! retried (counted by the fake's request counter); pictures (size cap, image types, expired
//! URLs) and friends (paging, retries, the bound on pages).

use std::time::Duration;

use ocean::identity::ExternalProfile;
use ocean::{Error, ErrorKind, Identity};
use ocean_conformance::fake_graph::{Failure, FakeGraph};
use ocean_facebook::{FacebookIdentity, FacebookOptions};

/// A fake Graph API, started on this test's runtime.
async fn fake() -> FakeGraph {
    FakeGraph::start().await.expect("start the fake graph api")
}

/// Options for the fake at `url`: 3 attempts, 1 ms first backoff, `timeout` per request.
fn options(url: &str, timeout: Duration) -> FacebookOptions {
    FacebookOptions {
        max_attempts: 3,
        first_backoff: Duration::from_millis(1),
        ..FacebookOptions::new(url, "v19.0", timeout)
    }
}

/// The adapter pointed at `graph`, with a generous timeout.
fn identity(graph: &FakeGraph) -> FacebookIdentity {
    FacebookIdentity::new(&options(graph.url(), Duration::from_secs(10))).expect("adapter")
}

/// `error` and its sources as one line.
fn chain(error: &Error) -> String {
    let mut text = format!("{error:?} / {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let graph = fake().await;
    let known = graph.sample_account("Ada", "Lovelace");
    ocean_conformance::identity::run_all(&identity(&graph), &known).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_user_did_not_share_is_none() {
    let graph = fake().await;
    let profile = ExternalProfile {
        id: "1002".to_owned(),
        first_name: Some("Grace".to_owned()),
        last_name: Some("Hopper".to_owned()),
        name: Some("Grace Hopper".to_owned()),
        email: None,
        picture_url: None,
    };
    graph.add_account("grace-token", profile.clone());
    let got = identity(&graph).profile("grace-token").await.unwrap();
    assert_eq!(
        got, profile,
        "no email permission and the default silhouette both read as None"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_an_answer() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    graph.fail_next(2);
    let profile = identity(&graph).profile(&known.token).await.unwrap();
    assert_eq!(profile, known.profile);
    assert_eq!(graph.requests(), 3, "two 500s, then the answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_past_the_last_attempt_are_unavailable() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    graph.fail_next(5);
    let error = identity(&graph).profile(&known.token).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    assert_eq!(graph.requests(), 3, "max_attempts bounds the retries");
    let text = chain(&error);
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("code 2"), "{text}");
    assert!(!text.contains(&known.token), "{text} shows the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    graph.fail_next_with(1, Failure::Throttled);
    let profile = identity(&graph).profile(&known.token).await.unwrap();
    assert_eq!(profile, known.profile);
    assert_eq!(graph.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_retried_and_then_unavailable() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    let identity =
        FacebookIdentity::new(&options(graph.url(), Duration::from_millis(300))).unwrap();

    graph.fail_next_with(1, Failure::Hang);
    let profile = identity.profile(&known.token).await.unwrap();
    assert_eq!(profile, known.profile, "the retry after a timeout answers");
    assert_eq!(graph.requests(), 2);

    graph.fail_next_with(3, Failure::Hang);
    let error = identity.profile(&known.token).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    assert_eq!(graph.requests(), 5, "three more attempts, all timed out");
    let text = chain(&error);
    assert!(!text.contains(&known.token), "{text} shows the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_are_invalid_and_not_retried() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    let identity = identity(&graph);

    let error = identity.profile(&known.invalid_token).await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid { field: "token", .. }),
        "{error:?}"
    );
    assert_eq!(graph.requests(), 1);

    graph.expire(&known.token);
    let error = identity.profile(&known.token).await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid { field: "token", .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("expired"), "{error}");
    assert_eq!(graph.requests(), 2);

    let error = identity.profile("").await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid { field: "token", .. }),
        "{error:?}"
    );
    assert_eq!(
        graph.requests(),
        2,
        "an empty token is refused without a request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_failures_are_backend_errors_and_not_retried() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    let identity = identity(&graph);
    let mut expected_requests = 0;
    for (failure, shown) in [
        (Failure::PermissionDenied, "code 10"),
        (Failure::NotJson, "not a profile"),
    ] {
        graph.fail_next_with(1, failure);
        let error = identity.profile(&known.token).await.unwrap_err();
        expected_requests += 1;
        assert_eq!(error.kind(), ErrorKind::Backend, "{failure:?}: {error:?}");
        assert_eq!(
            graph.requests(),
            expected_requests,
            "{failure:?} is not retried"
        );
        let text = chain(&error);
        assert!(text.contains(shown), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_version_is_the_path() {
    let graph = fake().await;
    let known = graph.sample_account("Alan", "Turing");
    let newer = FacebookIdentity::new(&FacebookOptions {
        api_version: "v21.0".to_owned(),
        ..options(graph.url(), Duration::from_secs(10))
    })
    .unwrap();
    assert_eq!(newer.profile(&known.token).await.unwrap(), known.profile);

    // The fake, like Graph, answers an unknown path with error 2500.
    let unversioned = FacebookIdentity::new(&FacebookOptions {
        api_version: "latest".to_owned(),
        ..options(graph.url(), Duration::from_secs(10))
    })
    .unwrap();
    let error = unversioned.profile(&known.token).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Backend, "{error:?}");
    assert!(chain(&error).contains("code 2500"), "{}", chain(&error));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let identity = FacebookIdentity::new(&options(&url, Duration::from_secs(5))).unwrap();
    let error = identity.profile("some-token").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    assert!(!chain(&error).contains("some-token"), "{}", chain(&error));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_serves_the_sample_picture_as_a_jpeg() {
    let graph = fake().await;
    let known = graph.sample_account("Ada", "Lovelace");
    let url = known
        .profile
        .picture_url
        .expect("a sample account has a picture");
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_picture_is_downloaded_as_an_image() {
    let graph = fake().await;
    let bytes: Vec<u8> = (0..=255).cycle().take(10_000).collect();
    let url = graph.put_picture("big.jpg", bytes.clone());
    let picture = identity(&graph).picture(&url).await.unwrap();
    assert_eq!(picture.content_type, "image/jpeg");
    assert_eq!(picture.bytes, bytes);
    assert_eq!(graph.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picture_failures_map_to_port_errors() {
    let graph = fake().await;
    let url = graph.put_picture("p.jpg", vec![0xFF, 0xD8, 0xFF, 0xD9]);
    let identity = identity(&graph);

    graph.fail_next(2);
    let picture = identity.picture(&url).await.unwrap();
    assert_eq!(picture.bytes, [0xFF, 0xD8, 0xFF, 0xD9]);
    assert_eq!(graph.requests(), 3, "two 500s retried, then the picture");

    let gone = format!("{}/pictures/expired.jpg", graph.url());
    let error = identity.picture(&gone).await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid { field: "url", .. }),
        "{error:?}"
    );
    assert_eq!(graph.requests(), 4, "a 404 is not retried");

    graph.fail_next_with(1, Failure::NotJson);
    let error = identity.picture(&url).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Backend, "{error:?}");
    assert!(chain(&error).contains("not an image"), "{}", chain(&error));

    let oversized = graph.put_picture("huge.jpg", vec![0; ocean::identity::MAX_PICTURE_BYTES + 1]);
    let error = identity.picture(&oversized).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Backend, "{error:?}");
    assert!(chain(&error).contains("bytes"), "{}", chain(&error));

    for url in ["ftp://example.com/p.jpg", "/pictures/p.jpg"] {
        let error = identity.picture(url).await.unwrap_err();
        assert!(
            matches!(error, Error::Invalid { field: "url", .. }),
            "{error:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friends_are_read_across_pages_in_order() {
    let graph = fake().await;
    let known = graph.sample_account("Ada", "Lovelace");
    let more: Vec<String> = (0..230).map(|n| format!("2000{n:04}")).collect();
    graph.add_friends(&known.token, &more);
    graph.add_friends(&known.profile.id, &more[..5]);
    let friends = identity(&graph).friends(&known.token).await.unwrap();
    let mut expected = known.friends.clone();
    expected.extend(more);
    assert_eq!(friends, expected, "each friend once, in Graph's order");
    assert_eq!(graph.requests(), 3, "232 friends in pages of 100");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_friends_page_is_retried_and_a_refused_token_is_not() {
    let graph = fake().await;
    let known = graph.sample_account("Ada", "Lovelace");
    let more: Vec<String> = (0..150).map(|n| format!("3000{n:04}")).collect();
    graph.add_friends(&known.token, &more);
    let identity = identity(&graph);
    graph.fail_next_with(1, Failure::Throttled);
    let friends = identity.friends(&known.token).await.unwrap();
    assert_eq!(friends.len(), 152);
    assert_eq!(graph.requests(), 3, "one throttled attempt, then two pages");

    graph.expire(&known.token);
    let error = identity.friends(&known.token).await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid { field: "token", .. }),
        "{error:?}"
    );
    assert_eq!(graph.requests(), 4);
    assert!(!chain(&error).contains(&known.token), "{}", chain(&error));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_friend_list_is_cut_at_max_friends() {
    let graph = fake().await;
    let known = graph.sample_account("Ada", "Lovelace");
    let many: Vec<String> = (0..1500).map(|n| format!("4000{n:05}")).collect();
    graph.add_friends(&known.token, &many);
    let friends = identity(&graph).friends(&known.token).await.unwrap();
    assert_eq!(friends.len(), ocean::identity::MAX_FRIENDS);
    assert_eq!(friends[..2], known.friends[..]);
    assert_eq!(
        graph.requests(),
        ocean_facebook::MAX_FRIEND_PAGES as u64,
        "no page past the bound is read"
    );
}
