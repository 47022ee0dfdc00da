//! Following presigned URLs over HTTP as a client would (reqwest), for the conformance
//! suite's [`Transfer`] and for tests that look at S3's exact answer.

use async_trait::async_trait;
use ocean::media::{PresignedUpload, UploadMethod};
use ocean_conformance::media::{Refused, Transfer};

/// The multipart boundary of upload forms (no form value or test body contains it).
const BOUNDARY: &str = "ocean-s3-test-boundary-7d1f0c";

/// What S3 answered: status and body text (the XML error, for a refusal).
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body as text.
    pub(crate) body: String,
}

impl Answer {
    /// Whether S3 accepted the request (2xx).
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends uploads and downloads with one HTTP client.
#[derive(Debug)]
pub(crate) struct HttpTransfer {
    client: reqwest::Client,
}

impl HttpTransfer {
    pub(crate) fn new() -> Self {
        Self {
            client: reqwest::Client::new(),
        }
    }

    /// Sends `body` as `upload` says, declaring `content_type`: a POST form carries it in
    /// its `Content-Type` field (S3 takes the object's type from there) and on the file
    /// part; a PUT in its `content-type` header.
    pub(crate) async fn send_upload(
        &self,
        upload: &PresignedUpload,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let request = match upload.method {
            UploadMethod::Post => self
                .client
                .post(&upload.url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(form_body(upload, content_type, &body)),
            UploadMethod::Put => {
                let mut request = self.client.put(&upload.url);
                for (name, value) in &upload.headers {
                    if !name.eq_ignore_ascii_case("content-type") {
                        request = request.header(name, value);
                    }
                }
                request.header("content-type", content_type).body(body)
            }
        };
        answer(request.send().await).await
    }

    /// GETs `url`.
    pub(crate) async fn get(&self, url: &str) -> (Answer, Vec<u8>) {
        match self.client.get(url).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let bytes = response
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .unwrap_or_default();
                let answer = Answer {
                    status,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                };
                (answer, bytes)
            }
            Err(error) => panic!("GET {url} failed to get an answer: {error}"),
        }
    }
}

#[async_trait]
impl Transfer for HttpTransfer {
    async fn upload(
        &self,
        upload: &PresignedUpload,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), Refused> {
        let answer = self.send_upload(upload, content_type, body).await;
        if answer.is_success() {
            Ok(())
        } else {
            Err(Refused(format!("{}: {}", answer.status, answer.body)))
        }
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, Refused> {
        let (answer, bytes) = self.get(url).await;
        if answer.is_success() {
            Ok(bytes)
        } else {
            Err(Refused(format!("{}: {}", answer.status, answer.body)))
        }
    }
}

/// The status and body of a response (panics when there was no response at all: the
/// server must answer, even to refuse).
async fn answer(response: reqwest::Result<reqwest::Response>) -> Answer {
    let response = response.expect("the S3 server answers");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Answer { status, body }
}

/// A `multipart/form-data` body: `upload`'s fields (its `Content-Type` field replaced by
/// `content_type`), then the file part last, as S3 requires.
fn form_body(upload: &PresignedUpload, content_type: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(file.len() + 4096);
    for (name, value) in &upload.fields {
        let value = if name.eq_ignore_ascii_case("content-type") {
            content_type
        } else {
            value.as_str()
        };
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}
