//! PostHog's recordings API as a source. A poll lists the project's recordings that started
//! since a cursor (`GET /api/projects/{project}/session_recordings?date_from=..&limit=..&offset=..`,
//! paging while `has_next`), and for each recording that has settled fetches its snapshots: the
//! list of blob sources (`.../session_recordings/{id}/snapshots`), then each blob
//! (`?source=blob_v2&start_blob_key=K&end_blob_key=K`, lines of `["<window id>", event]`). The
//! events are written as a PostHog export file (`version` "2023-04-28") named by the session id,
//! so the loader keeps PostHog's session id.
//!
//! The cursor is kept in the store. It stays at the start of the oldest recording not settled
//! yet, so a recording still being written is listed again on the next poll. Requests are spaced
//! to stay under the configured rate, and a `429` waits for `Retry-After` before retrying.

mod client;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::PollReport;
use crate::store::{SessionRecord, Store};

pub use client::PostHogClient;

/// The `[sources.posthog]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogSourceConfig {
    /// The PostHog API host. The default is `https://us.posthog.com`.
    #[serde(default = "default_host")]
    pub host: String,
    /// The project id (a number in PostHog's URLs).
    pub project_id: String,
    /// The environment variable holding a personal API key with recording read access. The
    /// default is `POSTHOG_PERSONAL_API_KEY`.
    #[serde(default = "default_key_env")]
    pub personal_api_key_env: String,
    /// Recordings per page. The default is 100.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Requests per minute at most. The default is 120.
    #[serde(default = "default_rate")]
    pub max_requests_per_minute: u32,
    /// How far back the first poll lists, in seconds. The default is 86400 (one day).
    #[serde(default = "default_lookback")]
    pub initial_lookback_s: f64,
    /// Retries of one request after a `429` or a 5xx status. The default is 5.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
}

fn default_host() -> String {
    "https://us.posthog.com".into()
}
fn default_key_env() -> String {
    "POSTHOG_PERSONAL_API_KEY".into()
}
fn default_page_size() -> u32 {
    100
}
fn default_rate() -> u32 {
    120
}
fn default_lookback() -> f64 {
    86_400.0
}
fn default_retries() -> u32 {
    5
}

/// One recording in the list response.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordingSummary {
    pub id: String,
    /// RFC 3339.
    pub start_time: String,
    /// RFC 3339.
    pub end_time: String,
}

/// The PostHog source: a client, where fetched recordings go, and the settle time.
pub struct PostHogSource {
    client: PostHogClient,
    folder: PathBuf,
    settle_ms: i64,
    initial_lookback_ms: i64,
}

impl PostHogSource {
    /// Builds the source; fails when the key variable is unset.
    pub fn new(
        config: &PostHogSourceConfig,
        folder: PathBuf,
        settle: Duration,
    ) -> anyhow::Result<PostHogSource> {
        let key = std::env::var(&config.personal_api_key_env)
            .ok()
            .filter(|key| !key.is_empty())
            .with_context(|| {
                format!(
                    "[sources.posthog] needs the environment variable {}, which is not set",
                    config.personal_api_key_env
                )
            })?;
        Ok(PostHogSource {
            client: PostHogClient::new(config, key)?,
            folder,
            settle_ms: settle.as_millis() as i64,
            initial_lookback_ms: (config.initial_lookback_s * 1000.0) as i64,
        })
    }

    fn cursor_name(&self) -> String {
        format!("posthog:{}", self.client.project_url())
    }

    /// Lists recordings since the cursor, fetches the settled ones not stored yet, and moves the
    /// cursor to the oldest recording still open.
    pub async fn poll(&mut self, store: &Store) -> anyhow::Result<PollReport> {
        let now = crate::store::now_ms();
        let name = self.cursor_name();
        let cursor = match store.source_cursor(&name).await? {
            Some(cursor) => cursor.parse::<i64>().unwrap_or(0),
            None => now - self.initial_lookback_ms,
        };
        let recordings = self.client.list_since(cursor).await?;
        let mut report = PollReport::default();
        let mut next_cursor = cursor;
        let mut open_start: Option<i64> = None;
        for recording in &recordings {
            let (Some(start), Some(end)) = (
                rfc3339_ms(&recording.start_time),
                rfc3339_ms(&recording.end_time),
            ) else {
                tracing::warn!(session_id = %recording.id, "recording with an unreadable start or end time skipped");
                report.failed += 1;
                continue;
            };
            next_cursor = next_cursor.max(start);
            if end > now - self.settle_ms {
                open_start = Some(open_start.map_or(start, |open| open.min(start)));
                continue;
            }
            if store.session(&recording.id).await?.is_some() {
                continue;
            }
            match self.fetch(recording).await {
                Ok(path) => {
                    store
                        .upsert_session(&SessionRecord {
                            id: recording.id.clone(),
                            source: "posthog".into(),
                            locator: path.display().to_string(),
                            fingerprint: recording.end_time.clone(),
                            started_at_ms: Some(start),
                            last_event_at_ms: end,
                        })
                        .await?;
                    report.updated += 1;
                }
                Err(error) => {
                    tracing::warn!(session_id = %recording.id, error = %format!("{error:#}"), "recording fetch failed; retried on the next poll");
                    report.failed += 1;
                    open_start = Some(open_start.map_or(start, |open| open.min(start)));
                }
            }
        }
        let next_cursor = open_start.unwrap_or(next_cursor);
        store
            .set_source_cursor(&name, &next_cursor.to_string())
            .await?;
        Ok(report)
    }

    /// Fetches a recording's snapshots and writes them as a PostHog export file.
    async fn fetch(&self, recording: &RecordingSummary) -> anyhow::Result<PathBuf> {
        let events = self.client.snapshots(&recording.id).await?;
        let export = serde_json::json!({
            "version": "2023-04-28",
            "data": {"id": recording.id, "snapshots": events},
        });
        std::fs::create_dir_all(&self.folder)
            .with_context(|| format!("cannot create {}", self.folder.display()))?;
        let file_name = format!("{}.json", crate::scanner::slug(&recording.id));
        let path = self.folder.join(file_name);
        let staging = path.with_extension("json.partial");
        std::fs::write(&staging, export.to_string())
            .with_context(|| format!("cannot write {}", staging.display()))?;
        std::fs::rename(&staging, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 time.
fn rfc3339_ms(text: &str) -> Option<i64> {
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_to_ms() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1500));
    }

    #[test]
    fn config_defaults() {
        let config: PostHogSourceConfig = toml::from_str("project_id = \"12\"").unwrap();
        assert_eq!(config.host, "https://us.posthog.com");
        assert_eq!(config.page_size, 100);
    }
}
