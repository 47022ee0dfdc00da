//! SigV4 signatures for the URLs handed to clients, computed here without I/O: presigned
//! GET URLs (query-string authentication) and the signature of a browser POST policy.
//!
//! The SDK's own presigner is async (it resolves credentials through its identity cache),
//! while the media port signs synchronously, so this module implements the two documented
//! algorithms ("Authenticating Requests: Using Query Parameters" and "Calculating a
//! Signature" for POST, AWS Signature Version 4) over [`hmac`] and [`sha2`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use hmac::{Hmac, Mac};
use ocean::{Error, Result};
use sha2::{Digest, Sha256};

/// HMAC-SHA256, the SigV4 primitive.
type HmacSha256 = Hmac<Sha256>;

/// The only algorithm SigV4 URLs and forms name.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The longest a SigV4 presigned URL may last (seven days).
pub(crate) const MAX_EXPIRES_IN: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a signature is made with: one key pair (and session token) in one region.
#[derive(Clone, Copy)]
pub(crate) struct Signer<'a> {
    /// The access key id (public; part of every URL).
    pub(crate) access_key_id: &'a str,
    /// The secret key (never leaves this module).
    pub(crate) secret_access_key: &'a str,
    /// The session token of temporary credentials, sent with the request.
    pub(crate) session_token: Option<&'a str>,
    /// The bucket's region.
    pub(crate) region: &'a str,
}

/// A signing instant in SigV4's two spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SigningTime {
    /// `yyyymmddThhmmssZ`.
    pub(crate) amz_date: String,
    /// `yyyy-mm-ddThh:mm:ssZ`.
    pub(crate) iso8601: String,
    /// Whole seconds since the Unix epoch.
    pub(crate) epoch_secs: u64,
}

impl SigningTime {
    /// `at`, to the second (SigV4 has no finer resolution).
    pub(crate) fn new(at: SystemTime) -> Result<Self> {
        let epoch_secs = at
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::invalid("signed_at", "must not be before 1970"))?
            .as_secs();
        Self::from_epoch_secs(epoch_secs)
    }

    /// The instant `epoch_secs` after the Unix epoch.
    pub(crate) fn from_epoch_secs(epoch_secs: u64) -> Result<Self> {
        let too_late = || Error::invalid("signed_at", "is too far in the future to format");
        let seconds = i64::try_from(epoch_secs).map_err(|_| too_late())?;
        let iso8601 = DateTime::from_secs(seconds)
            .fmt(Format::DateTime)
            .map_err(|_| too_late())?;
        let amz_date = iso8601.replace(['-', ':'], "");
        Ok(Self {
            amz_date,
            iso8601,
            epoch_secs,
        })
    }

    /// `yyyymmdd`, the credential scope's date.
    fn date(&self) -> &str {
        &self.amz_date[..8]
    }

    /// The same instant as a POST policy's `expiration` (`yyyy-mm-ddThh:mm:ss.000Z`).
    pub(crate) fn policy_expiration(&self) -> String {
        let without_zone = self.iso8601.trim_end_matches('Z');
        format!("{without_zone}.000Z")
    }
}

/// Whole seconds of `expires_in`, checked against SigV4's limits (1 s to 7 days).
pub(crate) fn expires_in_secs(expires_in: Duration) -> Result<u64> {
    if expires_in < Duration::from_secs(1) || expires_in > MAX_EXPIRES_IN {
        return Err(Error::invalid(
            "expires_in",
            format!("{expires_in:?}: a SigV4 signature lasts 1 second to 7 days"),
        ));
    }
    Ok(expires_in.as_secs())
}

