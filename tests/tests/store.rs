//! The store on SQLite and PostgreSQL: claims, leases, completion, history, the outbox and event
//! delivery through the sinks. Every case runs on both backends.

use replay_vision::sink::{self, PostHogCapture, Sink, Webhook, SIGNATURE_HEADER};
use replay_vision::store::{
    Claim, ClaimRequest, Failure, ObservationState, OutboundEvent, Store, StoreError, Success,
    Trigger,
};
use replay_vision_tests::database;
use replay_vision_tests::receiver::Receiver;

fn request(scanner: &str, session: &str, owner: &str) -> ClaimRequest {
    ClaimRequest {
        scanner_id: scanner.into(),
        session_id: session.into(),
        scanner_version: 1,
        scanner_snapshot: serde_json::json!({"name": scanner}),
        trigger: Trigger::OnDemand,
        triggered_by_user_id: None,
        session_started_at_ms: Some(1_700_000_000_000),
        owner: owner.into(),
        lease_ms: 60_000,
        rerun: false,
        max_lease_expiries: 3,
    }
}

fn event(uuid: &str) -> OutboundEvent {
    let mut properties = serde_json::Map::new();
    properties.insert("$insert_id".into(), uuid.into());
    properties.insert("scanner_output_verdict".into(), "yes".into());
    OutboundEvent {
        uuid: uuid.into(),
        event: "$recording_observed".into(),
        distinct_id: "replay-vision".into(),
        timestamp: "2026-12-04T10:00:00Z".into(),
        properties,
    }
}

fn success() -> Success {
    Success {
        output: serde_json::json!({"verdict": "yes", "confidence": 0.7}),
        segments: serde_json::json!({}),
        provider: "gemini".into(),
        model: "gemini-3-flash-preview".into(),
        input_tokens: 1000,
        output_tokens: 50,
        cost_usd: 0.0012,
        timings: serde_json::json!({"model_ms": 10}),
    }
}

fn claimed(claim: Claim) -> replay_vision::store::Observation {
    match claim {
        Claim::Claimed(observation) => observation,
        other => panic!("expected a claim, got {other:?}"),
    }
}

async fn claim_then_busy(store: &Store) {
    let first = claimed(store.claim(&request("s", "a", "w1")).await.unwrap());
    assert_eq!(first.state, ObservationState::Running);
    assert_eq!(first.attempts, 1);
    let second = store.claim(&request("s", "a", "w2")).await.unwrap();
    assert!(matches!(second, Claim::Busy(_)), "{second:?}");
}

async fn success_is_final_and_queued(store: &Store) {
    let observation = claimed(store.claim(&request("s", "b", "w1")).await.unwrap());
    let sinks = vec!["events".to_string(), "jsonl".to_string()];
    store
        .complete_succeeded(
            &observation.id,
            "w1",
            &success(),
            &event(&observation.id),
            &sinks,
        )
        .await
        .unwrap();
    let again = store.claim(&request("s", "b", "w1")).await.unwrap();
    let Claim::Final(stored) = again else {
        panic!("expected final, got {again:?}");
    };
    assert_eq!(stored.state, ObservationState::Succeeded);
    assert_eq!(stored.output.unwrap()["verdict"], "yes");
    assert_eq!(stored.cost_usd, Some(0.0012));
    assert!(stored.completed_at_ms.is_some());
    assert_eq!(store.undelivered_count().await.unwrap(), 2);
}

async fn failed_is_retried_with_history(store: &Store) {
    let observation = claimed(store.claim(&request("s", "c", "w1")).await.unwrap());
    let failure = Failure {
        kind: "provider_transient".into(),
        message: "HTTP 503 after 4 attempts".into(),
        ..Failure::default()
    };
    store
        .complete_unsuccessful(&observation.id, "w1", ObservationState::Failed, &failure)
        .await
        .unwrap();
    let retried = claimed(store.claim(&request("s", "c", "w1")).await.unwrap());
    assert_eq!(retried.id, observation.id);
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.error_kind, None);
    assert_eq!(store.history_len(&observation.id).await.unwrap(), 1);
}

async fn rerun_replaces_final(store: &Store) {
    let observation = claimed(store.claim(&request("s", "d", "w1")).await.unwrap());
    store
        .complete_succeeded(
            &observation.id,
            "w1",
            &success(),
            &event(&observation.id),
            &[],
        )
        .await
        .unwrap();
    let mut rerun = request("s", "d", "w1");
    rerun.rerun = true;
    rerun.scanner_version = 2;
    let again = claimed(store.claim(&rerun).await.unwrap());
    assert_eq!(again.scanner_version, 2);
    assert_eq!(again.output, None);
    assert_eq!(store.history_len(&observation.id).await.unwrap(), 1);
}

async fn expired_lease_is_taken_over_then_orphaned(store: &Store) {
    let mut short = request("s", "e", "dead-1");
    short.lease_ms = -1;
    claimed(store.claim(&short).await.unwrap());
    short.owner = "dead-2".into();
    let taken = claimed(store.claim(&short).await.unwrap());
    assert_eq!(taken.lease_owner.as_deref(), Some("dead-2"));
    assert_eq!(taken.lease_expiries, 1);
    short.owner = "dead-3".into();
    claimed(store.claim(&short).await.unwrap());
    short.owner = "w4".into();
    let last = store.claim(&short).await.unwrap();
    let Claim::Final(orphaned) = last else {
        panic!("expected orphaned, got {last:?}");
    };
    assert_eq!(orphaned.state, ObservationState::Failed);
    assert_eq!(orphaned.error_kind.as_deref(), Some("orphaned"));
}

