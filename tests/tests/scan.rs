//! The main job end to end on real recordings: real Chromium and ffmpeg render the video, the
//! compiled scanner types build the prompts and parse the answers, the model stand-in answers on
//! loopback, and the observation and its `$recording_observed` event land in SQLite.

use base64::Engine;
use replay_vision::pipeline::Outcome;
use replay_vision::recording::AnalysisOptions;
use replay_vision::render::RenderSettings;
use replay_vision::store::ObservationState;
use replay_vision_tests::rig::{scanner, stored, Protocol, Rig, RigOptions};
use replay_vision_tests::standin::Reply;
use serde_json::Value;

const HOMEPAGE: &str = "posthog-com-homepage-desktop-scroll.json";

const MONITOR: &str = r#"
name = "Dead ends"
type = "monitor"
[config]
prompt = "Answer yes if the user seems stuck on a page."
"#;

const MONITOR_ANSWER: &str = r#"{"reasoning": "The user scrolls the homepage and opens three product images (t 83), so they are exploring, not stuck.", "verdict": "no", "confidence": 0.7}"#;

/// Joins the text of every part of a Gemini request.
fn gemini_text(body: &Value) -> String {
    let mut text = String::new();
    for content in body["contents"].as_array().into_iter().flatten() {
        for part in content["parts"].as_array().into_iter().flatten() {
            if let Some(part_text) = part["text"].as_str() {
                text.push_str(part_text);
                text.push('\n');
            }
        }
    }
    text
}

fn inline_video(body: &Value) -> Vec<u8> {
    let data = body["contents"][0]["parts"][0]["inlineData"]["data"]
        .as_str()
        .expect("the first part is the inline video");
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("the video is base64")
}

