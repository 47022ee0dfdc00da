//! The media port on local files: one self-describing file per object under
//! `<dir>/media/<key>`, replaced atomically, and HMAC-signed upload and read URLs that the
//! server's media routes check with [`EmbeddedMedia::accept_upload`] and
//! [`EmbeddedMedia::verify_read`].
//!
//! # Files
//!
//! An object is the file `<dir>/media/<key>`: a short header (`ocean-media 1\n`, the content
//! type's length in bytes and `\n`, the content type and `\n`) followed by the object's
//! bytes. Keeping the content type in the same file as the bytes makes every write of a key
//! one `rename` of a finished temporary file (written and synced in the same folder), so a
//! reader, in this process or another, sees the old object or the new one, never a half
//! written file nor new bytes with old metadata; a crash leaves at most a temporary file
//! (named `.~tmp-...`, which no key can be). Empty folders are left behind by deletes.
//!
//! Because a key's segments become folders, a key cannot be both an object and the folder of
//! another (`a` and `a/b`): storing the second one is [`Error::Invalid`]. Segments longer than
//! 255 bytes cannot be file names, and are refused the same way.
//!
//! # URLs
//!
//! The server's media routes (method tells them apart, as `upload/...` is a valid key):
//!
//! - upload: `PUT {public_url}/media/upload/{key}?content_type={pct}&max_bytes={n}&expires={unix
//!   secs}&signature={hex}` with the body's `content-type` header; the route passes the path
//!   and query, the header and the body to [`EmbeddedMedia::accept_upload`];
//! - public read: `GET {public_url}/media/{key}`;
//! - signed read: `GET {public_url}/media/{key}?expires={unix secs}&signature={hex}`; the route
//!   passes the path and query to [`EmbeddedMedia::verify_read`], then serves
//!   [`Media::get`] of the key it returns (404 when that is not found).
//!
//! Signatures are HMAC-SHA256 under the signing key (from [`MediaOptions`], or kept in
//! `<dir>/media-signing.key`) over the purpose, the key, and for uploads the content type and
//! size cap, and the expiry, each length-prefixed or newline-ended so no two requests share a
//! signed string.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use ocean::media::{
    Media, Object, ObjectKey, ObjectMeta, PresignedUpload, ReadAccess, UploadMethod, UploadRequest,
};
use ocean::{Error, Result};
use sha2::Sha256;

use crate::error::{BACKEND, from_io, from_join};

/// HMAC-SHA256, the URL signature.
type HmacSha256 = Hmac<Sha256>;

/// The first line of every object file.
const MAGIC: &[u8] = b"ocean-media 1\n";

/// The file, inside the data directory, that keeps a generated signing key.
const SIGNING_KEY_FILE: &str = "media-signing.key";

/// Bytes in a generated signing key.
const SIGNING_KEY_BYTES: usize = 32;

/// The longest file name most file systems accept, in bytes.
const MAX_SEGMENT_BYTES: usize = 255;

/// The path prefix of upload URLs.
const UPLOAD_PREFIX: &str = "/media/upload/";

/// The path prefix of read URLs.
const READ_PREFIX: &str = "/media/";

/// How [`EmbeddedMedia`] makes its URLs.
#[derive(Clone)]
pub struct MediaOptions {
    /// Where clients reach this server, e.g. `http://127.0.0.1:8080` (a trailing `/` is
    /// dropped): every URL starts with it.
    pub public_url: String,
    /// The URL signing key. `None`: load `<dir>/media-signing.key`, or create it with 32
    /// random bytes on first open, so URLs stay valid across restarts.
    pub signing_key: Option<Vec<u8>>,
}

impl fmt::Debug for MediaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaOptions")
            .field("public_url", &self.public_url)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The embedded media backend: object files under `<dir>/media`, URLs signed with one key.
#[derive(Clone)]
pub struct EmbeddedMedia {
    /// `<dir>/media`.
    root: PathBuf,
    /// The public URL without a trailing `/`.
    public_url: String,
    /// HMAC keyed with the signing key, cloned for each signature.
    mac: HmacSha256,
}

