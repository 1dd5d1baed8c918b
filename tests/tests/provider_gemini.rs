//! The Gemini provider against the loopback stand-in: the request body field by field for a
//! real MP4, the Files API flow, and every failure scenario with its kind, attempts and time
//! waited on a fast clock.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use replay_vision::provider::gemini::{ApiKey, GeminiConfig, GeminiProvider};
use replay_vision::provider::prices::{self, PriceTable};
use replay_vision::provider::retry::FastClock;
use replay_vision::provider::{Cause, ErrorKind, GenerateRequest, Provider, Turn};
use replay_vision_tests::standin::{
    exact_retry_policy, sample_request, sample_schema, test_video, FilePlan, Reply, StandIn,
    TestVideo,
};
use serde_json::{json, Value};

const MODEL: &str = "gemini-3.5-flash";
const VALID: &str =
    r#"{"reasoning":"The order page shows (t 4).","verdict":"yes","confidence":0.9}"#;

struct Setup {
    standin: StandIn,
    clock: FastClock,
    dir: tempfile::TempDir,
    video: TestVideo,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let video = test_video(dir.path(), 4, 4, (320, 240)).unwrap();
        Self {
            standin: StandIn::start().await,
            clock: FastClock::default(),
            dir,
            video,
        }
    }

    fn config(&self) -> GeminiConfig {
        GeminiConfig {
            base_url: self.standin.base_url(),
            retry: exact_retry_policy(),
            file_poll_interval_ms: 5_000,
            ..GeminiConfig::default()
        }
    }

    fn provider(&self, config: GeminiConfig) -> GeminiProvider {
        GeminiProvider::with_key(config, ApiKey::new(self.standin.key()))
            .unwrap()
            .with_clock(Arc::new(self.clock.clone()))
    }

    fn request(&self) -> GenerateRequest {
        sample_request(MODEL, Some(self.video.video.clone()))
    }

    fn last_model_body(&self) -> Value {
        let requests = self.standin.model_requests();
        requests.last().unwrap().body.clone().unwrap()
    }

    /// The files in the temporary directory are exactly the ones the fixture made.
    fn files_left(&self) -> BTreeSet<PathBuf> {
        list(self.dir.path())
    }

    fn fixture_files(&self) -> BTreeSet<PathBuf> {
        self.video.files.iter().cloned().collect()
    }
}

fn list(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[tokio::test]
async fn inline_body_fields() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::answer(VALID)]);
    let provider = setup.provider(setup.config());
    provider.generate(&setup.request()).await.unwrap();

    let body = setup.last_model_body();
    let video_part = &body["contents"][0]["parts"][0];
    let sent = base64::engine::general_purpose::STANDARD
        .decode(video_part["inlineData"]["data"].as_str().unwrap())
        .unwrap();
    let on_disk = std::fs::read(&setup.video.video.mp4).unwrap();
    assert_eq!(
        body["systemInstruction"]["parts"][0]["text"],
        "You review recorded web sessions. Reply only in the given schema."
    );
    assert_eq!(body["contents"].as_array().unwrap().len(), 1);
    assert_eq!(body["contents"][0]["role"], "user");
    assert_eq!(video_part["inlineData"]["mimeType"], "video/mp4");
    assert_eq!(sent, on_disk);
    assert_eq!(&sent[4..8], b"ftyp");
    assert_eq!(video_part["videoMetadata"], json!({"fps": 1.0}));
    assert_eq!(
        body["contents"][0]["parts"][1]["text"],
        "Event log:\n00:03 click #login\n00:07 input #email"
    );
    assert_eq!(
        body["contents"][0]["parts"][2]["text"],
        "Did the user finish the checkout? Cite moments as (t N)."
    );
    assert_eq!(body["contents"][0]["parts"].as_array().unwrap().len(), 3);
    let generation = &body["generationConfig"];
    assert_eq!(generation["responseMimeType"], "application/json");
    assert_eq!(generation["responseJsonSchema"], sample_schema());
    assert_eq!(generation["mediaResolution"], "MEDIA_RESOLUTION_HIGH");
    assert!(generation.get("responseSchema").is_none());
    assert!(generation.get("temperature").is_none());
}

