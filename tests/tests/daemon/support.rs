//! Shared set-up of the daemon tests: a temporary folder with a watched recordings directory and
//! a scanners directory, a store (SQLite or PostgreSQL), the model stand-in, and the
//! configuration that ties them together.
//!
//! Sessions are copies of one short real recording wrapped as PostHog exports with their own
//! session ids, so each test can have many sessions while Chromium renders the content once (the
//! render cache is keyed by content) and the test stays fast on two cores.

use std::path::{Path, PathBuf};

use replay_vision::config::Config;
use replay_vision::daemon::Daemon;
use replay_vision::provider::retry::RetryPolicy;
use replay_vision_tests::database::{self, TestStore};
use replay_vision_tests::rig::{recording_path, repository};
use replay_vision_tests::standin::StandIn;
use serde_json::Value;

/// A short eligible recording: 94 s long, about 17 s active, 51 events.
pub const SHORT: &str = "posthog-com-docs-2-snapshots-short.json";

/// A monitor scanner named `name` with a sampling rate.
pub fn monitor(name: &str, sampling_rate: f64) -> String {
    format!(
        "name = \"{name}\"\ntype = \"monitor\"\nsampling_rate = {sampling_rate}\n\
         [config]\nprompt = \"Answer yes if the user seems stuck on a page.\"\n"
    )
}

/// Everything one daemon test runs against.
pub struct Fixture {
    pub folder: tempfile::TempDir,
    pub standin: StandIn,
    pub store: TestStore,
}

impl Fixture {
    /// A fixture on a fresh SQLite file.
    pub async fn sqlite() -> Fixture {
        Fixture::with_store(database::sqlite().await).await
    }

    /// A fixture on a fresh PostgreSQL database (`make test` starts the server).
    pub async fn postgres() -> Fixture {
        Fixture::with_store(database::postgres().await).await
    }

    async fn with_store(store: TestStore) -> Fixture {
        let folder = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(folder.path().join("recordings")).expect("recordings folder");
        std::fs::create_dir_all(folder.path().join("scanners")).expect("scanners folder");
        Fixture {
            folder,
            standin: StandIn::start().await,
            store,
        }
    }

    pub fn recordings(&self) -> PathBuf {
        self.folder.path().join("recordings")
    }

    pub fn scanners(&self) -> PathBuf {
        self.folder.path().join("scanners")
    }

    /// The configuration of a daemon on this fixture: no settle time, the API on a free
    /// loopback port, one render slot and two model calls at once.
    pub fn config(&self) -> Config {
        let mut config = Config {
            data_dir: self.folder.path().join("data"),
            ..Config::default()
        };
        config.store.url = Some(self.store.url.clone());
        config.scanner_types.dir = Some(repository().join("scanner-types"));
        config.scanners.dir = self.scanners();
        config.sources.directories = vec![self.recordings()];
        config.provider.gemini.base_url = self.standin.base_url();
        config.provider.gemini.api_key = Some(self.standin.key().to_string());
        config.provider.gemini.api_key_env = "REPLAY_VISION_TEST_UNSET_KEY".into();
        config.provider.gemini.retry = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        config.render.cache_dir = self.folder.path().join("videos");
        config.daemon.settle_s = 0.0;
        config.daemon.model_concurrency = 2;
        config.daemon.api.listen = "127.0.0.1:0".into();
        config
    }

    /// The same configuration as TOML, for the `replay-vision` binary.
    pub fn config_toml(&self, extra_daemon: &str) -> String {
        format!(
            "data_dir = {data:?}\n\
             [store]\nurl = {url:?}\n\
             [scanner_types]\ndir = {types:?}\n\
             [scanners]\ndir = {scanners:?}\n\
             [sources]\ndirectories = [{recordings:?}]\n\
             [provider.gemini]\nbase_url = {base:?}\napi_key = {key:?}\n\
             api_key_env = \"REPLAY_VISION_TEST_UNSET_KEY\"\n\
             [provider.gemini.retry]\nmax_attempts = 1\n\
             [render]\ncache_dir = {videos:?}\n\
             [daemon]\nsettle_s = 0.0\n{extra_daemon}\n\
             [daemon.api]\nenabled = false\n",
            data = self.folder.path().join("data"),
            url = self.store.url,
            types = repository().join("scanner-types"),
            scanners = self.scanners(),
            recordings = self.recordings(),
            base = self.standin.base_url(),
            key = self.standin.key(),
            videos = self.folder.path().join("videos"),
        )
    }

    /// A daemon on this fixture's configuration.
    pub async fn daemon(&self) -> Daemon {
        Daemon::new(self.config()).await.expect("daemon starts")
    }

    /// Writes a scanner file.
    pub fn add_scanner(&self, file: &str, toml: &str) {
        std::fs::write(self.scanners().join(file), toml).expect("write scanner file");
    }

    /// Writes the short recording as a PostHog export with session id `id`.
    pub fn add_session(&self, id: &str) {
        write_export(&self.recordings(), id, short_events(0));
    }

    /// Writes the short recording moved in time so that its last event is `age_ms` ago.
    pub fn add_session_ended_ago(&self, id: &str, age_ms: i64) {
        let events = short_events(0);
        let last = events
            .iter()
            .filter_map(|event| event["timestamp"].as_i64())
            .max()
            .expect("events have timestamps");
        let now = replay_vision::store::now_ms();
        write_export(&self.recordings(), id, short_events(now - age_ms - last));
    }
}

/// The short recording's events, with every timestamp moved by `shift_ms`.
fn short_events(shift_ms: i64) -> Vec<Value> {
    let text = std::fs::read_to_string(recording_path(SHORT)).expect("read the short recording");
    let mut events: Vec<Value> = serde_json::from_str(&text).expect("the recording is JSON");
    for event in &mut events {
        if let Some(timestamp) = event["timestamp"].as_i64() {
            event["timestamp"] = (timestamp + shift_ms).into();
        }
    }
    events
}

fn write_export(dir: &Path, id: &str, events: Vec<Value>) {
    let export = serde_json::json!({
        "version": "2023-04-28",
        "data": {"id": id, "snapshots": events},
    });
    std::fs::write(dir.join(format!("{id}.json")), export.to_string()).expect("write recording");
}

/// Every (scanner, session) pair with an observation, and its state, sorted.
pub async fn observed_pairs(store: &replay_vision::store::Store) -> Vec<(String, String, String)> {
    let filter = replay_vision::store::ObservationFilter {
        limit: Some(10_000),
        ..Default::default()
    };
    let mut pairs: Vec<_> = store
        .list_observations(&filter)
        .await
        .expect("list observations")
        .into_iter()
        .map(|o| (o.scanner_id, o.session_id, o.state.as_str().to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Queued (scanner, session) pairs, sorted.
pub async fn queued_pairs(store: &replay_vision::store::Store) -> Vec<(String, String)> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT scanner_id, session_id FROM work_queue ORDER BY scanner_id, session_id",
    )
    .fetch_all(store.pool())
    .await
    .expect("read the work queue");
    rows.iter()
        .map(|row| (row.get("scanner_id"), row.get("session_id")))
        .collect()
}
