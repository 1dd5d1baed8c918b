//! The loaded form of a recording: rrweb events with their raw `data`, grouped per window and
//! sorted by timestamp, plus the names of the rrweb enums the rest of the crate matches on.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;

/// rrweb's `EventType`: the `type` field of every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// 0: the page's `DOMContentLoaded` fired.
    DomContentLoaded,
    /// 1: the page's `load` fired.
    Load,
    /// 2: a serialized copy of the whole document.
    FullSnapshot,
    /// 3: a change or user input, whose kind is `data.source` ([`IncrementalSource`]).
    IncrementalSnapshot,
    /// 4: page URL (`href`) and viewport size; comes just before a FullSnapshot.
    Meta,
    /// 5: `{tag, payload}` written by the recording library (PostHog's `$pageview`, ...).
    Custom,
    /// 6: `{plugin, payload}`, e.g. `rrweb/console@1` and `rrweb/network@1`.
    Plugin,
    /// 7: an asset fetched by the recorder. Recent rrweb only; not used by the analysis.
    Asset,
    /// A `type` this version of rrweb does not define.
    Unknown(u64),
}

impl EventType {
    /// Maps rrweb's numeric `type` to the enum.
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => Self::DomContentLoaded,
            1 => Self::Load,
            2 => Self::FullSnapshot,
            3 => Self::IncrementalSnapshot,
            4 => Self::Meta,
            5 => Self::Custom,
            6 => Self::Plugin,
            7 => Self::Asset,
            other => Self::Unknown(other),
        }
    }

    /// rrweb's numeric `type`.
    pub fn code(self) -> u64 {
        match self {
            Self::DomContentLoaded => 0,
            Self::Load => 1,
            Self::FullSnapshot => 2,
            Self::IncrementalSnapshot => 3,
            Self::Meta => 4,
            Self::Custom => 5,
            Self::Plugin => 6,
            Self::Asset => 7,
            Self::Unknown(code) => code,
        }
    }
}

/// rrweb's `IncrementalSource`: `data.source` of an [`EventType::IncrementalSnapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncrementalSource {
    Mutation,
    MouseMove,
    MouseInteraction,
    Scroll,
    ViewportResize,
    Input,
    TouchMove,
    MediaInteraction,
    StyleSheetRule,
    CanvasMutation,
    Font,
    Log,
    Drag,
    StyleDeclaration,
    Selection,
    AdoptedStyleSheet,
    CustomElement,
    /// A source this version of rrweb does not define.
    Unknown(u64),
}

impl IncrementalSource {
    /// Maps rrweb's numeric `source` to the enum.
    pub fn from_code(code: u64) -> Self {
        const SOURCES: [IncrementalSource; 17] = [
            IncrementalSource::Mutation,
            IncrementalSource::MouseMove,
            IncrementalSource::MouseInteraction,
            IncrementalSource::Scroll,
            IncrementalSource::ViewportResize,
            IncrementalSource::Input,
            IncrementalSource::TouchMove,
            IncrementalSource::MediaInteraction,
            IncrementalSource::StyleSheetRule,
            IncrementalSource::CanvasMutation,
            IncrementalSource::Font,
            IncrementalSource::Log,
            IncrementalSource::Drag,
            IncrementalSource::StyleDeclaration,
            IncrementalSource::Selection,
            IncrementalSource::AdoptedStyleSheet,
            IncrementalSource::CustomElement,
        ];
        usize::try_from(code)
            .ok()
            .and_then(|index| SOURCES.get(index).copied())
            .unwrap_or(Self::Unknown(code))
    }

    /// Whether the source is user input. This is PostHog's activity set (sources 1 to 7 and 12):
    /// rrweb's own player leaves out touch, media and drag, so a touch-only stretch would look
    /// idle there.
    pub fn is_user_activity(self) -> bool {
        matches!(
            self,
            Self::MouseMove
                | Self::MouseInteraction
                | Self::Scroll
                | Self::ViewportResize
                | Self::Input
                | Self::TouchMove
                | Self::MediaInteraction
                | Self::Drag
        )
    }
}

/// rrweb's `MouseInteractions`: `data.type` of a MouseInteraction event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MouseInteraction {
    MouseUp,
    MouseDown,
    Click,
    ContextMenu,
    DblClick,
    Focus,
    Blur,
    TouchStart,
    TouchMoveDeparted,
    TouchEnd,
    TouchCancel,
    /// A type this version of rrweb does not define.
    Unknown(u64),
}

impl MouseInteraction {
    /// Maps rrweb's numeric interaction `type` to the enum.
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => Self::MouseUp,
            1 => Self::MouseDown,
            2 => Self::Click,
            3 => Self::ContextMenu,
            4 => Self::DblClick,
            5 => Self::Focus,
            6 => Self::Blur,
            7 => Self::TouchStart,
            8 => Self::TouchMoveDeparted,
            9 => Self::TouchEnd,
            10 => Self::TouchCancel,
            other => Self::Unknown(other),
        }
    }
}

