//! One pass over the merged events of all windows. It keeps a DOM mirror per window and turns
//! user input, navigations, plugin and custom events into log entries. It also collects what
//! the later steps need: input instants, reactions to clicks, window and URL timelines.

mod custom;
mod incremental;

use serde::Deserialize;

use super::mirror::Mirror;
use super::{AnalysisOptions, LogEntry, LogKind, SessionMetadata};
use crate::recording::{Event, EventType, Recording};

/// A click as the frustration rules need it.
#[derive(Debug, Clone)]
pub(super) struct Click {
    pub time_ms: i64,
    pub window: usize,
    pub x: Option<f64>,
    pub y: Option<f64>,
    /// Index of the click's entry in the log.
    pub log_index: usize,
    pub in_text_field: bool,
    pub on_form_control: bool,
    pub on_link: bool,
}

/// Instants (session ms) per window of what shows that a click did something.
#[derive(Debug, Clone, Default)]
pub(super) struct Reactions {
    pub mutations: Vec<i64>,
    pub scrolls: Vec<i64>,
    pub selections: Vec<i64>,
    pub navigations: Vec<i64>,
}

/// The output of a walk.
pub(super) struct Walked {
    pub log: Vec<LogEntry>,
    pub activity_ms: Vec<i64>,
    pub clicks: Vec<Click>,
    pub reactions: Vec<Reactions>,
    pub metadata: SessionMetadata,
    pub window_changes: Vec<(i64, usize)>,
    pub url_changes: Vec<Vec<(i64, String)>>,
}

/// State of the walk, shared by the per-type handlers.
pub(super) struct Walker<'o> {
    pub options: &'o AnalysisOptions,
    pub start_ms: i64,
    pub mirrors: Vec<Mirror>,
    pub out: Walked,
    /// The window of the latest user input.
    pub current_window: Option<usize>,
    /// Index of the open scroll entry and its last instant, per window and target.
    pub open_scroll: Option<(usize, i64, i64)>,
    /// Pending touch ends that become taps unless a click follows: (time, window, node).
    pub touches: Vec<(i64, usize, Option<i64>)>,
    /// Unknown node ids skipped by the mirrors, for one debug line at the end.
    pub missing_nodes: usize,
}

/// Walks every event of the recording in time order.
pub(super) fn walk(
    recording: &Recording,
    events: &[(usize, &Event)],
    start_ms: i64,
    options: &AnalysisOptions,
) -> Walked {
    let windows = recording.windows.len();
    let mut walker = Walker {
        options,
        start_ms,
        mirrors: (0..windows).map(|_| Mirror::new(200)).collect(),
        out: Walked {
            log: Vec::new(),
            activity_ms: Vec::new(),
            clicks: Vec::new(),
            reactions: vec![Reactions::default(); windows],
            metadata: SessionMetadata {
                window_count: windows,
                ..SessionMetadata::default()
            },
            window_changes: Vec::new(),
            url_changes: vec![Vec::new(); windows],
        },
        current_window: None,
        open_scroll: None,
        touches: Vec::new(),
        missing_nodes: 0,
    };
    if windows > 0 {
        walker.out.window_changes.push((0, 0));
    }
    for (window, event) in events {
        walker.event(*window, event);
    }
    walker.finish_taps();
    if walker.missing_nodes > 0 {
        tracing::debug!(
            session_id = %recording.session_id,
            missing_nodes = walker.missing_nodes,
            "skipped mutations for nodes the mirror does not hold"
        );
    }
    walker.out
}

#[derive(Deserialize)]
struct Meta {
    href: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
}

