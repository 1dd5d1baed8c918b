//! HTTP plumbing shared by both protocols: sending one request and turning an error reply into
//! a classified [`ProviderError`] with the API's message and any server-requested retry delay.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::retry::{parse_proto_duration, parse_retry_after};
use super::{Cause, ErrorKind, ProviderError};

/// The reply to one request.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Sends the request and reads the whole reply. Only transport failures are errors here.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<Reply, ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|error| ProviderError::from_reqwest(&error))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|error| ProviderError::from_reqwest(&error))?;
    Ok(Reply {
        status,
        headers,
        body: body.to_vec(),
    })
}

impl Reply {
    /// Returns whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses a 2xx body as JSON; a body that is not JSON is a transient malformed reply.
    pub fn json(&self) -> Result<Value, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            ProviderError::new(
                ErrorKind::Transient,
                Cause::MalformedReply,
                format!("the reply body is not valid JSON: {error}"),
            )
            .with_status(self.status)
        })
    }

    /// Classifies an error reply, reading the API's message and retry delay.
    pub fn into_error(self) -> ProviderError {
        let parsed: Option<Value> = serde_json::from_slice(&self.body).ok();
        // google-genai also accepts the error object wrapped in a one-element array.
        let error = parsed.as_ref().and_then(|value| match value {
            Value::Array(items) => items.first().and_then(|item| item.get("error")),
            other => other.get("error"),
        });
        let message = match error {
            Some(error) => api_message(error),
            None => String::from_utf8_lossy(&self.body)
                .chars()
                .take(500)
                .collect(),
        };
        let mut classified = ProviderError::from_status(self.status, message);
        classified.retry_after = error
            .and_then(retry_info_delay)
            .or_else(|| header_delay(&self.headers))
            .or_else(|| message_delay(&classified.message));
        classified
    }
}

/// Formats the message of a Gemini (`{code, message, status}`) or OpenAI
/// (`{message, type, code}`) error body.
fn api_message(error: &Value) -> String {
    let message = match error {
        Value::String(text) => text.clone(),
        _ => error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .to_string(),
    };
    let status = error
        .get("status")
        .or_else(|| error.get("type"))
        .and_then(Value::as_str);
    let reason = error
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|detail| detail.get("reason").and_then(Value::as_str));
    match (status, reason) {
        (Some(status), Some(reason)) => format!("{status} ({reason}): {message}"),
        (Some(status), None) => format!("{status}: {message}"),
        _ => message,
    }
}

/// `retryDelay` of a `google.rpc.RetryInfo` entry in `error.details`.
fn retry_info_delay(error: &Value) -> Option<Duration> {
    error
        .get("details")?
        .as_array()?
        .iter()
        .filter(|detail| {
            detail
                .get("@type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|detail| parse_proto_duration(detail.get("retryDelay")?.as_str()?))
}

fn header_delay(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Reads the delay from a message such as "Please retry in 48.8s.".
fn message_delay(message: &str) -> Option<Duration> {
    let rest = &message[message.find("retry in ")? + "retry in ".len()..];
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let seconds: f64 = number.parse().ok()?;
    let unit = &rest[number.len()..];
    if unit.starts_with("ms") {
        return Some(Duration::from_secs_f64(seconds / 1000.0));
    }
    unit.starts_with('s')
        .then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_retry_info() {
        let body = r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22s"}]}}"#;
        let error = reply(429, body).into_error();
        assert_eq!(error.retry_after, Some(Duration::from_secs(22)));
    }

    #[test]
    fn error_array_wrapped() {
        let body = r#"[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]"#;
        let error = reply(400, body).into_error();
        assert_eq!(error.message, "INVALID_ARGUMENT: bad");
    }

    #[test]
    fn error_reason_in_message() {
        let body = r#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT",
            "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#;
        let error = reply(400, body).into_error();
        assert!(
            error.message.contains("API_KEY_INVALID"),
            "{}",
            error.message
        );
    }

    #[test]
    fn error_delay_from_message() {
        let body = r#"{"error":{"code":429,"message":"Please retry in 48.8s.","status":"RESOURCE_EXHAUSTED"}}"#;
        let error = reply(429, body).into_error();
        assert_eq!(error.retry_after, Some(Duration::from_millis(48_800)));
    }

    #[test]
    fn error_plain_text_body() {
        let error = reply(502, "bad gateway").into_error();
        assert_eq!(error.kind, ErrorKind::Transient);
    }

    #[test]
    fn error_404_rejected() {
        let error = reply(404, "{}").into_error();
        assert_eq!(error.kind, ErrorKind::Rejected);
    }
}
