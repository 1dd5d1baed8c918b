//! The configuration file, `replay-vision.toml`. Every value has a default, so a first run needs
//! no file; a file names only what it changes. Secrets are never written in the file itself:
//! it names the environment variables that hold them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::provider::gemini::GeminiConfig;
use crate::provider::openai::OpenAiConfig;
use crate::recording::AnalysisOptions;
use crate::render::RenderSettings;

/// The name looked for in the current directory when no `--config` is given.
pub const DEFAULT_FILE: &str = "replay-vision.toml";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder of the SQLite store and the dry-run requests. The default is `.replay-vision`
    /// in the current directory.
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    pub provider: ProviderConfig,
    pub sinks: SinksConfig,
    pub scanner_types: ScannerTypesConfig,
    pub scanners: ScannersConfig,
    pub eligibility: EligibilityConfig,
    /// Rendering: frame size, frame choice, Chromium and ffmpeg paths, remote assets.
    pub render: RenderSettings,
    /// The daemon: sweeps, concurrency, leases, budgets and the HTTP API.
    pub daemon: crate::daemon::DaemonConfig,
    /// Where the daemon finds sessions: watched directories and PostHog.
    pub sources: crate::source::SourcesConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from(".replay-vision"),
            store: StoreConfig::default(),
            provider: ProviderConfig::default(),
            sinks: SinksConfig::default(),
            scanner_types: ScannerTypesConfig::default(),
            scanners: ScannersConfig::default(),
            eligibility: EligibilityConfig::default(),
            render: RenderSettings::default(),
            daemon: crate::daemon::DaemonConfig::default(),
            sources: crate::source::SourcesConfig::default(),
        }
    }
}

/// The store's location.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`. The default is the SQLite file
    /// `<data_dir>/replay-vision.db`.
    pub url: Option<String>,
}

/// The model to call, and how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// `gemini` or `openai` (any OpenAI-compatible chat completions server). The default is
    /// `gemini`.
    pub name: String,
    /// The model id used by scanners that name none. The default is `gemini-3.5-flash`.
    pub model: String,
    /// Gemini settings: base URL, key variable (default `GEMINI_API_KEY`), retries.
    pub gemini: GeminiConfig,
    /// OpenAI-compatible settings: base URL, key variable (default `OPENAI_API_KEY`), how
    /// frames are sent, retries.
    pub openai: OpenAiConfig,
}

impl Default for ProviderConfig {
    fn default() -> ProviderConfig {
        ProviderConfig {
            name: "gemini".into(),
            model: "gemini-3.5-flash".into(),
            gemini: GeminiConfig::default(),
            openai: OpenAiConfig::default(),
        }
    }
}

impl ProviderConfig {
    /// Returns the environment variable that contains the chosen provider's key.
    pub fn key_variable(&self) -> &str {
        match self.name.as_str() {
            "openai" => &self.openai.api_key_env,
            _ => &self.gemini.api_key_env,
        }
    }

    /// Returns whether a model call can be made. Gemini needs a key. An OpenAI-compatible
    /// server needs one unless its base URL differs from OpenAI's own, since local servers
    /// take none.
    pub fn is_configured(&self) -> bool {
        let key_set = std::env::var(self.key_variable())
            .ok()
            .is_some_and(|key| !key.trim().is_empty());
        match self.name.as_str() {
            "openai" => {
                key_set
                    || self.openai.api_key.is_some()
                    || self.openai.base_url != OpenAiConfig::default().base_url
            }
            _ => key_set || self.gemini.api_key.is_some(),
        }
    }
}

/// Destinations of `$recording_observed` events.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SinksConfig {
    /// Write events to the store's `events` table. The default is on.
    pub events: bool,
    /// Append events as JSON lines to this file.
    pub jsonl: Option<PathBuf>,
    pub posthog: Option<PostHogSinkConfig>,
    pub webhook: Option<WebhookSinkConfig>,
}

impl Default for SinksConfig {
    fn default() -> SinksConfig {
        SinksConfig {
            events: true,
            jsonl: None,
            posthog: None,
            webhook: None,
        }
    }
}

