//! Building the renderer's input, [`SessionEvents`], from a loaded [`Recording`] or from a flat
//! list of rrweb events. Only the few shallow `data` fields the timeline reads are parsed; the
//! replayer gets each window's events as one JSON array, so deep snapshots are never turned
//! into a `serde_json::Value` tree here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::timeline::{EventInfo, SessionEvents, WindowEvents};
use crate::recording::Recording;

/// The `data` fields the timeline reads; serde skips the rest without building it.
#[derive(Deserialize, Default)]
struct DataFields {
    href: Option<String>,
    source: Option<u64>,
    #[serde(rename = "type")]
    interaction: Option<u64>,
}

/// Reads the shallow fields of an event's `data`. Depth is not limited, because real pages nest
/// deeper than serde_json's default limit; `data` that is not an object yields no fields.
fn data_fields(json: &str) -> DataFields {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    deserializer.disable_recursion_limit();
    DataFields::deserialize(&mut deserializer).unwrap_or_default()
}

impl SessionEvents {
    /// Takes the windows of a loaded recording, with its session id and content hash.
    pub fn from_recording(recording: &Recording) -> SessionEvents {
        let windows = recording
            .windows
            .iter()
            .enumerate()
            .map(|(index, window)| WindowEvents {
                window_id: window.id.clone(),
                events: window
                    .events
                    .iter()
                    .map(|event| {
                        let fields = data_fields(event.data.get());
                        EventInfo {
                            timestamp: event.timestamp,
                            event_type: event.event_type.code(),
                            href: fields.href,
                            source: fields.source,
                            interaction: fields.interaction,
                        }
                    })
                    .collect(),
                rrweb_json: recording.window_rrweb_json(index),
            })
            .collect();
        SessionEvents {
            session_id: recording.session_id.clone(),
            content_hash: recording.content_hash().to_owned(),
            windows,
        }
    }

    /// Groups rrweb events per `windowId` (events without one form the window `""`), sorts
    /// each window by timestamp (stable, so events with equal timestamps keep their order) and
    /// hashes the result for the cache. Events without a numeric `timestamp` or `type` are
    /// dropped. Meant for tests and synthetic input; files go through `recording::load`.
    pub fn from_events(session_id: impl Into<String>, events: Vec<Value>) -> SessionEvents {
        let mut windows: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for event in events {
            if event["timestamp"].as_i64().is_none() || event["type"].as_u64().is_none() {
                continue;
            }
            let id = event["windowId"].as_str().unwrap_or_default().to_owned();
            if !windows.contains_key(&id) {
                order.push(id.clone());
            }
            windows.entry(id).or_default().push(event);
        }
        let mut hasher = Sha256::new();
        let windows = order
            .into_iter()
            .map(|id| {
                let mut events = windows.remove(&id).unwrap_or_default();
                events.sort_by_key(|e| e["timestamp"].as_i64());
                let rrweb_json = Value::from(events.clone()).to_string();
                hasher.update(id.as_bytes());
                hasher.update(rrweb_json.as_bytes());
                WindowEvents {
                    window_id: id,
                    events: events.iter().map(info_of).collect(),
                    rrweb_json,
                }
            })
            .collect();
        SessionEvents {
            session_id: session_id.into(),
            content_hash: hex::encode(hasher.finalize()),
            windows,
        }
    }
}

fn info_of(event: &Value) -> EventInfo {
    let data = &event["data"];
    EventInfo {
        timestamp: event["timestamp"].as_i64().unwrap_or_default(),
        event_type: event["type"].as_u64().unwrap_or_default(),
        href: data["href"].as_str().map(str::to_owned),
        source: data["source"].as_u64(),
        interaction: data["type"].as_u64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_by_window() {
        let session = SessionEvents::from_events(
            "s",
            vec![
                json!({"type": 3, "timestamp": 2, "windowId": "b"}),
                json!({"type": 3, "timestamp": 1, "windowId": "a"}),
                json!({"type": 3, "timestamp": 0, "windowId": "b"}),
            ],
        );
        let ids: Vec<_> = session
            .windows
            .iter()
            .map(|w| w.window_id.as_str())
            .collect();
        assert_eq!(ids, vec!["b", "a"]);
    }

    #[test]
    fn sorts_each_window() {
        let session = SessionEvents::from_events(
            "s",
            vec![
                json!({"type": 3, "timestamp": 5}),
                json!({"type": 3, "timestamp": 1}),
            ],
        );
        assert_eq!(session.windows[0].events[0].timestamp, 1);
    }

    #[test]
    fn data_fields_of_deep_snapshot() {
        let deep = format!(
            "{{\"source\":3,\"node\":{}1{}}}",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert_eq!(data_fields(&deep).source, Some(3));
    }
}