impl fmt::Debug for EmbeddedMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedMedia")
            .field("root", &self.root)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl EmbeddedMedia {
    /// Opens the media store in data directory `dir` (creating `dir/media` and, without an
    /// explicit key, the signing key file). Blocking: call it before serving.
    pub fn open(dir: &Path, options: MediaOptions) -> Result<EmbeddedMedia> {
        let root = dir.join("media");
        fs::create_dir_all(&root).map_err(|e| from_io(e, "media folder"))?;
        let signing_key = match options.signing_key {
            Some(key) => key,
            None => load_or_create_signing_key(dir)?,
        };
        if signing_key.is_empty() {
            return Err(Error::invalid("signing_key", "must not be empty"));
        }
        let mac = HmacSha256::new_from_slice(&signing_key)
            .map_err(|_| Error::invalid("signing_key", "hmac refused the key"))?;
        Ok(EmbeddedMedia {
            root,
            public_url: options.public_url.trim_end_matches('/').to_owned(),
            mac,
        })
    }

    /// Receives a presigned upload: checks the URL's signature, window, content type and size
    /// cap, then stores `body` under the URL's key. For the server's `PUT /media/upload/...`
    /// route: `path_and_query` is the request target (`/media/upload/{key}?...`),
    /// `content_type` the request's `content-type` header, `now` the time of receipt.
    ///
    /// Refusals store nothing and are [`Error::Invalid`] naming `signature` (a missing or
    /// wrong signature, or a URL changed after signing), `expires` (past its window),
    /// `content_type` (not the signed type) or `size` (over the cap); a path that is not an
    /// upload path names `url`. The server should answer them with 403 (or 413 for `size`).
    pub async fn accept_upload(
        &self,
        path_and_query: &str,
        content_type: &str,
        body: Vec<u8>,
        now: SystemTime,
    ) -> Result<ObjectKey> {
        let (path, query) = split_path_and_query(path_and_query);
        let Some(key_text) = path.strip_prefix(UPLOAD_PREFIX) else {
            return Err(Error::invalid(
                "url",
                format!("{path:?} is not an upload path"),
            ));
        };
        let key = ObjectKey::parse(key_text)?;
        let params = parse_query(query)?;
        let signed_content_type = required_param(&params, "content_type")?;
        let max_bytes = required_param(&params, "max_bytes")?
            .parse::<u64>()
            .map_err(|_| Error::invalid("signature", "max_bytes is not a number"))?;
        let expires = expires_param(&params)?;
        let payload = upload_payload(&key, signed_content_type, max_bytes, expires);
        self.verify_signature(&payload, required_param(&params, "signature")?)?;
        check_window(expires, now)?;
        if content_type != signed_content_type {
            return Err(Error::invalid(
                "content_type",
                format!("the upload was signed for {signed_content_type:?}, not {content_type:?}"),
            ));
        }
        if body.len() as u64 > max_bytes {
            return Err(Error::invalid(
                "size",
                format!("{} bytes is over the {max_bytes} byte cap", body.len()),
            ));
        }
        self.put(&key, body, content_type).await?;
        Ok(key)
    }

    /// Checks a read URL and names the object it serves. For the server's `GET /media/...`
    /// route: `path_and_query` is the request target. A path with no query is a public read
    /// and always allowed; a query must carry a valid, unexpired signature for the key.
    ///
    /// Refusals are [`Error::Invalid`] naming `signature` or `expires` (answer 403); a path
    /// outside `/media/` names `url`, a malformed key `object_key` (answer 404). Whether
    /// the object exists is for [`Media::get`] to say.
    pub fn verify_read(&self, path_and_query: &str, now: SystemTime) -> Result<ObjectKey> {
        let (path, query) = split_path_and_query(path_and_query);
        let Some(key_text) = path.strip_prefix(READ_PREFIX) else {
            return Err(Error::invalid(
                "url",
                format!("{path:?} is not a media path"),
            ));
        };
        let key = ObjectKey::parse(key_text)?;
        if query.is_empty() {
            return Ok(key);
        }
        let params = parse_query(query)?;
        let expires = expires_param(&params)?;
        self.verify_signature(
            &read_payload(&key, expires),
            required_param(&params, "signature")?,
        )?;
        check_window(expires, now)?;
        Ok(key)
    }

    /// The file that holds `key`'s object, or `None` if no file could (a segment too long
    /// for a file name).
    fn object_path(&self, key: &ObjectKey) -> Option<PathBuf> {
        let representable = key
            .as_str()
            .split('/')
            .all(|segment| segment.len() <= MAX_SEGMENT_BYTES);
        representable.then(|| self.root.join(key.as_str()))
    }

    /// The hex HMAC of `payload`.
    fn sign(&self, payload: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        hex_encode(&mac.finalize().into_bytes())
    }

    /// Checks `signature_hex` against `payload` in constant time.
    fn verify_signature(&self, payload: &str, signature_hex: &str) -> Result<()> {
        let refused = || Error::invalid("signature", "the url's signature does not match it");
        let signature = hex_decode(signature_hex).ok_or_else(refused)?;
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).map_err(|_| refused())
    }
}

