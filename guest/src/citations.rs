//! Citation parsing: the model cites moments inline and the host shows them as chips.
//!
//! Session-time citations are `(t 83)`, N being the REC_T seconds of the frame footer;
//! several moments may share one marker, `(t 12, t 40)` or `(t 12, 40)`. Video-time
//! citations are `(01:23)` or `[01:23]` (also with a leading `t`): they are flagged with
//! [`TimeBase::Video`] so that the host maps them through its video clock. Markers are
//! removed from the text, together with the whitespace before them. Anything that is not a
//! complete marker, such as a clock time `10:30` in prose, stays text.

use crate::{Citation, CitedField, Segment, TimeBase};

/// The maximum number of digits in a `(t N)` number, which is about 115 days of session time.
const MAX_SECONDS_DIGITS: usize = 7;

/// Splits `text` into text and chip segments. Returns the text without markers as well.
///
/// The scan is by hand rather than by regex: a guest is instantiated afresh for every call,
/// so a regex would be compiled again each time, which costs more than the parse itself.
pub fn parse(text: &str) -> (String, Vec<Segment>) {
    let mut plain = String::with_capacity(text.len());
    let mut segments = Vec::new();
    let mut pending_start = 0;
    let mut position = 0;
    while let Some(offset) = text[position..].find(['(', '[']) {
        let open = position + offset;
        let Some((end, chips)) = marker(text, open) else {
            position = open + 1;
            continue;
        };
        let before = text[pending_start..open].trim_end();
        if !before.is_empty() {
            plain.push_str(before);
            segments.push(Segment::Text(before.to_owned()));
        }
        segments.extend(chips.into_iter().map(Segment::Chip));
        pending_start = end;
        position = end;
    }
    let rest = &text[pending_start..];
    if !rest.is_empty() {
        plain.push_str(rest);
        segments.push(Segment::Text(rest.to_owned()));
    }
    (plain, segments)
}

/// A cursor over the bytes of a candidate marker. Markers are ASCII, so byte steps are safe;
/// any other byte ends the marker.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn skip_spaces(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.at) == Some(&byte);
        if found {
            self.at += 1;
        }
        found
    }

    /// Reads 1 to `max_digits` digits.
    fn number(&mut self, max_digits: usize) -> Option<u64> {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 || digits > max_digits {
            return None;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()?
            .parse()
            .ok()
    }
}

/// Parses the marker that opens at byte `open`: `(t 12)`, `(t 12, t 40)`, `(01:23)` or
/// `[t 1:23]`. Returns the byte after the marker and its citations.
fn marker(text: &str, open: usize) -> Option<(usize, Vec<Citation>)> {
    let bytes = text.as_bytes();
    let close = if bytes[open] == b'(' { b')' } else { b']' };
    let mut cursor = Cursor {
        bytes,
        at: open + 1,
    };
    cursor.skip_spaces();
    let prefixed = cursor.eat(b't');
    cursor.skip_spaces();
    let first = cursor.number(MAX_SECONDS_DIGITS)?;
    if cursor.eat(b':') {
        let seconds = two_digit_seconds(&mut cursor)?;
        cursor.skip_spaces();
        if first > 999 || !cursor.eat(close) {
            return None;
        }
        let time_ms = (first * 60 + seconds) * 1000;
        return Some((cursor.at, vec![citation(time_ms, TimeBase::Video)]));
    }
    if !prefixed || close != b')' {
        return None;
    }
    let mut citations = vec![citation(first * 1000, TimeBase::Session)];
    loop {
        cursor.skip_spaces();
        if cursor.eat(b')') {
            return Some((cursor.at, citations));
        }
        if !cursor.eat(b',') {
            return None;
        }
        cursor.skip_spaces();
        cursor.eat(b't');
        cursor.skip_spaces();
        let seconds = cursor.number(MAX_SECONDS_DIGITS)?;
        citations.push(citation(seconds * 1000, TimeBase::Session));
    }
}

fn two_digit_seconds(cursor: &mut Cursor<'_>) -> Option<u64> {
    let start = cursor.at;
    let seconds = cursor.number(2)?;
    (cursor.at - start == 2 && seconds < 60).then_some(seconds)
}

fn citation(time_ms: u64, base: TimeBase) -> Citation {
    Citation { time_ms, base }
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
    fn unclosed_marker_kept() {
        let (plain, segments) = parse("Oops (t 12 and more");
        assert_eq!(segments.len(), 1);
        assert_eq!(plain, "Oops (t 12 and more");
    }

    #[test]
    fn plain_parentheses_kept() {
        let (plain, _) = parse("A note (see above) [1].");
        assert_eq!(plain, "A note (see above) [1].");
    }

    #[test]
    fn seconds_over_59_not_video() {
        let (_, segments) = parse("x (1:75)");
        assert_eq!(segments.len(), 1);
    }

    #[test]
    fn too_many_digits_kept() {
        let (_, segments) = parse("x (t 12345678)");
        assert_eq!(segments.len(), 1);
    }

    #[test]
    fn adjacent_markers() {
        let (_, segments) = parse("a (t 1) (t 2) b");
        let expected = vec![
            text("a"),
            chip(1, TimeBase::Session),
            chip(2, TimeBase::Session),
            text(" b"),
        ];
        assert_eq!(segments, expected);
    }

    #[test]
    fn non_ascii_text_kept() {
        let (plain, segments) = parse("Zahlung fehlgeschlagen (t 5) – 支付失败");
        assert_eq!(plain, "Zahlung fehlgeschlagen – 支付失败");
        assert_eq!(segments[1], chip(5, TimeBase::Session));
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
