//! The PostHog source against the recordings API stand-in: paging, rate limits, the settle rule
//! and PostHog's session ids kept through to the stored recording.

use replay_vision::daemon::Daemon;
use replay_vision::source::PostHogSourceConfig;
use replay_vision_tests::posthog::{PostHogStandIn, PERSONAL_KEY};
use replay_vision_tests::rig::recording_path;
use serde_json::Value;

use super::support::{monitor, Fixture, SHORT};

/// The short recording's events, moved so that the last one is `age_ms` ago.
fn events_ended_ago(age_ms: i64) -> Vec<Value> {
    let text = std::fs::read_to_string(recording_path(SHORT)).unwrap();
    let mut events: Vec<Value> = serde_json::from_str(&text).unwrap();
    let last = events
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .max()
        .unwrap();
    let shift = replay_vision::store::now_ms() - age_ms - last;
    for event in &mut events {
        let moved = event["timestamp"].as_i64().unwrap() + shift;
        event["timestamp"] = moved.into();
    }
    events
}

#[tokio::test]
async fn posthog_source_fetches_settled() {
    let posthog = PostHogStandIn::start().await;
    posthog.add_recording("0190-old-a", "w1", &events_ended_ago(3_600_000), 20);
    posthog.add_recording("0190-old-b", "w1", &events_ended_ago(3_500_000), 20);
    posthog.add_recording("0190-old-c", "w1", &events_ended_ago(3_400_000), 20);
    posthog.add_recording("0190-live", "w1", &events_ended_ago(1_000), 20);
    posthog.rate_limit_every(4);
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    let variable = "REPLAY_VISION_TEST_POSTHOG_KEY";
    std::env::set_var(variable, PERSONAL_KEY);
    let mut config = fixture.config();
    config.sources.directories.clear();
    config.daemon.settle_s = 600.0;
    let source = PostHogSourceConfig {
        host: posthog.host(),
        project_id: "7".into(),
        personal_api_key_env: variable.into(),
        page_size: 2,
        max_requests_per_minute: 6000,
        initial_lookback_s: 7200.0,
        max_retries: 5,
    };
    config.sources.posthog = Some(source);
    let daemon = Daemon::new(config).await.expect("daemon starts");

    let report = daemon.poll_sources().await.expect("poll");

    assert_eq!(report.updated, 3, "the three settled recordings");
    for id in ["0190-old-a", "0190-old-b", "0190-old-c"] {
        let session = daemon.store().session(id).await.unwrap();
        let session = session.unwrap_or_else(|| panic!("{id} stored"));
        let recording = replay_vision::recording::load(std::path::Path::new(&session.locator))
            .expect("the fetched recording loads");
        assert_eq!(recording.session_id, id, "PostHog's session id is kept");
    }
    assert!(daemon.store().session("0190-live").await.unwrap().is_none());
    assert!(posthog.rate_limited() > 0, "the test hits the rate limit");
    let pages = posthog
        .paths()
        .iter()
        .filter(|p| p.starts_with("list"))
        .count();
    assert!(pages >= 2, "the list is paged: {pages} list requests");

    let second = daemon.poll_sources().await.expect("second poll");
    assert_eq!(second.updated, 0, "settled recordings are fetched once");
}