#[tokio::test]
async fn monitor_observes_homepage() {
    let rig = Rig::new(RigOptions::default()).await;
    rig.standin.script([Reply::answer(MONITOR_ANSWER)]);
    let session = rig.session(HOMEPAGE);
    let monitor = scanner(MONITOR);

    let observation = stored(rig.observe(&session, &monitor).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    assert_eq!(observation.scanner_id, "dead-ends");
    assert_eq!(observation.session_id, session.id());
    assert_eq!(observation.attempts, 1);
    let output = observation.output.clone().expect("output stored");
    assert_eq!(output["verdict"], "no");
    assert_eq!(output["confidence"], 0.7);
    assert_eq!(observation.provider.as_deref(), Some("gemini"));
    assert_eq!(observation.model.as_deref(), Some("gemini-3.5-flash"));
    assert!(observation.input_tokens.unwrap_or(0) > 0);
    assert!(observation.cost_usd.unwrap_or(0.0) > 0.0);
    assert_eq!(
        observation.scanner_snapshot["config"]["prompt"],
        monitor.config["prompt"]
    );

    let requests = rig.standin.model_requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].body.clone().expect("JSON body");
    let video = inline_video(&body);
    assert_eq!(&video[4..8], b"ftyp", "the inline video is an MP4");
    let text = gemini_text(&body);
    assert!(
        text.contains("Retention Image"),
        "the event log names the clicked image"
    );
    assert!(
        text.contains("https://posthog.com/"),
        "the event log names the page"
    );
    assert_eq!(
        body["generationConfig"]["responseMimeType"],
        "application/json"
    );

    let segments = &observation.segments.clone().expect("segments stored")["reasoning"];
    let chips: Vec<u64> = segments
        .as_array()
        .expect("segments are an array")
        .iter()
        .filter(|segment| segment["kind"] == "chip")
        .map(|segment| segment["timestamp_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(chips.len(), 1);
    assert!(
        (81_000..=85_000).contains(&chips[0]),
        "chip at {} ms",
        chips[0]
    );
    assert_eq!(segments[0]["kind"], "text");
    assert!(!segments[0]["value"].as_str().unwrap().contains("(t 83)"));

    let events = rig.delivered_events().await;
    assert_eq!(events.len(), 1);
    let properties = &events[0].properties;
    assert_eq!(events[0].uuid, observation.id);
    assert_eq!(properties["$insert_id"], observation.id.as_str());
    assert_eq!(properties["scanner_id"], "dead-ends");
    assert_eq!(properties["scanner_name"], "Dead ends");
    assert_eq!(properties["scanner_type"], "monitor");
    assert_eq!(properties["scanner_version"], 1);
    assert_eq!(properties["session_id"], session.id());
    assert_eq!(properties["triggered_by"], "schedule");
    assert_eq!(properties["model_used"], "gemini-3.5-flash");
    assert_eq!(properties["provider_used"], "gemini");
    assert_eq!(properties["scanner_output_verdict"], "no");
    assert_eq!(properties["scanner_output_confidence"], 0.7);
    assert!(properties["scanner_output_reasoning_segments"].is_string());
    let jsonl = std::fs::read_to_string(rig.folder.path().join("events.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 1);

    let again = rig.observe(&session, &monitor).await;
    assert!(matches!(again, Outcome::AlreadyFinal { .. }), "{again:?}");
    assert_eq!(
        rig.standin.model_requests().len(),
        1,
        "no second model call"
    );
    assert_eq!(rig.delivered_events().await.len(), 1, "no second event");
}

#[tokio::test]
async fn invalid_answer_reprompts_once() {
    let rig = Rig::new(RigOptions::default()).await;
    rig.standin.script([
        Reply::answer(r#"{"reasoning": "Unsure.", "verdict": "maybe", "confidence": 0.5}"#),
        Reply::answer(MONITOR_ANSWER),
    ]);
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    assert_eq!(observation.output.unwrap()["verdict"], "no");
    let requests = rig.standin.model_requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1].body.clone().unwrap();
    let contents = second["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 3, "user, model, user");
    assert_eq!(contents[1]["role"], "model");
    assert!(
        gemini_text(&second).contains("not valid"),
        "the re-prompt quotes the error"
    );
    assert!(
        gemini_text(&second).contains("verdict"),
        "the re-prompt names the field"
    );
}

#[tokio::test]
async fn invalid_twice_is_validation_failed() {
    let rig = Rig::new(RigOptions::default()).await;
    let invalid = r#"{"reasoning": "Unsure.", "verdict": "maybe", "confidence": 0.5}"#;
    rig.standin
        .script([Reply::answer(invalid), Reply::answer(invalid)]);
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("validation_failed"));
    assert!(observation.error_message.unwrap().contains("verdict"));
    assert_eq!(rig.standin.model_requests().len(), 2);
    assert!(
        rig.delivered_events().await.is_empty(),
        "a failure emits no event"
    );
}

#[tokio::test]
async fn provider_errors_are_classified() {
    let rig = Rig::new(RigOptions::default()).await;
    let session = rig.session(HOMEPAGE);

    rig.standin
        .script([Reply::status(503), Reply::status(503), Reply::status(503)]);
    let transient = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(transient.state, ObservationState::Failed);
    assert_eq!(transient.error_kind.as_deref(), Some("provider_transient"));
    assert!(transient.error_message.clone().unwrap().contains("503"));
    assert_eq!(rig.standin.model_requests().len(), 3, "three attempts");

    rig.standin.script([Reply::status(400)]);
    let rejected_scanner = scanner(&MONITOR.replace("Dead ends", "Dead ends two"));
    let rejected = stored(rig.observe(&session, &rejected_scanner).await);
    assert_eq!(rejected.error_kind.as_deref(), Some("provider_rejected"));
    assert_eq!(
        rig.standin.model_requests().len(),
        4,
        "a rejection is not retried"
    );

    rig.standin.script([Reply::answer(MONITOR_ANSWER)]);
    let retried = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(
        retried.id, transient.id,
        "a failed observation is retried in place"
    );
    assert_eq!(retried.state, ObservationState::Succeeded);
    assert_eq!(retried.attempts, 2);
}

#[tokio::test]
async fn render_failure_is_stored() {
    let render = RenderSettings {
        chromium: "/nonexistent/chromium".into(),
        ..RenderSettings::default()
    };
    let rig = Rig::new(RigOptions {
        render,
        ..RigOptions::default()
    })
    .await;
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("rendering_failed"));
    assert!(observation
        .error_message
        .unwrap()
        .contains("/nonexistent/chromium"));
    assert!(rig.standin.model_requests().is_empty());
}

/// Each ineligible kind is stored with no model call.
#[tokio::test]
async fn ineligible_kinds_make_no_call() {
    let rig = Rig::new(RigOptions::default()).await;
    let strict = AnalysisOptions {
        max_active_ms: 60_000,
        ..AnalysisOptions::default()
    };
    let cases = [
        (
            "chalk-ci-automated-todo-entry.json",
            AnalysisOptions::default(),
            "too_short",
        ),
        (
            "posthog-docs-local-pageview-custom-events.json",
            AnalysisOptions::default(),
            "too_inactive",
        ),
        (HOMEPAGE, strict, "too_long"),
    ];
    for (index, (name, options, kind)) in cases.into_iter().enumerate() {
        let monitor = scanner(&MONITOR.replace("Dead ends", &format!("Dead ends {index}")));
        let session = rig.session_with(name, &options);
        let observation = stored(rig.observe(&session, &monitor).await);
        assert_eq!(observation.state, ObservationState::Ineligible, "{name}");
        assert_eq!(observation.error_kind.as_deref(), Some(kind), "{name}");
        assert_eq!(observation.cost_usd, Some(0.0), "{name}");
    }
    let no_snapshot = replay_vision::recording::load(
        &replay_vision_tests::rig::repository()
            .join("tests/data/field-cases/no-full-snapshot.json"),
    )
    .expect("the field case loads");
    let session = replay_vision::pipeline::Session::new(no_snapshot, &AnalysisOptions::default());
    let observation = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(observation.error_kind.as_deref(), Some("no_recording"));

    let moves_only = replay_vision::recording::load_bytes("moves-only.json", &mouse_moves_only())
        .expect("the synthetic recording loads");
    let session = replay_vision::pipeline::Session::new(moves_only, &AnalysisOptions::default());
    let monitor = scanner(&MONITOR.replace("Dead ends", "Dead ends moves"));
    let observation = stored(rig.observe(&session, &monitor).await);
    assert_eq!(observation.error_kind.as_deref(), Some("no_events"));

    assert!(
        rig.standin.model_requests().is_empty(),
        "no ineligible session reaches the model"
    );
    assert!(rig.delivered_events().await.is_empty());
}

/// A page with no Meta event where the mouse moves for 20 s and nothing else happens: active
/// and long enough, but with no user action in the event log.
fn mouse_moves_only() -> Vec<u8> {
    let start = 1_700_000_000_000_i64;
    let mut events = vec![serde_json::json!({
        "type": 2,
        "timestamp": start,
        "data": {
            "node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": []}
                ]}
            ]},
            "initialOffset": {"top": 0, "left": 0}
        }
    })];
    for step in 1..=40 {
        events.push(serde_json::json!({
            "type": 3,
            "timestamp": start + step * 500,
            "data": {"source": 1, "positions": [{"x": step * 10, "y": 100, "id": 3, "timeOffset": 0}]}
        }));
    }
    serde_json::to_vec(&events).unwrap()
}

