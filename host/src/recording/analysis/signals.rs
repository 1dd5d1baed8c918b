//! Frustration signals recomputed from rrweb events, with PostHog's published rules as the
//! defaults (every number is in [`AnalysisOptions`]):
//!
//! - rage click: `rage_click_count` clicks in one window, each within `rage_click_interval_ms`
//!   and `rage_click_distance_px` (|dx| + |dy|) of the previous one. Clicks in text fields do
//!   not count, because a triple click there selects text.
//! - dead click: a click followed in its window by no DOM mutation and no navigation within
//!   `dead_click_mutation_ms`, and no scroll or selection change within
//!   `dead_click_scroll_ms`. Clicks on links and form controls are exempt, because focusing a
//!   field changes no DOM. A window switch within 1 s either side shows the click worked. A
//!   click too close to the end of the recording to judge is never dead.

use super::walk::{Click, Reactions};
use super::{AnalysisOptions, LogEntry, LogKind};

/// A window switch this close to a click (either side, in ms) means the click did something.
const FOCUS_CHANGE_MS: i64 = 1_000;

/// Adds rage and dead click entries to `log`, keeping it sorted by time.
pub(super) fn add_frustration(
    log: &mut Vec<LogEntry>,
    clicks: &[Click],
    reactions: &[Reactions],
    end_ms: i64,
    options: &AnalysisOptions,
) {
    let mut found = rage_clicks(log, clicks, options);
    let switches: Vec<i64> = log
        .iter()
        .filter(|entry| entry.kind == LogKind::WindowSwitch)
        .map(|entry| entry.time_ms)
        .collect();
    for click in clicks {
        if is_dead(click, &reactions[click.window], &switches, end_ms, options) {
            let source = &log[click.log_index];
            found.push(LogEntry {
                kind: LogKind::DeadClick,
                detail: Some(format!(
                    "no page change within {:.1} s",
                    options.dead_click_mutation_ms as f64 / 1000.0
                )),
                ..source.clone()
            });
        }
    }
    log.extend(found);
    log.sort_by_key(|entry| entry.time_ms);
}

fn rage_clicks(log: &[LogEntry], clicks: &[Click], options: &AnalysisOptions) -> Vec<LogEntry> {
    let mut found: Vec<LogEntry> = Vec::new();
    let mut chain: Vec<&Click> = Vec::new();
    // Index in `found` of the entry the current chain already produced.
    let mut reported: Option<usize> = None;
    for click in clicks.iter().filter(|click| !click.in_text_field) {
        let continues = chain
            .last()
            .is_some_and(|previous| is_follow_up(previous, click, log, options));
        if !continues {
            chain.clear();
            reported = None;
        }
        chain.push(click);
        if chain.len() < options.rage_click_count.max(1) {
            continue;
        }
        let detail = Some(format!("{} clicks", chain.len()));
        match reported {
            Some(index) => found[index].detail = detail,
            None => {
                let first = &log[chain[0].log_index];
                found.push(LogEntry {
                    time_ms: click.time_ms,
                    kind: LogKind::RageClick,
                    detail,
                    ..first.clone()
                });
                reported = Some(found.len() - 1);
            }
        }
    }
    found
}

fn is_follow_up(
    previous: &Click,
    click: &Click,
    log: &[LogEntry],
    options: &AnalysisOptions,
) -> bool {
    if previous.window != click.window
        || click.time_ms - previous.time_ms > options.rage_click_interval_ms
    {
        return false;
    }
    match (previous.x, previous.y, click.x, click.y) {
        (Some(x0), Some(y0), Some(x1), Some(y1)) => {
            (x1 - x0).abs() + (y1 - y0).abs() < options.rage_click_distance_px
        }
        // Without coordinates, only clicks on the same target chain.
        _ => log[previous.log_index].target == log[click.log_index].target,
    }
}

