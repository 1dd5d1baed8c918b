//! Analysis of a loaded recording. It finds when the user was active and what they did (the
//! event log the model reads). It also tracks which window and URL were in front at each
//! instant, collects metadata for scanner filters, and decides whether the session is worth a
//! model call at all (eligibility).
//!
//! Times in an [`Analysis`] are session time, milliseconds since the first event, except
//! [`Analysis::start_ms`] and [`Analysis::end_ms`], which are Unix epoch milliseconds.

mod activity;
mod eligibility;
mod log;
mod mirror;
mod render_log;
mod signals;
mod walk;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use render_log::format_event_log;

use super::Recording;

/// Thresholds of the analysis. Every default is stated on its field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisOptions {
    /// A gap without user input longer than this ends an active span. The default is 5000 ms,
    /// PostHog's activity threshold.
    pub inactivity_threshold_ms: i64,
    /// Sessions shorter than this are `too_short`. The default is 15 000 ms.
    pub min_duration_ms: i64,
    /// Sessions with less active time than this are `too_inactive`. The default is 10 000 ms.
    pub min_active_ms: i64,
    /// Sessions with more active time than this are `too_long`. The default is 3 600 000 ms.
    pub max_active_ms: i64,
    /// Clicks in a row that make a rage click. The default is 3 (PostHog's rule).
    pub rage_click_count: usize,
    /// Maximum time between consecutive clicks of a rage click. The default is 1000 ms.
    pub rage_click_interval_ms: i64,
    /// Maximum distance |dx| + |dy| between consecutive clicks of a rage click, in CSS pixels.
    /// The default is 30.
    pub rage_click_distance_px: f64,
    /// A click with no DOM mutation in its window within this time may be dead. The default is
    /// 2500 ms (PostHog's rule).
    pub dead_click_mutation_ms: i64,
    /// A scroll or selection change within this time after a click shows it worked. The
    /// default is 100 ms.
    pub dead_click_scroll_ms: i64,
    /// Scroll events on the same target closer than this merge into one log entry. The default
    /// is 1000 ms.
    pub scroll_merge_ms: i64,
    /// Maximum characters of text quoted from the page in a target or detail. The default is 80.
    pub max_text_chars: usize,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            inactivity_threshold_ms: 5_000,
            min_duration_ms: 15_000,
            min_active_ms: 10_000,
            max_active_ms: 3_600_000,
            rage_click_count: 3,
            rage_click_interval_ms: 1_000,
            rage_click_distance_px: 30.0,
            dead_click_mutation_ms: 2_500,
            dead_click_scroll_ms: 100,
            scroll_merge_ms: 1_000,
            max_text_chars: 80,
        }
    }
}

/// A stretch of session time with user input no more than
/// [`AnalysisOptions::inactivity_threshold_ms`] apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActiveSpan {
    /// Session time of the first input of the span, in ms.
    pub start_ms: i64,
    /// Session time of the last input of the span, in ms.
    pub end_ms: i64,
}

impl ActiveSpan {
    /// Length in ms.
    pub fn duration_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }
}

/// Kind of an event log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Click,
    #[serde(rename = "dblclick")]
    DblClick,
    #[serde(rename = "contextmenu")]
    ContextMenu,
    /// A tap on a touch screen (TouchStart without a following Click).
    Tap,
    /// A run of Input events on one field, with the final value.
    Input,
    /// A run of Scroll events on one target, with the final position.
    Scroll,
    /// A new page URL in a window (Meta `href`, or a `$pageview` / `$url_changed` event).
    Navigation,
    /// A viewport resize.
    Viewport,
    /// Media play, pause or seek.
    Media,
    RageClick,
    DeadClick,
    ConsoleError,
    ConsoleWarn,
    /// A request with status >= 400 or a network error (rrweb network plugin).
    FailedRequest,
    /// A Custom event (PostHog's `$pageview`, `$autocapture`, `$exception`, ...).
    CustomEvent,
    /// The user moved to another window.
    WindowSwitch,
}