#[tokio::test]
async fn filters_skip_unselected_session() {
    let rig = Rig::new(RigOptions::default()).await;
    let session = rig.session(HOMEPAGE);
    let filtered = scanner(&format!(
        "{MONITOR}\n[filters]\nconditions = [{{ url = {{ contains = \"/checkout\" }} }}]\n"
    ));
    let outcome = rig.observe(&session, &filtered).await;
    assert!(matches!(outcome, Outcome::NotMatched { .. }), "{outcome:?}");
    let stored_rows = rig
        .pipeline
        .store()
        .find_observation("dead-ends", session.id())
        .await
        .unwrap();
    assert!(
        stored_rows.is_none(),
        "no observation for an unselected session"
    );
    assert!(rig.standin.model_requests().is_empty());
}

#[tokio::test]
async fn dry_run_writes_request() {
    let rig = Rig::new(RigOptions {
        with_model: false,
        ..RigOptions::default()
    })
    .await;
    let session = rig.session(HOMEPAGE);
    let outcome = rig.observe(&session, &scanner(MONITOR)).await;
    let Outcome::DryRun(dry_run) = outcome else {
        panic!("expected a dry run, got {outcome:?}");
    };
    let request: Value =
        serde_json::from_slice(&std::fs::read(dry_run.request.unwrap()).unwrap()).unwrap();
    assert_eq!(&inline_video(&request)[4..8], b"ftyp");
    assert!(gemini_text(&request).contains("Retention Image"));
    let video = std::fs::read(dry_run.video.unwrap()).unwrap();
    assert_eq!(&video[4..8], b"ftyp");
    let estimate = dry_run.estimate.unwrap();
    assert!(estimate.input_tokens > 1000);
    assert!(estimate.cost_usd.unwrap() > 0.0);
    let stored_rows = rig
        .pipeline
        .store()
        .list_observations(&Default::default())
        .await
        .unwrap();
    assert!(stored_rows.is_empty(), "a dry run stores nothing");
    assert!(rig.standin.requests().is_empty());
}