/// One rrweb event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Milliseconds since the Unix epoch, as the recorder wrote it.
    pub timestamp: i64,
    /// rrweb's `type`.
    pub event_type: EventType,
    /// rrweb's `data`, as compact JSON with no insignificant whitespace. Fields that posthog-js
    /// compressed (`cv: "2024-10"`) are already decoded here.
    pub data: Box<RawValue>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.timestamp == other.timestamp
            && self.event_type == other.event_type
            && self.data.get() == other.data.get()
    }
}

impl Eq for Event {}

/// The events of one browser window (tab), sorted by timestamp. rrweb node ids are unique per
/// window only, so each window replays into its own document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The window id from the input (PostHog's `windowId` / `window_id`), or an empty string
    /// when the input names no window.
    pub id: String,
    /// Events sorted by timestamp, ties kept in input order; exact duplicates are dropped.
    pub events: Vec<Event>,
}

/// The outer shape of the input, as detected by the loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A JSON array of rrweb events (optionally with `windowId` on each).
    RrwebArray,
    /// PostHog "export to file", `version` "2023-04-28": `data.snapshots`.
    PostHogExportV2,
    /// PostHog "export to file", `version` "2022-12-02": `data.snapshotsByWindowId`.
    PostHogExportV1,
    /// PostHog blob v1 lines: `{"window_id": ..., "data": [events]}` per line.
    BlobV1Lines,
    /// PostHog blob v2 lines: `["<window id>", event]` per line.
    BlobV2Lines,
    /// An older API response: `{"result": [events]}`.
    LegacyResult,
    /// A wrapper object with an `events` array.
    LegacyEvents,
}

/// The byte-level wrapping of the input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// Plain UTF-8 JSON text.
    Plain,
    /// A gzip stream.
    Gzip,
    /// The Snappy framing format (stream identifier `sNaPpY`).
    SnappyFramed,
}

/// A loaded session: its events per window and where they came from.
#[derive(Debug, Clone)]
pub struct Recording {
    /// PostHog's session id when the input carries one (an export's `data.id`). Otherwise it
    /// is the first 32 hex digits of [`Recording::content_hash`], so loading the same events
    /// twice names the same session.
    pub session_id: String,
    /// The detected outer shape.
    pub format: Format,
    /// The detected byte-level wrapping.
    pub container: Container,
    /// Number of events whose fields were decoded from posthog-js compression.
    pub compressed_events: usize,
    /// Windows in order of their first event.
    pub windows: Vec<Window>,
    pub(crate) content_hash: String,
}

impl Recording {
    /// A SHA-256 hex digest over every window id and every event (timestamp, type, compact
    /// data), in order. It changes whenever the replayed content changes. It does not depend
    /// on the container, the outer format or whitespace, but re-encoding the JSON (other
    /// string escapes, another key order) changes it.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// Total number of events over all windows.
    pub fn event_count(&self) -> usize {
        self.windows.iter().map(|window| window.events.len()).sum()
    }

    /// Timestamp of the earliest event, or `None` for a recording with no events.
    pub fn start_ms(&self) -> Option<i64> {
        self.windows
            .iter()
            .filter_map(|window| window.events.first())
            .map(|event| event.timestamp)
            .min()
    }

    /// Timestamp of the latest event, or `None` for a recording with no events.
    pub fn end_ms(&self) -> Option<i64> {
        self.windows
            .iter()
            .filter_map(|window| window.events.last())
            .map(|event| event.timestamp)
            .max()
    }

    /// Whether any window has a FullSnapshot, without which nothing can be replayed.
    pub fn has_full_snapshot(&self) -> bool {
        self.windows.iter().any(|window| {
            window
                .events
                .iter()
                .any(|event| event.event_type == EventType::FullSnapshot)
        })
    }

    /// Every event of every window with its window index, merged in timestamp order. Events
    /// with equal timestamps keep window order.
    pub fn events(&self) -> Vec<(usize, &Event)> {
        let mut merged: Vec<(usize, &Event)> = self
            .windows
            .iter()
            .enumerate()
            .flat_map(|(index, window)| window.events.iter().map(move |event| (index, event)))
            .collect();
        merged.sort_by_key(|(_, event)| event.timestamp);
        merged
    }

    /// Writes one window's events as the JSON array rrweb's `Replayer` takes:
    /// `[{"type":2,"data":{...},"timestamp":...}, ...]`. Compressed fields are already decoded.
    ///
    /// # Panics
    ///
    /// Panics if `window` is not an index into [`Recording::windows`].
    pub fn write_window_rrweb_json<W: Write>(&self, window: usize, mut out: W) -> io::Result<()> {
        out.write_all(b"[")?;
        for (index, event) in self.windows[window].events.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                "{{\"type\":{},\"data\":{},\"timestamp\":{}}}",
                event.event_type.code(),
                event.data.get(),
                event.timestamp
            )?;
        }
        out.write_all(b"]")
    }

    /// One window's events as an rrweb JSON array; see
    /// [`Recording::write_window_rrweb_json`].
    ///
    /// # Panics
    ///
    /// Panics if `window` is not an index into [`Recording::windows`].
    pub fn window_rrweb_json(&self, window: usize) -> String {
        let mut out = Vec::new();
        self.write_window_rrweb_json(window, &mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("events hold valid UTF-8 JSON")
    }
}
