//! What S3 (s3s-fs, which checks SigV4 like AWS) answers to presigned URLs used outside
//! their limits: each refusal has its status and error code, and stores nothing.

use std::time::{Duration, SystemTime};

use ocean::ErrorKind;
use ocean::media::{Media, ObjectKey, PresignedUpload, ReadAccess, UploadRequest};
use ocean_s3::S3Media;

use crate::fresh_media;
use crate::http::{Answer, HttpTransfer};

/// An upload request for `key` as `image/jpeg` up to `max_bytes`, signed now for `expires_in`.
fn jpeg_upload(key: &ObjectKey, max_bytes: u64, expires_in: Duration) -> UploadRequest {
    UploadRequest {
        key: key.clone(),
        content_type: "image/jpeg".to_owned(),
        max_bytes,
        signed_at: SystemTime::now(),
        expires_in,
    }
}

/// Panics unless `answer` has `status` and names `code`.
#[track_caller]
fn assert_refused(answer: &Answer, status: u16, code: &str, what: &str) {
    assert!(
        answer.status == status && answer.body.contains(&format!("<Code>{code}</Code>")),
        "{what}: expected {status} {code}, got {answer:?}"
    );
}

/// Panics unless nothing is stored under `key`.
async fn assert_nothing_stored(media: &S3Media, key: &ObjectKey, what: &str) {
    let head = media.head(key).await;
    assert!(
        matches!(&head, Err(error) if error.kind() == ErrorKind::NotFound),
        "{what} stores nothing: {head:?}"
    );
}

/// `upload` with the first character of its signature field changed.
fn forged(upload: &PresignedUpload) -> PresignedUpload {
    let mut forged = upload.clone();
    let signature = forged
        .fields
        .get_mut("x-amz-signature")
        .expect("a POST form carries x-amz-signature");
    let replacement = if signature.starts_with('0') { "1" } else { "0" };
    signature.replace_range(..1, replacement);
    forged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_signatures_get_403() {
    let Some((media, _)) = fresh_media("forged_signatures_get_403", false).await else {
        return;
    };
    let http = HttpTransfer::new();
    let key = ObjectKey::parse("forged/upload.jpg").expect("key");
    let upload = media
        .presign_upload(&jpeg_upload(&key, 1000, Duration::from_secs(600)))
        .expect("presign");
    let answer = http
        .send_upload(&forged(&upload), "image/jpeg", b"jpeg".to_vec())
        .await;
    assert_refused(
        &answer,
        403,
        "SignatureDoesNotMatch",
        "a forged upload form",
    );
    assert_nothing_stored(&media, &key, "a forged upload").await;

    media
        .put(&key, b"secret".to_vec(), "image/jpeg")
        .await
        .expect("put");
    let signed = media
        .read_url(
            &key,
            ReadAccess::Signed {
                signed_at: SystemTime::now(),
                expires_in: Duration::from_secs(600),
            },
        )
        .expect("signed url");
    let (answer, _) = http.get(&signed).await;
    assert!(answer.is_success(), "the genuine url serves: {answer:?}");
    let (prefix, signature) = signed
        .split_once("X-Amz-Signature=")
        .expect("a signature parameter");
    let flipped = if signature.starts_with('0') { '1' } else { '0' };
    let forged_url = format!("{prefix}X-Amz-Signature={flipped}{}", &signature[1..]);
    let (answer, _) = http.get(&forged_url).await;
    assert_refused(&answer, 403, "SignatureDoesNotMatch", "a forged read url");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_urls_get_403() {
    let Some((media, _)) = fresh_media("expired_urls_get_403", false).await else {
        return;
    };
    let http = HttpTransfer::new();
    let key = ObjectKey::parse("expired/upload.jpg").expect("key");
    let read_key = ObjectKey::parse("expired/read.jpg").expect("key");
    media
        .put(&read_key, b"jpeg".to_vec(), "image/jpeg")
        .await
        .expect("put");
    let upload = media
        .presign_upload(&jpeg_upload(&key, 1000, Duration::from_secs(1)))
        .expect("presign");
    let read_url = media
        .read_url(
            &read_key,
            ReadAccess::Signed {
                signed_at: SystemTime::now(),
                expires_in: Duration::from_secs(1),
            },
        )
        .expect("signed url");
    // Signatures are to the second: two seconds is past a one-second window however the
    // signing instant was rounded.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answer = http
        .send_upload(&upload, "image/jpeg", b"jpeg".to_vec())
        .await;
    assert_refused(&answer, 403, "AccessDenied", "an expired upload form");
    assert!(answer.body.contains("expired"), "{answer:?}");
    assert_nothing_stored(&media, &key, "an expired upload").await;
    let (answer, _) = http.get(&read_url).await;
    assert_refused(&answer, 403, "AccessDenied", "an expired read url");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_content_type_is_refused_by_the_policy() {
    let Some((media, _)) =
        fresh_media("another_content_type_is_refused_by_the_policy", false).await
    else {
        return;
    };
    let key = ObjectKey::parse("typed/upload.jpg").expect("key");
    let upload = media
        .presign_upload(&jpeg_upload(&key, 1000, Duration::from_secs(600)))
        .expect("presign");
    let answer = HttpTransfer::new()
        .send_upload(&upload, "text/html", b"<script>".to_vec())
        .await;
    // AWS answers 403 AccessDenied ("Invalid according to Policy"); s3s-fs 400.
    assert_refused(
        &answer,
        400,
        "InvalidPolicyDocument",
        "another content type",
    );
    assert_nothing_stored(&media, &key, "an upload of another content type").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_over_the_size_limit_is_refused() {
    let Some((media, _)) = fresh_media("an_upload_over_the_size_limit_is_refused", false).await
    else {
        return;
    };
    let http = HttpTransfer::new();
    let key = ObjectKey::parse("sized/upload.jpg").expect("key");
    let upload = media
        .presign_upload(&jpeg_upload(&key, 1000, Duration::from_secs(600)))
        .expect("presign");
    // The policy's content-length-range: the server stops reading the file part after
    // max_bytes and refuses with 400 EntityTooLarge, as AWS does.
    let answer = http.send_upload(&upload, "image/jpeg", vec![7; 1001]).await;
    assert_refused(&answer, 400, "EntityTooLarge", "an upload of max_bytes + 1");
    assert_nothing_stored(&media, &key, "an oversized upload").await;
    let answer = http.send_upload(&upload, "image/jpeg", vec![7; 1000]).await;
    assert!(
        answer.is_success(),
        "exactly max_bytes is accepted: {answer:?}"
    );
    assert_eq!(media.head(&key).await.expect("stored").size, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_writes_are_refused() {
    let Some((media, url)) = fresh_media("anonymous_writes_are_refused", false).await else {
        return;
    };
    let key = ObjectKey::parse("anonymous.jpg").expect("key");
    let response = reqwest::Client::new()
        .put(format!("{url}/{}/{key}", media.bucket()))
        .header("content-type", "image/jpeg")
        .body(b"jpeg".to_vec())
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        response.status().as_u16(),
        403,
        "an unsigned PUT is refused"
    );
    assert_nothing_stored(&media, &key, "an unsigned PUT").await;
}
