//! The embedded media routes: presigned uploads and public and signed reads, with their
//! refusals (403 bad signature or expired, 415 wrong type, 413 too large, 404 missing).
//! Embedded in every run: S3's own refusals are `ocean-s3`'s tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use ocean::media::{ObjectKey, PresignedUpload, ReadAccess, UploadRequest};
use tourney_server::UploadListener;

use crate::support::{TestResponse, TestServer};

/// A presigned upload of `key` as `image/png`, at most `max_bytes`, signed at `signed_at`
/// for a minute.
fn presign(
    server: &TestServer,
    key: &str,
    max_bytes: u64,
    signed_at: SystemTime,
) -> PresignedUpload {
    server
        .ports
        .media
        .presign_upload(&UploadRequest {
            key: ObjectKey::parse(key).expect("valid key"),
            content_type: "image/png".to_owned(),
            max_bytes,
            signed_at,
            expires_in: Duration::from_secs(60),
        })
        .expect("presign")
}

async fn put(server: &TestServer, url: &str, content_type: &str, body: &[u8]) -> TestResponse {
    server
        .request("PUT", url, &[("content-type", content_type)], body.to_vec())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_upload_then_public_and_signed_reads_serve_the_bytes() {
    let server = TestServer::start_embedded().await;
    let upload = presign(&server, "photos/ab/cd.png", 1000, SystemTime::now());
    assert_eq!(
        upload.headers.get("content-type").map(String::as_str),
        Some("image/png")
    );
    let response = put(&server, &upload.url, "image/png", b"png bytes").await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["key"], "photos/ab/cd.png");

    let key = ObjectKey::parse("photos/ab/cd.png").expect("key");
    let public_url = server
        .ports
        .media
        .read_url(&key, ReadAccess::Public)
        .expect("url");
    let response = server.get(&public_url).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"png bytes");
    assert_eq!(response.header("content-type"), "image/png");
    assert_eq!(
        response.header("cache-control"),
        "public, max-age=31536000, immutable"
    );

    let signed_url = server
        .ports
        .media
        .read_url(
            &key,
            ReadAccess::Signed {
                signed_at: SystemTime::now(),
                expires_in: Duration::from_secs(60),
            },
        )
        .expect("url");
    let response = server.get(&signed_url).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"png bytes");
    assert_eq!(response.header("content-type"), "image/png");
    assert!(response.header("cache-control").starts_with("private"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_or_expired_urls_are_403() {
    let server = TestServer::start_embedded().await;
    let upload = presign(&server, "photos/x.png", 1000, SystemTime::now());
    let tampered = upload.url.replace("max_bytes=1000", "max_bytes=9999");
    put(&server, &tampered, "image/png", b"x")
        .await
        .assert_error(403, "invalid_signature");
    let other_key = upload.url.replace("photos/x.png", "photos/y.png");
    put(&server, &other_key, "image/png", b"x")
        .await
        .assert_error(403, "invalid_signature");
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let expired = presign(&server, "photos/x.png", 1000, an_hour_ago);
    put(&server, &expired.url, "image/png", b"x")
        .await
        .assert_error(403, "url_expired");

    assert_eq!(
        put(&server, &upload.url, "image/png", b"x").await.status,
        200
    );
    let key = ObjectKey::parse("photos/x.png").expect("key");
    let signed_url = server
        .ports
        .media
        .read_url(
            &key,
            ReadAccess::Signed {
                signed_at: SystemTime::now(),
                expires_in: Duration::from_secs(60),
            },
        )
        .expect("url");
    let last_char = signed_url.chars().last().expect("non-empty");
    let flipped = if last_char == '0' { '1' } else { '0' };
    let bad_signature = format!("{}{flipped}", &signed_url[..signed_url.len() - 1]);
    server
        .get(&bad_signature)
        .await
        .assert_error(403, "invalid_signature");
    assert!(
        server
            .ports
            .media
            .get(&ObjectKey::parse("photos/y.png").expect("key"))
            .await
            .is_err(),
        "refused uploads store nothing"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415() {
    let server = TestServer::start_embedded().await;
    let upload = presign(&server, "photos/t.png", 1000, SystemTime::now());
    put(&server, &upload.url, "image/jpeg", b"x")
        .await
        .assert_error(415, "unsupported_media_type");
    let missing = server.request("PUT", &upload.url, &[], b"x".to_vec()).await;
    missing.assert_error(415, "unsupported_media_type");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_signed_cap_or_the_server_limit_are_413() {
    let server = TestServer::start_embedded_with(
        |settings| settings.app.max_upload_bytes = 1024,
        |state| state,
    )
    .await;
    let upload = presign(&server, "photos/big.png", 100, SystemTime::now());
    put(&server, &upload.url, "image/png", &[7; 101])
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(
        put(&server, &upload.url, "image/png", &[7; 100])
            .await
            .status,
        200,
        "at the cap"
    );

    let generous = presign(&server, "photos/huge.png", 1_000_000, SystemTime::now());
    put(&server, &generous.url, "image/png", &[7; 2048])
        .await
        .assert_error(413, "payload_too_large");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_objects_and_non_keys_are_404() {
    let server = TestServer::start_embedded().await;
    server
        .get("/media/photos/none.png")
        .await
        .assert_error(404, "not_found");
    server
        .get("/media/a/../b")
        .await
        .assert_error(404, "not_found");
    server.stop().await;
}

/// Remembers the keys it is told about.
#[derive(Debug, Default)]
struct RecordingListener {
    keys: Mutex<Vec<String>>,
}

#[async_trait]
impl UploadListener for RecordingListener {
    async fn uploaded(&self, key: &ObjectKey) -> anyhow::Result<()> {
        self.keys
            .lock()
            .expect("not poisoned")
            .push(key.to_string());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_listener_hears_of_stored_uploads_only() {
    let listener = Arc::new(RecordingListener::default());
    let for_state = Arc::clone(&listener);
    let server =
        TestServer::start_embedded_with(|_| {}, move |state| state.with_upload_listener(for_state))
            .await;
    let upload = presign(&server, "photos/heard.png", 1000, SystemTime::now());
    put(&server, &upload.url, "image/jpeg", b"x")
        .await
        .assert_error(415, "unsupported_media_type");
    assert_eq!(
        put(&server, &upload.url, "image/png", b"x").await.status,
        200
    );
    assert_eq!(
        *listener.keys.lock().expect("not poisoned"),
        ["photos/heard.png"]
    );
    server.stop().await;
}
