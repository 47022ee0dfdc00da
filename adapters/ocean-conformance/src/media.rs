//! Conformance checks for the media port: objects (put, get, head, delete), presigned uploads
//! and read URLs, the URLs exercised through a [`Transfer`] the adapter's test provides.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::future::{join, join_all};
use ocean::ErrorKind;
use ocean::media::{
    MAX_OBJECT_KEY_BYTES, Media, Object, ObjectKey, ObjectMeta, PresignedUpload, ReadAccess,
    UploadRequest,
};

use crate::{assert_kind, unique};

/// Why a URL was refused: what a server answered with a 4xx status (or the adapter's own
/// receiving function's error), as text for the failure message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused: {}", self.0)
    }
}

/// Follows presigned upload and read URLs the way a client would, so the checks can tell
/// whether the URLs a [`Media`] hands out work and whether their limits hold.
///
/// An S3 adapter's test speaks HTTP to the URL; the embedded adapter's test calls the
/// functions its HTTP server will call.
#[async_trait]
pub trait Transfer: Send + Sync {
    /// Sends `body` to `upload` with `content_type` as the body's declared type, using the
    /// upload's method (POST: `fields` then the file part; PUT: `headers`, with
    /// `content-type` set to `content_type`). `Err` if the receiver refused it.
    async fn upload(
        &self,
        upload: &PresignedUpload,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), Refused>;

    /// Fetches `url` (a GET); `Err` if the receiver refused it or has nothing there.
    async fn download(&self, url: &str) -> Result<Vec<u8>, Refused>;
}

/// Runs every media check, one after the other.
pub async fn run_all(media: &dyn Media, transfer: &dyn Transfer) {
    put_get_head_round_trip(media).await;
    missing_object_is_not_found(media).await;
    put_replaces(media).await;
    delete_then_get_is_not_found(media).await;
    delete_of_nothing_is_ok(media).await;
    empty_object_is_allowed(media).await;
    concurrent_puts_are_atomic(media).await;
    object_key_parse_refuses_bad_keys();
    presign_stores_nothing_and_echoes_limits(media).await;
    presigned_upload_within_limits_is_stored(media, transfer).await;
    upload_over_max_bytes_is_refused(media, transfer).await;
    upload_of_another_content_type_is_refused(media, transfer).await;
    expired_upload_is_refused(media, transfer).await;
    tampered_upload_is_refused(media, transfer).await;
    public_read_url_downloads(media, transfer).await;
    signed_read_url_downloads(media, transfer).await;
    expired_signed_read_url_is_refused(media, transfer).await;
    tampered_signed_read_url_is_refused(media, transfer).await;
}

/// A fresh key under `conformance/`, ending in `name`.
fn fresh_key(name: &str) -> ObjectKey {
    let text = format!("conformance/{}/{name}", unique("media"));
    ObjectKey::parse(&text).expect("a fresh conformance key is valid")
}

/// `n_bytes` of a pattern that differs from byte to byte (so a shifted or truncated copy
/// does not compare equal), seeded by `seed`.
fn pattern(seed: u8, n_bytes: usize) -> Vec<u8> {
    (0..n_bytes)
        .map(|idx| (idx % 251) as u8 ^ seed.wrapping_mul(31))
        .collect()
}

/// Panics unless `object` holds exactly `bytes` of `content_type`.
#[track_caller]
fn assert_object(object: &Object, bytes: &[u8], content_type: &str, what: &str) {
    assert_eq!(
        object.meta,
        ObjectMeta {
            size: bytes.len() as u64,
            content_type: content_type.to_owned(),
        },
        "{what}: the object's size and content type"
    );
    assert!(
        object.bytes == bytes,
        "{what}: the object's bytes differ from what was stored ({} bytes read, {} stored)",
        object.bytes.len(),
        bytes.len()
    );
}

/// `put` then `get` and `head` give back the same bytes, size and content type.
pub async fn put_get_head_round_trip(media: &dyn Media) {
    let key = fresh_key("photo.jpg");
    let bytes = pattern(1, 3000);
    media
        .put(&key, bytes.clone(), "image/jpeg")
        .await
        .expect("put stores an object");
    let object = media.get(&key).await.expect("get finds a stored object");
    assert_object(&object, &bytes, "image/jpeg", "get after put");
    let meta = media.head(&key).await.expect("head finds a stored object");
    assert_eq!(
        meta,
        ObjectMeta {
            size: 3000,
            content_type: "image/jpeg".to_owned(),
        },
        "head after put gives the size and content type as uploaded"
    );
}