#[tokio::test]
async fn openai_protocol_sends_frames() {
    let rig = Rig::new(RigOptions {
        protocol: Protocol::OpenAi,
        ..RigOptions::default()
    })
    .await;
    rig.standin.script([Reply::answer(MONITOR_ANSWER)]);
    let session = rig.session(HOMEPAGE);
    let observation = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    assert_eq!(observation.provider.as_deref(), Some("openai"));
    let requests = rig.standin.model_requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].body.clone().unwrap();
    let text = body.to_string();
    assert!(
        text.contains("data:image/jpeg;base64,"),
        "frames are sent as images"
    );
    assert!(text.contains("Retention Image"));
    assert_eq!(body["response_format"]["type"], "json_schema");
}

/// Builds a rig whose types folder contains the built-in types and the hostile test guest.
async fn rig_with_hostile_type() -> (Rig, tempfile::TempDir) {
    let types = tempfile::tempdir().unwrap();
    let builtin = replay_vision_tests::rig::repository().join("scanner-types");
    for entry in std::fs::read_dir(builtin).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, types.path().join(path.file_name().unwrap())).unwrap();
    }
    let hostile = replay_vision_tests::rig::guest_dir().join("guest_hostile.wasm");
    std::fs::copy(&hostile, types.path().join("guest_hostile.wasm"))
        .unwrap_or_else(|error| panic!("{}: {error}; run `make guests`", hostile.display()));
    let rig = Rig::new(RigOptions {
        types_dir: Some(types.path().to_path_buf()),
        ..RigOptions::default()
    })
    .await;
    (rig, types)
}

fn hostile(behaviour: &str) -> replay_vision::scanner::ScannerDefinition {
    scanner(&format!(
        "name = \"Hostile {behaviour}\"\ntype = \"hostile\"\n[config]\nprompt = \"p\"\n\
         behaviour = \"{behaviour}\"\n"
    ))
}

#[tokio::test]
async fn guest_trap_is_guest_failed() {
    let (rig, _types) = rig_with_hostile_type().await;
    rig.standin.script([Reply::answer(MONITOR_ANSWER)]);
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &hostile("panic")).await);
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("guest_failed"));
    assert!(observation.error_message.unwrap().contains("trapped"));

    let after = stored(rig.observe(&session, &scanner(MONITOR)).await);
    assert_eq!(
        after.state,
        ObservationState::Succeeded,
        "the host keeps working"
    );
}

#[tokio::test]
async fn type_bug_is_internal_error() {
    let (rig, _types) = rig_with_hostile_type().await;
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &hostile("broken-prompt")).await);
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("internal_error"));
    let message = observation.error_message.unwrap();
    assert!(message.contains("cannot build a prompt"), "{message}");
    assert!(rig.standin.model_requests().is_empty());
}
