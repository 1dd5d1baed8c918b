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
            "the event log has no click, tap, input, scroll, navigation or resize".into(),
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
            | LogKind::Navigation
            | LogKind::Viewport
            | LogKind::Media
    )
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}
