//! IncrementalSnapshot events: mutations feed the mirror; clicks, inputs, scrolls, resizes and
//! media actions become log entries; every user-input source marks activity.

use serde::Deserialize;

use super::{Click, Walker};
use crate::recording::analysis::LogKind;
use crate::recording::{IncrementalSource, MouseInteraction};

/// The fields of an incremental `data` the walk reads; bulky fields (`adds`, `positions`) are
/// skipped by serde without allocation.
#[derive(Deserialize)]
struct Incremental {
    source: Option<u64>,
    #[serde(rename = "type")]
    interaction: Option<u64>,
    id: Option<i64>,
    x: Option<f64>,
    y: Option<f64>,
    text: Option<String>,
    #[serde(rename = "isChecked")]
    is_checked: Option<bool>,
    width: Option<u32>,
    height: Option<u32>,
}

impl Walker<'_> {
    pub(in crate::recording::analysis) fn incremental(
        &mut self,
        window: usize,
        at: i64,
        data: &str,
    ) {
        let incremental: Incremental = match serde_json::from_str(data) {
            Ok(incremental) => incremental,
            Err(error) => {
                tracing::debug!(window, at, %error, "skipped an incremental event");
                return;
            }
        };
        let Some(source) = incremental.source.map(IncrementalSource::from_code) else {
            tracing::debug!(window, at, "skipped an incremental event without `source`");
            return;
        };
        if source.is_user_activity() {
            self.activity(window, at);
        }
        match source {
            IncrementalSource::Mutation => self.mutation(window, at, data),
            IncrementalSource::MouseInteraction => self.interaction(window, at, &incremental),
            IncrementalSource::Scroll => self.scroll(window, at, &incremental),
            IncrementalSource::ViewportResize => {
                let detail = match (incremental.width, incremental.height) {
                    (Some(width), Some(height)) => Some(format!("{width}x{height}")),
                    _ => None,
                };
                self.push(window, at, LogKind::Viewport, None, detail);
            }
            IncrementalSource::Input => self.input(window, at, &incremental),
            IncrementalSource::MediaInteraction => {
                let detail = match incremental.interaction {
                    Some(0) => "play",
                    Some(1) => "pause",
                    Some(2) => "seeked",
                    Some(3) => "volume change",
                    Some(4) => "rate change",
                    _ => "media action",
                };
                let target = self.describe(window, incremental.id);
                self.push(window, at, LogKind::Media, target, Some(detail.to_owned()));
            }
            IncrementalSource::Selection => self.out.reactions[window].selections.push(at),
            _ => {}
        }
    }

    fn describe(&self, window: usize, node: Option<i64>) -> Option<crate::recording::Target> {
        self.mirrors[window].describe(node?, self.options.max_text_chars)
    }

    fn mutation(&mut self, window: usize, at: i64, data: &str) {
        self.out.reactions[window].mutations.push(at);
        match self.mirrors[window].apply_mutation(data) {
            Ok(missing) => self.missing_nodes += missing,
            Err(error) => tracing::debug!(window, at, %error, "skipped a mutation"),
        }
    }

    fn interaction(&mut self, window: usize, at: i64, incremental: &Incremental) {
        let kind = match incremental.interaction.map(MouseInteraction::from_code) {
            Some(MouseInteraction::Click) => LogKind::Click,
            Some(MouseInteraction::DblClick) => LogKind::DblClick,
            Some(MouseInteraction::ContextMenu) => LogKind::ContextMenu,
            Some(MouseInteraction::TouchEnd) => {
                self.touches.push((at, window, incremental.id));
                return;
            }
            _ => return,
        };
        let target = self.describe(window, incremental.id);
        let index = self.push(window, at, kind, target, None);
        if kind != LogKind::Click {
            return;
        }
        let mirror = &self.mirrors[window];
        let node = incremental.id;
        let in_text_field = node.is_some_and(|node| mirror.is_text_field(node));
        let on_form_control = node.is_some_and(|node| mirror.is_form_control(node));
        let on_link = node.is_some_and(|node| mirror.link_href(node).is_some());
        self.out.clicks.push(Click {
            time_ms: at,
            window,
            x: incremental.x,
            y: incremental.y,
            log_index: index,
            in_text_field,
            on_form_control,
            on_link,
        });
    }

    /// Scrolls of one target closer than `scroll_merge_ms` extend the open entry, whose
    /// detail keeps the latest position.
    fn scroll(&mut self, window: usize, at: i64, incremental: &Incremental) {
        self.out.reactions[window].scrolls.push(at);
        let node = incremental.id.unwrap_or(-1);
        let detail = incremental.y.map(|y| format!("to y={}", y.round() as i64));
        if let Some((index, last_at, last_node)) = self.open_scroll {
            let entry = &mut self.out.log[index];
            if entry.window == window
                && last_node == node
                && at - last_at <= self.options.scroll_merge_ms
            {
                entry.detail = detail;
                self.open_scroll = Some((index, at, node));
                return;
            }
        }
        let target = self.describe(window, Some(node));
        let index = self.push(window, at, LogKind::Scroll, target, detail);
        self.open_scroll = Some((index, at, node));
    }

    /// Consecutive inputs into one field update a single entry with the latest value.
    fn input(&mut self, window: usize, at: i64, incremental: &Incremental) {
        let mirror = &self.mirrors[window];
        let masked = incremental.id.is_some_and(|node| mirror.is_password(node))
            || incremental
                .text
                .as_deref()
                .is_some_and(|text| !text.is_empty() && text.chars().all(|c| c == '*'));
        let toggles = incremental
            .id
            .and_then(|node| mirror.input_type(node))
            .is_some_and(|input_type| matches!(input_type, "checkbox" | "radio"));
        let detail = match (&incremental.text, incremental.is_checked) {
            _ if masked => "(masked)".to_owned(),
            (_, Some(true)) if toggles => "checked".to_owned(),
            (_, Some(false)) if toggles => "unchecked".to_owned(),
            (Some(text), _) if !text.is_empty() => {
                format!(
                    "{:?}",
                    super::super::mirror::collapse_whitespace(text, self.options.max_text_chars)
                )
            }
            (_, Some(true)) => "checked".to_owned(),
            (_, Some(false)) => "unchecked".to_owned(),
            _ => "\"\"".to_owned(),
        };
        let target = self.describe(window, incremental.id);
        if let Some(last) = self.out.log.last_mut() {
            if last.kind == LogKind::Input && last.window == window && last.target == target {
                last.detail = Some(detail);
                return;
            }
        }
        self.push(window, at, LogKind::Input, target, Some(detail));
    }
}
