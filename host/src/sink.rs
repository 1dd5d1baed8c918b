//! Sinks deliver `$recording_observed` events out of the outbox: the store's own `events` table,
//! a JSON lines file, PostHog's capture API and a signed webhook. Delivery is at least once; each
//! event carries `uuid` = `$insert_id` = observation id, so a receiver that sees it twice can
//! drop the repeat.

mod http;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rand::Rng;

use crate::store::{OutboundEvent, Store};

pub use http::{sign as sign_webhook, PostHogCapture, Webhook, SIGNATURE_HEADER};

/// The cause of a failed delivery. Every failed delivery is retried later.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write to {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{sink} is unreachable: {source}")]
    Network {
        sink: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{sink} returned HTTP {status}: {body}")]
    Status {
        sink: &'static str,
        status: u16,
        body: String,
    },
    #[error("cannot store the event: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// One configured destination for events.
#[derive(Debug, Clone)]
pub enum Sink {
    /// The store's own `events` table.
    Events,
    /// One JSON object per line, appended to a file.
    JsonLines(PathBuf),
    /// PostHog's capture API.
    PostHog(PostHogCapture),
    /// An HTTP endpoint that receives each event signed with HMAC-SHA256.
    Webhook(Webhook),
}

impl Sink {
    /// Returns the name the outbox uses for this sink.
    pub fn name(&self) -> &'static str {
        match self {
            Sink::Events => "events",
            Sink::JsonLines(_) => "jsonl",
            Sink::PostHog(_) => "posthog",
            Sink::Webhook(_) => "webhook",
        }
    }

    /// Delivers one event.
    pub async fn deliver(&self, store: &Store, event: &OutboundEvent) -> Result<(), SinkError> {
        match self {
            Sink::Events => Ok(store.insert_event(event).await?),
            Sink::JsonLines(path) => append_json_line(path, event),
            Sink::PostHog(capture) => capture.send(event).await,
            Sink::Webhook(webhook) => webhook.send(event).await,
        }
    }
}

fn append_json_line(path: &PathBuf, event: &OutboundEvent) -> Result<(), SinkError> {
    let file_error = |source| SinkError::File {
        path: path.clone(),
        source,
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(file_error)?;
    }
    let mut line = serde_json::to_vec(event).expect("an event always serialises");
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(file_error)?;
    // One write call per line, so concurrent writers do not interleave within a line.
    file.write_all(&line).map_err(file_error)
}

/// The counts of one pass over the outbox.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
}

/// Delivers every due event to its sink. A failure is logged, recorded and retried later with
/// exponential backoff (1 s doubling to at most 10 minutes, with jitter); it never stops the
/// other deliveries. Deliveries to a sink no longer configured stay in the outbox.
pub async fn deliver_due(store: &Store, sinks: &[Sink]) -> Result<DeliveryReport, SinkError> {
    let mut report = DeliveryReport::default();
    loop {
        let due = store.due_deliveries(100).await?;
        let mut progressed = false;
        for delivery in &due {
            let Some(sink) = sinks.iter().find(|sink| sink.name() == delivery.sink) else {
                continue;
            };
            progressed = true;
            match sink.deliver(store, &delivery.event).await {
                Ok(()) => {
                    store
                        .mark_delivered(&delivery.event.uuid, &delivery.sink)
                        .await?;
                    report.delivered += 1;
                }
                Err(error) => {
                    let retry_in = retry_delay(delivery.attempts);
                    tracing::warn!(
                        sink = delivery.sink,
                        event_uuid = %delivery.event.uuid,
                        attempt = delivery.attempts + 1,
                        retry_in_ms = retry_in.as_millis() as u64,
                        error = %error,
                        "event delivery failed; will retry"
                    );
                    let message = error.to_string();
                    let retry_ms = retry_in.as_millis() as i64;
                    store
                        .mark_delivery_failed(
                            &delivery.event.uuid,
                            &delivery.sink,
                            &message,
                            retry_ms,
                        )
                        .await?;
                    report.failed += 1;
                }
            }
        }
        if due.len() < 100 || !progressed {
            return Ok(report);
        }
    }
}

/// Returns the wait before the next delivery attempt after `attempts` failed ones.
fn retry_delay(attempts: i64) -> Duration {
    let base_ms = 1000u64.saturating_mul(1 << attempts.clamp(0, 10));
    let capped = base_ms.min(600_000);
    let jitter = rand::thread_rng().gen_range(0..=capped / 4);
    Duration::from_millis(capped - capped / 8 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_then_caps() {
        assert!(retry_delay(0) < Duration::from_secs(2));
        assert!(retry_delay(3) >= Duration::from_secs(7));
        assert!(retry_delay(30) <= Duration::from_secs(750));
    }
}