#[tokio::test]
async fn inline_request_line_and_headers() {
    let setup = Setup::new().await;
    let provider = setup.provider(setup.config());
    provider.generate(&setup.request()).await.unwrap();

    let request = setup.standin.model_requests().remove(0);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        "/v1beta/models/gemini-3.5-flash:generateContent"
    );
    assert_eq!(request.query, None);
    assert_eq!(request.headers["x-goog-api-key"], setup.standin.key());
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(request.status, 200);
}

#[tokio::test]
async fn answer_usage_and_cost() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::answer(VALID)]);
    let provider = setup.provider(setup.config());
    let answer = provider.generate(&setup.request()).await.unwrap();

    let expected_cost = PriceTable::default().cost(MODEL, &prices::today(), &answer.usage);
    assert_eq!(answer.text, VALID);
    assert_eq!(answer.finish_reason.as_deref(), Some("STOP"));
    assert_eq!(answer.attempts, 1);
    assert!(answer.usage.input_tokens > 1_000, "{:?}", answer.usage);
    assert_eq!(answer.usage.output_tokens, VALID.len().div_ceil(4) as u64);
    assert_eq!(
        answer.usage.total_tokens,
        answer.usage.input_tokens + answer.usage.output_tokens
    );
    assert!(answer
        .usage
        .input_by_modality
        .iter()
        .any(|m| m.modality == "VIDEO"));
    assert_eq!(answer.cost_usd, expected_cost);
    assert!(answer.cost_usd.unwrap() > 0.0);
}

#[tokio::test]
async fn empty_script_answers_schema() {
    let setup = Setup::new().await;
    let provider = setup.provider(setup.config());
    let answer = provider.generate(&setup.request()).await.unwrap();
    let parsed: Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(parsed["verdict"], "yes");
}

#[tokio::test]
async fn dry_run_body_matches_sent() {
    let setup = Setup::new().await;
    let config = setup.config();
    let dry = GeminiProvider::dry_run_body(&config, &setup.request())
        .await
        .unwrap();
    setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap();
    assert_eq!(dry, setup.last_model_body());
}

#[tokio::test]
async fn files_api_flow() {
    let setup = Setup::new().await;
    setup.standin.chunk_granularity(4096);
    setup.standin.file_plan(FilePlan::Active {
        processing_polls: 2,
    });
    let config = GeminiConfig {
        inline_max_bytes: 1_000,
        upload_chunk_bytes: 4096,
        ..setup.config()
    };
    let answer = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap();

    let requests = setup.standin.requests();
    let steps: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let size = std::fs::metadata(&setup.video.video.mp4).unwrap().len() as usize;
    let chunks = size.div_ceil(4096);
    let start = &requests[0];
    assert_eq!(answer.attempts, 1);
    assert_eq!(start.headers["x-goog-upload-protocol"], "resumable");
    assert_eq!(start.headers["x-goog-upload-command"], "start");
    assert_eq!(
        start.headers["x-goog-upload-header-content-length"],
        size.to_string()
    );
    assert_eq!(
        start.headers["x-goog-upload-header-content-type"],
        "video/mp4"
    );
    assert_eq!(
        start.body,
        Some(json!({"file": {"display_name": "session-42"}}))
    );
    let chunk_commands: Vec<&str> = requests[1..=chunks]
        .iter()
        .map(|r| r.headers["x-goog-upload-command"].as_str())
        .collect();
    assert_eq!(chunk_commands.last(), Some(&"upload, finalize"));
    assert!(chunk_commands[..chunks - 1].iter().all(|c| *c == "upload"));
    assert_eq!(
        requests[chunks].headers["x-goog-upload-offset"],
        ((chunks - 1) * 4096).to_string()
    );
    let polls = steps
        .iter()
        .filter(|(m, p)| m == "GET" && p.starts_with("/v1beta/files/"))
        .count();
    assert_eq!(polls, 3);
    let part = &setup.last_model_body()["contents"][0]["parts"][0];
    let uri = part["fileData"]["fileUri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!("{}/v1beta/files/", setup.standin.base_url())),
        "{uri}"
    );
    assert_eq!(part["fileData"]["mimeType"], "video/mp4");
    assert!(part.get("inlineData").is_none());
    assert_eq!(part["videoMetadata"], json!({"fps": 1.0}));
    assert_eq!(steps.last().unwrap().0, "DELETE");
    assert_eq!(setup.standin.stored_files(), Vec::<String>::new());
    assert_eq!(setup.clock.sleeps(), vec![Duration::from_secs(5); 3]);
    assert_eq!(setup.files_left(), setup.fixture_files());
}