#[async_trait]
impl Media for EmbeddedMedia {
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<()> {
        let Some(path) = self.object_path(key) else {
            return Err(Error::invalid(
                "object_key",
                format!("{key}: a segment is longer than {MAX_SEGMENT_BYTES} bytes"),
            ));
        };
        let key = key.clone();
        let content_type = content_type.to_owned();
        blocking(move || write_object(&path, &key, &content_type, &bytes)).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Object> {
        let not_found = || Error::not_found(format!("object {key}"));
        let Some(path) = self.object_path(key) else {
            return Err(not_found());
        };
        blocking(move || read_object(&path))
            .await?
            .ok_or_else(not_found)
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let not_found = || Error::not_found(format!("object {key}"));
        let Some(path) = self.object_path(key) else {
            return Err(not_found());
        };
        blocking(move || read_meta(&path))
            .await?
            .ok_or_else(not_found)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        let Some(path) = self.object_path(key) else {
            return Ok(());
        };
        blocking(move || delete_object(&path)).await
    }

    fn presign_upload(&self, request: &UploadRequest) -> Result<PresignedUpload> {
        check_header_value(&request.content_type)?;
        let expires = expiry_secs(request.signed_at, request.expires_in)?;
        let payload = upload_payload(
            &request.key,
            &request.content_type,
            request.max_bytes,
            expires,
        );
        let url = format!(
            "{}{UPLOAD_PREFIX}{}?content_type={}&max_bytes={}&expires={expires}&signature={}",
            self.public_url,
            request.key,
            percent_encode(&request.content_type),
            request.max_bytes,
            self.sign(&payload),
        );
        Ok(PresignedUpload {
            method: UploadMethod::Put,
            url,
            fields: BTreeMap::new(),
            headers: BTreeMap::from([("content-type".to_owned(), request.content_type.clone())]),
            expires_at: UNIX_EPOCH + Duration::from_secs(expires),
            max_bytes: request.max_bytes,
        })
    }

    fn read_url(&self, key: &ObjectKey, access: ReadAccess) -> Result<String> {
        let public = format!("{}{READ_PREFIX}{key}", self.public_url);
        let ReadAccess::Signed {
            signed_at,
            expires_in,
        } = access
        else {
            return Ok(public);
        };
        let expires = expiry_secs(signed_at, expires_in)?;
        let signature = self.sign(&read_payload(key, expires));
        Ok(format!("{public}?expires={expires}&signature={signature}"))
    }
}

/// Runs blocking file work on tokio's blocking pool.
async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(from_join)?
}

