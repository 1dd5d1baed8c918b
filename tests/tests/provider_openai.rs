//! The OpenAI-compatible provider against the loopback stand-in: frames as `image_url` data
//! URLs with their session times, the video part, `response_format`, usage, and the failure
//! scenarios with kind, attempts and time waited on a fast clock.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use replay_vision::provider::openai::{OpenAiConfig, OpenAiProvider, VideoMode};
use replay_vision::provider::retry::FastClock;
use replay_vision::provider::{Cause, ErrorKind, GenerateRequest, Provider, Turn};
use replay_vision_tests::standin::{
    exact_retry_policy, sample_request, sample_schema, test_video, Reply, StandIn, TestVideo,
};
use serde_json::Value;

const MODEL: &str = "Qwen/Qwen2.5-VL-7B-Instruct";
const VALID: &str = r#"{"reasoning":"Paid at (t 4).","verdict":"yes","confidence":0.8}"#;

struct Setup {
    standin: StandIn,
    clock: FastClock,
    _dir: tempfile::TempDir,
    video: TestVideo,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let video = test_video(dir.path(), 2, 3, (320, 240)).unwrap();
        Self {
            standin: StandIn::start().await,
            clock: FastClock::default(),
            _dir: dir,
            video,
        }
    }

    fn config(&self) -> OpenAiConfig {
        OpenAiConfig {
            base_url: self.standin.openai_base_url(),
            api_key_env: "REPLAY_VISION_TEST_UNSET_KEY".into(),
            api_key: Some(self.standin.key().to_string()),
            retry: exact_retry_policy(),
            ..OpenAiConfig::default()
        }
    }

    fn provider(&self, config: OpenAiConfig) -> OpenAiProvider {
        OpenAiProvider::new(config)
            .unwrap()
            .with_clock(Arc::new(self.clock.clone()))
    }

    fn request(&self) -> GenerateRequest {
        sample_request(MODEL, Some(self.video.video.clone()))
    }

    fn last_body(&self) -> Value {
        let requests = self.standin.model_requests();
        requests.last().unwrap().body.clone().unwrap()
    }
}

fn decode_data_url(url: &str, mime: &str) -> Vec<u8> {
    let prefix = format!("data:{mime};base64,");
    let data = url.strip_prefix(&prefix).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap()
}

#[tokio::test]
async fn frames_body_fields() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::answer(VALID)]);
    setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    let body = setup.last_body();
    let frames = &setup.video.video.frames;
    let parts = body["messages"][1]["content"].as_array().unwrap();
    let images: Vec<&Value> = parts.iter().filter(|p| p["type"] == "image_url").collect();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        body["messages"][0]["content"],
        "You review recorded web sessions. Reply only in the given schema."
    );
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"].as_array().unwrap().len(), 2);
    assert!(frames.len() >= 6, "{} frames", frames.len());
    assert_eq!(images.len(), frames.len());
    assert_eq!(parts.len(), 1 + 2 * frames.len() + 2);
    for (index, frame) in frames.iter().enumerate() {
        let label = &parts[1 + 2 * index];
        let image = &parts[2 + 2 * index];
        let expected = format!("t={:.1}s", frame.session_ms as f64 / 1000.0);
        let sent = decode_data_url(image["image_url"]["url"].as_str().unwrap(), "image/jpeg");
        assert_eq!(label["type"], "text", "frame {index}");
        assert_eq!(label["text"], expected, "frame {index}");
        assert_eq!(sent, std::fs::read(&frame.path).unwrap(), "frame {index}");
    }
    assert_eq!(
        parts[parts.len() - 2]["text"],
        "Event log:\n00:03 click #login\n00:07 input #email"
    );
    assert_eq!(
        parts[parts.len() - 1]["text"],
        "Did the user finish the checkout? Cite moments as (t N)."
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        body["response_format"]["json_schema"]["name"],
        "observation"
    );
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        sample_schema()
    );
}

#[tokio::test]
async fn request_line_and_headers() {
    let setup = Setup::new().await;
    setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    let request = setup.standin.model_requests().remove(0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {}", setup.standin.key())
    );
    assert_eq!(request.headers["content-type"], "application/json");
}

#[tokio::test]
async fn video_mode_sends_mp4() {
    let setup = Setup::new().await;
    let config = OpenAiConfig {
        video_mode: VideoMode::Video,
        ..setup.config()
    };
    setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap();

    let body = setup.last_body();
    let part = &body["messages"][1]["content"][0];
    let sent = decode_data_url(part["video_url"]["url"].as_str().unwrap(), "video/mp4");
    assert_eq!(part["type"], "video_url");
    assert_eq!(sent, std::fs::read(&setup.video.video.mp4).unwrap());
    assert_eq!(body["messages"][1]["content"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn usage_without_price() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::answer(VALID)]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.text, VALID);
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(answer.usage.output_tokens, VALID.len().div_ceil(4) as u64);
    assert!(answer.usage.input_tokens > 258, "{:?}", answer.usage);
    assert_eq!(answer.cost_usd, None);
    assert_eq!(answer.model_version.as_deref(), Some(MODEL));
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let setup = Setup::new().await;
    setup.standin.script([
        Reply::RateLimited(Duration::from_secs(9)),
        Reply::answer(VALID),
    ]);
    let answer = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap();

    assert_eq!(answer.attempts, 2);
    assert_eq!(setup.clock.sleeps(), vec![Duration::from_secs(9)]);
}

#[tokio::test]
async fn server_error_exhausts_attempts() {
    let setup = Setup::new().await;
    setup.standin.script(vec![Reply::status(500); 3]);
    let mut config = setup.config();
    config.retry.max_attempts = 3;
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(error.status, Some(500));
    assert_eq!(error.attempts, 3);
    assert_eq!(error.waited, Duration::from_secs(3));
}

#[tokio::test]
async fn wrong_key_rejected() {
    let setup = Setup::new().await;
    let config = OpenAiConfig {
        api_key: Some("wrong".into()),
        ..setup.config()
    };
    let error = setup
        .provider(config)
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.status, Some(401));
    assert_eq!(error.attempts, 1);
    assert_eq!(error.waited, Duration::ZERO);
}

#[tokio::test]
async fn content_filter_rejected() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Blocked("SAFETY".into())]);
    let error = setup
        .provider(setup.config())
        .generate(&setup.request())
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Rejected);
    assert_eq!(error.cause, Cause::Safety("content_filter".into()));
    assert_eq!(error.attempts, 1);
}

#[tokio::test]
async fn hang_times_out() {
    let setup = Setup::new().await;
    setup.standin.script([Reply::Hang, Reply::answer(VALID)]);
    let config = OpenAiConfig {
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
}

#[tokio::test]
async fn reprompt_uses_assistant_role() {
    let setup = Setup::new().await;
    let mut request = setup.request();
    request
        .turns
        .push(Turn::Model(r#"{"verdict":"maybe"}"#.into()));
    request
        .turns
        .push(Turn::User("Respond with raw JSON only.".into()));
    setup
        .provider(setup.config())
        .generate(&request)
        .await
        .unwrap();

    let body = setup.last_body();
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
    assert_eq!(body["messages"][2]["content"], r#"{"verdict":"maybe"}"#);
    assert_eq!(
        body["messages"][3]["content"],
        "Respond with raw JSON only."
    );
}
