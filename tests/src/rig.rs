//! A complete pipeline for end-to-end tests: a SQLite store in a temporary folder, the scanner
//! types compiled by `make guests`, real Chromium and ffmpeg, and a provider that talks to the
//! model stand-in on loopback.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use replay_vision::config::Config;
use replay_vision::pipeline::{Job, Model, Outcome, Pipeline, PipelineOptions, Session, TypeSet};
use replay_vision::provider::gemini::{ApiKey, GeminiConfig, GeminiProvider};
use replay_vision::provider::openai::{OpenAiConfig, OpenAiProvider};
use replay_vision::provider::retry::{FastClock, RetryPolicy};
use replay_vision::provider::Provider;
use replay_vision::recording::{self, AnalysisOptions};
use replay_vision::render::{RenderSettings, Renderer};
use replay_vision::scanner::ScannerDefinition;
use replay_vision::sink::Sink;
use replay_vision::store::{Observation, OutboundEvent, Store, Trigger};

use crate::standin::StandIn;

/// Returns the repository's root folder.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// Returns the path of a recording shipped in `tests/data/recordings/`.
pub fn recording_path(name: &str) -> PathBuf {
    repository().join("tests/data/recordings").join(name)
}

/// The protocol the provider speaks to the stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Gemini,
    OpenAi,
}

/// What a rig is built with.
pub struct RigOptions {
    pub protocol: Protocol,
    /// `None` runs without a model (dry runs).
    pub with_model: bool,
    pub render: RenderSettings,
    /// The scanner types folder; the default is the one `make guests` fills.
    pub types_dir: Option<PathBuf>,
}

impl Default for RigOptions {
    fn default() -> RigOptions {
        RigOptions {
            protocol: Protocol::Gemini,
            with_model: true,
            render: RenderSettings::default(),
            types_dir: None,
        }
    }
}

/// A pipeline with everything it talks to.
pub struct Rig {
    pub pipeline: Pipeline,
    pub standin: StandIn,
    pub clock: FastClock,
    pub folder: tempfile::TempDir,
    pub protocol: Protocol,
}

impl Rig {
    /// Builds a rig; every file it writes goes under a fresh temporary folder.
    pub async fn new(options: RigOptions) -> Rig {
        let folder = tempfile::tempdir().expect("temporary folder");
        let standin = StandIn::start().await;
        let clock = FastClock::default();
        let store = Store::connect(&format!(
            "sqlite://{}",
            folder.path().join("rv.db").display()
        ))
        .await
        .expect("store opens");
        let mut config = Config {
            data_dir: folder.path().to_path_buf(),
            ..Config::default()
        };
        config.scanner_types.dir = Some(
            options
                .types_dir
                .clone()
                .unwrap_or_else(|| repository().join("scanner-types")),
        );
        let types =
            Arc::new(TypeSet::load(&config).expect("scanner types load; run `make guests`"));
        let mut render = options.render;
        render.cache_dir = folder.path().join("videos");
        let renderer = Arc::new(Renderer::new(render).expect("renderer starts"));
        let model = options
            .with_model
            .then(|| model(options.protocol, &standin, &clock));
        let sinks = vec![
            Sink::Events,
            Sink::JsonLines(folder.path().join("events.jsonl")),
        ];
        let pipeline_options = PipelineOptions {
            owner: "test-worker".into(),
            lease_ms: 60_000,
            max_lease_expiries: 3,
            dry_run_dir: folder.path().join("dry-run"),
            dry_run_provider: "gemini".into(),
            dry_run_model: "gemini-3.5-flash".into(),
            provider_config: config.provider.clone(),
            media: Default::default(),
        };
        let pipeline = Pipeline::new(store, types, renderer, model, sinks, pipeline_options);
        Rig {
            pipeline,
            standin,
            clock,
            folder,
            protocol: options.protocol,
        }
    }

    /// Loads and analyses a shipped recording with the default thresholds.
    pub fn session(&self, name: &str) -> Session {
        self.session_with(name, &AnalysisOptions::default())
    }

    /// Loads and analyses a shipped recording.
    pub fn session_with(&self, name: &str, options: &AnalysisOptions) -> Session {
        let recording = recording::load(&recording_path(name)).expect("fixture loads");
        Session::new(recording, options)
    }

    /// Runs a scanner given as TOML text on a session.
    pub async fn observe(&self, session: &Session, scanner: &ScannerDefinition) -> Outcome {
        let job = Job {
            scanner,
            version: 1,
            trigger: Trigger::Schedule,
            triggered_by_user_id: None,
            rerun: false,
        };
        self.pipeline
            .observe(session, &job)
            .await
            .expect("observe runs")
    }

    /// Delivers queued events and returns those in the store's `events` table.
    pub async fn delivered_events(&self) -> Vec<OutboundEvent> {
        replay_vision::sink::deliver_due(self.pipeline.store(), self.pipeline.sinks())
            .await
            .expect("delivery runs");
        self.pipeline
            .store()
            .events("$recording_observed")
            .await
            .expect("events table reads")
    }
}

fn model(protocol: Protocol, standin: &StandIn, clock: &FastClock) -> Model {
    let retry = RetryPolicy {
        max_attempts: 3,
        jitter_ms: 0,
        ..RetryPolicy::default()
    };
    let provider: Arc<dyn Provider> = match protocol {
        Protocol::Gemini => {
            let config = GeminiConfig {
                base_url: standin.base_url(),
                retry,
                ..GeminiConfig::default()
            };
            Arc::new(
                GeminiProvider::with_key(config, ApiKey::new(standin.key()))
                    .expect("provider builds")
                    .with_clock(Arc::new(clock.clone())),
            )
        }
        Protocol::OpenAi => {
            let config = OpenAiConfig {
                base_url: standin.openai_base_url(),
                api_key: Some(standin.key().to_string()),
                api_key_env: "REPLAY_VISION_TEST_UNSET_KEY".into(),
                retry,
                ..OpenAiConfig::default()
            };
            Arc::new(
                OpenAiProvider::new(config)
                    .expect("provider builds")
                    .with_clock(Arc::new(clock.clone())),
            )
        }
    };
    Model {
        provider,
        default_model: "gemini-3.5-flash".into(),
    }
}

/// Returns the folder of the compiled guests, test guests included (`make guests`).
pub fn guest_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target"));
    target.join("wasm32-wasip2").join("guest")
}

/// Parses a scanner written inline in a test.
pub fn scanner(toml: &str) -> ScannerDefinition {
    ScannerDefinition::from_toml(toml, "test scanner").expect("test scanner is valid")
}

/// Returns the observation of an outcome that stored one, and panics with the outcome
/// otherwise.
pub fn stored(outcome: Outcome) -> Observation {
    match outcome {
        Outcome::Stored { observation } => observation,
        other => panic!("expected a stored observation, got {other:?}"),
    }
}
