//! Scripted replies and how each is written in either protocol: answers, finish reasons, a
//! blocked prompt, error statuses with the real bodies, rate limits with a retry delay, a hang
//! and a malformed body.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use serde_json::{json, Value};

/// One scripted reply to a model request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A normal answer with this text (`STOP` / `stop`).
    Answer(String),
    /// An answer with this finish reason, e.g. `MAX_TOKENS` with truncated JSON, `SAFETY`, or a
    /// value the client does not know.
    Finish {
        /// `finishReason` (Gemini) or `finish_reason` (OpenAI) as sent.
        reason: String,
        /// Answer text, possibly empty.
        text: String,
    },
    /// Gemini: `promptFeedback.blockReason` with no candidates; OpenAI: a `content_filter` finish.
    Blocked(String),
    /// 429 with the delay in `RetryInfo.retryDelay` (Gemini) or `Retry-After` (OpenAI).
    RateLimited(Duration),
    /// 429 whose only delay signal is a `Retry-After` header, as a proxy adds it.
    RetryAfterHeader(Duration),
    /// An error status with the API's body for it (500, 503, 504, 400, 403, 404...).
    Status(u16),
    /// No reply at all; the connection stays open until the client gives up.
    Hang,
    /// Status 200 with a body that is not JSON.
    Malformed,
}

impl Reply {
    /// Creates a normal answer.
    pub fn answer(text: impl Into<String>) -> Self {
        Self::Answer(text.into())
    }

    /// Creates an error status reply.
    pub fn status(code: u16) -> Self {
        Self::Status(code)
    }
}

/// A rendered reply: status, headers and body text.
pub(crate) struct Rendered {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, HeaderValue)>,
    pub body: String,
}

impl Rendered {
    pub fn json(status: u16, body: &Value) -> Self {
        let headers = vec![("content-type", HeaderValue::from_static("application/json"))];
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: body.to_string(),
        }
    }

    fn with_retry_after(mut self, delay: Duration) -> Self {
        let value = delay.as_secs().max(1).to_string();
        self.headers.push((
            "retry-after",
            HeaderValue::from_str(&value).expect("digits are a valid header value"),
        ));
        self
    }

    fn malformed() -> Self {
        let mut rendered = Self::json(200, &Value::Null);
        rendered.body = "{\"candidates\": [{\"content\": <html>upstream reset".to_string();
        rendered
    }
}

/// Google's canonical status name and a typical message for an HTTP code.
pub(crate) fn google_status(code: u16) -> (&'static str, &'static str) {
    match code {
        400 => ("INVALID_ARGUMENT", "Request contains an invalid argument."),
        401 => (
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        ),
        403 => ("PERMISSION_DENIED", "The caller does not have permission."),
        404 => ("NOT_FOUND", "Requested entity was not found."),
        429 => (
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
        ),
        500 => (
            "INTERNAL",
            "An internal error has occurred. Please retry or report.",
        ),
        503 => (
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
        504 => (
            "DEADLINE_EXCEEDED",
            "The request timed out. Please try again.",
        ),
        _ => ("UNKNOWN", "Unknown error."),
    }
}

/// Gemini's error body `{"error": {code, message, status, details}}`.
pub(crate) fn gemini_error(code: u16, message: &str, details: Vec<Value>) -> Rendered {
    let (status, _) = google_status(code);
    Rendered::json(
        code,
        &json!({"error": {"code": code, "message": message, "status": status, "details": details}}),
    )
}

/// OpenAI's error body `{"error": {message, type, code}}`.
pub(crate) fn openai_error(code: u16, message: &str, kind: &str) -> Rendered {
    Rendered::json(
        code,
        &json!({"error": {"message": message, "type": kind, "code": code.to_string()}}),
    )
}

/// Token counts the stand-in reports for a request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tokens {
    pub text: u64,
    pub video: u64,
    pub image: u64,
}

impl Tokens {
    pub fn prompt(&self) -> u64 {
        self.text + self.video + self.image
    }
}

fn output_tokens(text: &str) -> u64 {
    text.len().div_ceil(4) as u64
}

/// Writes `reply` as a `generateContent` reply. `None` means hang.
pub(crate) fn gemini(reply: &Reply, model: &str, tokens: Tokens) -> Option<Rendered> {
    let mut details = Vec::new();
    for (modality, count) in [
        ("TEXT", tokens.text),
        ("VIDEO", tokens.video),
        ("IMAGE", tokens.image),
    ] {
        if count > 0 {
            details.push(json!({"modality": modality, "tokenCount": count}));
        }
    }
    let usage = |output: u64| {
        json!({"promptTokenCount": tokens.prompt(), "candidatesTokenCount": output,
               "totalTokenCount": tokens.prompt() + output, "promptTokensDetails": details})
    };
    let candidate = |reason: &str, text: &str| {
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": reason, "index": 0}],
            "usageMetadata": usage(output_tokens(text)),
            "modelVersion": model,
            "responseId": "standin-response",
        })
    };
    let rendered = match reply {
        Reply::Answer(text) => Rendered::json(200, &candidate("STOP", text)),
        Reply::Finish { reason, text } => Rendered::json(200, &candidate(reason, text)),
        Reply::Blocked(reason) => Rendered::json(
            200,
            &json!({"promptFeedback": {"blockReason": reason}, "usageMetadata": usage(0),
                    "modelVersion": model}),
        ),
        Reply::RateLimited(delay) => {
            let seconds = delay.as_secs_f64();
            let retry_info = json!({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                    "retryDelay": format!("{seconds}s")});
            let message = format!("You exceeded your current quota. Please retry in {seconds}s.");
            gemini_error(429, &message, vec![retry_info])
        }
        Reply::RetryAfterHeader(delay) => {
            gemini_error(429, google_status(429).1, Vec::new()).with_retry_after(*delay)
        }
        Reply::Status(code) => gemini_error(*code, google_status(*code).1, Vec::new()),
        Reply::Hang => return None,
        Reply::Malformed => Rendered::malformed(),
    };
    Some(rendered)
}

/// Writes `reply` as a chat completions reply. `None` means hang.
pub(crate) fn openai(reply: &Reply, model: &str, tokens: Tokens) -> Option<Rendered> {
    let completion = |reason: &str, content: Value, output: u64| {
        json!({
            "id": "chatcmpl-standin", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": reason}],
            "usage": {"prompt_tokens": tokens.prompt(), "completion_tokens": output,
                      "total_tokens": tokens.prompt() + output},
        })
    };
    let rendered = match reply {
        Reply::Answer(text) => {
            Rendered::json(200, &completion("stop", json!(text), output_tokens(text)))
        }
        Reply::Finish { reason, text } => {
            Rendered::json(200, &completion(reason, json!(text), output_tokens(text)))
        }
        Reply::Blocked(_) => Rendered::json(200, &completion("content_filter", Value::Null, 0)),
        Reply::RateLimited(delay) | Reply::RetryAfterHeader(delay) => openai_error(
            429,
            "Rate limit reached. Please try again later.",
            "rate_limit_exceeded",
        )
        .with_retry_after(*delay),
        Reply::Status(code) => openai_error(*code, google_status(*code).1, "server_error"),
        Reply::Hang => return None,
        Reply::Malformed => Rendered::malformed(),
    };
    Some(rendered)
}
