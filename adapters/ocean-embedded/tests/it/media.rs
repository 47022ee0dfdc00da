//! The embedded media backend against the media conformance suite, its URLs followed the way
//! the server's media routes will follow them, plus durability of objects and of the
//! generated signing key across reopening.

use std::path::Path;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use ocean::ErrorKind;
use ocean::media::{Media, ObjectKey, PresignedUpload, ReadAccess, UploadMethod, UploadRequest};
use ocean_conformance::media::{Refused, Transfer};
use ocean_embedded::EmbeddedMedia;
use ocean_embedded::media::MediaOptions;

/// The public URL the tests' media answers on.
const PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Follows URLs by calling what the server's routes will call: `accept_upload` for a PUT,
/// `verify_read` then `get` for a GET.
#[derive(Debug)]
struct ServerRoutes<'a> {
    media: &'a EmbeddedMedia,
}

/// The request target of `url` (its path and query), if it points at [`PUBLIC_URL`].
fn request_target(url: &str) -> Result<&str, Refused> {
    url.strip_prefix(PUBLIC_URL)
        .filter(|target| target.starts_with('/'))
        .ok_or_else(|| Refused(format!("{url} is not on {PUBLIC_URL}")))
}

#[async_trait]
impl Transfer for ServerRoutes<'_> {
    async fn upload(
        &self,
        upload: &PresignedUpload,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), Refused> {
        if upload.method != UploadMethod::Put {
            return Err(Refused(format!(
                "the server takes PUT uploads, not {:?}",
                upload.method
            )));
        }
        let target = request_target(&upload.url)?;
        self.media
            .accept_upload(target, content_type, body, SystemTime::now())
            .await
            .map(|_key| ())
            .map_err(|error| Refused(error.to_string()))
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, Refused> {
        let target = request_target(url)?;
        let key = self
            .media
            .verify_read(target, SystemTime::now())
            .map_err(|error| Refused(format!("403: {error}")))?;
        let object = self
            .media
            .get(&key)
            .await
            .map_err(|error| Refused(format!("404: {error}")))?;
        Ok(object.bytes)
    }
}

