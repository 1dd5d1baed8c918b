//! Citations of moments in a model's answer, mapped to session time.
//!
//! The scanner type splits each cited text field into text and chips. A chip cites either
//! session time (`(t N)`: the `REC_T` seconds in the frame footer) or video time (`MM:SS`). The
//! host maps video time through the [`VideoClock`], drops a chip that falls outside the session
//! (with one second of grace at the end, for rounding), and snaps one that falls inside a cut to
//! the nearest rendered instant, so every chip points at a moment the video showed.

use serde_json::{json, Map, Value};

use crate::render::VideoClock;
use crate::runtime::{CitedField, Segment, TimeBase};

/// Slack after the session's end within which a citation still counts, in ms.
const END_GRACE_MS: u64 = 1000;

/// The segments of every cited field as `{field: [{kind: "text", value} | {kind: "chip",
/// timestamp_ms}]}`, with chips in session milliseconds. Adjacent text segments left by a
/// dropped chip are joined.
pub fn map_citations(fields: &[CitedField], clock: Option<&VideoClock>, duration_ms: u64) -> Value {
    let mut mapped = Map::new();
    for field in fields {
        let mut segments: Vec<Value> = Vec::new();
        for segment in &field.segments {
            match segment {
                Segment::Text(text) => push_text(&mut segments, text),
                Segment::Chip(citation) => {
                    let session_ms = match citation.base {
                        TimeBase::Session => Some(citation.time_ms),
                        TimeBase::Video => clock.and_then(|clock| {
                            clock.video_to_session(citation.time_ms as f64 / 1000.0)
                        }),
                    };
                    let Some(session_ms) =
                        session_ms.filter(|ms| *ms <= duration_ms + END_GRACE_MS)
                    else {
                        tracing::debug!(
                            field = %field.field,
                            time_ms = citation.time_ms,
                            "citation outside the session dropped"
                        );
                        continue;
                    };
                    let session_ms = session_ms.min(duration_ms);
                    let snapped = clock
                        .and_then(|clock| clock.snap(session_ms))
                        .unwrap_or(session_ms);
                    segments.push(json!({"kind": "chip", "timestamp_ms": snapped}));
                }
            }
        }
        mapped.insert(field.field.clone(), Value::Array(segments));
    }
    Value::Object(mapped)
}

fn push_text(segments: &mut Vec<Value>, text: &str) {
    if let Some(last) = segments.last_mut() {
        if last["kind"] == "text" {
            let joined = format!("{}{text}", last["value"].as_str().unwrap_or(""));
            last["value"] = Value::String(joined);
            return;
        }
    }
    segments.push(json!({"kind": "text", "value": text}));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ClockFrame;
    use crate::runtime::Citation;

    fn clock() -> VideoClock {
        let frame = |session_ms| ClockFrame {
            session_ms,
            window_id: String::new(),
            url: None,
            reason: crate::render::FrameReason::Base,
            idle_before_ms: 0,
        };
        VideoClock {
            fps: 1.0,
            session_start_unix_ms: 0,
            session_duration_ms: 60_000,
            frames: vec![frame(0), frame(5_000), frame(40_000)],
        }
    }

    fn field(segments: Vec<Segment>) -> Vec<CitedField> {
        vec![CitedField {
            field: "reasoning".into(),
            segments,
        }]
    }

    fn chip(time_ms: u64, base: TimeBase) -> Segment {
        Segment::Chip(Citation { time_ms, base })
    }

    #[test]
    fn session_chip_snaps_into_video() {
        let fields = field(vec![
            Segment::Text("stuck ".into()),
            chip(30_000, TimeBase::Session),
        ]);
        let mapped = map_citations(&fields, Some(&clock()), 60_000);
        assert_eq!(mapped["reasoning"][1]["timestamp_ms"], 40_000);
    }

    #[test]
    fn video_chip_maps_to_session() {
        let fields = field(vec![chip(2_000, TimeBase::Video)]);
        let mapped = map_citations(&fields, Some(&clock()), 60_000);
        assert_eq!(mapped["reasoning"][0]["timestamp_ms"], 40_000);
    }

    #[test]
    fn chip_past_end_is_dropped() {
        let fields = field(vec![
            Segment::Text("a ".into()),
            chip(95_000, TimeBase::Session),
            Segment::Text("b".into()),
        ]);
        let mapped = map_citations(&fields, Some(&clock()), 60_000);
        assert_eq!(mapped["reasoning"].as_array().unwrap().len(), 1);
        assert_eq!(mapped["reasoning"][0]["value"], "a b");
    }

    #[test]
    fn video_chip_past_video_is_dropped() {
        let fields = field(vec![chip(9_000, TimeBase::Video)]);
        let mapped = map_citations(&fields, Some(&clock()), 60_000);
        assert!(mapped["reasoning"].as_array().unwrap().is_empty());
    }
}
