//! The timeline is what the renderer reads from a session's rrweb events before it chooses
//! frames: when the session starts and ends, the spans of user activity, the interactions that
//! deserve a frame right after them, which window the user is in at each instant, and the Meta
//! `href` of each window over time. All instants are milliseconds since the session start (the
//! earliest event timestamp of any window).

/// rrweb `EventType` values read here.
const FULL_SNAPSHOT: u64 = 2;
const INCREMENTAL_SNAPSHOT: u64 = 3;
const META: u64 = 4;

/// rrweb `IncrementalSource` values that count as user activity: MouseMove, MouseInteraction,
/// Scroll, ViewportResize, Input, TouchMove, MediaInteraction and Drag.
const ACTIVE_SOURCES: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 12];
const SOURCE_MOUSE_INTERACTION: u64 = 2;
const SOURCE_VIEWPORT_RESIZE: u64 = 4;
const SOURCE_INPUT: u64 = 5;

/// rrweb `MouseInteractions` values that count as a click: Click, ContextMenu, DblClick, TouchEnd.
const CLICK_TYPES: [u64; 4] = [2, 3, 4, 9];

/// The fields of one rrweb event that the timeline reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// rrweb's `type`.
    pub event_type: u64,
    /// `data.href` of a Meta event.
    pub href: Option<String>,
    /// `data.source` of an IncrementalSnapshot.
    pub source: Option<u64>,
    /// `data.type` of a MouseInteraction.
    pub interaction: Option<u64>,
}

/// One window's rrweb events: the fields the timeline reads, and the JSON array the player
/// replays.
#[derive(Debug, Clone)]
pub struct WindowEvents {
    /// The rrweb `windowId` (empty when the input names no window).
    pub window_id: String,
    /// The events in timestamp order.
    pub events: Vec<EventInfo>,
    /// The same events as an rrweb JSON array, for the `Replayer`.
    pub rrweb_json: String,
}

/// The session as the renderer needs it: events per window and the identity used by the cache.
#[derive(Debug, Clone)]
pub struct SessionEvents {
    /// The session id, for logs.
    pub session_id: String,
    /// A hash of the session's content; two inputs with the same hash render the same video.
    pub content_hash: String,
    /// The windows (tabs) of the session.
    pub windows: Vec<WindowEvents>,
}

/// What kind of interaction earns a frame right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    /// A click, double click, context menu or touch end.
    Click,
    /// A change to a form field.
    Input,
    /// A page load (a Meta event after the window's first one).
    Navigation,
    /// A change of the viewport size.
    ViewportResize,
}

/// A user interaction at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interaction {
    /// Milliseconds since the session start.
    pub at_ms: u64,
    /// The kind of interaction.
    pub kind: InteractionKind,
    /// Index of the window it happened in.
    pub window: usize,
}

/// A stretch of activity: active events no more than the inactivity threshold apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First active instant, in milliseconds since the session start.
    pub start_ms: u64,
    /// Last active instant, in milliseconds since the session start.
    pub end_ms: u64,
}

/// Per-window facts: where its replay starts and which URL it shows when.
#[derive(Debug, Clone)]
pub struct WindowTimeline {
    /// The rrweb `windowId`.
    pub window_id: String,
    /// Timestamp (ms since the epoch) of the window's first event: the replayer's time zero.
    pub first_timestamp: i64,
    /// First FullSnapshot, in ms since the session start; `None` if the window has none.
    pub first_full_snapshot_ms: Option<u64>,
    /// Meta `href` values in order, each with the instant it takes effect.
    pub hrefs: Vec<(u64, String)>,
}

/// The facts the frame plan and the footer are built from.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Timestamp (ms since the epoch) of the earliest event of any window.
    pub session_start: i64,
    /// Milliseconds from the first to the last event of any window.
    pub duration_ms: u64,
    /// Activity spans in order.
    pub spans: Vec<Span>,
    /// Interactions in order.
    pub interactions: Vec<Interaction>,
    /// One entry per window, in the order of [`SessionEvents::windows`].
    pub windows: Vec<WindowTimeline>,
    /// Active instants with their window, in order: the user is in the window of the latest one.
    active: Vec<(u64, usize)>,
}

impl Timeline {
    /// Reads the timeline from a session's events. Returns `None` when no window has any
    /// event.
    pub fn build(session: &SessionEvents, inactivity_ms: u64) -> Option<Timeline> {
        let stamps = session
            .windows
            .iter()
            .flat_map(|w| w.events.iter().map(|e| e.timestamp));
        let session_start = stamps.clone().min()?;
        let session_end = stamps.max()?;

        let mut active = Vec::new();
        let mut interactions = Vec::new();
        let mut windows = Vec::new();
        for (index, window) in session.windows.iter().enumerate() {
            let mut facts = WindowTimeline {
                window_id: window.window_id.clone(),
                first_timestamp: window.events.iter().map(|e| e.timestamp).min().unwrap_or(0),
                first_full_snapshot_ms: None,
                hrefs: Vec::new(),
            };
            for event in &window.events {
                let at_ms = (event.timestamp - session_start) as u64;
                read_event(
                    event,
                    at_ms,
                    index,
                    &mut facts,
                    &mut active,
                    &mut interactions,
                );
            }
            windows.push(facts);
        }
        active.sort_unstable();
        interactions.sort_by_key(|i| (i.at_ms, i.window));
        let spans = spans_of(&active, inactivity_ms);
        Some(Timeline {
            session_start,
            duration_ms: (session_end - session_start) as u64,
            spans,
            interactions,
            windows,
            active,
        })
    }