fn is_dead(
    click: &Click,
    reactions: &Reactions,
    switches: &[i64],
    end_ms: i64,
    options: &AnalysisOptions,
) -> bool {
    let at = click.time_ms;
    if click.on_link || click.on_form_control || end_ms - at < options.dead_click_mutation_ms {
        return false;
    }
    let any_within = |instants: &[i64], from: i64, to: i64| {
        let first = instants.partition_point(|instant| *instant < from);
        instants.get(first).is_some_and(|instant| *instant <= to)
    };
    let mutation_until = at + options.dead_click_mutation_ms;
    let scroll_until = at + options.dead_click_scroll_ms;
    !(any_within(&reactions.mutations, at, mutation_until)
        || any_within(&reactions.navigations, at, mutation_until)
        || any_within(&reactions.scrolls, at, scroll_until)
        || any_within(&reactions.selections, at, scroll_until)
        || any_within(switches, at - FOCUS_CHANGE_MS, at + FOCUS_CHANGE_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(time_ms: i64, x: f64, log_index: usize) -> Click {
        Click {
            time_ms,
            window: 0,
            x: Some(x),
            y: Some(0.0),
            log_index,
            in_text_field: false,
            on_form_control: false,
            on_link: false,
        }
    }

    fn click_entry(time_ms: i64) -> LogEntry {
        LogEntry {
            time_ms,
            window: 0,
            kind: LogKind::Click,
            target: None,
            detail: None,
        }
    }

    fn kinds(log: &[LogEntry], kind: LogKind) -> usize {
        log.iter().filter(|entry| entry.kind == kind).count()
    }

    /// Mutations right after every click, so only the rage rule can fire.
    fn busy_page(times: &[i64]) -> Vec<Reactions> {
        vec![Reactions {
            mutations: times.iter().map(|at| at + 10).collect(),
            ..Reactions::default()
        }]
    }

    #[test]
    fn rage_three_close_clicks() {
        let times = [0, 400, 800];
        let mut log: Vec<LogEntry> = times.iter().map(|at| click_entry(*at)).collect();
        let clicks: Vec<Click> = times
            .iter()
            .enumerate()
            .map(|(index, at)| click(*at, index as f64 * 5.0, index))
            .collect();
        add_frustration(
            &mut log,
            &clicks,
            &busy_page(&times),
            10_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::RageClick), 1);
    }

    #[test]
    fn rage_needs_short_intervals() {
        let times = [0, 400, 1_500];
        let mut log: Vec<LogEntry> = times.iter().map(|at| click_entry(*at)).collect();
        let clicks: Vec<Click> = times
            .iter()
            .enumerate()
            .map(|(index, at)| click(*at, 0.0, index))
            .collect();
        add_frustration(
            &mut log,
            &clicks,
            &busy_page(&times),
            10_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::RageClick), 0);
    }

    #[test]
    fn rage_needs_close_positions() {
        let times = [0, 400, 800];
        let mut log: Vec<LogEntry> = times.iter().map(|at| click_entry(*at)).collect();
        let clicks: Vec<Click> = times
            .iter()
            .enumerate()
            .map(|(index, at)| click(*at, index as f64 * 40.0, index))
            .collect();
        add_frustration(
            &mut log,
            &clicks,
            &busy_page(&times),
            10_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::RageClick), 0);
    }

    #[test]
    fn dead_without_mutation() {
        let mut log = vec![click_entry(1_000)];
        let reactions = vec![Reactions {
            mutations: vec![3_600],
            ..Reactions::default()
        }];
        add_frustration(
            &mut log,
            &[click(1_000, 0.0, 0)],
            &reactions,
            10_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::DeadClick), 1);
    }

    #[test]
    fn dead_not_when_page_mutates() {
        let mut log = vec![click_entry(1_000)];
        let reactions = vec![Reactions {
            mutations: vec![1_200],
            ..Reactions::default()
        }];
        add_frustration(
            &mut log,
            &[click(1_000, 0.0, 0)],
            &reactions,
            10_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::DeadClick), 0);
    }

    #[test]
    fn dead_not_near_end() {
        let mut log = vec![click_entry(1_000)];
        let reactions = vec![Reactions::default()];
        add_frustration(
            &mut log,
            &[click(1_000, 0.0, 0)],
            &reactions,
            2_000,
            &Default::default(),
        );
        assert_eq!(kinds(&log, LogKind::DeadClick), 0);
    }

    #[test]
    fn dead_exempts_links() {
        let mut log = vec![click_entry(1_000)];
        let link = Click {
            on_link: true,
            ..click(1_000, 0.0, 0)
        };
        let reactions = vec![Reactions::default()];
        add_frustration(&mut log, &[link], &reactions, 10_000, &Default::default());
        assert_eq!(kinds(&log, LogKind::DeadClick), 0);
    }
}
