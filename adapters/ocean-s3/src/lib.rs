//! The media port ([`ocean::media::Media`]) over one S3 bucket: objects through aws-sdk-s3,
//! direct uploads as SigV4 presigned POST forms, and read URLs that are presigned GETs or
//! public.
//!
//! # Uploads
//!
//! [`Media::presign_upload`] returns an [`UploadMethod::Post`] form: S3's browser upload,
//! whose signed policy carries what a presigned PUT cannot, a size *range*
//! (`content-length-range` 0 to `max_bytes`; a presigned PUT can only sign one exact
//! `content-length`). The policy also pins the key, the content type (the form's
//! `Content-Type` field, which S3 stores as the object's type) and the expiry
//! (`signed_at + expires_in`, 1 second to 7 days). S3 refuses a form outside any of these
//! and stores nothing: 403 for a forged or expired form, 400 `EntityTooLarge` over the size
//! cap, and for another content type 403 on AWS (400 `InvalidPolicyDocument` on s3s-fs). The
//! form posts to `{endpoint}/{bucket}`, path-style, with the file as the last part.
//!
//! Upload completion is the client's call: after its upload succeeds the client tells the
//! server, which enqueues the processing job (as with the embedded backend). s3-local (s3s-fs)
//! has no S3 event notifications, so a bucket-notification path could not be tested here.
//!
//! # Read URLs
//!
//! [`ReadAccess::Signed`] is a presigned GET (query-string SigV4, host signed, payload
//! unsigned) of `{endpoint}/{bucket}/{key}`. [`ReadAccess::Public`] is `{public_url}/{key}`
//! when a public URL (a CDN, or a public bucket's own URL) is configured, else the unsigned
//! `{endpoint}/{bucket}/{key}`, which serves only if the bucket allows anonymous reads.
//!
//! Signing does no I/O: URLs are signed here (`signing.rs`), not by the SDK's async
//! presigner, with credentials kept ready by `credentials.rs`. The endpoint is the SDK
//! configuration's `endpoint_url`, else `https://s3.{region}.amazonaws.com`; every URL and
//! every SDK call is path-style.
//!
//! # Servers
//!
//! Tested against `s3-local` (this repository's s3s-fs 0.14 server, which checks SigV4 on
//! every request, presigned URL and POST form) with the whole media conformance suite,
//! forged, expired, retyped and oversized uploads. Where s3-local differs from S3: no event
//! notifications; anonymous reads are one server-wide switch, not a bucket policy; a GET in a
//! missing bucket says `NoSuchKey` and a PUT creates the bucket; and a key's attribute file is
//! named after the bucket and key in base64, so keys longer than about 130 bytes (with a
//! 30-character bucket name) cannot be stored there.
//!
//! ```no_run
//! # async fn example() -> ocean::Result<()> {
//! let config = ocean_aws::test_config("http://127.0.0.1:9000");
//! let media = ocean_s3::S3Media::new(&config, "photos", None);
//! media.create_bucket().await?;
//! # Ok(()) }
//! ```

mod credentials;
mod endpoint;
mod error;
mod signing;

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::operation::create_bucket::CreateBucketError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use ocean::media::{
    Media, Object, ObjectKey, ObjectMeta, PresignedUpload, ReadAccess, UploadMethod, UploadRequest,
};
use ocean::{Error, Result};
use serde_json::json;

use crate::credentials::SigningCredentials;
use crate::endpoint::Endpoint;
use crate::error::{backend, from_sdk, unavailable};
use crate::signing::{ALGORITHM, Signer, SigningTime, expires_in_secs, uri_encode};

/// The region when the SDK configuration names none.
const DEFAULT_REGION: &str = "us-east-1";

/// The content type S3 reports for an object stored without one.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The media port over one S3 bucket.
#[derive(Clone)]
pub struct S3Media {
    /// The S3 client (path-style, checksums only when required).
    client: aws_sdk_s3::Client,
    /// The bucket holding every object.
    bucket: String,
    /// Where public read URLs start, without a trailing `/`.
    public_url: Option<String>,
    /// The bucket's region, for signatures.
    region: String,
    /// The endpoint URLs point at, or why the configured one cannot be used.
    endpoint: std::result::Result<Endpoint, String>,
    /// The credentials URLs are signed with.
    credentials: SigningCredentials,
}

