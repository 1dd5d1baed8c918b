//! The same events in every container and outer format decode to the same recording: derived
//! fixtures, gzip and Snappy-framed files, legacy wrappers, export 2022-12-02, unsorted and
//! duplicated input, and the rrweb JSON handed to the replayer.

use std::io::Write;

use replay_vision::recording::{load_bytes, Container, EventType, Format, Recording};
use serde_json::Value;

use crate::{data, load};

const BLOB: &str = "recordings/posthog-blob-jsonl-two-windows.jsonl";
const CHALK: &str = "recordings/chalk-ci-automated-todo-entry.json";

/// An event as `(timestamp, type, data)`.
type EventValue = (i64, u64, Value);

/// Window ids and events as JSON values, so formatting differences cannot hide a change.
fn events_as_values(recording: &Recording) -> Vec<(String, Vec<EventValue>)> {
    recording
        .windows
        .iter()
        .map(|window| {
            let events = window
                .events
                .iter()
                .map(|event| {
                    let data: Value = serde_json::from_str(event.data.get()).unwrap();
                    (event.timestamp, event.event_type.code(), data)
                })
                .collect();
            (window.id.clone(), events)
        })
        .collect()
}

fn read(relative: &str) -> Vec<u8> {
    std::fs::read(data(relative)).unwrap()
}

#[test]
fn export_v2_matches_blob() {
    let source = load(BLOB);
    let export = load("recordings/derived/posthog-export-v2-two-windows.json");
    assert_eq!(export.format, Format::PostHogExportV2);
    assert_eq!(events_as_values(&export), events_as_values(&source));
}

#[test]
fn export_v2_keeps_posthog_session_id() {
    let export = load("recordings/derived/posthog-export-v2-two-windows.json");
    assert_eq!(export.session_id, "00000000-0000-0000-0000-000000000000");
}

#[test]
fn blob_v2_compressed_matches_blob() {
    let source = load(BLOB);
    let compressed = load("recordings/derived/posthog-blobv2-cv2024-10-compressed.jsonl");
    assert_eq!(compressed.format, Format::BlobV2Lines);
    assert!(compressed.compressed_events > 0, "cv fields were decoded");
    assert_eq!(events_as_values(&compressed), events_as_values(&source));
}

#[test]
fn gzip_container_detected() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&read(CHALK)).unwrap();
    let gzipped = encoder.finish().unwrap();
    let recording = load_bytes("chalk.json.gz", &gzipped).unwrap();
    assert_eq!(recording.container, Container::Gzip);
    assert_eq!(recording.content_hash(), load(CHALK).content_hash());
}

#[test]
fn snappy_framed_blob_lines() {
    let mut encoder = snap::write::FrameEncoder::new(Vec::new());
    encoder.write_all(&read(BLOB)).unwrap();
    let framed = encoder.into_inner().unwrap();
    let recording = load_bytes("blob.jsonl.sz", &framed).unwrap();
    assert_eq!(recording.container, Container::SnappyFramed);
    assert_eq!(recording.format, Format::BlobV1Lines);
    assert_eq!(recording.content_hash(), load(BLOB).content_hash());
}

fn chalk_events() -> Vec<Value> {
    serde_json::from_slice(&read(CHALK)).unwrap()
}

#[test]
fn legacy_result_wrapper() {
    // Wrapped as text, so the events keep their bytes and the content hash must not move.
    let mut wrapped = b"{\"result\": ".to_vec();
    wrapped.extend(read(CHALK));
    wrapped.extend(b"}\n");
    let recording = load_bytes("result.json", &wrapped).unwrap();
    assert_eq!(recording.format, Format::LegacyResult);
    assert_eq!(recording.content_hash(), load(CHALK).content_hash());
}

#[test]
fn legacy_events_wrapper() {
    let wrapped = serde_json::json!({ "session_guid": "x", "events": chalk_events() }).to_string();
    let recording = load_bytes("events.json", wrapped.as_bytes()).unwrap();
    assert_eq!(recording.format, Format::LegacyEvents);
    assert_eq!(recording.event_count(), 372);
}

#[test]
fn export_v1_by_window() {
    let source = load(BLOB);
    let mut by_window = serde_json::Map::new();
    for window in &source.windows {
        let events: Vec<Value> = window
            .events
            .iter()
            .map(|event| {
                serde_json::json!({
                    "type": event.event_type.code(),
                    "data": serde_json::from_str::<Value>(event.data.get()).unwrap(),
                    "timestamp": event.timestamp,
                })
            })
            .collect();
        by_window.insert(window.id.clone(), Value::Array(events));
    }
    let export = serde_json::json!({
        "version": "2022-12-02",
        "data": { "person": null, "snapshotsByWindowId": by_window },
    });
    let recording = load_bytes("v1.json", export.to_string().as_bytes()).unwrap();
    assert_eq!(recording.format, Format::PostHogExportV1);
    assert_eq!(events_as_values(&recording), events_as_values(&source));
}

#[test]
fn unsorted_input_sorted() {
    // Rotating keeps events with equal timestamps in input order, which sorting preserves.
    let mut events = chalk_events();
    let half = (events.len() / 2..events.len())
        .find(|&index| events[index - 1]["timestamp"] != events[index]["timestamp"])
        .unwrap();
    events.rotate_left(half);
    let text = serde_json::to_string(&events).unwrap();
    let rotated = load_bytes("rotated.json", text.as_bytes()).unwrap();
    let sorted = load_bytes(
        "sorted.json",
        serde_json::to_string(&chalk_events()).unwrap().as_bytes(),
    )
    .unwrap();
    assert_eq!(rotated.content_hash(), sorted.content_hash());
    assert_eq!(events_as_values(&rotated), events_as_values(&load(CHALK)));
}

#[test]
fn duplicates_dropped() {
    let mut events = chalk_events();
    events.extend(chalk_events());
    let text = serde_json::to_string(&events).unwrap();
    let recording = load_bytes("doubled.json", text.as_bytes()).unwrap();
    assert_eq!(recording.event_count(), 372);
}

#[test]
fn rrweb_json_is_decoded() {
    let compressed = load("recordings/derived/posthog-blobv2-cv2024-10-compressed.jsonl");
    let json = compressed.window_rrweb_json(0);
    let events: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(events.len(), compressed.windows[0].events.len());
    let snapshot = events
        .iter()
        .find(|event| event["type"] == EventType::FullSnapshot.code())
        .expect("a FullSnapshot");
    assert!(
        snapshot["data"]["node"].is_object(),
        "snapshot data is decoded"
    );
    assert!(events.iter().all(|event| event.get("cv").is_none()));
}
