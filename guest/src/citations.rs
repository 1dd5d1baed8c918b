//! Citation parsing: the model cites moments inline and the host shows them as chips.
//!
//! Session-time citations are `(t 83)`, N being the REC_T seconds of the frame footer;
//! several moments may share one marker, `(t 12, t 40)` or `(t 12, 40)`. Video-time
//! citations are `(01:23)` or `[01:23]` (also with a leading `t`): they are flagged with
//! [`TimeBase::Video`] so that the host maps them through its video clock. Markers are
//! removed from the text, together with the whitespace before them.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::{Citation, CitedField, Segment, TimeBase};

fn marker() -> &'static Regex {
    static MARKER: OnceLock<Regex> = OnceLock::new();
    MARKER.get_or_init(|| {
        Regex::new(concat!(
            r"\s*\(\s*t\s*(?P<session>\d{1,7}(?:\s*,\s*t?\s*\d{1,7})*)\s*\)",
            r"|\s*[\(\[]\s*(?:t\s*)?(?P<minutes>\d{1,3}):(?P<seconds>[0-5]\d)\s*[\)\]]",
        ))
        .expect("the citation pattern is a valid regex")
    })
}

/// Splits `text` into text and chip segments. Returns the text without markers as well.
pub fn parse(text: &str) -> (String, Vec<Segment>) {
    let mut plain = String::with_capacity(text.len());
    let mut segments = Vec::new();
    let mut pending = String::new();
    let mut last_end = 0;
    for captures in marker().captures_iter(text) {
        let whole = captures.get(0).expect("group 0 always exists");
        pending.push_str(&text[last_end..whole.start()]);
        last_end = whole.end();
        if !pending.is_empty() {
            plain.push_str(&pending);
            segments.push(Segment::Text(std::mem::take(&mut pending)));
        }
        segments.extend(chips(&captures).into_iter().map(Segment::Chip));
    }
    pending.push_str(&text[last_end..]);
    if !pending.is_empty() {
        plain.push_str(&pending);
        segments.push(Segment::Text(pending));
    }
    (plain, segments)
}

fn chips(captures: &Captures<'_>) -> Vec<Citation> {
    if let Some(list) = captures.name("session") {
        return list
            .as_str()
            .split(',')
            .filter_map(|item| {
                item.trim()
                    .trim_start_matches('t')
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|seconds| Citation {
                time_ms: seconds * 1000,
                base: TimeBase::Session,
            })
            .collect();
    }
    let number = |name: &str| {
        captures
            .name(name)
            .and_then(|found| found.as_str().parse::<u64>().ok())
            .unwrap_or(0)
    };
    vec![Citation {
        time_ms: (number("minutes") * 60 + number("seconds")) * 1000,
        base: TimeBase::Video,
    }]
}

/// Parses the citations out of `object[field]` in place: the field keeps the plain text and
/// the returned [`CitedField`] carries the segments. A missing or non-string field is skipped.
pub fn extract(
    object: &mut serde_json::Map<String, serde_json::Value>,
    field: &str,
) -> Option<CitedField> {
    let text = object.get(field)?.as_str()?;
    let (plain, segments) = parse(text);
    object.insert(field.to_owned(), serde_json::Value::String(plain));
    Some(CitedField {
        field: field.to_owned(),
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chip(seconds: u64, base: TimeBase) -> Segment {
        Segment::Chip(Citation {
            time_ms: seconds * 1000,
            base,
        })
    }

    fn text(value: &str) -> Segment {
        Segment::Text(value.to_owned())
    }

    #[test]
    fn session_marker_becomes_chip() {
        let (_, segments) = parse("Clicked pay (t 83). Then left.");
        let expected = vec![
            text("Clicked pay"),
            chip(83, TimeBase::Session),
            text(". Then left."),
        ];
        assert_eq!(segments, expected);
    }

    #[test]
    fn marker_removed_from_plain_text() {
        let (plain, _) = parse("Clicked pay (t 83). Then left.");
        assert_eq!(plain, "Clicked pay. Then left.");
    }

    #[test]
    fn list_marker_gives_chips() {
        let (_, segments) = parse("Retried (t 12, t 40,55)");
        let expected = vec![
            text("Retried"),
            chip(12, TimeBase::Session),
            chip(40, TimeBase::Session),
            chip(55, TimeBase::Session),
        ];
        assert_eq!(segments, expected);
    }

    #[test]
    fn lenient_spacing() {
        let (_, segments) = parse("x ( t83 )");
        assert_eq!(segments[1], chip(83, TimeBase::Session));
    }

    #[test]
    fn video_time_flagged() {
        let (_, segments) = parse("Error shown (01:05).");
        assert_eq!(segments[1], chip(65, TimeBase::Video));
    }

    #[test]
    fn bracket_video_time() {
        let (_, segments) = parse("Error [t 2:30]");
        assert_eq!(segments[1], chip(150, TimeBase::Video));
    }

    #[test]
    fn clock_time_in_prose_kept() {
        let (plain, segments) = parse("The shop opens at 10:30 daily.");
        assert_eq!(segments.len(), 1);
        assert_eq!(plain, "The shop opens at 10:30 daily.");
    }

    #[test]
    fn no_markers_one_text_segment() {
        let (_, segments) = parse("Nothing happened.");
        assert_eq!(segments, vec![text("Nothing happened.")]);
    }

    #[test]
    fn empty_text_no_segments() {
        let (_, segments) = parse("");
        assert!(segments.is_empty());
    }

    #[test]
    fn extract_rewrites_field() {
        let mut object = serde_json::json!({"reasoning": "Stuck (t 9)."});
        let map = object.as_object_mut().unwrap();
        let cited = extract(map, "reasoning").unwrap();
        assert_eq!(map["reasoning"], "Stuck.");
        assert_eq!(cited.segments.len(), 3);
    }
}