/// Opens media in `dir` with a generated (kept) signing key.
fn open(dir: &Path) -> EmbeddedMedia {
    let options = MediaOptions {
        public_url: format!("{PUBLIC_URL}/"),
        signing_key: None,
    };
    EmbeddedMedia::open(dir, options).expect("open embedded media")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = open(dir.path());
    ocean_conformance::media::run_all(&media, &ServerRoutes { media: &media }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_with_an_explicit_signing_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = MediaOptions {
        public_url: PUBLIC_URL.to_owned(),
        signing_key: Some(b"an explicit test key".to_vec()),
    };
    let media = EmbeddedMedia::open(dir.path(), options).expect("open with a key");
    ocean_conformance::media::run_all(&media, &ServerRoutes { media: &media }).await;
    assert!(
        !dir.path().join("media-signing.key").exists(),
        "an explicit key is not written to the data directory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn objects_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = ObjectKey::parse("photos/2024/kept.jpg").expect("valid key");
    let deleted = ObjectKey::parse("photos/2024/gone.jpg").expect("valid key");
    {
        let media = open(dir.path());
        media
            .put(&key, b"jpeg bytes".to_vec(), "image/jpeg")
            .await
            .expect("put");
        media
            .put(&deleted, b"x".to_vec(), "image/jpeg")
            .await
            .expect("put");
        media.delete(&deleted).await.expect("delete");
    }
    let media = open(dir.path());
    let object = media.get(&key).await.expect("the object is still there");
    assert_eq!(object.bytes, b"jpeg bytes");
    assert_eq!(object.meta.content_type, "image/jpeg");
    assert_eq!(object.meta.size, 10);
    assert!(
        matches!(media.get(&deleted).await, Err(e) if e.kind() == ErrorKind::NotFound),
        "a deleted object stays deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_signing_key_is_kept_across_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = ObjectKey::parse("avatars/u1.png").expect("valid key");
    let (read_url, upload) = {
        let media = open(dir.path());
        media
            .put(&key, b"png".to_vec(), "image/png")
            .await
            .expect("put");
        let read_url = media
            .read_url(
                &key,
                ReadAccess::Signed {
                    signed_at: SystemTime::now(),
                    expires_in: Duration::from_secs(600),
                },
            )
            .expect("signed read url");
        let upload = media
            .presign_upload(&UploadRequest {
                key: key.clone(),
                content_type: "image/png".to_owned(),
                max_bytes: 100,
                signed_at: SystemTime::now(),
                expires_in: Duration::from_secs(600),
            })
            .expect("presign");
        (read_url, upload)
    };
    let key_file = std::fs::read(dir.path().join("media-signing.key")).expect("key file");
    assert_eq!(key_file.len(), 32, "a generated key has 32 bytes");

    let media = open(dir.path());
    let routes = ServerRoutes { media: &media };
    let bytes = routes
        .download(&read_url)
        .await
        .expect("a url signed before reopening still verifies");
    assert_eq!(bytes, b"png");
    routes
        .upload(&upload, "image/png", b"new png".to_vec())
        .await
        .expect("an upload signed before reopening is still accepted");
    assert_eq!(media.get(&key).await.expect("get").bytes, b"new png");

    let other_key = MediaOptions {
        public_url: PUBLIC_URL.to_owned(),
        signing_key: Some(b"another key".to_vec()),
    };
    let rekeyed = EmbeddedMedia::open(dir.path(), other_key).expect("open with another key");
    let refused = ServerRoutes { media: &rekeyed }.download(&read_url).await;
    assert!(refused.is_err(), "another signing key refuses the old url");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_name_the_failed_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = open(dir.path());
    let key = ObjectKey::parse("uploads/a.jpg").expect("valid key");
    let upload = media
        .presign_upload(&UploadRequest {
            key: key.clone(),
            content_type: "image/jpeg".to_owned(),
            max_bytes: 4,
            signed_at: SystemTime::now(),
            expires_in: Duration::from_secs(60),
        })
        .expect("presign");
    let target = request_target(&upload.url).expect("on the public url");
    let now = SystemTime::now();
    let field_of = |result: ocean::Result<ObjectKey>| match result {
        Err(ocean::Error::Invalid { field, .. }) => field,
        other => panic!("expected an invalid error, got {other:?}"),
    };
    let too_big = media
        .accept_upload(target, "image/jpeg", vec![0; 5], now)
        .await;
    assert_eq!(field_of(too_big), "size");
    let wrong_type = media
        .accept_upload(target, "image/png", vec![0; 4], now)
        .await;
    assert_eq!(field_of(wrong_type), "content_type");
    let late = media
        .accept_upload(
            target,
            "image/jpeg",
            vec![0; 4],
            now + Duration::from_secs(61),
        )
        .await;
    assert_eq!(field_of(late), "expires");
    let unsigned = target.split("&signature=").next().expect("a prefix");
    let forged = media
        .accept_upload(unsigned, "image/jpeg", vec![0; 4], now)
        .await;
    assert_eq!(field_of(forged), "signature");
    let raised = target.replace("max_bytes=4", "max_bytes=400");
    let raised_cap = media
        .accept_upload(&raised, "image/jpeg", vec![0; 5], now)
        .await;
    assert_eq!(field_of(raised_cap), "signature");
    assert!(
        matches!(media.head(&key).await, Err(e) if e.kind() == ErrorKind::NotFound),
        "refused uploads store nothing"
    );
    let stored = media
        .accept_upload(target, "image/jpeg", vec![1; 4], now)
        .await
        .expect("an upload within the limits");
    assert_eq!(stored, key, "accept_upload names the stored key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn url_formats_are_the_documented_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = open(dir.path());
    let key = ObjectKey::parse("p/x.jpg").expect("valid key");
    let public = media
        .read_url(&key, ReadAccess::Public)
        .expect("public url");
    assert_eq!(public, "http://127.0.0.1:8080/media/p/x.jpg");
    let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let signed = media
        .read_url(
            &key,
            ReadAccess::Signed {
                signed_at,
                expires_in: Duration::from_secs(60),
            },
        )
        .expect("signed url");
    assert!(
        signed.starts_with("http://127.0.0.1:8080/media/p/x.jpg?expires=1060&signature="),
        "{signed}"
    );
    let upload = media
        .presign_upload(&UploadRequest {
            key,
            content_type: "text/plain; charset=utf-8".to_owned(),
            max_bytes: 9,
            signed_at,
            expires_in: Duration::from_secs(60),
        })
        .expect("presign");
    assert_eq!(upload.method, UploadMethod::Put);
    assert!(
        upload.url.starts_with(
            "http://127.0.0.1:8080/media/upload/p/x.jpg?content_type=text%2Fplain%3B%20charset%3Dutf-8&max_bytes=9&expires=1060&signature="
        ),
        "{}",
        upload.url
    );
    assert_eq!(
        upload.headers.get("content-type").map(String::as_str),
        Some("text/plain; charset=utf-8")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_cannot_be_both_an_object_and_a_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = open(dir.path());
    let file_key = ObjectKey::parse("a/b").expect("valid key");
    let nested_key = ObjectKey::parse("a/b/c").expect("valid key");
    media
        .put(&file_key, b"1".to_vec(), "text/plain")
        .await
        .expect("put a/b");
    assert!(
        matches!(media.put(&nested_key, b"2".to_vec(), "text/plain").await, Err(e) if e.kind() == ErrorKind::Invalid),
        "a/b/c under the object a/b is invalid here"
    );
    assert!(
        matches!(media.get(&nested_key).await, Err(e) if e.kind() == ErrorKind::NotFound),
        "get under an object is not found"
    );
    let folder_key = ObjectKey::parse("a").expect("valid key");
    assert!(
        matches!(media.put(&folder_key, b"3".to_vec(), "text/plain").await, Err(e) if e.kind() == ErrorKind::Invalid),
        "a, the folder of a/b, cannot be an object here"
    );
    assert!(
        matches!(media.head(&folder_key).await, Err(e) if e.kind() == ErrorKind::NotFound),
        "a folder is not an object"
    );
    media
        .delete(&folder_key)
        .await
        .expect("deleting a folder's key deletes nothing");
    assert_eq!(
        media.get(&file_key).await.expect("a/b is intact").bytes,
        b"1"
    );
}
