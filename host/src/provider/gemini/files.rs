//! The Files API: a resumable upload (`start`, then `upload` chunks with the last one
//! `upload, finalize`), polling the File until its `state` is `ACTIVE`, and deleting it after
//! use. Files expire after 48 hours anyway, but deleting frees the project's storage quota.

use std::time::Duration;

use serde_json::{json, Value};

use super::GeminiProvider;
use crate::provider::{http, retry, Cause, ErrorKind, ProviderError};

/// An uploaded File resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// Resource name, `files/<id>`.
    pub name: String,
    /// The `uri` to put in `fileData.fileUri`.
    pub uri: String,
    /// `PROCESSING`, `ACTIVE` or `FAILED`.
    pub state: String,
}

impl UploadedFile {
    fn from_resource(file: &Value) -> Result<Self, ProviderError> {
        let field = |name: &str| file.get(name).and_then(Value::as_str).map(str::to_string);
        match (field("name"), field("uri")) {
            (Some(name), Some(uri)) => Ok(Self {
                name,
                uri,
                state: field("state").unwrap_or_else(|| "STATE_UNSPECIFIED".into()),
            }),
            _ => Err(malformed("the File resource lacks `name` or `uri`")),
        }
    }
}

fn malformed(message: &str) -> ProviderError {
    ProviderError::new(ErrorKind::Transient, Cause::MalformedReply, message)
}

fn header(reply: &http::Reply, name: &str) -> Option<String> {
    Some(reply.headers.get(name)?.to_str().ok()?.to_string())
}

impl GeminiProvider {
    /// Uploads the MP4 and returns its File resource (usually still `PROCESSING`).
    pub(super) async fn upload(
        &self,
        bytes: Vec<u8>,
        display_name: &str,
    ) -> Result<UploadedFile, ProviderError> {
        let (upload_url, granularity) = self.start_upload(bytes.len(), display_name).await?;
        let chunk = chunk_size(self.config.upload_chunk_bytes, granularity);
        let mut offset = 0;
        loop {
            let end = (offset + chunk).min(bytes.len());
            let last = end == bytes.len();
            let reply = self
                .send_chunk(&upload_url, &bytes[offset..end], offset, last)
                .await?;
            if last {
                let body = reply.json()?;
                let file = UploadedFile::from_resource(body.get("file").unwrap_or(&body))?;
                tracing::info!(file = %file.name, bytes = bytes.len(), "video uploaded");
                return Ok(file);
            }
            offset = end;
        }
    }

    async fn start_upload(
        &self,
        length: usize,
        display_name: &str,
    ) -> Result<(String, Option<usize>), ProviderError> {
        let url = self.api_url("upload/v1beta/files");
        let body = json!({"file": {"display_name": display_name}});
        let retried = retry::run(
            &self.config.retry,
            self.clock.as_ref(),
            "upload start",
            |_| {
                let request = self
                    .client
                    .post(&url)
                    .header("x-goog-api-key", self.key.expose())
                    .header("X-Goog-Upload-Protocol", "resumable")
                    .header("X-Goog-Upload-Command", "start")
                    .header("X-Goog-Upload-Header-Content-Length", length.to_string())
                    .header("X-Goog-Upload-Header-Content-Type", "video/mp4")
                    .json(&body);
                async move {
                    let reply = http::send(request).await?;
                    if !reply.is_success() {
                        return Err(reply.into_error());
                    }
                    let upload_url = header(&reply, "x-goog-upload-url").ok_or_else(|| {
                        malformed("the upload start reply lacks X-Goog-Upload-URL")
                    })?;
                    let granularity = header(&reply, "x-goog-upload-chunk-granularity")
                        .and_then(|value| value.parse().ok());
                    Ok((upload_url, granularity))
                }
            },
        )
        .await?;
        Ok(retried.value)
    }

