//! The media port: objects (photos, videos, renditions) under path-like keys, with presigned
//! direct uploads and public or signed read URLs (S3's shape).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::error::{Error, Result};

/// Longest object key, in bytes.
pub const MAX_OBJECT_KEY_BYTES: usize = 512;

/// An object's key: 1 to [`MAX_OBJECT_KEY_BYTES`] bytes of ASCII letters, digits and
/// `/ _ - .`, not starting with `/`, with no empty, `.` or `..` segment (safe as a file path
/// and as a URL path without escaping).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Err(Error::invalid("object_key", format!("{text:?}: {why}")));
        if text.is_empty() || text.len() > MAX_OBJECT_KEY_BYTES {
            return bad(&format!("must have 1 to {MAX_OBJECT_KEY_BYTES} bytes"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
        {
            return bad("only ASCII letters, digits and / _ - . are allowed");
        }
        if text
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            return bad("a path segment is empty, `.` or `..`");
        }
        Ok(Self(text.to_owned()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a stored object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Its size in bytes.
    pub size: u64,
    /// Its content type as uploaded.
    pub content_type: String,
}

/// A stored object's bytes and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Size and type.
    pub meta: ObjectMeta,
    /// The content.
    pub bytes: Vec<u8>,
}

/// What a presigned upload allows: one object, one content type, a size cap, a time window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Where the object will be stored.
    pub key: ObjectKey,
    /// The only content type the upload may send.
    pub content_type: String,
    /// The largest body accepted, in bytes.
    pub max_bytes: u64,
    /// When the signature starts to count (the caller's clock, so tests can sign in the past).
    pub signed_at: SystemTime,
    /// How long after `signed_at` the upload is accepted.
    pub expires_in: Duration,
}

/// How a client sends a presigned upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMethod {
    /// A `multipart/form-data` POST of `fields` followed by the `file` part.
    Post,
    /// A PUT of the raw body with `headers`.
    Put,
}

/// A presigned direct upload, handed to a client as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    /// POST form or PUT.
    pub method: UploadMethod,
    /// Where to send it.
    pub url: String,
    /// Form fields to send before the file (POST).
    pub fields: BTreeMap<String, String>,
    /// Headers to send exactly (PUT), including `content-type`.
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working.
    pub expires_at: SystemTime,
    /// The largest body accepted.
    pub max_bytes: u64,
}

/// Who may follow a read URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// Anyone, forever (a public bucket or the server's media route).
    Public,
    /// Whoever has the URL, from `signed_at` until `expires_in` later.
    Signed {
        /// When the signature starts to count.
        signed_at: SystemTime,
        /// How long it lasts.
        expires_in: Duration,
    },
}

/// Object storage with direct uploads and read URLs.
///
/// Writes of one key are atomic (a reader sees the old or the new object, never a mix) and
/// last-writer-wins. Not-found is [`Error::NotFound`]. A backend that cannot sign a kind of
/// URL returns [`Error::Unsupported`].
#[async_trait]
pub trait Media: Send + Sync + fmt::Debug + 'static {
    /// Stores `bytes` under `key` with `content_type`, replacing any object there. Idempotent.
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<()>;

    /// The object under `key`; [`Error::NotFound`] if there is none.
    async fn get(&self, key: &ObjectKey) -> Result<Object>;

    /// The size and type of the object under `key`; [`Error::NotFound`] if there is none.
    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta>;

    /// Removes the object under `key`; removing nothing is not an error. Idempotent.
    async fn delete(&self, key: &ObjectKey) -> Result<()>;

    /// A URL a client uploads one object to directly, limited to `request`'s type, size and
    /// window. Signing does no I/O and stores nothing; an upload outside the limits or the
    /// window is refused by whoever receives it, and stores nothing.
    fn presign_upload(&self, request: &UploadRequest) -> Result<PresignedUpload>;

    /// A URL that serves the object under `key` (whether or not it exists yet).
    fn read_url(&self, key: &ObjectKey, access: ReadAccess) -> Result<String>;
}