impl LogKind {
    /// Returns the snake_case name used in JSON and in the text log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::DblClick => "dblclick",
            Self::ContextMenu => "contextmenu",
            Self::Tap => "tap",
            Self::Input => "input",
            Self::Scroll => "scroll",
            Self::Navigation => "navigation",
            Self::Viewport => "viewport",
            Self::Media => "media",
            Self::RageClick => "rage_click",
            Self::DeadClick => "dead_click",
            Self::ConsoleError => "console_error",
            Self::ConsoleWarn => "console_warn",
            Self::FailedRequest => "failed_request",
            Self::CustomEvent => "custom_event",
            Self::WindowSwitch => "window_switch",
        }
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The element an entry acted on, as the DOM mirror held it at that moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Lower-case tag name, e.g. `button`.
    pub tag: String,
    pub id: Option<String>,
    pub classes: Vec<String>,
    /// Visible text of the element and its descendants, whitespace collapsed and cut to
    /// [`AnalysisOptions::max_text_chars`]. For inputs, the placeholder, `aria-label` or
    /// `name`; never the value.
    pub text: Option<String>,
    /// The `role` attribute.
    pub role: Option<String>,
    /// `href` of the element or of its closest link ancestor.
    pub href: Option<String>,
}

impl fmt::Display for Target {
    /// Formats as a CSS-like selector then the quoted text: `button#save.primary "Save"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)?;
        if let Some(id) = &self.id {
            write!(f, "#{id}")?;
        }
        for class in self.classes.iter().take(3) {
            write!(f, ".{class}")?;
        }
        if let Some(role) = &self.role {
            write!(f, "[role={role}]")?;
        }
        if let Some(text) = &self.text {
            write!(f, " \"{}\"", text.replace('"', "\\\""))?;
        }
        if let Some(href) = &self.href {
            write!(f, " -> {href}")?;
        }
        Ok(())
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Session time in ms.
    pub time_ms: i64,
    /// Index into [`Recording::windows`].
    pub window: usize,
    pub kind: LogKind,
    /// The element acted on, when the entry has one and the mirror contains it.
    pub target: Option<Target>,
    /// Further facts of the entry: the input value (or `(masked)`), the URL, the scroll
    /// position, the console message, the failed request, the custom event's tag.
    pub detail: Option<String>,
}

/// Session facts that scanner filters match on. Device, browser, OS and country come from PostHog
/// properties (`$device_type`, `$browser`, `$os`, `$geoip_country_code`) on Custom events in the
/// stream, so they are `None` for plain rrweb recordings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionMetadata {
    /// Every distinct URL visited, in order of first visit.
    pub urls: Vec<String>,
    pub device_type: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub country: Option<String>,
    /// Width and height of the first Meta event, in CSS pixels.
    pub viewport: Option<(u32, u32)>,
    pub window_count: usize,
}

/// Reason a session gets no model call, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IneligibleKind {
    /// Nothing to replay: no events, or no FullSnapshot in any window.
    NoRecording,
    /// Shorter than [`AnalysisOptions::min_duration_ms`].
    TooShort,
    /// Less active time than [`AnalysisOptions::min_active_ms`].
    TooInactive,
    /// More active time than [`AnalysisOptions::max_active_ms`].
    TooLong,
    /// No user action in the event log: no click, tap, input, scroll, resize or media
    /// action. Page loads and mouse moves alone do not count.
    NoEvents,
}

impl IneligibleKind {
    /// Returns the snake_case name stored with an ineligible observation.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoRecording => "no_recording",
            Self::TooShort => "too_short",
            Self::TooInactive => "too_inactive",
            Self::TooLong => "too_long",
            Self::NoEvents => "no_events",
        }
    }
}

/// The outcome of the eligibility checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    Ineligible {
        kind: IneligibleKind,
        /// A sentence with the measured value and the threshold.
        reason: String,
    },
}

impl Eligibility {
    /// Returns whether the session may be sent to a model.
    pub fn is_eligible(&self) -> bool {
        matches!(self, Self::Eligible)
    }
}

