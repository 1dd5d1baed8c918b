//! The two sinks that deliver over HTTP: PostHog's capture API and a signed webhook.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SinkError;
use crate::store::OutboundEvent;

/// The header that carries a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, where
/// the HMAC is computed with the shared secret over `<unix seconds>.<request body>`. A receiver
/// recomputes it and rejects old timestamps to stop replays.
pub const SIGNATURE_HEADER: &str = "x-replay-vision-signature";

const TIMEOUT: Duration = Duration::from_secs(30);

/// PostHog's capture endpoint (`POST {host}/i/v0/e/`) with a project API key.
#[derive(Clone)]
pub struct PostHogCapture {
    client: reqwest::Client,
    host: String,
    project_api_key: String,
}

impl std::fmt::Debug for PostHogCapture {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostHogCapture")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl PostHogCapture {
    /// Creates a capture client for `host` (for example `https://us.i.posthog.com`).
    pub fn new(host: &str, project_api_key: &str) -> PostHogCapture {
        PostHogCapture {
            client: http_client(),
            host: host.trim_end_matches('/').to_string(),
            project_api_key: project_api_key.to_string(),
        }
    }

    pub(super) async fn send(&self, event: &OutboundEvent) -> Result<(), SinkError> {
        let body = serde_json::json!({
            "api_key": self.project_api_key,
            "event": event.event,
            "distinct_id": event.distinct_id,
            "uuid": event.uuid,
            "timestamp": event.timestamp,
            "properties": event.properties,
        });
        let request = self
            .client
            .post(format!("{}/i/v0/e/", self.host))
            .json(&body);
        send_checked("posthog", request).await
    }
}

/// An HTTP endpoint that receives each event as a JSON POST, signed with HMAC-SHA256.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    secret: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Creates a webhook that posts to `url` and signs with `secret`.
    pub fn new(url: &str, secret: &str) -> Webhook {
        Webhook {
            client: http_client(),
            url: url.to_string(),
            secret: secret.to_string(),
        }
    }

    pub(super) async fn send(&self, event: &OutboundEvent) -> Result<(), SinkError> {
        let body = serde_json::to_vec(event).expect("an event always serialises");
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign(&self.secret, timestamp, &body);
        let request = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
            .body(body);
        send_checked("webhook", request).await
    }
}

/// Computes the hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("the TLS backend is compiled in")
}

async fn send_checked(
    sink: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<(), SinkError> {
    let response = request
        .send()
        .await
        .map_err(|source| SinkError::Network { sink, source })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut body = response.text().await.unwrap_or_default();
    body.truncate(500);
    Err(SinkError::Status {
        sink,
        status: status.as_u16(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_timestamp_and_body() {
        let first = sign("secret", 1, b"{}");
        assert_ne!(first, sign("secret", 2, b"{}"));
        assert_ne!(first, sign("secret", 1, b"{ }"));
        assert_ne!(first, sign("other", 1, b"{}"));
        assert_eq!(first.len(), 64);
    }
}