/// `get` and `head` of a key with no object are NotFound.
pub async fn missing_object_is_not_found(media: &dyn Media) {
    let key = fresh_key("never-stored.png");
    assert_kind(
        &media.get(&key).await,
        ErrorKind::NotFound,
        "get of a key with no object",
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "head of a key with no object",
    );
}

/// `put` replaces the object under a key (bytes and content type), and repeating a `put` is
/// idempotent.
pub async fn put_replaces(media: &dyn Media) {
    let key = fresh_key("avatar");
    media
        .put(&key, pattern(2, 5000), "image/png")
        .await
        .expect("first put");
    let replacement = pattern(3, 1200);
    media
        .put(&key, replacement.clone(), "image/webp")
        .await
        .expect("second put replaces");
    let object = media.get(&key).await.expect("get after the replacing put");
    assert_object(&object, &replacement, "image/webp", "put replaces");
    media
        .put(&key, replacement.clone(), "image/webp")
        .await
        .expect("repeating a put is idempotent");
    let object = media.get(&key).await.expect("get after a repeated put");
    assert_object(&object, &replacement, "image/webp", "a repeated put");
}

/// After `delete`, `get` and `head` are NotFound.
pub async fn delete_then_get_is_not_found(media: &dyn Media) {
    let key = fresh_key("deleted.jpg");
    media
        .put(&key, pattern(4, 100), "image/jpeg")
        .await
        .expect("put before delete");
    media.delete(&key).await.expect("delete of an object");
    assert_kind(
        &media.get(&key).await,
        ErrorKind::NotFound,
        "get after delete",
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "head after delete",
    );
}

/// Deleting a key with no object is not an error, and neither is deleting twice.
pub async fn delete_of_nothing_is_ok(media: &dyn Media) {
    let key = fresh_key("nothing-here");
    media
        .delete(&key)
        .await
        .expect("removing nothing is not an error");
    media
        .delete(&key)
        .await
        .expect("removing nothing twice is not an error");
    let stored = fresh_key("deleted-twice");
    media
        .put(&stored, pattern(5, 10), "text/plain")
        .await
        .expect("put before a double delete");
    media.delete(&stored).await.expect("first delete");
    media
        .delete(&stored)
        .await
        .expect("delete is idempotent: the second delete is ok");
}

/// An object of zero bytes is stored and read back.
pub async fn empty_object_is_allowed(media: &dyn Media) {
    let key = fresh_key("empty.txt");
    media
        .put(&key, Vec::new(), "text/plain")
        .await
        .expect("put of an empty object");
    let object = media.get(&key).await.expect("get of an empty object");
    assert_object(&object, &[], "text/plain", "an empty object");
    let meta = media.head(&key).await.expect("head of an empty object");
    assert_eq!(meta.size, 0, "head of an empty object gives size 0");
}

/// Concurrent puts of one key while readers read it: every read sees one whole object (the
/// bytes and content type of one put, never a mix), and the key ends with one of them.
pub async fn concurrent_puts_are_atomic(media: &dyn Media) {
    const N_WRITERS: u8 = 4;
    const N_READERS: usize = 4;
    const N_READS_EACH: usize = 5;
    const OBJECT_BYTES: usize = 256 * 1024;
    let key = fresh_key("contended.bin");
    let content_type = |writer_idx: u8| format!("application/x-writer-{writer_idx}");
    let writers = (0..N_WRITERS).map(|writer_idx| {
        let key = &key;
        async move {
            let bytes = vec![writer_idx; OBJECT_BYTES];
            media.put(key, bytes, &content_type(writer_idx)).await
        }
    });
    let readers = (0..N_READERS).map(|_| {
        let key = &key;
        async move {
            let mut reads = Vec::with_capacity(N_READS_EACH);
            for _ in 0..N_READS_EACH {
                reads.push(media.get(key).await);
            }
            reads
        }
    });
    let (put_results, reads) = join(join_all(writers), join_all(readers)).await;
    for result in put_results {
        result.expect("a concurrent put succeeds");
    }
    for read in reads.into_iter().flatten() {
        match read {
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => panic!("a get during concurrent puts failed: {error:?}"),
            Ok(object) => assert_whole_writer_object(&object, OBJECT_BYTES, &content_type),
        }
    }
    let last = media
        .get(&key)
        .await
        .expect("get after the concurrent puts");
    assert_whole_writer_object(&last, OBJECT_BYTES, &content_type);
}