async fn lost_lease_cannot_complete(store: &Store) {
    let observation = claimed(store.claim(&request("s", "f", "w1")).await.unwrap());
    let result = store
        .complete_succeeded(
            &observation.id,
            "intruder",
            &success(),
            &event(&observation.id),
            &[],
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::LostLease { .. })),
        "{result:?}"
    );
}

async fn delivery_survives_a_down_sink(store: &Store) {
    let receiver = Receiver::start().await;
    let folder = tempfile::tempdir().unwrap();
    let jsonl = folder.path().join("events.jsonl");
    let sinks = vec![
        Sink::Events,
        Sink::JsonLines(jsonl.clone()),
        Sink::Webhook(Webhook::new(
            &format!("{}/hook", receiver.base_url()),
            "s3cret",
        )),
        Sink::PostHog(PostHogCapture::new(&receiver.base_url(), "phc_test")),
    ];
    let names: Vec<String> = sinks.iter().map(|sink| sink.name().to_string()).collect();
    let observation = claimed(store.claim(&request("s", "g", "w1")).await.unwrap());
    store
        .complete_succeeded(
            &observation.id,
            "w1",
            &success(),
            &event(&observation.id),
            &names,
        )
        .await
        .unwrap();

    receiver.set_down(true);
    let report = sink::deliver_due(store, &sinks).await.unwrap();
    assert_eq!(report.delivered, 2, "events table and JSON lines");
    assert_eq!(report.failed, 2, "webhook and PostHog are down");
    assert_eq!(store.undelivered_count().await.unwrap(), 2);

    receiver.set_down(false);
    sqlx::query("UPDATE outbox SET next_attempt_at_ms = 0")
        .execute(store.pool())
        .await
        .unwrap();
    let report = sink::deliver_due(store, &sinks).await.unwrap();
    assert_eq!(report.delivered, 2);
    assert_eq!(store.undelivered_count().await.unwrap(), 0);
    let again = sink::deliver_due(store, &sinks).await.unwrap();
    assert_eq!(again.delivered, 0, "nothing is delivered twice");

    let accepted = receiver.accepted();
    let hooks: Vec<_> = accepted.iter().filter(|r| r.path == "/hook").collect();
    let captures: Vec<_> = accepted.iter().filter(|r| r.path == "/i/v0/e/").collect();
    assert_eq!(hooks.len(), 1);
    assert_eq!(captures.len(), 1);
    let capture = captures[0].json();
    assert_eq!(capture["api_key"], "phc_test");
    assert_eq!(capture["uuid"], observation.id.as_str());
    assert_eq!(capture["properties"]["$insert_id"], observation.id.as_str());

    let header = hooks[0].headers[SIGNATURE_HEADER]
        .to_str()
        .unwrap()
        .to_string();
    let (timestamp, signature) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .expect("signature header t=...,v1=...");
    let expected =
        replay_vision::sink::sign_webhook("s3cret", timestamp.parse().unwrap(), &hooks[0].body);
    assert_eq!(signature, expected);

    let stored = store.events("$recording_observed").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].uuid, observation.id);
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(lines.lines().count(), 1);
}

async fn list_filters_by_state(store: &Store) {
    let observation = claimed(store.claim(&request("t", "h", "w1")).await.unwrap());
    let failure = Failure {
        kind: "too_short".into(),
        message: "the session lasts 3 s; at least 15 s is needed".into(),
        ..Failure::default()
    };
    store
        .complete_unsuccessful(
            &observation.id,
            "w1",
            ObservationState::Ineligible,
            &failure,
        )
        .await
        .unwrap();
    let filter = replay_vision::store::ObservationFilter {
        scanner_id: Some("t".into()),
        state: Some(ObservationState::Ineligible),
        ..Default::default()
    };
    let listed = store.list_observations(&filter).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].error_kind.as_deref(), Some("too_short"));
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let test = replay_vision_tests::database::sqlite().await;
                    super::$case(&test.store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let test = replay_vision_tests::database::postgres().await;
                    super::$case(&test.store).await;
                }
            )*
        }
    };
}

on_both_backends!(
    claim_then_busy,
    success_is_final_and_queued,
    failed_is_retried_with_history,
    rerun_replaces_final,
    expired_lease_is_taken_over_then_orphaned,
    lost_lease_cannot_complete,
    delivery_survives_a_down_sink,
    list_filters_by_state,
);

#[tokio::test]
async fn sqlite_store_reopens_with_data() {
    let test = database::sqlite().await;
    claimed(test.store.claim(&request("s", "z", "w1")).await.unwrap());
    drop(test.store);
    let reopened = Store::connect(&test.url).await.unwrap();
    let found = reopened.find_observation("s", "z").await.unwrap();
    assert!(found.is_some());
}
