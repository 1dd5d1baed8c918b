//! Turns a recording's [`Analysis`] into the records a scanner type reads: the session metadata
//! its filters test and its prompts quote, and the event log entries.

use crate::recording::{Analysis, LogKind, Recording};
use crate::runtime::{CustomEvent, EventKind, LogEntry, Property, SessionMeta};

/// Builds the session metadata of `analysis`.
pub fn session_meta(analysis: &Analysis) -> SessionMeta {
    let count = |kind: LogKind| analysis.count(kind) as u32;
    SessionMeta {
        session_id: analysis.session_id.clone(),
        start_time_ms: analysis.start_ms,
        duration_ms: analysis.duration_ms.max(0) as u64,
        active_seconds: analysis.active_seconds(),
        urls: analysis.metadata.urls.clone(),
        clicks: count(LogKind::Click) + count(LogKind::DblClick) + count(LogKind::Tap),
        rage_clicks: count(LogKind::RageClick),
        dead_clicks: count(LogKind::DeadClick),
        console_errors: count(LogKind::ConsoleError),
        failed_requests: count(LogKind::FailedRequest),
        navigations: count(LogKind::Navigation),
        device_type: analysis.metadata.device_type.clone(),
        browser: analysis.metadata.browser.clone(),
        os: analysis.metadata.os.clone(),
        country: analysis.metadata.country.clone(),
        custom_events: custom_events(analysis),
    }
}

/// Custom events by name, each with the text the analysis kept as its detail.
// NOTE: the analysis keeps one line of detail per custom event, not its property map, so event
// filters on properties only see a `detail` property.
fn custom_events(analysis: &Analysis) -> Vec<CustomEvent> {
    analysis
        .log
        .iter()
        .filter(|entry| entry.kind == LogKind::CustomEvent)
        .map(|entry| {
            let detail = entry.detail.clone().unwrap_or_default();
            let name = detail.split_whitespace().next().unwrap_or("").to_string();
            CustomEvent {
                name,
                properties: vec![Property {
                    key: "detail".into(),
                    value: detail,
                }],
            }
        })
        .collect()
}

/// Builds the event log records, with window ids as the recording names them.
pub fn log_entries(recording: &Recording, analysis: &Analysis) -> Vec<LogEntry> {
    analysis
        .log
        .iter()
        .map(|entry| {
            let (kind, label) = event_kind(entry.kind);
            let window_id = recording
                .windows
                .get(entry.window)
                .map(|window| window.id.clone())
                .unwrap_or_default();
            let text = match (label, &entry.detail) {
                (Some(label), Some(detail)) => Some(format!("{label}: {detail}")),
                (Some(label), None) => Some(label.to_string()),
                (None, detail) => detail.clone(),
            };
            LogEntry {
                time_ms: entry.time_ms.max(0) as u64,
                window_id,
                kind,
                target: entry.target.as_ref().map(|target| target.to_string()),
                text,
            }
        })
        .collect()
}

/// The contract's event kind of a log kind. Kinds the contract has no name for travel as
/// `custom` with their own name as a label in front of the text.
fn event_kind(kind: LogKind) -> (EventKind, Option<&'static str>) {
    let kind = match kind {
        LogKind::Click | LogKind::DblClick | LogKind::ContextMenu | LogKind::Tap => {
            EventKind::Click
        }
        LogKind::Input => EventKind::Input,
        LogKind::Scroll => EventKind::Scroll,
        LogKind::Navigation => EventKind::Navigation,
        LogKind::Viewport => EventKind::ViewportResize,
        LogKind::RageClick => EventKind::RageClick,
        LogKind::DeadClick => EventKind::DeadClick,
        LogKind::ConsoleError => EventKind::ConsoleError,
        LogKind::FailedRequest => EventKind::FailedRequest,
        LogKind::CustomEvent => EventKind::Custom,
        LogKind::Media | LogKind::ConsoleWarn | LogKind::WindowSwitch => {
            return (EventKind::Custom, Some(kind.as_str()));
        }
    };
    (kind, None)
}