/// Panics unless `object` is exactly what one writer of [`concurrent_puts_are_atomic`] put.
#[track_caller]
fn assert_whole_writer_object(
    object: &Object,
    object_bytes: usize,
    content_type: &dyn Fn(u8) -> String,
) {
    let Some(&writer_idx) = object.bytes.first() else {
        panic!("writes of one key are atomic: a get returned an empty object mid-write");
    };
    assert!(
        object.bytes.len() == object_bytes && object.bytes.iter().all(|&b| b == writer_idx),
        "writes of one key are atomic: a get returned a mix of writes or a partial write"
    );
    assert_eq!(
        object.meta,
        ObjectMeta {
            size: object_bytes as u64,
            content_type: content_type(writer_idx),
        },
        "writes of one key are atomic: the metadata belongs to the same write as the bytes"
    );
}

/// `ObjectKey::parse` refuses empty, too long, absolute, non-ASCII and dot-segment keys and
/// accepts the documented alphabet.
pub fn object_key_parse_refuses_bad_keys() {
    let too_long = "a".repeat(MAX_OBJECT_KEY_BYTES + 1);
    let bad_keys = [
        "",
        too_long.as_str(),
        "/photos/a.jpg",
        "photos//a.jpg",
        "photos/",
        "photos/./a.jpg",
        "photos/../a.jpg",
        "..",
        "photos/a b.jpg",
        "photos/ä.jpg",
        "photos/a?.jpg",
        "photos\\a.jpg",
    ];
    for bad in bad_keys {
        let result = ObjectKey::parse(bad);
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("ObjectKey::parse({bad:?})"),
        );
    }
    let longest = "b".repeat(MAX_OBJECT_KEY_BYTES);
    for good in [
        "a",
        "photos/2024/x_y-z.v2.jpg",
        ".hidden/a",
        longest.as_str(),
    ] {
        let key = ObjectKey::parse(good).expect("ObjectKey::parse accepts a valid key");
        assert_eq!(key.as_str(), good, "ObjectKey keeps its text");
    }
}

/// An upload request for `key` of `content_type` up to `max_bytes`, signed now for an hour.
fn upload_request(key: &ObjectKey, content_type: &str, max_bytes: u64) -> UploadRequest {
    UploadRequest {
        key: key.clone(),
        content_type: content_type.to_owned(),
        max_bytes,
        signed_at: SystemTime::now(),
        expires_in: Duration::from_secs(3600),
    }
}

/// Presigning stores nothing, `expires_at` is `signed_at + expires_in` (to the second),
/// `max_bytes` is echoed, and a PUT upload names its content type in `headers`.
pub async fn presign_stores_nothing_and_echoes_limits(media: &dyn Media) {
    let key = fresh_key("presigned-only.jpg");
    let request = UploadRequest {
        signed_at: SystemTime::now() - Duration::from_secs(90),
        expires_in: Duration::from_secs(900),
        ..upload_request(&key, "image/jpeg", 123_456)
    };
    let upload = media
        .presign_upload(&request)
        .expect("presign_upload signs a valid request");
    let expected_expiry = request.signed_at + request.expires_in;
    let gap = match upload.expires_at.duration_since(expected_expiry) {
        Ok(after) => after,
        Err(before) => before.duration(),
    };
    assert!(
        gap < Duration::from_secs(1),
        "presigned expires_at is signed_at + expires_in to the second (off by {gap:?})"
    );
    assert_eq!(
        upload.max_bytes, request.max_bytes,
        "presigned upload echoes max_bytes"
    );
    assert!(!upload.url.is_empty(), "a presigned upload has a url");
    if upload.method == ocean::media::UploadMethod::Put {
        assert_eq!(
            header(&upload.headers, "content-type"),
            Some("image/jpeg"),
            "a PUT upload's headers include the content type"
        );
    }
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "signing an upload stores nothing",
    );
}

/// The value of header `name` (compared case-insensitively) in `headers`.
fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// An upload within the limits (a body of exactly `max_bytes`) is stored: `get` returns
/// exactly the bytes, with the presigned content type; an empty upload is stored too.
pub async fn presigned_upload_within_limits_is_stored(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("uploaded.jpg");
    let upload = media
        .presign_upload(&upload_request(&key, "image/jpeg", 4096))
        .expect("presign an upload");
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "signing an upload stores nothing",
    );
    let bytes = pattern(6, 4096);
    transfer
        .upload(&upload, "image/jpeg", bytes.clone())
        .await
        .unwrap_or_else(|refused| {
            panic!("an upload of exactly max_bytes within the window is accepted: {refused}")
        });
    let object = media.get(&key).await.expect("get after a presigned upload");
    assert_object(&object, &bytes, "image/jpeg", "a presigned upload");

    let small_key = fresh_key("note.txt");
    let content_type = "text/plain; charset=utf-8";
    let small_upload = media
        .presign_upload(&upload_request(&small_key, content_type, 100))
        .expect("presign an upload with a parameterised content type");
    transfer
        .upload(&small_upload, content_type, b"hello".to_vec())
        .await
        .unwrap_or_else(|refused| panic!("a small upload is accepted: {refused}"));
    let object = media.get(&small_key).await.expect("get the small upload");
    assert_object(&object, b"hello", content_type, "a small presigned upload");
}

