//! Sweeps: which sessions a sweep queues for which scanner. Settle time, sampling and dedupe,
//! each checked against the expected set of sessions. No work runs here.

use sha2::{Digest, Sha256};

use super::support::{monitor, queued_pairs, Fixture};

fn pairs(scanner: &str, sessions: &[&str]) -> Vec<(String, String)> {
    sessions
        .iter()
        .map(|session| (scanner.to_string(), session.to_string()))
        .collect()
}

#[tokio::test]
async fn settle_time_holds_recent_sessions() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    fixture.add_session_ended_ago("old", 10 * 60_000);
    fixture.add_session_ended_ago("fresh", 5_000);
    let mut config = fixture.config();
    config.daemon.settle_s = 120.0;
    let daemon = replay_vision::daemon::Daemon::new(config)
        .await
        .expect("daemon starts");

    daemon.poll_sources().await.expect("poll");
    let report = daemon.sweep().await.expect("sweep");

    assert_eq!(report.queued, 1);
    assert_eq!(queued_pairs(daemon.store()).await, pairs("stuck", &["old"]));
}

/// The documented rule, written out independently of the daemon's code: keep the pair when
/// the first 8 bytes of SHA-256(session_id + scanner_id), big-endian, mod 10000, are below
/// round(rate * 10000).
fn kept_by_rule(session: &str, scanner: &str, rate: f64) -> bool {
    let digest = Sha256::digest(format!("{session}{scanner}").as_bytes());
    let value = u64::from_be_bytes(digest[..8].try_into().unwrap());
    value % 10_000 < (rate * 10_000.0).round() as u64
}

#[tokio::test]
async fn sampling_keeps_hashed_sessions() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("half.toml", &monitor("Half", 0.5));
    let sessions: Vec<String> = (0..12).map(|i| format!("session-{i:02}")).collect();
    for session in &sessions {
        fixture.add_session(session);
    }
    let daemon = fixture.daemon().await;

    daemon.poll_sources().await.expect("poll");
    let report = daemon.sweep().await.expect("sweep");

    let expected: Vec<&str> = sessions
        .iter()
        .map(String::as_str)
        .filter(|session| kept_by_rule(session, "half", 0.5))
        .collect();
    assert!(
        !expected.is_empty() && expected.len() < sessions.len(),
        "{expected:?}"
    );
    assert_eq!(queued_pairs(daemon.store()).await, pairs("half", &expected));
    assert_eq!(report.sampled_out, sessions.len() - expected.len());
}

#[tokio::test]
async fn second_sweep_queues_nothing() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));
    fixture.add_scanner("b.toml", &monitor("B", 1.0));
    fixture.add_session("s1");
    fixture.add_session("s2");
    let daemon = fixture.daemon().await;
    daemon.poll_sources().await.expect("poll");

    let first = daemon.sweep().await.expect("first sweep");
    let second = daemon.sweep().await.expect("second sweep");

    assert_eq!(first.queued, 4);
    assert_eq!(second.queued, 0);
    let mut expected = pairs("a", &["s1", "s2"]);
    expected.extend(pairs("b", &["s1", "s2"]));
    assert_eq!(queued_pairs(daemon.store()).await, expected);
}

#[tokio::test]
async fn disabled_scanner_is_skipped() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner(
        "off.toml",
        &format!("enabled = false\n{}", monitor("Off", 1.0)),
    );
    fixture.add_session("s1");
    let daemon = fixture.daemon().await;
    daemon.poll_sources().await.expect("poll");

    let report = daemon.sweep().await.expect("sweep");

    assert_eq!(report.queued, 0);
    assert_eq!(report.skipped_scanners, 1);
}

#[tokio::test]
async fn budget_pauses_scanner() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("capped.toml", &monitor("Capped", 1.0));
    for session in ["s1", "s2", "s3"] {
        fixture.add_session(session);
    }
    let mut config = fixture.config();
    config.daemon.budgets.default.observations_per_day = Some(1);
    config.daemon.model_concurrency = 1;
    let daemon = replay_vision::daemon::Daemon::new(config)
        .await
        .expect("daemon starts");
    daemon.poll_sources().await.expect("poll");
    daemon.sweep().await.expect("sweep");

    daemon.work_until_idle().await.expect("work");

    let succeeded = super::support::observed_pairs(daemon.store()).await;
    assert_eq!(succeeded.len(), 1, "{succeeded:?}");
    let scanner = daemon.store().scanner("capped").await.unwrap().unwrap();
    let reason = scanner.paused_reason.expect("the scanner is paused");
    assert!(reason.starts_with("daily budget reached"), "{reason}");
}