/// A backend error for a file that is not an object file.
fn corrupt(path: &Path, why: &str) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: Box::new(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not an object file: {why}", path.display()),
        )),
    }
}

/// Writes `key`'s object file at `path`: a synced temporary file in the same folder, then a
/// rename over the old one.
fn write_object(path: &Path, key: &ObjectKey, content_type: &str, bytes: &[u8]) -> Result<()> {
    let folder_clash = || {
        Error::invalid(
            "object_key",
            format!("{key}: it or a prefix of it is both an object and a folder here"),
        )
    };
    let parent = path.parent().unwrap_or(path);
    match fs::create_dir_all(parent) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotADirectory | io::ErrorKind::AlreadyExists
            ) =>
        {
            return Err(folder_clash());
        }
        Err(e) => return Err(from_io(e, "media folder")),
    }
    let (temp_path, mut temp_file) = create_temp_file(parent)?;
    let written = write_header(&mut temp_file, content_type)
        .and_then(|()| temp_file.write_all(bytes))
        .and_then(|()| temp_file.sync_all());
    drop(temp_file);
    let renamed = written.and_then(|()| fs::rename(&temp_path, path));
    let Err(error) = renamed else {
        return Ok(());
    };
    // Best effort: the temporary file is garbage either way.
    let _ = fs::remove_file(&temp_path);
    if error.kind() == io::ErrorKind::IsADirectory || path.is_dir() {
        return Err(folder_clash());
    }
    Err(from_io(error, "media temporary file"))
}

/// Creates a fresh temporary file in `folder`, named so that no key can be it.
fn create_temp_file(folder: &Path) -> Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp_path = folder.join(format!(".~tmp-{}-{n}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(from_io(e, "media temporary file")),
        }
    }
}

/// Writes an object file's header for `content_type`.
fn write_header(out: &mut impl Write, content_type: &str) -> io::Result<()> {
    out.write_all(MAGIC)?;
    write!(out, "{}\n{content_type}\n", content_type.len())
}

/// Reads an object file's header: the content type and the header's length in bytes.
fn read_header(input: &mut impl BufRead) -> io::Result<Option<(String, u64)>> {
    let mut magic = [0_u8; MAGIC.len()];
    input.read_exact(&mut magic)?;
    if magic != MAGIC {
        return Ok(None);
    }
    let mut length_line = Vec::new();
    input.take(21).read_until(b'\n', &mut length_line)?;
    let Some(digits) = length_line.strip_suffix(b"\n") else {
        return Ok(None);
    };
    let Some(content_type_len) = std::str::from_utf8(digits)
        .ok()
        .and_then(|digits| digits.parse::<usize>().ok())
    else {
        return Ok(None);
    };
    let mut content_type = vec![0_u8; content_type_len + 1];
    input.read_exact(&mut content_type)?;
    if content_type.pop() != Some(b'\n') {
        return Ok(None);
    }
    let Ok(content_type) = String::from_utf8(content_type) else {
        return Ok(None);
    };
    let header_len = MAGIC.len() + length_line.len() + content_type_len + 1;
    Ok(Some((content_type, header_len as u64)))
}

/// Opens the object file at `path`; `None` if there is no object there (nothing, or a
/// folder).
fn open_object(path: &Path) -> Result<Option<(File, u64)>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(from_io(e, "object file")),
    };
    let metadata = file.metadata().map_err(|e| from_io(e, "object file"))?;
    if !metadata.is_file() {
        return Ok(None);
    }
    Ok(Some((file, metadata.len())))
}

/// Reads the header of the open object file at `path`.
fn header_of(path: &Path, input: &mut impl BufRead) -> Result<(String, u64)> {
    match read_header(input) {
        Ok(Some(header)) => Ok(header),
        Ok(None) => Err(corrupt(path, "bad header")),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(corrupt(path, "short header")),
        Err(e) => Err(from_io(e, "object file")),
    }
}

