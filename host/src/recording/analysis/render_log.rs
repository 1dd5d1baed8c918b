//! The event log as the text block the model reads: one line per entry, starting with the
//! session time in seconds, e.g. `[t 12.4] click button#save "Save" in window 2`.

use std::fmt::Write;

use super::Analysis;

/// Formats the event log, one line per entry. The window is named only when the session has
/// more than one; window numbers count from 1 in the order windows first appear.
pub fn format_event_log(analysis: &Analysis) -> String {
    let several_windows = analysis.metadata.window_count > 1;
    let mut out = String::new();
    for entry in &analysis.log {
        write!(
            out,
            "[t {:.1}] {}",
            entry.time_ms as f64 / 1000.0,
            entry.kind
        )
        .expect("writing to a String cannot fail");
        if let Some(target) = &entry.target {
            write!(out, " {target}").expect("writing to a String cannot fail");
        }
        if let Some(detail) = &entry.detail {
            write!(out, " {detail}").expect("writing to a String cannot fail");
        }
        if several_windows {
            write!(out, " in window {}", entry.window + 1)
                .expect("writing to a String cannot fail");
        }
        out.push('\n');
    }
    out
}