/// Everything [`analyze`] derives from a recording.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub session_id: String,
    /// Epoch ms of the first event.
    pub start_ms: i64,
    /// Epoch ms of the last event.
    pub end_ms: i64,
    pub duration_ms: i64,
    pub active_spans: Vec<ActiveSpan>,
    /// Sum of the active spans' lengths, in ms.
    pub active_ms: i64,
    pub log: Vec<LogEntry>,
    /// Number of log entries of each kind.
    pub counts: BTreeMap<LogKind, usize>,
    /// Session times of clicks, inputs, navigations and window switches, sorted; the renderer
    /// adds frames right after them.
    pub interactions_ms: Vec<i64>,
    pub metadata: SessionMetadata,
    pub eligibility: Eligibility,
    /// `(session ms, window)` at each change of the window the user is in, sorted.
    pub window_changes: Vec<(i64, usize)>,
    /// Per window, `(session ms, url)` at each URL change, sorted.
    pub url_changes: Vec<Vec<(i64, String)>>,
}

impl Analysis {
    /// Active time in seconds.
    pub fn active_seconds(&self) -> f64 {
        self.active_ms as f64 / 1000.0
    }

    /// Counts the entries of `kind`.
    pub fn count(&self, kind: LogKind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// The window the user is in at session time `ms`: the window of the latest user input at
    /// or before `ms`, or before any input, the window whose events start first.
    pub fn active_window_at(&self, ms: i64) -> usize {
        let after = self.window_changes.partition_point(|(at, _)| *at <= ms);
        match after {
            0 => self.window_changes.first().map_or(0, |(_, window)| *window),
            n => self.window_changes[n - 1].1,
        }
    }

    /// The URL in force in `window` at session time `ms`, or `None` before the window's first
    /// Meta event (or for a window index out of range).
    pub fn url_at(&self, window: usize, ms: i64) -> Option<&str> {
        let changes = self.url_changes.get(window)?;
        let after = changes.partition_point(|(at, _)| *at <= ms);
        match after {
            0 => None,
            n => Some(changes[n - 1].1.as_str()),
        }
    }

    /// Returns whether session time `ms` falls inside an active span.
    pub fn is_active_at(&self, ms: i64) -> bool {
        let after = self
            .active_spans
            .partition_point(|span| span.start_ms <= ms);
        after > 0 && self.active_spans[after - 1].end_ms >= ms
    }
}

/// Analyses a recording: activity, event log, window and URL timelines, metadata and
/// eligibility. Events the mirror cannot place (a mutation for an unknown node, a malformed
/// `data`) are skipped with a debug log, so the analysis returns a result for every recording
/// the loader accepted.
pub fn analyze(recording: &Recording, options: &AnalysisOptions) -> Analysis {
    let events = recording.events();
    let start_ms = events.first().map_or(0, |(_, event)| event.timestamp);
    let end_ms = events.last().map_or(0, |(_, event)| event.timestamp);
    let walked = walk::walk(recording, &events, start_ms, options);
    let active_spans = activity::spans(&walked.activity_ms, options.inactivity_threshold_ms);
    let active_ms = active_spans.iter().map(ActiveSpan::duration_ms).sum();
    let mut log = walked.log;
    signals::add_frustration(
        &mut log,
        &walked.clicks,
        &walked.reactions,
        end_ms - start_ms,
        options,
    );
    let counts = log::count(&log);
    let interactions_ms = log::interactions(&log);
    let mut analysis = Analysis {
        session_id: recording.session_id.clone(),
        start_ms,
        end_ms,
        duration_ms: end_ms - start_ms,
        active_spans,
        active_ms,
        log,
        counts,
        interactions_ms,
        metadata: walked.metadata,
        eligibility: Eligibility::Eligible,
        window_changes: walked.window_changes,
        url_changes: walked.url_changes,
    };
    analysis.eligibility = eligibility::check(recording, &analysis, options);
    tracing::debug!(
        session_id = %analysis.session_id,
        duration_ms = analysis.duration_ms,
        active_ms = analysis.active_ms,
        entries = analysis.log.len(),
        "analysed recording"
    );
    analysis
}
