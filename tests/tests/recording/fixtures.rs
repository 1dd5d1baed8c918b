//! One test per real recording: windows, events, duration, active time, clicks, navigations,
//! the text of a known click target and eligibility.

use replay_vision::recording::{Eligibility, Format, IneligibleKind, LogKind};

use crate::load_analyzed;

/// What one fixture must give.
struct Expected {
    file: &'static str,
    format: Format,
    windows: usize,
    events: usize,
    duration_ms: i64,
    active_ms: i64,
    clicks: usize,
    navigations: usize,
    /// Session time of a click and the text of its target in the page at that moment.
    click: (i64, &'static str),
    ineligible: Option<IneligibleKind>,
}

fn check(expected: Expected) {
    let (recording, analysis) = load_analyzed(expected.file);
    let file = expected.file;
    assert_eq!(recording.format, expected.format, "{file}: format");
    assert_eq!(recording.windows.len(), expected.windows, "{file}: windows");
    assert_eq!(recording.event_count(), expected.events, "{file}: events");
    assert_eq!(
        analysis.duration_ms, expected.duration_ms,
        "{file}: duration"
    );
    assert_eq!(analysis.active_ms, expected.active_ms, "{file}: active ms");
    assert_eq!(
        analysis.count(LogKind::Click),
        expected.clicks,
        "{file}: clicks"
    );
    assert_eq!(
        analysis.count(LogKind::Navigation),
        expected.navigations,
        "{file}: navigations"
    );
    let (at, text) = expected.click;
    let click = analysis
        .log
        .iter()
        .find(|entry| entry.kind == LogKind::Click && entry.time_ms == at)
        .unwrap_or_else(|| panic!("{file}: no click at {at} ms"));
    let target_text = click
        .target
        .as_ref()
        .and_then(|target| target.text.as_deref());
    assert_eq!(target_text, Some(text), "{file}: click target text");
    let kind = match &analysis.eligibility {
        Eligibility::Eligible => None,
        Eligibility::Ineligible { kind, .. } => Some(*kind),
    };
    assert_eq!(kind, expected.ineligible, "{file}: eligibility");
}

#[test]
fn chalk_ci_todo() {
    check(Expected {
        file: "recordings/chalk-ci-automated-todo-entry.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 372,
        duration_ms: 9_323,
        active_ms: 9_055,
        clicks: 25,
        navigations: 1,
        click: (956, "low-energy"),
        ineligible: Some(IneligibleKind::TooShort),
    });
}

#[test]
fn chalk_long_idle() {
    check(Expected {
        file: "recordings/chalk-todo-1h43m-long-idle.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 1_055,
        duration_ms: 6_201_164,
        active_ms: 132_003,
        clicks: 18,
        navigations: 1,
        click: (5_947_360, "Urgent"),
        ineligible: None,
    });
}

#[test]
fn blob_two_windows() {
    check(Expected {
        file: "recordings/posthog-blob-jsonl-two-windows.jsonl",
        format: Format::BlobV1Lines,
        windows: 2,
        events: 49,
        duration_ms: 11_868,
        active_ms: 9_705,
        clicks: 8,
        navigations: 2,
        click: (3_436, "Capture event"),
        ineligible: Some(IneligibleKind::TooShort),
    });
}

#[test]
fn docs_two_snapshots() {
    check(Expected {
        file: "recordings/posthog-com-docs-2-snapshots-short.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 51,
        duration_ms: 94_136,
        active_ms: 16_777,
        clicks: 1,
        navigations: 2,
        click: (10_051, "Docker deployment"),
        ineligible: None,
    });
}

#[test]
fn docs_nine_pages() {
    check(Expected {
        file: "recordings/posthog-com-docs-9-pages.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 1_151,
        duration_ms: 1_989_603,
        active_ms: 221_917,
        clicks: 34,
        navigations: 5,
        click: (354_647, "UTM segmentation"),
        ineligible: None,
    });
}

#[test]
fn homepage_scroll() {
    check(Expected {
        file: "recordings/posthog-com-homepage-desktop-scroll.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 720,
        duration_ms: 223_967,
        active_ms: 146_370,
        clicks: 6,
        navigations: 1,
        click: (82_827, "Retention Image"),
        ineligible: None,
    });
}

#[test]
fn pageview_custom_events() {
    check(Expected {
        file: "recordings/posthog-docs-local-pageview-custom-events.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 178,
        duration_ms: 19_541,
        active_ms: 8_159,
        clicks: 9,
        navigations: 8,
        click: (12_300, "Docs"),
        ineligible: Some(IneligibleKind::TooInactive),
    });
}

#[test]
fn demoit_react_hooks() {
    check(Expected {
        file: "recordings/rrweb-player-demoit-react-hooks.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 272,
        duration_ms: 81_080,
        active_ms: 13_563,
        clicks: 3,
        navigations: 1,
        click: (1_725, "render () {"),
        ineligible: None,
    });
}

#[test]
fn smartx_mobile_touch() {
    check(Expected {
        file: "recordings/rrweb-sizer-smartx-mobile-touch.json",
        format: Format::RrwebArray,
        windows: 1,
        events: 607,
        duration_ms: 165_853,
        active_ms: 96_672,
        clicks: 8,
        navigations: 1,
        click: (53_209, "申请试用"),
        ineligible: None,
    });
}

#[test]
fn docs_nine_pages_events_before_snapshot() {
    let (recording, analysis) = load_analyzed("recordings/posthog-com-docs-9-pages.json");
    let first = &recording.windows[0].events[0];
    assert_ne!(
        first.event_type,
        replay_vision::recording::EventType::FullSnapshot,
        "the fixture starts with incremental events"
    );
    assert_eq!(analysis.count(LogKind::DblClick), 5);
    assert_eq!(analysis.metadata.urls.len(), 5);
}

#[test]
fn pageview_custom_event_count() {
    let (_, analysis) = load_analyzed("recordings/posthog-docs-local-pageview-custom-events.json");
    assert_eq!(analysis.count(LogKind::CustomEvent), 9);
}

#[test]
fn smartx_touch_counts_as_activity() {
    let (_, analysis) = load_analyzed("recordings/rrweb-sizer-smartx-mobile-touch.json");
    assert!(
        analysis.count(LogKind::Tap) > 0,
        "taps without a click are logged"
    );
    assert_eq!(analysis.count(LogKind::Viewport), 32);
}

#[test]
fn link_click_names_href() {
    let (_, analysis) = load_analyzed("recordings/posthog-com-docs-2-snapshots-short.json");
    let click = analysis
        .log
        .iter()
        .find(|entry| entry.kind == LogKind::Click)
        .expect("one click");
    let href = click
        .target
        .as_ref()
        .and_then(|target| target.href.as_deref());
    assert_eq!(
        href,
        Some("https://posthog.com/docs/deployment/deploy-docker")
    );
}

#[test]
fn url_at_follows_meta() {
    let (_, analysis) = load_analyzed("recordings/posthog-com-docs-2-snapshots-short.json");
    let second_page = analysis.url_changes[0][1].0;
    assert_eq!(
        analysis.url_at(0, second_page - 1),
        Some("https://posthog.com/docs/deployment/deploy-aws")
    );
    assert_eq!(
        analysis.url_at(0, second_page),
        Some("https://posthog.com/docs/deployment/deploy-docker")
    );
}

#[test]
fn session_id_stable_across_loads() {
    let first = crate::load("recordings/rrweb-player-demoit-react-hooks.json");
    let second = crate::load("recordings/rrweb-player-demoit-react-hooks.json");
    assert_eq!(first.session_id, second.session_id);
    assert_eq!(first.session_id.len(), 32);
    assert_eq!(first.content_hash(), second.content_hash());
}

#[test]
fn event_log_text_lines() {
    let (_, analysis) = load_analyzed("recordings/posthog-com-docs-2-snapshots-short.json");
    let text = replay_vision::recording::format_event_log(&analysis);
    assert!(
        text.contains(
            "[t 10.1] click a \"Docker deployment\" -> \
             https://posthog.com/docs/deployment/deploy-docker\n"
        ),
        "log was:\n{text}"
    );
    assert_eq!(text.lines().count(), analysis.log.len());
}

#[test]
fn interactions_sorted_and_include_clicks() {
    let (_, analysis) = load_analyzed("recordings/chalk-ci-automated-todo-entry.json");
    assert!(analysis
        .interactions_ms
        .windows(2)
        .all(|pair| pair[0] < pair[1]));
    assert!(analysis.interactions_ms.contains(&956));
}