impl Signer<'_> {
    /// `access_key_id/yyyymmdd/region/s3/aws4_request`.
    pub(crate) fn credential(&self, time: &SigningTime) -> String {
        format!("{}/{}", self.access_key_id, self.scope(time))
    }

    /// `yyyymmdd/region/s3/aws4_request`.
    fn scope(&self, time: &SigningTime) -> String {
        format!("{}/{}/s3/aws4_request", time.date(), self.region)
    }

    /// The day's signing key: HMAC over date, region, service and `aws4_request`.
    fn signing_key(&self, time: &SigningTime) -> Vec<u8> {
        let secret = format!("AWS4{}", self.secret_access_key);
        let date_key = hmac(secret.as_bytes(), time.date().as_bytes());
        let region_key = hmac(&date_key, self.region.as_bytes());
        let service_key = hmac(&region_key, b"s3");
        hmac(&service_key, b"aws4_request")
    }

    /// The hex signature of `string_to_sign`.
    fn signature(&self, time: &SigningTime, string_to_sign: &str) -> String {
        hex(&hmac(&self.signing_key(time), string_to_sign.as_bytes()))
    }

    /// The signature of a POST form's base64 `policy`: SigV4 signs the encoded policy itself.
    pub(crate) fn sign_policy(&self, time: &SigningTime, policy_base64: &str) -> String {
        self.signature(time, policy_base64)
    }

    /// The query string (signature last) that authorises `GET https://{host}{path}` from
    /// `time` for `expires_in_secs`. `path` must already be URI-encoded; only `host` is
    /// signed and the payload is unsigned, as SigV4 presigned URLs do.
    pub(crate) fn presign_get_query(
        &self,
        host: &str,
        path: &str,
        time: &SigningTime,
        expires_in_secs: u64,
    ) -> String {
        let credential = self.credential(time);
        let expires = expires_in_secs.to_string();
        let mut params = vec![
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", credential.as_str()),
            ("X-Amz-Date", time.amz_date.as_str()),
            ("X-Amz-Expires", expires.as_str()),
            ("X-Amz-SignedHeaders", "host"),
        ];
        if let Some(token) = self.session_token {
            params.push(("X-Amz-Security-Token", token));
        }
        params.sort_unstable();
        let query = params
            .iter()
            .map(|(name, value)| format!("{}={}", uri_encode(name), uri_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let canonical_request =
            format!("GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            time.amz_date,
            self.scope(time),
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let signature = self.signature(time, &string_to_sign);
        format!("{query}&X-Amz-Signature={signature}")
    }
}

/// HMAC-SHA256 of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// SigV4's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (so `/` too).
pub(crate) fn uri_encode(text: &str) -> String {
    use std::fmt::Write;
    text.bytes()
        .fold(String::with_capacity(text.len()), |mut out, byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's "Authenticating Requests: Using Query Parameters (AWS Signature
    /// Version 4)": `GET https://examplebucket.s3.amazonaws.com/test.txt`.
    #[test]
    fn presigned_get_matches_the_aws_documentation_example() {
        let signer = Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: None,
            region: "us-east-1",
        };
        let time = SigningTime::from_epoch_secs(1_369_353_600).expect("2013-05-24");
        assert_eq!(time.amz_date, "20130524T000000Z");
        let query =
            signer.presign_get_query("examplebucket.s3.amazonaws.com", "/test.txt", &time, 86_400);
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn policy_expiration_has_milliseconds() {
        let time = SigningTime::from_epoch_secs(1_369_353_600 + 3_661).expect("a time");
        assert_eq!(time.policy_expiration(), "2013-05-24T01:01:01.000Z");
    }

    #[test]
    fn expiry_must_be_one_second_to_seven_days() {
        assert_eq!(expires_in_secs(Duration::from_secs(1)).ok(), Some(1));
        assert_eq!(expires_in_secs(MAX_EXPIRES_IN).ok(), Some(604_800));
        assert!(expires_in_secs(Duration::from_millis(999)).is_err());
        assert!(expires_in_secs(MAX_EXPIRES_IN + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn uri_encode_keeps_only_unreserved_bytes() {
        assert_eq!(uri_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(uri_encode("a/b+c= d"), "a%2Fb%2Bc%3D%20d");
    }
}
