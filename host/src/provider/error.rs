//! The classified failure of a model call. Callers branch on [`ErrorKind`]: a transient error
//! may succeed later (the observation fails as `provider_transient`), a rejected one will not
//! (`provider_rejected`).

use std::time::Duration;

/// Whether repeating the same request could succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Network errors, timeouts, 429, 500, 502, 503, 504, malformed replies.
    Transient,
    /// 400, 401, 403, 404, a blocked prompt, a safety finish, a file that failed processing.
    Rejected,
}

impl ErrorKind {
    /// The observation failure kind this maps to.
    pub fn failure_kind(self) -> &'static str {
        match self {
            Self::Transient => "provider_transient",
            Self::Rejected => "provider_rejected",
        }
    }
}

/// What went wrong, in more detail than the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The connection failed or broke.
    Network,
    /// No reply within the request timeout.
    Timeout,
    /// The API replied with an error status.
    Status,
    /// The reply was not the JSON the protocol defines.
    MalformedReply,
    /// The prompt was blocked (`promptFeedback.blockReason`); holds the reason.
    Blocked(String),
    /// The answer stopped for a safety-like reason (`finishReason`); holds the reason.
    Safety(String),
    /// The reply had no answer text.
    EmptyAnswer,
    /// An uploaded file ended in state `FAILED` or never became `ACTIVE`.
    FileProcessing,
    /// A local input (video, frame) could not be read; nothing was sent.
    Input,
}

/// A failed model call, after retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{provider} request failed ({}, {cause:?}, status {}): {message}; {attempts} attempt(s), waited {waited:?}", kind.failure_kind(), status.map(|s| s.to_string()).unwrap_or_else(|| "none".into()))]
pub struct ProviderError {
    /// Transient or rejected.
    pub kind: ErrorKind,
    /// Detailed cause.
    pub cause: Cause,
    /// HTTP status of the last reply, if one came.
    pub status: Option<u16>,
    /// The API's own message, or a description of the local failure.
    pub message: String,
    /// Requests sent, including retries.
    pub attempts: u32,
    /// Time spent waiting between attempts (backoff and server-requested delays).
    pub waited: Duration,
    /// Provider name.
    pub provider: &'static str,
    /// Server-requested delay before a retry (`RetryInfo.retryDelay` or `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// Creates an error for one attempt; the retry loop fills in attempts and time waited.
    pub fn new(kind: ErrorKind, cause: Cause, message: impl Into<String>) -> Self {
        Self {
            kind,
            cause,
            status: None,
            message: message.into(),
            attempts: 0,
            waited: Duration::ZERO,
            provider: "",
            retry_after: None,
        }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether a retry may help.
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }

    /// Classifies an HTTP error status: 408, 429 and 5xx are transient, other codes rejected.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let kind = if is_transient_status(status) {
            ErrorKind::Transient
        } else {
            ErrorKind::Rejected
        };
        Self::new(kind, Cause::Status, message).with_status(status)
    }

    /// Classifies a reqwest error: timeouts and connection failures are transient.
    pub fn from_reqwest(error: &reqwest::Error) -> Self {
        let cause = if error.is_timeout() {
            Cause::Timeout
        } else {
            Cause::Network
        };
        Self::new(ErrorKind::Transient, cause, describe_reqwest(error))
    }
}

/// 408, 429, 500, 502, 503 and 504, the codes google-genai retries. 499 (client closed) is ours.
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Describes a reqwest error and its sources without the request URL, because an
/// OpenAI-compatible base URL may carry credentials.
fn describe_reqwest(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
