//! Cost of the provider's own work per model call. It measures building the Gemini body with the
//! MP4 inline and building the OpenAI-compatible body with every frame as a data URL. It also
//! measures a whole call through the loopback stand-in: HTTP, the stand-in's checks and parsing
//! the reply. The video is ffmpeg's test pattern at the renderer's default frame size.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use replay_vision::provider::gemini::{ApiKey, GeminiConfig, GeminiProvider};
use replay_vision::provider::openai::{self, OpenAiConfig};
use replay_vision::provider::retry::FastClock;
use replay_vision::provider::Provider;
use replay_vision_tests::standin::{sample_request, test_video, StandIn};

fn provider_benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let video = test_video(dir.path(), 20, 3, (1280, 688)).unwrap().video;
    let request = sample_request("gemini-3.5-flash", Some(video));
    let gemini_config = GeminiConfig::default();
    let openai_config = OpenAiConfig::default();

    c.bench_function("gemini_body_inline", |b| {
        b.iter(|| {
            let body = runtime
                .block_on(GeminiProvider::dry_run_body(&gemini_config, &request))
                .unwrap();
            serde_json::to_vec(&body).unwrap()
        })
    });
    c.bench_function("openai_body_60_frames", |b| {
        b.iter(|| {
            let body = runtime
                .block_on(openai::request_body(&request, &openai_config))
                .unwrap();
            serde_json::to_vec(&body).unwrap()
        })
    });

    let standin = runtime.block_on(StandIn::start());
    let config = GeminiConfig {
        base_url: standin.base_url(),
        ..GeminiConfig::default()
    };
    let provider = GeminiProvider::with_key(config, ApiKey::new(standin.key()))
        .unwrap()
        .with_clock(Arc::new(FastClock::default()));
    c.bench_function("gemini_call_via_standin", |b| {
        b.iter(|| runtime.block_on(provider.generate(&request)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = provider_benches
}
criterion_main!(benches);
