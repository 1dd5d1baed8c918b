//! Request shapes for a real rendered session: a recording fixture rendered by Chromium and
//! ffmpeg, sent to the stand-in by both providers, and checked against the render's files and
//! its `VideoClock`.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use replay_vision::provider::gemini::{ApiKey, GeminiConfig, GeminiProvider};
use replay_vision::provider::openai::{OpenAiConfig, OpenAiProvider};
use replay_vision::provider::retry::FastClock;
use replay_vision::provider::{FrameRef, Provider, Video};
use replay_vision::recording;
use replay_vision::render::{RenderSettings, Rendered, Renderer, SessionEvents};
use replay_vision_tests::standin::{sample_request, StandIn};
use serde_json::Value;

const RECORDING: &str = "recordings/chalk-ci-automated-todo-entry.json";

async fn render(cache: &Path) -> Rendered {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(RECORDING);
    let session = SessionEvents::from_recording(&recording::load(&path).unwrap());
    let mut settings = RenderSettings {
        cache_dir: cache.to_owned(),
        step_timeout_s: 30,
        ..RenderSettings::default()
    };
    settings.frames.max_frames = 12;
    let renderer = Renderer::new(settings).expect("player assets are installed");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    renderer.shutdown().await;
    rendered
}

fn video_of(rendered: &Rendered) -> Video {
    let frames = rendered
        .frame_paths
        .iter()
        .zip(&rendered.clock.frames)
        .map(|(path, frame)| FrameRef {
            path: path.clone(),
            session_ms: frame.session_ms,
        })
        .collect();
    Video {
        mp4: rendered.video_path.clone(),
        frames,
        fps: rendered.clock.fps,
    }
}

fn decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn rendered_session_both_protocols() {
    let cache = tempfile::tempdir().unwrap();
    let rendered = render(cache.path()).await;
    let video = video_of(&rendered);
    let standin = StandIn::start().await;
    let request = sample_request("gemini-3.5-flash", Some(video.clone()));

    let gemini = GeminiProvider::with_key(
        GeminiConfig {
            base_url: standin.base_url(),
            ..GeminiConfig::default()
        },
        ApiKey::new(standin.key()),
    )
    .unwrap()
    .with_clock(Arc::new(FastClock::default()));
    gemini.generate(&request).await.unwrap();
    let openai = OpenAiProvider::new(OpenAiConfig {
        base_url: standin.openai_base_url(),
        api_key_env: "REPLAY_VISION_TEST_UNSET_KEY".into(),
        api_key: Some(standin.key().to_string()),
        ..OpenAiConfig::default()
    })
    .unwrap()
    .with_clock(Arc::new(FastClock::default()));
    openai.generate(&request).await.unwrap();

    let requests = standin.model_requests();
    let gemini_body: &Value = requests[0].body.as_ref().unwrap();
    let openai_body: &Value = requests[1].body.as_ref().unwrap();
    let mp4 = std::fs::read(&rendered.video_path).unwrap();
    let inline = &gemini_body["contents"][0]["parts"][0]["inlineData"];
    assert_eq!(requests.len(), 2);
    assert_eq!(inline["mimeType"], "video/mp4");
    assert_eq!(decode(inline["data"].as_str().unwrap()), mp4);
    assert_eq!(
        gemini_body["contents"][0]["parts"][0]["videoMetadata"]["fps"],
        1.0
    );

    let parts = openai_body["messages"][1]["content"].as_array().unwrap();
    assert!(
        rendered.clock.frames.len() >= 2,
        "{:?}",
        rendered.clock.frames.len()
    );
    for (index, frame) in rendered.clock.frames.iter().enumerate() {
        let label = &parts[1 + 2 * index]["text"];
        let url = parts[2 + 2 * index]["image_url"]["url"].as_str().unwrap();
        let data = url.strip_prefix("data:image/jpeg;base64,").unwrap();
        let on_disk = std::fs::read(&rendered.frame_paths[index]).unwrap();
        let expected = format!("t={:.1}s", frame.session_ms as f64 / 1000.0);
        assert_eq!(label, &Value::String(expected), "frame {index}");
        assert_eq!(decode(data), on_disk, "frame {index}");
    }
}
