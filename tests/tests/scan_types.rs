//! Every scanner type end to end on real recordings, through the compiled components, real
//! Chromium and ffmpeg, and the model stand-in: the stored output and the emitted event carry
//! the values the type promises.

use replay_vision::store::ObservationState;
use replay_vision_tests::rig::{scanner, stored, Protocol, Rig, RigOptions};
use replay_vision_tests::standin::Reply;
use serde_json::Value;

const DEMOIT: &str = "rrweb-player-demoit-react-hooks.json";
const DOCS: &str = "posthog-com-docs-2-snapshots-short.json";
const HOMEPAGE: &str = "posthog-com-homepage-desktop-scroll.json";

fn request_text(body: &Value) -> String {
    body.to_string()
}

#[tokio::test]
async fn classifier_tags_demoit_over_openai() {
    let rig = Rig::new(RigOptions {
        protocol: Protocol::OpenAi,
        ..RigOptions::default()
    })
    .await;
    rig.standin.script([Reply::answer(
        r#"{"reasoning": "The user edits code in the playground (t 47).", "tags": ["researching"], "confidence": 0.6}"#,
    )]);
    let intent = scanner(replay_vision::scanner::template("user_intent").unwrap());
    let session = rig.session(DEMOIT);

    let observation = stored(rig.observe(&session, &intent).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    let output = observation.output.clone().unwrap();
    assert_eq!(output["tags"], serde_json::json!(["researching"]));
    assert_eq!(output["confidence"], 0.6);
    let body = rig.standin.model_requests()[0].body.clone().unwrap();
    let text = request_text(&body);
    assert!(
        text.contains("ReactHooks.js"),
        "the event log names the clicked tab"
    );
    assert!(text.contains("image_url"), "frames travel as images");
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["tags"]["items"]["enum"][0], "browsing");

    let events = rig.delivered_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].properties["scanner_type"], "classifier");
    assert_eq!(
        events[0].properties["scanner_output_tags"],
        "[\"researching\"]"
    );
}

#[tokio::test]
async fn scorer_scores_docs_session() {
    let rig = Rig::new(RigOptions::default()).await;
    rig.standin.script([Reply::answer(
        r#"{"reasoning": "The user found the Docker page quickly (t 10).", "score": 2, "confidence": 0.7}"#,
    )]);
    let frustration = scanner(replay_vision::scanner::template("frustration_score").unwrap());
    let session = rig.session(DOCS);

    let observation = stored(rig.observe(&session, &frustration).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    let output = observation.output.clone().unwrap();
    assert_eq!(output["score"], 2.0);
    assert_eq!(output["label"], "frustration");
    let body = rig.standin.model_requests()[0].body.clone().unwrap();
    assert!(
        request_text(&body).contains("Docker deployment"),
        "the event log names the link"
    );
    let chip = &observation.segments.unwrap()["reasoning"][1];
    assert_eq!(chip["kind"], "chip");
    let chip_ms = chip["timestamp_ms"].as_u64().unwrap();
    assert!((9_000..=12_000).contains(&chip_ms), "chip at {chip_ms} ms");

    let events = rig.delivered_events().await;
    assert_eq!(events[0].properties["scanner_output_score"], 2.0);
    assert_eq!(events[0].properties["scanner_output_label"], "frustration");
}

#[tokio::test]
async fn summarizer_runs_two_steps() {
    let rig = Rig::new(RigOptions::default()).await;
    rig.standin.script([
        Reply::answer(
            r#"{"title": "Reads the AWS deploy guide, then Docker", "summary": "The user opened the AWS guide and moved to the Docker guide (t 11).", "confidence": 0.8}"#,
        ),
        Reply::answer(
            r#"{"intent": "Learn how to deploy the product.", "outcome": "Reached the Docker guide.", "friction_points": [], "keywords": ["deployment", "docker", "aws", "documentation", "self-hosting"], "confidence": 0.7}"#,
        ),
    ]);
    let summary = scanner(replay_vision::scanner::template("session_summary").unwrap());
    let session = rig.session(DOCS);

    let observation = stored(rig.observe(&session, &summary).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    let output = observation.output.clone().unwrap();
    assert_eq!(output["title"], "Reads the AWS deploy guide, then Docker");
    assert_eq!(output["intent"], "Learn how to deploy the product.");
    assert_eq!(output["keywords"].as_array().unwrap().len(), 5);
    let requests = rig.standin.model_requests();
    assert_eq!(requests.len(), 2, "one call per step");
    let second = requests[1].body.clone().unwrap();
    assert_eq!(
        second["contents"].as_array().unwrap().len(),
        3,
        "the facets turn follows the summary"
    );
    assert!(observation.segments.unwrap()["summary"].is_array());

    let events = rig.delivered_events().await;
    let properties = &events[0].properties;
    assert_eq!(
        properties["scanner_output_title"],
        "Reads the AWS deploy guide, then Docker"
    );
    assert_eq!(properties["scanner_output_friction_points"], "[]");
}

#[tokio::test]
async fn checklist_answers_each_question() {
    let rig = Rig::new(RigOptions::default()).await;
    rig.standin.script([Reply::answer(
        r#"{"reasoning": "The user only browsed the homepage (t 83).", "reached_checkout": "no", "saw_error": "no", "completed_purchase": "no", "confidence": 0.8}"#,
    )]);
    let checklist = scanner(replay_vision::scanner::template("checkout_checklist").unwrap());
    let session = rig.session(HOMEPAGE);

    let observation = stored(rig.observe(&session, &checklist).await);
    assert_eq!(
        observation.state,
        ObservationState::Succeeded,
        "{observation:?}"
    );
    let output = observation.output.clone().unwrap();
    assert_eq!(output["reached_checkout"], "no");
    assert_eq!(output["completed_purchase"], "no");
    assert_eq!(output["passed"], 0);
    let events = rig.delivered_events().await;
    assert_eq!(events[0].properties["scanner_type"], "checklist");
    assert_eq!(events[0].properties["scanner_output_saw_error"], "no");
}
