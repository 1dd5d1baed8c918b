//! The work queue end to end: every queued pair ends as exactly one observation with one event,
//! on SQLite with one daemon and on PostgreSQL with two; work whose workers keep dying ends
//! `orphaned`.

use std::collections::BTreeSet;

use replay_vision::store::{Claim, ClaimRequest, ObservationState, Store, Trigger};

use super::support::{monitor, observed_pairs, queued_pairs, Fixture};

/// Checks that `expected` pairs each have one succeeded observation after one attempt, and that
/// the `events` table has one event per observation with the observation id as its uuid.
async fn assert_each_pair_once(store: &Store, expected: &BTreeSet<(String, String)>) {
    let observations = store
        .list_observations(&replay_vision::store::ObservationFilter {
            limit: Some(10_000),
            ..Default::default()
        })
        .await
        .expect("list observations");
    let pairs: BTreeSet<_> = observations
        .iter()
        .map(|o| (o.scanner_id.clone(), o.session_id.clone()))
        .collect();
    assert_eq!(
        observations.len(),
        expected.len(),
        "one observation per pair"
    );
    assert_eq!(&pairs, expected);
    for observation in &observations {
        assert_eq!(
            observation.state,
            ObservationState::Succeeded,
            "{observation:?}"
        );
    }
    let events = store.events("$recording_observed").await.expect("events");
    let event_ids: BTreeSet<_> = events.iter().map(|event| event.uuid.clone()).collect();
    let observation_ids: BTreeSet<_> = observations.iter().map(|o| o.id.clone()).collect();
    assert_eq!(
        events.len(),
        observations.len(),
        "one event per observation"
    );
    assert_eq!(event_ids, observation_ids);
    assert_eq!(store.undelivered_count().await.expect("outbox"), 0);
}

fn all_pairs(scanners: &[&str], sessions: &[String]) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for scanner in scanners {
        for session in sessions {
            pairs.insert((scanner.to_string(), session.clone()));
        }
    }
    pairs
}

#[tokio::test]
async fn sqlite_queue_runs_every_pair() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));
    fixture.add_scanner("b.toml", &monitor("B", 1.0));
    let sessions: Vec<String> = (0..3).map(|i| format!("s{i}")).collect();
    for session in &sessions {
        fixture.add_session(session);
    }
    let daemon = fixture.daemon().await;
    daemon.poll_sources().await.expect("poll");
    daemon.sweep().await.expect("sweep");

    daemon.work_until_idle().await.expect("work");

    let expected = all_pairs(&["a", "b"], &sessions);
    assert_each_pair_once(daemon.store(), &expected).await;
    assert_eq!(fixture.standin.model_requests().len(), expected.len());
    assert!(queued_pairs(daemon.store()).await.is_empty());
    let renders = daemon.shared().metrics.render_counts();
    assert_eq!(renders.requests, 3, "one render request per session");
    assert_eq!(renders.cache_hits, 2, "same content renders once");
}

#[tokio::test]
async fn two_daemons_share_postgres() {
    let fixture = Fixture::postgres().await;
    for name in ["A", "B", "C"] {
        fixture.add_scanner(&format!("{name}.toml"), &monitor(name, 1.0));
    }
    let sessions: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    for session in &sessions {
        fixture.add_session(session);
    }
    let first = fixture.daemon().await;
    let second = fixture.daemon().await;

    let (poll_a, poll_b) = tokio::join!(first.poll_sources(), second.poll_sources());
    poll_a.expect("first poll");
    poll_b.expect("second poll");
    let (sweep_a, sweep_b) = tokio::join!(first.sweep(), second.sweep());
    let queued = sweep_a.expect("first sweep").queued + sweep_b.expect("second sweep").queued;
    let (work_a, work_b) = tokio::join!(first.work_until_idle(), second.work_until_idle());
    work_a.expect("first daemon works");
    work_b.expect("second daemon works");

    let expected = all_pairs(&["a", "b", "c"], &sessions);
    assert_eq!(
        queued,
        expected.len(),
        "the two sweeps queue each pair once"
    );
    assert_each_pair_once(first.store(), &expected).await;
    assert_eq!(fixture.standin.model_requests().len(), expected.len());
    let attempts: BTreeSet<_> = first
        .store()
        .list_observations(&Default::default())
        .await
        .unwrap()
        .iter()
        .map(|o| o.attempts)
        .collect();
    assert_eq!(attempts, BTreeSet::from([1]), "no pair ran twice");
}

/// Claims the pair as a worker that then dies: a lease of one millisecond, never renewed.
async fn claim_and_die(store: &Store, owner: &str) -> Claim {
    let taken = store.take_work(owner, 1).await.expect("take");
    assert!(taken.is_some(), "{owner} finds the queued pair");
    let request = ClaimRequest {
        scanner_id: "stuck".into(),
        session_id: "s1".into(),
        scanner_version: 1,
        scanner_snapshot: serde_json::json!({}),
        trigger: Trigger::Schedule,
        triggered_by_user_id: None,
        session_started_at_ms: None,
        owner: owner.into(),
        lease_ms: 1,
        rerun: false,
        max_lease_expiries: 3,
    };
    let claim = store.claim(&request).await.expect("claim");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    claim
}

#[tokio::test]
async fn dying_workers_end_orphaned() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    fixture.add_session("s1");
    let daemon = fixture.daemon().await;
    daemon.poll_sources().await.expect("poll");
    daemon.sweep().await.expect("sweep");
    for attempt in 0..3 {
        let claim = claim_and_die(daemon.store(), &format!("ghost-{attempt}")).await;
        assert!(
            matches!(claim, Claim::Claimed(_)),
            "attempt {attempt}: {claim:?}"
        );
    }

    daemon.work_until_idle().await.expect("work");

    let observation = daemon
        .store()
        .find_observation("stuck", "s1")
        .await
        .unwrap()
        .expect("observation stored");
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("orphaned"));
    assert_eq!(observation.lease_expiries, 3);
    assert!(fixture.standin.model_requests().is_empty());
    assert!(queued_pairs(daemon.store()).await.is_empty());
    assert_eq!(observed_pairs(daemon.store()).await.len(), 1);
}
