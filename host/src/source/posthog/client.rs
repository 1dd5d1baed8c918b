//! The HTTP client of the PostHog source: a personal API key as a bearer token, requests
//! spaced to stay under a rate, and retries after `429` (waiting for `Retry-After`) and 5xx.

use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{PostHogSourceConfig, RecordingSummary};

/// Talks to one PostHog project.
pub struct PostHogClient {
    http: reqwest::Client,
    project_url: String,
    key: String,
    page_size: u32,
    max_retries: u32,
    spacing: Duration,
    next_request: Mutex<Instant>,
}

#[derive(Deserialize)]
struct RecordingPage {
    results: Vec<RecordingSummary>,
    #[serde(default)]
    has_next: bool,
}

#[derive(Deserialize)]
struct SnapshotSources {
    sources: Vec<SnapshotSource>,
}

#[derive(Deserialize)]
struct SnapshotSource {
    source: String,
    blob_key: Option<String>,
}

impl PostHogClient {
    /// Builds a client for the project in `config`.
    pub fn new(config: &PostHogSourceConfig, key: String) -> anyhow::Result<PostHogClient> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client for PostHog")?;
        let per_minute = config.max_requests_per_minute.max(1);
        Ok(PostHogClient {
            http,
            project_url: format!(
                "{}/api/projects/{}",
                config.host.trim_end_matches('/'),
                config.project_id
            ),
            key,
            page_size: config.page_size.max(1),
            max_retries: config.max_retries,
            spacing: Duration::from_secs_f64(60.0 / f64::from(per_minute)),
            next_request: Mutex::new(Instant::now()),
        })
    }

    /// Returns the project's API base URL.
    pub fn project_url(&self) -> &str {
        &self.project_url
    }

    /// Lists every recording that started at or after `since_ms`, following pages.
    pub async fn list_since(&self, since_ms: i64) -> anyhow::Result<Vec<RecordingSummary>> {
        let date_from = crate::store::outbox::format_rfc3339(since_ms);
        let url = format!("{}/session_recordings", self.project_url);
        let mut recordings = Vec::new();
        let mut offset = 0u64;
        loop {
            let query = [
                ("date_from", date_from.clone()),
                ("limit", self.page_size.to_string()),
                ("offset", offset.to_string()),
            ];
            let body = self.get(&url, &query).await?;
            let page: RecordingPage = serde_json::from_str(&body)
                .with_context(|| format!("invalid recordings page from {url}"))?;
            offset += page.results.len() as u64;
            let done = !page.has_next || page.results.is_empty();
            recordings.extend(page.results);
            if done {
                return Ok(recordings);
            }
        }
    }

    /// Fetches the rrweb events of one recording, each with its `windowId`.
    pub async fn snapshots(&self, session_id: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let url = format!(
            "{}/session_recordings/{session_id}/snapshots",
            self.project_url
        );
        let body = self.get(&url, &[]).await?;
        let sources: SnapshotSources = serde_json::from_str(&body)
            .with_context(|| format!("invalid snapshot sources from {url}"))?;
        let mut events = Vec::new();
        for source in sources.sources {
            let Some(key) = source.blob_key.filter(|_| source.source == "blob_v2") else {
                tracing::debug!(session_id, source = %source.source, "snapshot source skipped: only blob_v2 is read");
                continue;
            };
            let query = [
                ("source", "blob_v2".to_string()),
                ("start_blob_key", key.clone()),
                ("end_blob_key", key),
            ];
            let lines = self.get(&url, &query).await?;
            let blob = blob_events(&lines).with_context(|| format!("invalid blob from {url}"))?;
            events.extend(blob);
        }
        Ok(events)
    }

    /// Sends a GET after the rate spacing, retrying `429` and 5xx statuses.
    async fn get(&self, url: &str, query: &[(&str, String)]) -> anyhow::Result<String> {
        let mut attempt = 0;
        loop {
            self.wait_turn().await;
            let response = self
                .http
                .get(url)
                .query(query)
                .bearer_auth(&self.key)
                .send()
                .await
                .with_context(|| format!("request to {url} failed"))?;
            let status = response.status();
            if status.is_success() {
                return response
                    .text()
                    .await
                    .with_context(|| format!("cannot read the response from {url}"));
            }
            let retryable = status.as_u16() == 429 || status.is_server_error();
            if !retryable || attempt >= self.max_retries {
                anyhow::bail!("{url} returned {status}");
            }
            let backoff = Duration::from_secs(1 << attempt.min(5));
            let wait = retry_after(response.headers()).unwrap_or(backoff);
            tracing::warn!(
                url,
                status = status.as_u16(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                "PostHog request retried"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Waits until the rate spacing allows the next request.
    async fn wait_turn(&self) {
        let mut next = self.next_request.lock().await;
        if *next > Instant::now() {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now() + self.spacing;
    }
}

/// Reads the `Retry-After` header in seconds, capped at ten minutes.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get("retry-after")?.to_str().ok()?;
    let seconds: f64 = text.trim().parse().ok()?;
    Some(Duration::from_secs_f64(seconds.clamp(0.0, 600.0)))
}

/// Turns blob v2 lines (`["<window id>", event]`) into events carrying their `windowId`.
fn blob_events(text: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("line {}: not JSON", index + 1))?;
        let serde_json::Value::Array(mut pair) = value else {
            anyhow::bail!("line {}: expected [\"<window id>\", event]", index + 1);
        };
        if pair.len() != 2 {
            anyhow::bail!("line {}: expected [\"<window id>\", event]", index + 1);
        }
        let mut event = pair.pop().unwrap_or_default();
        let window = pair.pop().unwrap_or_default();
        if let Some(object) = event.as_object_mut() {
            object.insert("windowId".into(), window);
        }
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_line_gets_window() {
        let events = blob_events("[\"w1\", {\"type\": 4, \"timestamp\": 5}]\n").unwrap();
        assert_eq!(events[0]["windowId"], "w1");
    }

    #[test]
    fn blob_line_wrong_shape() {
        assert!(blob_events("{\"type\": 4}").is_err());
    }
}
