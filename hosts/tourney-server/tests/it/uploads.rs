//! Upload completion on every backend: the owner's completion call (checked against what
//! is stored) and a storage event on the upload-events queue (S3's notification, as SQS
//! delivers it) each start a photo's processing, once.

use std::sync::Arc;

use async_trait::async_trait;
use ocean::media::ObjectKey;
use serde_json::{Value, json};
use tourney_core::service::UPLOAD_EVENTS_QUEUE;
use tourney_server::UploadListener;

use crate::support::{
    TestServer, add_test_places, call, drain, send_upload, sign_up, start_with_places,
};

/// An upload listener that ignores every upload.
#[derive(Debug)]
struct Deaf;

#[async_trait]
impl UploadListener for Deaf {
    async fn uploaded(&self, _key: &ObjectKey) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A new photo of `token`'s: its id and its `POST /v1/photos` answer.
async fn new_photo(server: &TestServer, token: &str) -> (String, Value) {
    let created = call(
        server,
        "POST",
        "/v1/photos",
        token,
        Some(json!({"content_type": "image/jpeg"})),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text());
    let body = created.json();
    (body["id"].as_str().expect("id").to_owned(), body)
}

async fn state_of(server: &TestServer, token: &str, id: &str) -> String {
    let photo = call(server, "GET", &format!("/v1/photos/{id}"), token, None).await;
    assert_eq!(photo.status, 200, "{}", photo.text());
    photo.json()["state"].as_str().expect("state").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_completion_call_checks_the_upload_and_is_idempotent() {
    let server = start_with_places().await;
    let (_, owner) = sign_up(&server).await;
    let (_, stranger) = sign_up(&server).await;
    let (id, created) = new_photo(&server, &owner).await;
    let completion = format!("/v1/photos/{id}/uploaded");

    call(&server, "POST", &completion, &owner, None)
        .await
        .assert_error(409, "upload_missing");
    call(&server, "POST", &completion, &stranger, None)
        .await
        .assert_error(404, "not_found");
    call(&server, "POST", "/v1/photos/nothex/uploaded", &owner, None)
        .await
        .assert_error(400, "invalid");

    let jpeg = tourney_media::generate_demo_image(41, 96, 72);
    let sent = send_upload(&server, &created["upload"], jpeg).await;
    assert!(matches!(sent.status, 200 | 204), "{}", sent.text());
    for _ in 0..2 {
        let completed = call(&server, "POST", &completion, &owner, None).await;
        assert_eq!(completed.status, 200, "{}", completed.text());
        assert_ne!(completed.json()["state"], "pending_upload");
    }
    drain(&server).await;
    assert_eq!(state_of(&server, &owner, &id).await, "ready");
    let again = call(&server, "POST", &completion, &owner, None).await;
    assert_eq!(
        again.json()["state"],
        "ready",
        "a late call changes nothing"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_event_starts_processing_without_the_completion_call() {
    // The embedded upload route tells nobody here, as S3 tells nobody but its events.
    let server =
        TestServer::start_with(|_| {}, |state| state.with_upload_listener(Arc::new(Deaf))).await;
    add_test_places(&server).await;
    let (_, owner) = sign_up(&server).await;
    let (id, created) = new_photo(&server, &owner).await;
    let jpeg = tourney_media::generate_demo_image(42, 96, 72);
    let sent = send_upload(&server, &created["upload"], jpeg).await;
    assert!(matches!(sent.status, 200 | 204), "{}", sent.text());
    drain(&server).await;
    assert_eq!(state_of(&server, &owner, &id).await, "pending_upload");

    // What S3 sends to SQS for a POST upload (keys URL-encoded), and its set-up test event.
    let event = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": "media"}, "object": {"key": format!("photos%2F{id}%2Foriginal"), "size": 1234}}
    }]});
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "media"});
    for body in [test_event, event.clone(), event] {
        server
            .ports
            .queue
            .send(
                UPLOAD_EVENTS_QUEUE,
                serde_json::to_vec(&body).expect("json"),
            )
            .await
            .expect("send the storage event");
    }
    drain(&server).await;
    assert_eq!(state_of(&server, &owner, &id).await, "ready");
    server.stop().await;
}