#[tokio::test]
async fn file_failed_rejected() {
    let setup = Setup::new().await;
    setup.standin.file_plan(FilePlan::Failed {
        processing_polls: 1,
        message: "The video could not be decoded.".into(),
    });
    let config = GeminiConfig {
        inline_max_bytes: 1_000,
        ..setup.config()
    };
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.cause, Cause::FileProcessing);
    assert!(
        error.message.contains("could not be decoded"),
        "{}",
        error.message
    );
    assert_eq!(setup.standin.model_requests().len(), 0);
    assert_eq!(setup.standin.stored_files(), Vec::<String>::new());
    assert_eq!(setup.clock.total(), Duration::from_secs(10));
    assert_eq!(setup.files_left(), setup.fixture_files());
}

#[tokio::test]
async fn file_processing_too_long() {
    let setup = Setup::new().await;
    setup.standin.file_plan(FilePlan::Active {
        processing_polls: 10,
    });
    let config = GeminiConfig {
        inline_max_bytes: 1_000,
        file_max_polls: 3,
        ..setup.config()
    };
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.cause, Cause::FileProcessing);
    assert_eq!(setup.clock.total(), Duration::from_secs(15));
    assert_eq!(setup.standin.stored_files(), Vec::<String>::new());
}

#[tokio::test]
async fn rate_limit_honours_retry_info() {
    let setup = Setup::new().await;
    setup.standin.script([
        Reply::RateLimited(Duration::from_secs(22)),
        Reply::answer(VALID),
    ]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.attempts, 2);
    assert_eq!(setup.clock.sleeps(), vec![Duration::from_secs(22)]);
    assert_eq!(setup.files_left(), setup.fixture_files());
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let setup = Setup::new().await;
    setup.standin.script([
        Reply::RetryAfterHeader(Duration::from_secs(7)),
        Reply::answer(VALID),
    ]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.attempts, 2);
    assert_eq!(setup.clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn server_errors_back_off() {
    let setup = Setup::new().await;
    setup.standin.script([
        Reply::status(500),
        Reply::status(503),
        Reply::status(504),
        Reply::answer(VALID),
    ]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    let expected: Vec<Duration> = [1, 2, 4].map(Duration::from_secs).to_vec();
    assert_eq!(answer.attempts, 4);
    assert_eq!(setup.clock.sleeps(), expected);
}

#[tokio::test]
async fn overloaded_exhausts_attempts() {
    let setup = Setup::new().await;
    setup.standin.script(vec![Reply::status(503); 6]);
    let error = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(error.status, Some(503));
    assert!(error.message.contains("overloaded"), "{}", error.message);
    assert_eq!(error.attempts, 5);
    assert_eq!(error.waited, Duration::from_secs(1 + 2 + 4 + 8));
    assert_eq!(setup.clock.total(), Duration::from_secs(15));
    assert_eq!(setup.standin.unused_replies(), 1);
}

#[tokio::test]
async fn retry_budget_stops_early() {
    let setup = Setup::new().await;
    setup.standin.script([
        Reply::RateLimited(Duration::from_secs(120)),
        Reply::answer(VALID),
    ]);
    let mut config = setup.config();
    config.retry.max_total_wait_ms = 60_000;
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(error.attempts, 1);
    assert_eq!(error.retry_after, Some(Duration::from_secs(120)));
    assert_eq!(setup.clock.total(), Duration::ZERO);
}

#[tokio::test]
async fn hang_times_out_then_retries() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Hang, Reply::answer(VALID)]);
    let config = GeminiConfig {
        request_timeout_ms: 300,
        ..setup.config()
    };
    let answer = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.attempts, 2);
    assert_eq!(setup.clock.sleeps(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn hang_exhausts_attempts() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Hang, Reply::Hang]);
    let mut config = GeminiConfig {
        request_timeout_ms: 300,
        ..setup.config()
    };
    config.retry.max_attempts = 2;
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(error.cause, Cause::Timeout);
    assert_eq!(error.attempts, 2);
    assert_eq!(error.waited, Duration::from_secs(1));
}