/// An upload larger than `max_bytes` is refused and stores nothing.
pub async fn upload_over_max_bytes_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("too-big.jpg");
    let upload = media
        .presign_upload(&upload_request(&key, "image/jpeg", 1000))
        .expect("presign an upload");
    let result = transfer
        .upload(&upload, "image/jpeg", pattern(7, 1001))
        .await;
    assert!(
        result.is_err(),
        "an upload over max_bytes is refused (it was accepted)"
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "a refused upload over max_bytes stores nothing",
    );
}

/// An upload with another content type than the presigned one is refused and stores
/// nothing.
pub async fn upload_of_another_content_type_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("typed.jpg");
    let upload = media
        .presign_upload(&upload_request(&key, "image/jpeg", 1000))
        .expect("presign an upload");
    let result = transfer.upload(&upload, "text/html", pattern(8, 10)).await;
    assert!(
        result.is_err(),
        "an upload of another content type is refused (it was accepted)"
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "a refused upload of another content type stores nothing",
    );
}

/// An upload after its window (signed two hours ago for one hour) is refused and stores
/// nothing.
pub async fn expired_upload_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("late.jpg");
    let request = UploadRequest {
        signed_at: SystemTime::now() - Duration::from_secs(2 * 3600),
        expires_in: Duration::from_secs(3600),
        ..upload_request(&key, "image/jpeg", 1000)
    };
    let upload = media.presign_upload(&request).expect("presign an upload");
    let result = transfer.upload(&upload, "image/jpeg", pattern(9, 10)).await;
    assert!(
        result.is_err(),
        "an upload after its window is refused (it was accepted)"
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "a refused expired upload stores nothing",
    );
}

/// An upload whose URL (or form) was changed to another key, or whose signature lost one
/// character, is refused and stores nothing under either key.
pub async fn tampered_upload_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("signed-for.jpg");
    let other_key = fresh_key("swapped-in.jpg");
    let upload = media
        .presign_upload(&upload_request(&key, "image/jpeg", 1000))
        .expect("presign an upload");

    let moved = upload_with_key_replaced(&upload, &key, &other_key);
    let result = transfer.upload(&moved, "image/jpeg", pattern(10, 10)).await;
    assert!(
        result.is_err(),
        "an upload whose key was changed in the url is refused (it was accepted)"
    );
    assert_kind(
        &media.head(&other_key).await,
        ErrorKind::NotFound,
        "an upload whose key was changed stores nothing under the new key",
    );

    let forged = upload_with_signature_changed(&upload);
    let result = transfer
        .upload(&forged, "image/jpeg", pattern(11, 10))
        .await;
    assert!(
        result.is_err(),
        "an upload whose signature was changed is refused (it was accepted)"
    );
    assert_kind(
        &media.head(&key).await,
        ErrorKind::NotFound,
        "a refused tampered upload stores nothing",
    );
}

/// `upload` with every mention of `key` in its URL, fields and headers replaced by
/// `other_key`.
fn upload_with_key_replaced(
    upload: &PresignedUpload,
    key: &ObjectKey,
    other_key: &ObjectKey,
) -> PresignedUpload {
    let replace = |text: &String| text.replace(key.as_str(), other_key.as_str());
    let moved = PresignedUpload {
        url: replace(&upload.url),
        fields: upload
            .fields
            .iter()
            .map(|(name, value)| (name.clone(), replace(value)))
            .collect(),
        headers: upload
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), replace(value)))
            .collect(),
        ..upload.clone()
    };
    assert!(
        moved != *upload,
        "a presigned upload names its key in its url, fields or headers"
    );
    moved
}

/// `upload` with one character of its signature (a `...signature=` URL parameter, or else a
/// form field whose name contains `signature`) changed.
fn upload_with_signature_changed(upload: &PresignedUpload) -> PresignedUpload {
    if let Some(url) = with_signature_changed(&upload.url) {
        return PresignedUpload {
            url,
            ..upload.clone()
        };
    }
    let mut forged = upload.clone();
    let field = forged
        .fields
        .iter_mut()
        .find(|(name, _)| name.to_ascii_lowercase().contains("signature"));
    let Some((_, value)) = field else {
        panic!("a presigned upload carries a signature in its url or fields: {upload:?}");
    };
    *value = with_first_char_changed(value);
    forged
}