/// The object in the file at `path`, or `None`.
fn read_object(path: &Path) -> Result<Option<Object>> {
    let Some((file, file_len)) = open_object(path)? else {
        return Ok(None);
    };
    let mut input = BufReader::new(file);
    let (content_type, header_len) = header_of(path, &mut input)?;
    let body_len = file_len.saturating_sub(header_len);
    let mut bytes = Vec::with_capacity(usize::try_from(body_len).unwrap_or(0));
    input
        .read_to_end(&mut bytes)
        .map_err(|e| from_io(e, "object file"))?;
    Ok(Some(Object {
        meta: ObjectMeta {
            size: bytes.len() as u64,
            content_type,
        },
        bytes,
    }))
}

/// The metadata of the object in the file at `path`, or `None`.
fn read_meta(path: &Path) -> Result<Option<ObjectMeta>> {
    let Some((file, file_len)) = open_object(path)? else {
        return Ok(None);
    };
    let mut input = BufReader::new(file);
    let (content_type, header_len) = header_of(path, &mut input)?;
    let Some(size) = file_len.checked_sub(header_len) else {
        return Err(corrupt(path, "shorter than its header"));
    };
    Ok(Some(ObjectMeta { size, content_type }))
}

/// Removes the object file at `path`; nothing there is fine.
fn delete_object(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
            ) =>
        {
            Ok(())
        }
        // Some platforms report unlinking a folder as permission denied.
        Err(_) if path.is_dir() => Ok(()),
        Err(e) => Err(from_io(e, "object file")),
    }
}

/// The signing key kept in `dir`, created with fresh random bytes if there is none yet. Two
/// processes opening at once agree: the key file appears whole (a hard link of a finished
/// temporary file) and only the first link wins.
fn load_or_create_signing_key(dir: &Path) -> Result<Vec<u8>> {
    let key_path = dir.join(SIGNING_KEY_FILE);
    match fs::read(&key_path) {
        Ok(key) if key.is_empty() => {
            return Err(Error::invalid(
                "signing_key",
                format!("{} is empty", key_path.display()),
            ));
        }
        Ok(key) => return Ok(key),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(from_io(e, "media signing key")),
    }
    let (temp_path, mut temp_file) = create_temp_file(dir)?;
    restrict_to_owner(&temp_file);
    let key = random_bytes(SIGNING_KEY_BYTES);
    let written = temp_file
        .write_all(&key)
        .and_then(|()| temp_file.sync_all());
    drop(temp_file);
    let linked = written.and_then(|()| fs::hard_link(&temp_path, &key_path));
    // Best effort: the temporary name is garbage whether or not the link was made.
    let _ = fs::remove_file(&temp_path);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::read(&key_path).map_err(|e| from_io(e, "media signing key"))
        }
        Err(e) => Err(from_io(e, "media signing key")),
    }
}

