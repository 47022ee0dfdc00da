//! Who may do what: signed requests anything, anonymous requests only read objects (as if
//! every bucket had a public-read bucket policy), unless the server runs with `--private`.

use s3s::access::{S3Access, S3AccessContext};
use s3s::{S3Result, s3_error};

/// The access policy; a request with a bad signature never gets here (s3s refuses it first).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicReads {
    /// Whether anonymous `GetObject` and `HeadObject` are allowed.
    pub(crate) allowed: bool,
}

#[async_trait::async_trait]
impl S3Access for PublicReads {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_some() {
            return Ok(());
        }
        let is_object_read = matches!(cx.s3_op().name(), "GetObject" | "HeadObject");
        if self.allowed && is_object_read {
            return Ok(());
        }
        Err(s3_error!(AccessDenied, "Signature is required"))
    }
}
