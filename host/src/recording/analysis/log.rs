//! Summaries of a finished event log: counts by kind and the instants the renderer must show.

use std::collections::BTreeMap;

use super::{LogEntry, LogKind};

/// Number of entries of each kind present in the log.
pub(super) fn count(log: &[LogEntry]) -> BTreeMap<LogKind, usize> {
    let mut counts = BTreeMap::new();
    for entry in log {
        *counts.entry(entry.kind).or_insert(0) += 1;
    }
    counts
}

/// Sorted, de-duplicated session times of clicks, taps, inputs, navigations and window
/// switches.
pub(super) fn interactions(log: &[LogEntry]) -> Vec<i64> {
    let mut instants: Vec<i64> = log
        .iter()
        .filter(|entry| {
            matches!(
                entry.kind,
                LogKind::Click
                    | LogKind::DblClick
                    | LogKind::ContextMenu
                    | LogKind::Tap
                    | LogKind::Input
                    | LogKind::Navigation
                    | LogKind::WindowSwitch
            )
        })
        .map(|entry| entry.time_ms)
        .collect();
    instants.sort_unstable();
    instants.dedup();
    instants
}