/// Makes `file` readable by its owner only, where the platform has such permissions.
fn restrict_to_owner(file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: the key still works with wider permissions.
        let _ = file.set_permissions(fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// `n_bytes` random bytes from the OS (`/dev/urandom`), or else from std's randomly seeded
/// hasher keys mixed through SHA-256.
fn random_bytes(n_bytes: usize) -> Vec<u8> {
    let mut bytes = vec![0_u8; n_bytes];
    let from_os = File::open("/dev/urandom").and_then(|mut urandom| urandom.read_exact(&mut bytes));
    if from_os.is_ok() {
        return bytes;
    }
    use sha2::Digest;
    use std::hash::{BuildHasher, Hasher};
    let mut out = Vec::with_capacity(n_bytes);
    let mut block_idx = 0_u64;
    while out.len() < n_bytes {
        let mut sha = Sha256::new();
        for word_idx in 0..8_u64 {
            let mut hasher = std::hash::RandomState::new().build_hasher();
            hasher.write_u64(block_idx);
            hasher.write_u64(word_idx);
            hasher.write_u128(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            sha.update(hasher.finish().to_le_bytes());
        }
        out.extend_from_slice(&sha.finalize());
        block_idx += 1;
    }
    out.truncate(n_bytes);
    out
}

/// Refuses a content type that cannot be sent as an HTTP header value.
fn check_header_value(content_type: &str) -> Result<()> {
    let sendable = !content_type.is_empty()
        && content_type
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
    if sendable {
        return Ok(());
    }
    Err(Error::invalid(
        "content_type",
        format!("{content_type:?}: must be non-empty visible ASCII (an HTTP header value)"),
    ))
}

/// The Unix second at which a signature made at `signed_at` for `expires_in` stops working.
fn expiry_secs(signed_at: SystemTime, expires_in: Duration) -> Result<u64> {
    let expires_at = signed_at
        .checked_add(expires_in)
        .ok_or_else(|| Error::invalid("expires_in", "signed_at + expires_in overflows"))?;
    let since_epoch = expires_at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::invalid("signed_at", "the window ends before 1970"))?;
    Ok(since_epoch.as_secs())
}

/// Refuses a URL whose window (ending at Unix second `expires`) has passed at `now`.
fn check_window(expires: u64, now: SystemTime) -> Result<()> {
    let expires_at = UNIX_EPOCH
        .checked_add(Duration::from_secs(expires))
        .ok_or_else(|| Error::invalid("expires", "out of range"))?;
    if now < expires_at {
        return Ok(());
    }
    Err(Error::invalid(
        "expires",
        format!("the url expired at unix second {expires}"),
    ))
}

/// The string an upload URL's signature covers.
fn upload_payload(key: &ObjectKey, content_type: &str, max_bytes: u64, expires: u64) -> String {
    format!(
        "upload\n{}\n{key}\n{}\n{content_type}\n{max_bytes}\n{expires}",
        key.as_str().len(),
        content_type.len()
    )
}

/// The string a signed read URL's signature covers.
fn read_payload(key: &ObjectKey, expires: u64) -> String {
    format!("read\n{}\n{key}\n{expires}", key.as_str().len())
}

/// Splits a request target at its first `?` (no query: an empty one).
fn split_path_and_query(path_and_query: &str) -> (&str, &str) {
    path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""))
}

/// A query string's parameters, values percent-decoded. A repeated or undecodable
/// parameter makes the URL unverifiable, so it is refused as a bad signature.
fn parse_query(query: &str) -> Result<BTreeMap<&str, String>> {
    let mut params = BTreeMap::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw_value).ok_or_else(|| {
            Error::invalid(
                "signature",
                format!("query parameter {name:?} is badly encoded"),
            )
        })?;
        if params.insert(name, value).is_some() {
            return Err(Error::invalid(
                "signature",
                format!("query parameter {name:?} is repeated"),
            ));
        }
    }
    Ok(params)
}

/// A parameter the signature needs; missing, the URL cannot be verified.
fn required_param<'a>(params: &'a BTreeMap<&str, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| Error::invalid("signature", format!("the url has no {name} parameter")))
}

/// The `expires` parameter as a Unix second.
fn expires_param(params: &BTreeMap<&str, String>) -> Result<u64> {
    required_param(params, "expires")?
        .parse::<u64>()
        .map_err(|_| Error::invalid("expires", "not a unix second"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for query values.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (other characters, `+` included, stand for themselves); `None` for
/// a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte != b'%' {
            bytes.push(byte);
            rest = tail;
            continue;
        }
        let [high, low, ..] = *tail else {
            return None;
        };
        bytes.push(hex_digit(high)? << 4 | hex_digit(low)?);
        rest = &tail[2..];
    }
    String::from_utf8(bytes).ok()
}

