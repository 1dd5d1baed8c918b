//! The recording-side behaviour of each field case in `tests/data/field-cases/README.md`.

use replay_vision::recording::{
    analyze, load_bytes, AnalysisOptions, Eligibility, IneligibleKind, LogKind,
};

use crate::load_analyzed;

#[test]
fn no_full_snapshot_is_no_recording() {
    let (recording, analysis) = load_analyzed("field-cases/no-full-snapshot.json");
    assert!(!recording.has_full_snapshot());
    let Eligibility::Ineligible { kind, reason } = &analysis.eligibility else {
        panic!("expected ineligible, got {:?}", analysis.eligibility);
    };
    assert_eq!(*kind, IneligibleKind::NoRecording);
    assert!(reason.contains("FullSnapshot"), "reason: {reason}");
}

#[test]
fn two_windows_split() {
    let (recording, _) = load_analyzed("field-cases/two-windows-interleaved.json");
    assert_eq!(recording.windows.len(), 2);
    assert!(recording.windows[0].id.ends_with("a001"));
    assert!(recording.windows[1].id.ends_with("b002"));
}

#[test]
fn two_windows_follow_user() {
    let (_, analysis) = load_analyzed("field-cases/two-windows-interleaved.json");
    assert_eq!(analysis.active_window_at(3_000), 0, "before the switch");
    assert_eq!(analysis.active_window_at(9_000), 1, "after switching to B");
    assert_eq!(analysis.active_window_at(15_000), 0, "back in A");
    assert_eq!(analysis.count(LogKind::WindowSwitch), 2);
}

#[test]
fn two_windows_log_names_window() {
    let (_, analysis) = load_analyzed("field-cases/two-windows-interleaved.json");
    let copy = analysis
        .log
        .iter()
        .find(|entry| entry.kind == LogKind::Click && entry.time_ms == 8_192)
        .expect("the click in window B");
    assert_eq!(copy.window, 1);
    let text = replay_vision::recording::format_event_log(&analysis);
    assert!(
        text.contains("[t 8.2] click button#copy-snippet \"Copy\" in window 2\n"),
        "log was:\n{text}"
    );
}

#[test]
fn two_windows_background_not_active() {
    // Window A keeps mutating every 2 s until 24 s. Without the mouse moves after the last
    // click (17.2 s), nothing after it is user input, so no span may reach past it.
    let text =
        std::fs::read_to_string(crate::data("field-cases/two-windows-interleaved.json")).unwrap();
    let mut events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let start = events
        .iter()
        .filter_map(|event| event["timestamp"].as_i64())
        .min()
        .unwrap();
    events.retain(|event| {
        let late = event["timestamp"].as_i64().unwrap() - start > 17_300;
        !(late && event["type"] == 3 && event["data"]["source"] == 1)
    });
    let bytes = serde_json::to_vec(&events).unwrap();
    let recording = load_bytes("no-late-moves.json", &bytes).unwrap();
    let analysis = analyze(&recording, &AnalysisOptions::default());
    let last = analysis.active_spans.last().expect("a span");
    assert_eq!(last.end_ms, 17_192, "the last click ends the last span");
    assert!(!analysis.is_active_at(22_000));
}

#[test]
fn two_windows_url_per_window() {
    let (_, analysis) = load_analyzed("field-cases/two-windows-interleaved.json");
    assert_eq!(
        analysis.url_at(0, 10_000),
        Some("https://monitor.example.com/alerts/new")
    );
    assert_eq!(
        analysis.url_at(1, 10_000),
        Some("https://docs.example.com/guide/alerts")
    );
}

#[test]
fn css_relative_urls_new_page() {
    let (_, analysis) = load_analyzed("field-cases/css-relative-urls-and-import.json");
    let changes = &analysis.url_changes[0];
    assert_eq!(changes.len(), 2, "two pages");
    assert!(
        changes[1].0 >= 11_000 && changes[1].0 <= 12_000,
        "second page at 11.6 s"
    );
    assert!(analysis.eligibility.is_eligible());
}

#[test]
fn custom_element_invalid_name_loads() {
    let (recording, analysis) = load_analyzed("field-cases/custom-element-invalid-name.json");
    assert!(recording.has_full_snapshot());
    assert!(analysis.eligibility.is_eligible());
}
