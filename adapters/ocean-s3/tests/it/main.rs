//! ocean-s3 against s3-local (s3s-fs, SigV4-checking): the whole media conformance suite
//! with its URLs followed over HTTP, and the refusals S3 itself gives presigned URLs that were
//! forged, expired, retyped or oversized.

mod http;
mod refusals;

use ocean::media::{Media, ObjectKey};
use ocean_conformance::servers;
use ocean_s3::S3Media;

use crate::http::HttpTransfer;

/// Media over a fresh bucket on the S3 server, or `None` (test skipped) when it is down.
async fn fresh_media(test: &str, public_url: bool) -> Option<(S3Media, String)> {
    let url = servers::server(&servers::S3, test)?;
    let config = ocean_aws::test_config(&url);
    let bucket = ocean_conformance::unique("ocean-s3");
    let public_url = public_url.then(|| format!("{url}/{bucket}"));
    let media = S3Media::new(&config, bucket, public_url);
    media.create_bucket().await.expect("create the test bucket");
    Some((media, url))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some((media, _)) = fresh_media("conformance", false).await else {
        return;
    };
    ocean_conformance::media::run_all(&media, &HttpTransfer::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_read_urls_through_a_configured_public_url() {
    let Some((media, url)) =
        fresh_media("public_read_urls_through_a_configured_public_url", true).await
    else {
        return;
    };
    let key = ObjectKey::parse("p/x.jpg").expect("key");
    let public = media
        .read_url(&key, ocean::media::ReadAccess::Public)
        .expect("public url");
    assert_eq!(public, format!("{url}/{}/p/x.jpg", media.bucket()));
    ocean_conformance::media::public_read_url_downloads(&media, &HttpTransfer::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_bucket_is_idempotent() {
    let Some((media, _)) = fresh_media("create_bucket_is_idempotent", false).await else {
        return;
    };
    let key = ObjectKey::parse("kept.txt").expect("key");
    media
        .put(&key, b"kept".to_vec(), "text/plain")
        .await
        .expect("put");
    media
        .create_bucket()
        .await
        .expect("creating an existing bucket again is fine");
    assert_eq!(
        media.get(&key).await.expect("still there").bytes,
        b"kept",
        "creating the bucket again keeps its objects"
    );
}

/// Deleting from a bucket that does not exist is `NoSuchBucket`, a configuration problem, not
/// "nothing to delete". (s3s-fs answers a GET there with `NoSuchKey` and creates the bucket on
/// a PUT, so delete is the call that shows the mapping.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_bucket_is_a_backend_error() {
    let Some(url) = servers::server(&servers::S3, "a_missing_bucket_is_a_backend_error") else {
        return;
    };
    let config = ocean_aws::test_config(&url);
    let media = S3Media::new(&config, ocean_conformance::unique("never-created"), None);
    let key = ObjectKey::parse("a.jpg").expect("key");
    let error = media.delete(&key).await.expect_err("no bucket");
    assert_eq!(error.kind(), ocean::ErrorKind::Backend, "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_credentials_are_a_backend_error() {
    let Some(url) = servers::server(&servers::S3, "wrong_credentials_are_a_backend_error") else {
        return;
    };
    let Some((media, _)) = fresh_media("wrong_credentials_are_a_backend_error", false).await else {
        return;
    };
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("test", "wrong", None, None, "tests"),
            ),
        )
        .build();
    let forger = S3Media::new(&config, media.bucket(), None);
    let key = ObjectKey::parse("a.jpg").expect("key");
    let error = forger
        .put(&key, b"x".to_vec(), "image/jpeg")
        .await
        .expect_err("a wrong secret is refused");
    assert_eq!(error.kind(), ocean::ErrorKind::Backend, "{error:?}");
}