/// The value of one hex digit (either case).
fn hex_digit(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Lowercase hex.
fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Decodes hex (either case); `None` for an odd length or a non-hex character.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_round_trips_content_types() {
        for text in [
            "image/jpeg",
            "text/plain; charset=utf-8",
            "application/vnd.api+json",
            "multipart/form-data; boundary=a&b=c%d?e#f",
            "é ü",
            "",
        ] {
            let encoded = percent_encode(text);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
                "{encoded:?} has only unreserved characters and escapes"
            );
            assert_eq!(percent_decode(&encoded).as_deref(), Some(text));
        }
        assert_eq!(percent_encode("a/b+c;d=e"), "a%2Fb%2Bc%3Bd%3De");
    }

    #[test]
    fn percent_decoding_accepts_either_case_and_keeps_plus() {
        assert_eq!(percent_decode("a%2fb%2Bc").as_deref(), Some("a/b+c"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
    }

    #[test]
    fn percent_decoding_refuses_broken_escapes_and_non_utf8() {
        for broken in ["%", "%2", "%zz", "a%g1", "%ff"] {
            assert_eq!(percent_decode(broken), None, "{broken:?}");
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let bytes = [0_u8, 1, 0x7f, 0x80, 0xfe, 0xff];
        assert_eq!(hex_encode(&bytes), "00017f80feff");
        assert_eq!(hex_decode("00017F80FEff"), Some(bytes.to_vec()));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn header_round_trips_and_measures_itself() {
        for content_type in ["image/jpeg", "", "text/plain; charset=utf-8\nodd"] {
            let mut file = Vec::new();
            write_header(&mut file, content_type).expect("write to a vec");
            let header_len = file.len() as u64;
            file.extend_from_slice(b"body");
            let mut input = &file[..];
            let header = read_header(&mut input).expect("read from a slice");
            assert_eq!(header, Some((content_type.to_owned(), header_len)));
            assert_eq!(input, b"body", "the header read stops at the body");
        }
    }

    #[test]
    fn header_refuses_other_files() {
        let mut input: &[u8] = b"ocean-media 2\n3\nabc\nbody";
        assert_eq!(read_header(&mut input).expect("read"), None);
        let mut input: &[u8] = b"ocean-media 1\nx\nabc\nbody";
        assert_eq!(read_header(&mut input).expect("read"), None);
        let mut input: &[u8] = b"ocean-media 1\n3\nabcdbody";
        assert_eq!(read_header(&mut input).expect("read"), None);
    }

    #[test]
    fn payloads_differ_when_fields_shift() {
        let key = ObjectKey::parse("a/b").expect("valid key");
        let other_key = ObjectKey::parse("a").expect("valid key");
        assert_ne!(
            upload_payload(&key, "x", 1, 2),
            upload_payload(&other_key, "b\nx", 1, 2)
        );
        assert_ne!(upload_payload(&key, "x", 1, 2), read_payload(&key, 2));
    }

    #[test]
    fn query_parsing_decodes_and_refuses_repeats() {
        let params = parse_query("content_type=a%2Fb&max_bytes=3&&flag").expect("parses");
        assert_eq!(params.get("content_type").map(String::as_str), Some("a/b"));
        assert_eq!(params.get("max_bytes").map(String::as_str), Some("3"));
        assert_eq!(params.get("flag").map(String::as_str), Some(""));
        assert!(parse_query("a=1&a=1").is_err(), "a repeated parameter");
        assert!(parse_query("a=%zz").is_err(), "a broken escape");
    }

    #[test]
    fn expiry_is_whole_seconds_after_signing() {
        let signed_at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_750);
        let expires = expiry_secs(signed_at, Duration::from_secs(60)).expect("in range");
        assert_eq!(expires, 1_700_000_060);
        assert!(check_window(expires, UNIX_EPOCH + Duration::from_secs(1_700_000_059)).is_ok());
        assert!(check_window(expires, UNIX_EPOCH + Duration::from_secs(1_700_000_060)).is_err());
    }

    #[test]
    fn random_bytes_are_long_enough_and_differ() {
        let first = random_bytes(SIGNING_KEY_BYTES);
        let second = random_bytes(SIGNING_KEY_BYTES);
        assert_eq!(first.len(), SIGNING_KEY_BYTES);
        assert_ne!(first, second);
    }
}