    async fn send_chunk(
        &self,
        upload_url: &str,
        chunk: &[u8],
        offset: usize,
        last: bool,
    ) -> Result<http::Reply, ProviderError> {
        let command = if last { "upload, finalize" } else { "upload" };
        let expected_status = if last { "final" } else { "active" };
        let retried = retry::run(&self.config.retry, self.clock.as_ref(), "upload chunk", |_| {
            let request = self
                .client
                .post(upload_url)
                .header("x-goog-api-key", self.key.expose())
                .header("X-Goog-Upload-Command", command)
                .header("X-Goog-Upload-Offset", offset.to_string())
                .body(chunk.to_vec());
            async move {
                let reply = http::send(request).await?;
                if !reply.is_success() {
                    return Err(reply.into_error());
                }
                match header(&reply, "x-goog-upload-status") {
                    Some(status) if status == expected_status => Ok(reply),
                    other => Err(malformed(&format!(
                        "upload chunk at offset {offset}: X-Goog-Upload-Status is {other:?}, expected {expected_status}"
                    ))),
                }
            }
        })
        .await?;
        Ok(retried.value)
    }

    /// Polls the File until it is `ACTIVE`. `FAILED`, or `PROCESSING` after `file_max_polls`
    /// polls, is a rejection with cause `FileProcessing`.
    pub(super) async fn wait_active(
        &self,
        file: &UploadedFile,
    ) -> Result<UploadedFile, ProviderError> {
        let interval = Duration::from_millis(self.config.file_poll_interval_ms);
        let mut current = file.clone();
        for poll in 0..=self.config.file_max_polls {
            match current.state.as_str() {
                "ACTIVE" => return Ok(current),
                "FAILED" => return Err(self.file_failed(&current).await),
                _ => {}
            }
            if poll == self.config.file_max_polls {
                break;
            }
            self.clock.sleep(interval).await;
            current = self.get_file(&current.name).await?;
        }
        Err(ProviderError::new(
            ErrorKind::Rejected,
            Cause::FileProcessing,
            format!(
                "{} was still {} after {} polls",
                current.name, current.state, self.config.file_max_polls
            ),
        ))
    }

    async fn get_file(&self, name: &str) -> Result<UploadedFile, ProviderError> {
        let value = self.get_file_resource(name).await?;
        UploadedFile::from_resource(&value)
    }

    async fn get_file_resource(&self, name: &str) -> Result<Value, ProviderError> {
        let url = self.api_url(&format!("v1beta/{name}"));
        let retried = retry::run(&self.config.retry, self.clock.as_ref(), "get file", |_| {
            let request = self
                .client
                .get(&url)
                .header("x-goog-api-key", self.key.expose());
            async move {
                let reply = http::send(request).await?;
                if !reply.is_success() {
                    return Err(reply.into_error());
                }
                reply.json()
            }
        })
        .await?;
        Ok(retried.value)
    }

    async fn file_failed(&self, file: &UploadedFile) -> ProviderError {
        let detail = match self.get_file_resource(&file.name).await {
            Ok(resource) => resource
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("no error message")
                .to_string(),
            Err(error) => error.message,
        };
        ProviderError::new(
            ErrorKind::Rejected,
            Cause::FileProcessing,
            format!("processing of {} failed: {detail}", file.name),
        )
    }

    /// Deletes the File. A failure is logged and not returned: the answer (or the error that
    /// matters) is already known, and the File expires after 48 hours.
    pub(super) async fn delete(&self, file: &UploadedFile) {
        let url = self.api_url(&format!("v1beta/{}", file.name));
        let request = self
            .client
            .delete(&url)
            .header("x-goog-api-key", self.key.expose());
        match http::send(request).await {
            Ok(reply) if reply.is_success() => {
                tracing::info!(file = %file.name, "uploaded video deleted");
            }
            Ok(reply) => {
                let error = reply.into_error();
                tracing::warn!(file = %file.name, status = error.status, error = %error.message, "cannot delete uploaded video");
            }
            Err(error) => {
                tracing::warn!(file = %file.name, error = %error.message, "cannot delete uploaded video");
            }
        }
    }
}

/// Rounds the configured chunk size up to a multiple of the server's granularity.
fn chunk_size(configured: u64, granularity: Option<usize>) -> usize {
    let configured = (configured as usize).max(1);
    match granularity {
        Some(step) if step > 0 => configured.div_ceil(step) * step,
        _ => configured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_rounds_to_granularity() {
        assert_eq!(chunk_size(1000, Some(256)), 1024);
    }

    #[test]
    fn chunk_without_granularity() {
        assert_eq!(chunk_size(1000, None), 1000);
    }
}