    /// Returns the window the user is in at `at_ms`: the window of the latest active event at
    /// or before it, else the first window that has a FullSnapshot.
    pub fn window_at(&self, at_ms: u64) -> Option<usize> {
        let upto = self.active.partition_point(|(t, _)| *t <= at_ms);
        if upto > 0 {
            return Some(self.active[upto - 1].1);
        }
        self.windows
            .iter()
            .position(|w| w.first_full_snapshot_ms.is_some())
    }

    /// Returns the Meta `href` in force in `window` at `at_ms`, if the window has one by then.
    pub fn href_at(&self, window: usize, at_ms: u64) -> Option<&str> {
        let hrefs = &self.windows.get(window)?.hrefs;
        let upto = hrefs.partition_point(|(t, _)| *t <= at_ms);
        let index = upto.checked_sub(1)?;
        Some(hrefs[index].1.as_str())
    }

    /// Returns the total length of the activity spans in milliseconds.
    pub fn active_ms(&self) -> u64 {
        self.spans.iter().map(|s| s.end_ms - s.start_ms).sum()
    }
}

fn read_event(
    event: &EventInfo,
    at_ms: u64,
    window: usize,
    facts: &mut WindowTimeline,
    active: &mut Vec<(u64, usize)>,
    interactions: &mut Vec<Interaction>,
) {
    let interaction = |kind| Interaction {
        at_ms,
        kind,
        window,
    };
    match event.event_type {
        META => {
            if let Some(href) = &event.href {
                if !facts.hrefs.is_empty() {
                    interactions.push(interaction(InteractionKind::Navigation));
                }
                facts.hrefs.push((at_ms, href.clone()));
            }
            active.push((at_ms, window));
        }
        FULL_SNAPSHOT => {
            facts.first_full_snapshot_ms.get_or_insert(at_ms);
            active.push((at_ms, window));
        }
        INCREMENTAL_SNAPSHOT => {
            let Some(source) = event.source else {
                return;
            };
            if !ACTIVE_SOURCES.contains(&source) {
                return;
            }
            active.push((at_ms, window));
            let click = event.interaction.is_some_and(|t| CLICK_TYPES.contains(&t));
            let kind = match source {
                SOURCE_MOUSE_INTERACTION if click => InteractionKind::Click,
                SOURCE_INPUT => InteractionKind::Input,
                SOURCE_VIEWPORT_RESIZE => InteractionKind::ViewportResize,
                _ => return,
            };
            interactions.push(interaction(kind));
        }
        _ => {}
    }
}

fn spans_of(active: &[(u64, usize)], inactivity_ms: u64) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for &(at_ms, _) in active {
        match spans.last_mut() {
            Some(span) if at_ms - span.end_ms <= inactivity_ms => span.end_ms = at_ms,
            _ => spans.push(Span {
                start_ms: at_ms,
                end_ms: at_ms,
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn session(events: Vec<Value>) -> SessionEvents {
        SessionEvents::from_events("s", events)
    }

    fn sample() -> Timeline {
        let events = vec![
            json!({"type": 4, "timestamp": 1000, "data": {"href": "https://a.example/"}}),
            json!({"type": 2, "timestamp": 1001, "data": {}}),
            json!({"type": 3, "timestamp": 3000, "data": {"source": 2, "type": 2}}),
            json!({"type": 3, "timestamp": 4000, "data": {"source": 0}}),
            json!({"type": 3, "timestamp": 20000, "data": {"source": 5}}),
            json!({"type": 4, "timestamp": 21000, "data": {"href": "https://a.example/b"}}),
        ];
        Timeline::build(&session(events), 5000).unwrap()
    }

    #[test]
    fn spans_split_at_inactivity() {
        let spans = sample().spans;
        assert_eq!(
            spans,
            vec![
                Span {
                    start_ms: 0,
                    end_ms: 2000
                },
                Span {
                    start_ms: 19000,
                    end_ms: 20000
                }
            ]
        );
    }

    #[test]
    fn interactions_kinds() {
        let kinds: Vec<_> = sample().interactions.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            vec![
                InteractionKind::Click,
                InteractionKind::Input,
                InteractionKind::Navigation
            ]
        );
    }

    #[test]
    fn href_follows_meta() {
        let timeline = sample();
        assert_eq!(timeline.href_at(0, 19999), Some("https://a.example/"));
        assert_eq!(timeline.href_at(0, 20000), Some("https://a.example/b"));
    }

    #[test]
    fn mutation_is_not_activity() {
        assert_eq!(sample().active_ms(), 3000);
    }
}