impl Walker<'_> {
    fn event(&mut self, window: usize, event: &Event) {
        let at = event.timestamp - self.start_ms;
        let data = event.data.get();
        match event.event_type {
            EventType::FullSnapshot => {
                if let Err(error) = self.mirrors[window].load_snapshot(data) {
                    tracing::debug!(window, at, %error, "skipped a FullSnapshot");
                }
            }
            EventType::Meta => match serde_json::from_str::<Meta>(data) {
                Ok(meta) => self.meta(window, at, meta),
                Err(error) => tracing::debug!(window, at, %error, "skipped a Meta event"),
            },
            EventType::IncrementalSnapshot => self.incremental(window, at, data),
            EventType::Custom => self.custom(window, at, data),
            EventType::Plugin => self.plugin(window, at, data),
            _ => {}
        }
    }

    fn meta(&mut self, window: usize, at: i64, meta: Meta) {
        if self.out.metadata.viewport.is_none() {
            if let (Some(width), Some(height)) = (meta.width, meta.height) {
                self.out.metadata.viewport = Some((width, height));
            }
        }
        if let Some(href) = meta.href {
            self.navigate(window, at, href);
        }
    }

    /// Records a URL in force from `at`; a change of URL is a navigation entry.
    pub(super) fn navigate(&mut self, window: usize, at: i64, href: String) {
        self.out.reactions[window].navigations.push(at);
        let changes = &mut self.out.url_changes[window];
        if changes.last().is_some_and(|(_, last)| *last == href) {
            return;
        }
        changes.push((at, href.clone()));
        if !self.out.metadata.urls.contains(&href) {
            self.out.metadata.urls.push(href.clone());
        }
        self.push(window, at, LogKind::Navigation, None, Some(href));
    }

    /// Notes user input at `at`; input in another window than the last one is a switch.
    pub(super) fn activity(&mut self, window: usize, at: i64) {
        self.out.activity_ms.push(at);
        match self.current_window {
            Some(current) if current == window => {}
            previous => {
                self.current_window = Some(window);
                let last = self.out.window_changes.last().map(|(_, window)| *window);
                if last != Some(window) {
                    self.out.window_changes.push((at, window));
                }
                if previous.is_some() {
                    self.push(window, at, LogKind::WindowSwitch, None, None);
                }
            }
        }
    }

    /// Appends a log entry and returns its index.
    pub(super) fn push(
        &mut self,
        window: usize,
        at: i64,
        kind: LogKind,
        target: Option<super::Target>,
        detail: Option<String>,
    ) -> usize {
        self.out.log.push(LogEntry {
            time_ms: at,
            window,
            kind,
            target,
            detail,
        });
        self.out.log.len() - 1
    }

    /// Touch ends with no click within a second in the same window become taps.
    fn finish_taps(&mut self) {
        let touches = std::mem::take(&mut self.touches);
        let mut taps = Vec::new();
        for (at, window, node) in touches {
            let clicked = self.out.clicks.iter().any(|click| {
                click.window == window && click.time_ms >= at - 1_000 && click.time_ms <= at + 1_000
            });
            if clicked {
                continue;
            }
            let target = node
                .and_then(|node| self.mirrors[window].describe(node, self.options.max_text_chars));
            taps.push(LogEntry {
                time_ms: at,
                window,
                kind: LogKind::Tap,
                target,
                detail: None,
            });
        }
        if taps.is_empty() {
            return;
        }
        // Click indices point into the log, so taps are merged in without disturbing them:
        // the log is rebuilt in time order and the indices remapped.
        let mut merged: Vec<(LogEntry, Option<usize>)> = std::mem::take(&mut self.out.log)
            .into_iter()
            .enumerate()
            .map(|(index, entry)| (entry, Some(index)))
            .chain(taps.into_iter().map(|entry| (entry, None)))
            .collect();
        merged.sort_by_key(|(entry, _)| entry.time_ms);
        let mut remap = vec![0usize; merged.len()];
        for (position, (_, old)) in merged.iter().enumerate() {
            if let Some(old) = old {
                remap[*old] = position;
            }
        }
        for click in &mut self.out.clicks {
            click.log_index = remap[click.log_index];
        }
        self.out.log = merged.into_iter().map(|(entry, _)| entry).collect();
    }
}