impl fmt::Debug for S3Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Media")
            .field("bucket", &self.bucket)
            .field("public_url", &self.public_url)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl S3Media {
    /// Media in `bucket`, reached with `config` (its region, credentials and `endpoint_url`;
    /// the region defaults to us-east-1). `public_url` is where [`ReadAccess::Public`] URLs
    /// start (`{public_url}/{key}`): a CDN or the bucket's public URL; `None` gives
    /// `{endpoint}/{bucket}/{key}`.
    ///
    /// The client is path-style (local servers have no per-bucket host names) and computes
    /// and checks checksums only when an operation requires them (otherwise uploads are sent
    /// as aws-chunked bodies with checksum trailers, which some S3-compatible servers store
    /// as data). Retries are the SDK's standard mode from `config`.
    pub fn new(
        config: &aws_config::SdkConfig,
        bucket: impl Into<String>,
        public_url: Option<String>,
    ) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        let region = config
            .region()
            .map_or(DEFAULT_REGION, |region| region.as_ref())
            .to_owned();
        let endpoint =
            Endpoint::parse(config.endpoint_url(), &region).map_err(|error| error.to_string());
        Self {
            client: aws_sdk_s3::Client::from_conf(s3_config),
            bucket: bucket.into(),
            public_url: public_url.map(|url| url.trim_end_matches('/').to_owned()),
            region,
            endpoint,
            credentials: SigningCredentials::new(config.credentials_provider()),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist yet (in the configured region). Idempotent:
    /// a bucket this account already has is fine; a name taken by another account is
    /// [`Error::Backend`].
    pub async fn create_bucket(&self) -> Result<()> {
        let mut request = self.client.create_bucket().bucket(&self.bucket);
        if self.region != DEFAULT_REGION {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        let what = format!("bucket {}", self.bucket);
        let error = match request.send().await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(CreateBucketError::BucketAlreadyOwnedByYou(_)) => Ok(()),
            // Some servers (s3s-fs, AWS in us-east-1 for older APIs) say this about one's own
            // bucket too: it is ours if we can reach it.
            Some(CreateBucketError::BucketAlreadyExists(_)) => self
                .client
                .head_bucket()
                .bucket(&self.bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(|_| from_sdk(error, &what)),
            _ => Err(from_sdk(error, &what)),
        }
    }

    /// The endpoint, or the configuration error that makes URLs impossible.
    fn endpoint(&self) -> Result<&Endpoint> {
        self.endpoint
            .as_ref()
            .map_err(|message| Error::invalid("endpoint_url", message.clone()))
    }

    /// `{prefix}/{bucket}/{key}`, URI-encoded segment by segment, as signed and requested.
    fn object_path(&self, endpoint: &Endpoint, key: &ObjectKey) -> String {
        let key_path = key
            .as_str()
            .split('/')
            .map(uri_encode)
            .collect::<Vec<_>>()
            .join("/");
        format!(
            "{}/{}/{key_path}",
            endpoint.path_prefix,
            uri_encode(&self.bucket)
        )
    }
}

#[async_trait]
impl Media for S3Media {
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|error| from_sdk(error, &format!("object {key}")))?;
        Ok(())
    }

    async fn get(&self, key: &ObjectKey) -> Result<Object> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|error| from_sdk(error, &format!("object {key}")))?;
        let content_type = output
            .content_type()
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .to_owned();
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| unavailable(Box::new(error)))?
            .to_vec();
        Ok(Object {
            meta: ObjectMeta {
                size: bytes.len() as u64,
                content_type,
            },
            bytes,
        })
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let output = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|error| from_sdk(error, &format!("object {key}")))?;
        let size = output
            .content_length()
            .and_then(|length| u64::try_from(length).ok())
            .ok_or_else(|| backend(format!("head of object {key} gave no content length")))?;
        Ok(ObjectMeta {
            size,
            content_type: output
                .content_type()
                .unwrap_or(DEFAULT_CONTENT_TYPE)
                .to_owned(),
        })
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|error| from_sdk(error, &format!("object {key}")))?;
        Ok(())
    }

    fn presign_upload(&self, request: &UploadRequest) -> Result<PresignedUpload> {
        check_content_type(&request.content_type)?;
        let endpoint = self.endpoint()?;
        let time = SigningTime::new(request.signed_at)?;
        let expiration =
            SigningTime::from_epoch_secs(time.epoch_secs + expires_in_secs(request.expires_in)?)?;
        let credentials = self.credentials.current()?;
        let signer = Signer {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
            region: &self.region,
        };
        let mut fields = BTreeMap::from([
            ("key".to_owned(), request.key.as_str().to_owned()),
            ("Content-Type".to_owned(), request.content_type.clone()),
            ("x-amz-algorithm".to_owned(), ALGORITHM.to_owned()),
            ("x-amz-credential".to_owned(), signer.credential(&time)),
            ("x-amz-date".to_owned(), time.amz_date.clone()),
        ]);
        if let Some(token) = signer.session_token {
            fields.insert("x-amz-security-token".to_owned(), token.to_owned());
        }
        let mut conditions = vec![
            json!({ "bucket": self.bucket }),
            json!(["content-length-range", 0, request.max_bytes]),
        ];
        conditions.extend(
            fields
                .iter()
                .map(|(name, value)| json!(["eq", format!("${name}"), value])),
        );
        let policy = json!({
            "expiration": expiration.policy_expiration(),
            "conditions": conditions,
        });
        let policy_base64 = aws_smithy_types::base64::encode(policy.to_string());
        fields.insert(
            "x-amz-signature".to_owned(),
            signer.sign_policy(&time, &policy_base64),
        );
        fields.insert("policy".to_owned(), policy_base64);
        Ok(PresignedUpload {
            method: UploadMethod::Post,
            url: format!("{}/{}", endpoint.base, uri_encode(&self.bucket)),
            fields,
            headers: BTreeMap::new(),
            expires_at: UNIX_EPOCH + Duration::from_secs(expiration.epoch_secs),
            max_bytes: request.max_bytes,
        })
    }

    fn read_url(&self, key: &ObjectKey, access: ReadAccess) -> Result<String> {
        if let (ReadAccess::Public, Some(public_url)) = (access, &self.public_url) {
            return Ok(format!("{public_url}/{key}"));
        }
        let endpoint = self.endpoint()?;
        let path = self.object_path(endpoint, key);
        let origin = endpoint
            .base
            .strip_suffix(&endpoint.path_prefix)
            .unwrap_or(&endpoint.base);
        let ReadAccess::Signed {
            signed_at,
            expires_in,
        } = access
        else {
            return Ok(format!("{origin}{path}"));
        };
        let time = SigningTime::new(signed_at)?;
        let expires_in_secs = expires_in_secs(expires_in)?;
        let credentials = self.credentials.current()?;
        let signer = Signer {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
            region: &self.region,
        };
        let query = signer.presign_get_query(&endpoint.host, &path, &time, expires_in_secs);
        Ok(format!("{origin}{path}?{query}"))
    }
}