#[tokio::test]
async fn malformed_body_retried() {
    let setup = Setup::new().await;
    setup
        .standin
        .script([Reply::Malformed, Reply::answer(VALID)]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.attempts, 2);
    assert_eq!(answer.text, VALID);
}

#[tokio::test]
async fn blocked_prompt_rejected() {
    let setup = Setup::new().await;
    setup
        .standin
        .script([Reply::Blocked("PROHIBITED_CONTENT".into())]);
    let error = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.cause, Cause::Blocked("PROHIBITED_CONTENT".into()));
    assert_eq!(error.attempts, 1);
    assert_eq!(error.waited, Duration::ZERO);
    assert_eq!(setup.files_left(), setup.fixture_files());
}

#[tokio::test]
async fn safety_finish_rejected() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Finish {
        reason: "SAFETY".into(),
        text: String::new(),
    }]);
    let error = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.cause, Cause::Safety("SAFETY".into()));
    assert_eq!(error.attempts, 1);
}

#[tokio::test]
async fn max_tokens_returns_text() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Finish {
        reason: "MAX_TOKENS".into(),
        text: r#"{"reasoning":"The user"#.into(),
    }]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();
    assert_eq!(answer.finish_reason.as_deref(), Some("MAX_TOKENS"));
}

#[tokio::test]
async fn invalid_key_rejected() {
    let setup = Setup::new().await;
    let provider = GeminiProvider::with_key(setup.config(), ApiKey::new("wrong-key"))
        .unwrap()
        .with_clock(Arc::new(setup.clock.clone()));
    let error = provider.generate(&setup.request()).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.status, Some(400));
    assert!(
        error.message.contains("API_KEY_INVALID"),
        "{}",
        error.message
    );
    assert!(!error.to_string().contains("wrong-key"));
    assert_eq!(error.attempts, 1);
}

#[tokio::test]
async fn not_found_rejected() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::status(404)]);
    let error = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.status, Some(404));
    assert_eq!(error.attempts, 1);
}

#[tokio::test]
async fn invalid_schema_rejected_by_standin() {
    let setup = Setup::new().await;
    let mut request = setup.request();
    request.response_schema = json!({"type": "object", "properties": {}, "required": ["verdict"]});
    let error = setup
        .provider(setup.config())
        .generate(&request)
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.status, Some(400));
    assert!(error.message.contains("required"), "{}", error.message);
}

#[tokio::test]
async fn network_error_transient() {
    let setup = Setup::new().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = GeminiConfig {
        base_url: format!("http://{closed}"),
        ..setup.config()
    };
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(error.cause, Cause::Network);
    assert_eq!(error.attempts, 5);
    assert_eq!(error.waited, Duration::from_secs(15));
}

#[tokio::test]
async fn reprompt_after_invalid_answer() {
    let setup = Setup::new().await;
    let invalid = r#"{"verdict":"maybe"}"#;
    setup
        .standin
        .script([Reply::answer(invalid), Reply::answer(VALID)]);
    let provider = setup.provider(setup.config());
    let mut request = setup.request();
    let first = provider.generate(&request).await.unwrap();
    request.turns.push(Turn::Model(first.text.clone()));
    request.turns.push(Turn::User(
        "Respond with raw JSON that matches the schema.".into(),
    ));
    let second = provider.generate(&request).await.unwrap();

    let body = setup.last_model_body();
    let roles: Vec<&str> = body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(first.text, invalid);
    assert_eq!(second.text, VALID);
    assert_eq!(roles, vec!["user", "model", "user"]);
    assert_eq!(body["contents"][1]["parts"][0]["text"], invalid);
    assert!(body["contents"][0]["parts"][0].get("inlineData").is_some());
    assert_eq!(body["contents"][2]["parts"].as_array().unwrap().len(), 1);
}