/// PostHog's capture API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogSinkConfig {
    /// For example `https://us.i.posthog.com`.
    pub host: String,
    /// The environment variable holding the project API key. The default is
    /// `POSTHOG_PROJECT_API_KEY`.
    #[serde(default = "default_posthog_key_env")]
    pub project_api_key_env: String,
}

fn default_posthog_key_env() -> String {
    "POSTHOG_PROJECT_API_KEY".into()
}

/// A webhook that receives each event signed with HMAC-SHA256.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkConfig {
    pub url: String,
    /// The environment variable holding the signing secret. The default is
    /// `REPLAY_VISION_WEBHOOK_SECRET`.
    #[serde(default = "default_webhook_secret_env")]
    pub secret_env: String,
}

fn default_webhook_secret_env() -> String {
    "REPLAY_VISION_WEBHOOK_SECRET".into()
}

/// The folder of scanner types (`.wasm` components).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScannerTypesConfig {
    pub dir: Option<PathBuf>,
}

/// The folder of scanner files that `--scanner NAME` searches.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScannersConfig {
    /// The default is `scanners` in the current directory.
    pub dir: PathBuf,
}

impl Default for ScannersConfig {
    fn default() -> ScannersConfig {
        ScannersConfig {
            dir: PathBuf::from("scanners"),
        }
    }
}

/// Thresholds deciding which sessions are worth a model call, in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EligibilityConfig {
    /// Sessions shorter than this are `too_short`. The default is 15.
    pub min_duration_s: f64,
    /// Sessions with less active time are `too_inactive`. The default is 10.
    pub min_active_s: f64,
    /// Sessions with more active time are `too_long`. The default is 3600.
    pub max_active_s: f64,
}

impl Default for EligibilityConfig {
    fn default() -> EligibilityConfig {
        EligibilityConfig {
            min_duration_s: 15.0,
            min_active_s: 10.0,
            max_active_s: 3600.0,
        }
    }
}

impl Config {
    /// Reads `path`, or `replay-vision.toml` in the current directory when it exists, or
    /// returns the defaults.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let path = match path {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_FILE).exists() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        Config::parse(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }

    /// Parses configuration text.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        if !matches!(config.provider.name.as_str(), "gemini" | "openai") {
            anyhow::bail!(
                "[provider] name = {:?} is not a provider; use \"gemini\" or \"openai\" (any \
                 OpenAI-compatible server)",
                config.provider.name
            );
        }
        Ok(config)
    }

    /// Returns the store URL, by default a SQLite file in the data folder.
    pub fn store_url(&self) -> String {
        match &self.store.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("replay-vision.db").display()
            ),
        }
    }

    /// Returns the analysis thresholds, with the eligibility section applied.
    pub fn analysis_options(&self) -> AnalysisOptions {
        AnalysisOptions {
            min_duration_ms: (self.eligibility.min_duration_s * 1000.0) as i64,
            min_active_ms: (self.eligibility.min_active_s * 1000.0) as i64,
            max_active_ms: (self.eligibility.max_active_s * 1000.0) as i64,
            ..AnalysisOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.provider.name, "gemini");
        assert_eq!(config.eligibility.min_duration_s, 15.0);
        assert_eq!(
            config.store_url(),
            "sqlite://.replay-vision/replay-vision.db"
        );
    }

    #[test]
    fn local_openai_server_needs_no_key() {
        let config = Config::parse(
            "[provider]\nname = \"openai\"\n[provider.openai]\nbase_url = \"http://127.0.0.1:8000/v1\"\n",
        )
        .unwrap();
        assert!(config.provider.is_configured());
    }

    #[test]
    fn unknown_provider_is_rejected() {
        let error = Config::parse("[provider]\nname = \"nope\"\n").unwrap_err();
        assert!(format!("{error:#}").contains("nope"), "{error:#}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let error = Config::parse("[provider]\nmodle = \"x\"\n").unwrap_err();
        assert!(format!("{error:#}").contains("modle"), "{error:#}");
    }

    #[test]
    fn key_variable_follows_provider() {
        let config = Config::parse("[provider]\nname = \"openai\"\n").unwrap();
        assert_eq!(config.provider.key_variable(), "OPENAI_API_KEY");
        assert!(!config.provider.is_configured() || std::env::var("OPENAI_API_KEY").is_ok());
    }
}
