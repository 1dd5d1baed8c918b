//! Eligibility: the checks that keep a session away from the model, in a fixed order
//! (`no_recording`, `too_short`, `too_inactive`, `too_long`, `no_events`), so the same session
//! always gets the same kind.

use super::{Analysis, AnalysisOptions, Eligibility, IneligibleKind, LogKind};
use crate::recording::Recording;

/// Runs the checks in order and returns the first that fails.
pub(super) fn check(
    recording: &Recording,
    analysis: &Analysis,
    options: &AnalysisOptions,
) -> Eligibility {
    let ineligible = |kind, reason: String| Eligibility::Ineligible { kind, reason };
    if recording.event_count() == 0 {
        return ineligible(
            IneligibleKind::NoRecording,
            "the recording has no events".into(),
        );
    }
    if !recording.has_full_snapshot() {
        return ineligible(
            IneligibleKind::NoRecording,
            "no window has a FullSnapshot, so there is no page to replay".into(),
        );
    }
    if analysis.duration_ms < options.min_duration_ms {
        return ineligible(
            IneligibleKind::TooShort,
            format!(
                "duration {:.1} s is below the minimum of {:.1} s",
                seconds(analysis.duration_ms),
                seconds(options.min_duration_ms)
            ),
        );
    }
    if analysis.active_ms < options.min_active_ms {
        return ineligible(
            IneligibleKind::TooInactive,
            format!(
                "active time {:.1} s is below the minimum of {:.1} s",
                seconds(analysis.active_ms),
                seconds(options.min_active_ms)
            ),
        );
    }
    if analysis.active_ms > options.max_active_ms {
        return ineligible(
            IneligibleKind::TooLong,
            format!(
                "active time {:.1} s is above the maximum of {:.1} s",
                seconds(analysis.active_ms),
                seconds(options.max_active_ms)
            ),
        );
    }
    if !analysis.log.iter().any(|entry| is_user_action(entry.kind)) {
        return ineligible(
            IneligibleKind::NoEvents,
            "the event log has no click, tap, input, scroll, resize or media action".into(),
        );
    }
    Eligibility::Eligible
}

fn is_user_action(kind: LogKind) -> bool {
    matches!(
        kind,
        LogKind::Click
            | LogKind::DblClick
            | LogKind::ContextMenu
            | LogKind::Tap
            | LogKind::Input
            | LogKind::Scroll
            | LogKind::Viewport
            | LogKind::Media
    )
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use crate::recording::{load_bytes, AnalysisOptions};

    fn kind_of(json: &str, options: &AnalysisOptions) -> Option<super::IneligibleKind> {
        let recording = load_bytes("inline.json", json.as_bytes()).unwrap();
        match crate::recording::analyze(&recording, options).eligibility {
            super::Eligibility::Eligible => None,
            super::Eligibility::Ineligible { kind, .. } => Some(kind),
        }
    }

    /// Builds a Meta, a FullSnapshot, then a mouse move every second for `seconds` seconds.
    fn moving(seconds: i64) -> String {
        let mut events = vec![
            r#"{"type":4,"data":{"href":"https://example.com/","width":800,"height":600},"timestamp":0}"#.to_owned(),
            r#"{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1}},"timestamp":1}"#.to_owned(),
        ];
        for second in 1..=seconds {
            events.push(format!(
                r#"{{"type":3,"data":{{"source":1,"positions":[]}},"timestamp":{}}}"#,
                second * 1000
            ));
        }
        format!("[{}]", events.join(","))
    }

    #[test]
    fn order_short_before_inactive() {
        let kind = kind_of(&moving(5), &AnalysisOptions::default());
        assert_eq!(kind, Some(super::IneligibleKind::TooShort));
    }

    #[test]
    fn too_long_past_max_active() {
        let options = AnalysisOptions {
            max_active_ms: 20_000,
            ..AnalysisOptions::default()
        };
        assert_eq!(
            kind_of(&moving(30), &options),
            Some(super::IneligibleKind::TooLong)
        );
    }

    #[test]
    fn no_events_without_actions() {
        // Mouse moves are activity but no log entry, so the log has no user action.
        assert_eq!(
            kind_of(&moving(30), &AnalysisOptions::default()),
            Some(super::IneligibleKind::NoEvents)
        );
    }
}