/// Checks that `content_type` can be a form field and a header: printable ASCII, not empty.
fn check_content_type(content_type: &str) -> Result<()> {
    if content_type.is_empty()
        || !content_type
            .bytes()
            .all(|byte| byte.is_ascii_graphic() || byte == b' ')
    {
        return Err(Error::invalid(
            "content_type",
            format!("{content_type:?}: must be non-empty printable ASCII"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn media(public_url: Option<&str>) -> S3Media {
        let config = ocean_aws::test_config("http://127.0.0.1:9000");
        S3Media::new(&config, "photos", public_url.map(str::to_owned))
    }

    #[test]
    fn public_urls_use_the_public_url_or_the_bucket() {
        let key = ObjectKey::parse("a/b.jpg").expect("key");
        let cdn = media(Some("https://cdn.example/media/"));
        assert_eq!(
            cdn.read_url(&key, ReadAccess::Public).expect("url"),
            "https://cdn.example/media/a/b.jpg"
        );
        assert_eq!(
            media(None).read_url(&key, ReadAccess::Public).expect("url"),
            "http://127.0.0.1:9000/photos/a/b.jpg"
        );
    }

    #[test]
    fn signed_urls_are_presigned_gets_of_the_bucket() {
        let key = ObjectKey::parse("a/b.jpg").expect("key");
        let access = ReadAccess::Signed {
            signed_at: SystemTime::now(),
            expires_in: Duration::from_secs(60),
        };
        let url = media(Some("https://cdn.example"))
            .read_url(&key, access)
            .expect("url");
        assert!(
            url.starts_with("http://127.0.0.1:9000/photos/a/b.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F"),
            "{url}"
        );
        assert!(url.contains("&X-Amz-Expires=60&"), "{url}");
    }

    #[test]
    fn uploads_are_post_forms_with_a_signed_policy() {
        let request = UploadRequest {
            key: ObjectKey::parse("up/x.jpg").expect("key"),
            content_type: "image/jpeg".to_owned(),
            max_bytes: 1000,
            signed_at: UNIX_EPOCH + Duration::from_secs(1_369_353_600),
            expires_in: Duration::from_secs(3600),
        };
        let upload = media(None).presign_upload(&request).expect("presign");
        assert_eq!(upload.method, UploadMethod::Post);
        assert_eq!(upload.url, "http://127.0.0.1:9000/photos");
        assert_eq!(upload.fields["key"], "up/x.jpg");
        assert_eq!(upload.fields["Content-Type"], "image/jpeg");
        assert_eq!(upload.fields["x-amz-date"], "20130524T000000Z");
        let policy = aws_smithy_types::base64::decode(&upload.fields["policy"]).expect("base64");
        let policy: serde_json::Value = serde_json::from_slice(&policy).expect("json");
        assert_eq!(policy["expiration"], "2013-05-24T01:00:00.000Z");
        assert!(
            policy["conditions"]
                .as_array()
                .expect("conditions")
                .contains(&json!(["content-length-range", 0, 1000])),
            "{policy}"
        );
        assert_eq!(
            upload.expires_at,
            UNIX_EPOCH + Duration::from_secs(1_369_353_600 + 3600)
        );
    }

    #[test]
    fn bad_content_types_and_expiries_are_invalid() {
        let request = UploadRequest {
            key: ObjectKey::parse("up/x.jpg").expect("key"),
            content_type: "image/jpeg\r\nx: y".to_owned(),
            max_bytes: 1000,
            signed_at: SystemTime::now(),
            expires_in: Duration::from_secs(3600),
        };
        let media = media(None);
        let error = media.presign_upload(&request).expect_err("refused");
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
        let too_long = UploadRequest {
            content_type: "image/jpeg".to_owned(),
            expires_in: Duration::from_secs(8 * 24 * 3600),
            ..request
        };
        let error = media.presign_upload(&too_long).expect_err("refused");
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
    }
}