/// `url` with the first character of its `...signature=` parameter's value changed, if it
/// has one.
fn with_signature_changed(url: &str) -> Option<String> {
    const NEEDLE: &str = "signature=";
    let value_start = url.to_ascii_lowercase().find(NEEDLE)? + NEEDLE.len();
    let (before, value) = url.split_at(value_start);
    if value.is_empty() {
        return None;
    }
    Some(format!("{before}{}", with_first_char_changed(value)))
}

/// `text` with its first character replaced by a different hex digit.
fn with_first_char_changed(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next();
    let replacement = if first == Some('0') { '1' } else { '0' };
    format!("{replacement}{}", chars.as_str())
}

/// Stores a fresh object and returns its key and bytes.
async fn stored_object(media: &dyn Media, name: &str, seed: u8) -> (ObjectKey, Vec<u8>) {
    let key = fresh_key(name);
    let bytes = pattern(seed, 2048);
    media
        .put(&key, bytes.clone(), "image/jpeg")
        .await
        .expect("put an object to read by url");
    (key, bytes)
}

/// A public read URL (made before the object exists) downloads the object once it does;
/// one for a key with no object serves nothing.
pub async fn public_read_url_downloads(media: &dyn Media, transfer: &dyn Transfer) {
    let key = fresh_key("public.jpg");
    let url = media
        .read_url(&key, ReadAccess::Public)
        .expect("a public read url for a key with no object yet");
    assert!(
        transfer.download(&url).await.is_err(),
        "a read url of a key with no object serves nothing"
    );
    let bytes = pattern(12, 2048);
    media
        .put(&key, bytes.clone(), "image/jpeg")
        .await
        .expect("put after making its read url");
    let downloaded = transfer
        .download(&url)
        .await
        .unwrap_or_else(|refused| panic!("a public read url downloads the object: {refused}"));
    assert!(
        downloaded == bytes,
        "a public read url serves exactly the object's bytes"
    );
}

/// A signed read URL within its window downloads the object.
pub async fn signed_read_url_downloads(media: &dyn Media, transfer: &dyn Transfer) {
    let (key, bytes) = stored_object(media, "signed.jpg", 13).await;
    let access = ReadAccess::Signed {
        signed_at: SystemTime::now(),
        expires_in: Duration::from_secs(600),
    };
    let url = media.read_url(&key, access).expect("a signed read url");
    let downloaded = transfer
        .download(&url)
        .await
        .unwrap_or_else(|refused| panic!("a signed read url downloads the object: {refused}"));
    assert!(
        downloaded == bytes,
        "a signed read url serves exactly the object's bytes"
    );
}

/// A signed read URL past its window (signed two hours ago for one hour) is refused.
pub async fn expired_signed_read_url_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let (key, _) = stored_object(media, "expired-read.jpg", 14).await;
    let access = ReadAccess::Signed {
        signed_at: SystemTime::now() - Duration::from_secs(2 * 3600),
        expires_in: Duration::from_secs(3600),
    };
    let url = media.read_url(&key, access).expect("an expired read url");
    assert!(
        transfer.download(&url).await.is_err(),
        "a signed read url past its window is refused"
    );
}

/// A signed read URL with its key swapped for another stored object's, or one character of
/// its signature changed, is refused.
pub async fn tampered_signed_read_url_is_refused(media: &dyn Media, transfer: &dyn Transfer) {
    let (key, _) = stored_object(media, "signed-read.jpg", 15).await;
    let (other_key, _) = stored_object(media, "other-read.jpg", 16).await;
    let access = ReadAccess::Signed {
        signed_at: SystemTime::now(),
        expires_in: Duration::from_secs(600),
    };
    let url = media.read_url(&key, access).expect("a signed read url");
    let moved = url.replace(key.as_str(), other_key.as_str());
    assert!(moved != url, "a signed read url names its key");
    assert!(
        transfer.download(&moved).await.is_err(),
        "a signed read url with its key changed is refused"
    );
    let forged = with_signature_changed(&url)
        .unwrap_or_else(|| panic!("a signed read url has a signature parameter: {url}"));
    assert!(
        transfer.download(&forged).await.is_err(),
        "a signed read url with its signature changed is refused"
    );
}
