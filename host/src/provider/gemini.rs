//! Gemini's `generateContent` REST API, spoken directly over reqwest. A small video goes inline
//! as base64; a larger one goes through the Files API (resumable upload, polled until `ACTIVE`,
//! deleted after use). The answer is requested as JSON (`responseMimeType` with
//! `responseJsonSchema`), and `usageMetadata` is priced with the [`PriceTable`].

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::prices::{self, ModelPrice, PriceTable};
use super::retry::{self, Clock, RetryPolicy, TokioClock};
use super::{http, Answer, Cause, ErrorKind, GenerateRequest, Provider, ProviderError};

mod body;
mod files;
mod response;

pub use body::{request_body, VideoPart};
pub use files::UploadedFile;

/// Settings of the Gemini provider. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeminiConfig {
    /// API root. The default is `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    /// Environment variable that contains the API key. The default is `GEMINI_API_KEY`.
    pub api_key_env: String,
    /// The key itself, used when the environment variable is unset. Prefer the variable.
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// Largest request body, in bytes, that carries the video inline; a larger video is
    /// uploaded through the Files API. The default is 20 MB, the limit the video guide states.
    pub inline_max_bytes: u64,
    /// Timeout of one HTTP request, in milliseconds. The default is 600000 (10 minutes), since
    /// a long video can take minutes to process.
    pub request_timeout_ms: u64,
    /// Upload chunk size in bytes, rounded up to the server's granularity. The default is 8 MiB.
    pub upload_chunk_bytes: u64,
    /// Pause between polls of an uploaded file's state, in milliseconds. The default is 5000.
    pub file_poll_interval_ms: u64,
    /// Polls before an uploaded file that is still `PROCESSING` counts as failed. The default
    /// is 120 (10 minutes at the default interval).
    pub file_max_polls: u32,
    /// `generationConfig.temperature`, unset by default (tuning it is discouraged for 3.x).
    pub temperature: Option<f64>,
    /// `generationConfig.maxOutputTokens`, unset by default.
    pub max_output_tokens: Option<u32>,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Price entries that replace the built-in ones for the models they name.
    pub prices: Vec<ModelPrice>,
}

impl GeminiConfig {
    /// Returns the built-in price table with `prices` applied.
    pub fn price_table(&self) -> PriceTable {
        let mut table = PriceTable::default();
        table.apply_overrides(self.prices.clone());
        table
    }
}

impl Default for GeminiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://generativelanguage.googleapis.com".to_string(),
            api_key_env: "GEMINI_API_KEY".to_string(),
            api_key: None,
            inline_max_bytes: 20_000_000,
            request_timeout_ms: 600_000,
            upload_chunk_bytes: 8 * 1024 * 1024,
            file_poll_interval_ms: 5_000,
            file_max_polls: 120,
            temperature: None,
            max_output_tokens: None,
            retry: RetryPolicy::default(),
            prices: Vec::new(),
        }
    }
}

/// An API key. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// Returns the key text, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ApiKey(<redacted>)")
    }
}

/// Errors that stop a provider from being built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No key in the environment or the configuration.
    #[error("missing API key: set the {0} environment variable or `api_key` in the configuration")]
    MissingKey(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The Gemini provider.
pub struct GeminiProvider {
    config: GeminiConfig,
    key: ApiKey,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    prices: PriceTable,
}

impl GeminiProvider {
    /// Builds a provider, reading the key from `config.api_key_env` or else `config.api_key`.
    pub fn new(config: GeminiConfig) -> Result<Self, SetupError> {
        let key = std::env::var(&config.api_key_env)
            .ok()
            .filter(|key| !key.is_empty())
            .or_else(|| config.api_key.clone())
            .ok_or_else(|| SetupError::MissingKey(config.api_key_env.clone()))?;
        Self::with_key(config, ApiKey::new(key))
    }

    /// Builds a provider with an explicit key.
    pub fn with_key(config: GeminiConfig, key: ApiKey) -> Result<Self, SetupError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .build()?;
        let prices = config.price_table();
        Ok(Self {
            config,
            key,
            client,
            clock: Arc::new(TokioClock::default()),
            prices,
        })
    }

    /// Replaces the clock used for backoff and polling (tests pass a `FastClock`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the price table.
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// Builds the exact body `generate` would send, for a dry run without a key. A video above the
    /// inline limit would be uploaded first, so its `fileData.fileUri` is a placeholder.
    pub async fn dry_run_body(
        config: &GeminiConfig,
        request: &GenerateRequest,
    ) -> Result<Value, ProviderError> {
        let video = match &request.video {
            Some(video) => Some(read_video(&video.mp4).await?),
            None => None,
        };
        let part = match &video {
            Some(bytes) if !fits_inline(config, request, bytes.len()) => VideoPart::File {
                uri: "<fileUri assigned by the Files API upload>".to_string(),
            },
            Some(bytes) => VideoPart::Inline {
                data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            },
            None => VideoPart::None,
        };
        Ok(request_body(request, &part, config))
    }

    async fn generate_inner(&self, request: &GenerateRequest) -> Result<Answer, ProviderError> {
        let Some(video) = &request.video else {
            let body = request_body(request, &VideoPart::None, &self.config);
            return self.generate_content(&request.model, &body).await;
        };
        let bytes = read_video(&video.mp4).await?;
        if fits_inline(&self.config, request, bytes.len()) {
            tracing::info!(model = %request.model, video_bytes = bytes.len(), "sending video inline");
            let part = VideoPart::Inline {
                data_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
            };
            let body = request_body(request, &part, &self.config);
            return self.generate_content(&request.model, &body).await;
        }
        tracing::info!(model = %request.model, video_bytes = bytes.len(), "uploading video through the Files API");
        let file = self.upload(bytes, &request.display_name).await?;
        let result = self.generate_with_file(request, &file).await;
        self.delete(&file).await;
        result
    }

    async fn generate_with_file(
        &self,
        request: &GenerateRequest,
        file: &UploadedFile,
    ) -> Result<Answer, ProviderError> {
        let active = self.wait_active(file).await?;
        let part = VideoPart::File { uri: active.uri };
        let body = request_body(request, &part, &self.config);
        self.generate_content(&request.model, &body).await
    }

    async fn generate_content(&self, model: &str, body: &Value) -> Result<Answer, ProviderError> {
        let model = model.strip_prefix("models/").unwrap_or(model);
        let url = format!(
            "{}/v1beta/models/{model}:generateContent",
            self.config.base_url.trim_end_matches('/')
        );
        let retried = retry::run(
            &self.config.retry,
            self.clock.as_ref(),
            "generateContent",
            |_| {
                let request = self
                    .client
                    .post(&url)
                    .header("x-goog-api-key", self.key.expose())
                    .json(body);
                async move {
                    let reply = http::send(request).await?;
                    if !reply.is_success() {
                        return Err(reply.into_error());
                    }
                    response::parse(&reply.json()?)
                }
            },
        )
        .await?;
        let mut answer = retried.value;
        answer.attempts = retried.attempts;
        answer.cost_usd = self.prices.cost(model, &prices::today(), &answer.usage);
        tracing::info!(
            model,
            attempts = answer.attempts,
            input_tokens = answer.usage.input_tokens,
            output_tokens = answer.usage.output_tokens,
            "model answered"
        );
        Ok(answer)
    }

    fn api_url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }
}

impl Provider for GeminiProvider {
    fn name(&self) -> &str {
        "gemini"
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Answer, ProviderError>> {
        Box::pin(async move {
            self.generate_inner(request).await.map_err(|mut error| {
                error.provider = "gemini";
                error
            })
        })
    }
}

/// Checks whether the whole request, video as base64, stays within `inline_max_bytes`.
fn fits_inline(config: &GeminiConfig, request: &GenerateRequest, video_bytes: usize) -> bool {
    let encoded = video_bytes.div_ceil(3) * 4;
    let text = super::estimate::request_text_chars(request);
    // Characters outside ASCII take up to 4 bytes, and the JSON structure adds a little.
    (encoded + text * 4 + 4096) as u64 <= config.inline_max_bytes
}

async fn read_video(path: &std::path::Path) -> Result<Vec<u8>, ProviderError> {
    tokio::fs::read(path).await.map_err(|error| {
        ProviderError::new(
            ErrorKind::Rejected,
            Cause::Input,
            format!("cannot read video {}: {error}", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::prices::FrameTokens;

    #[test]
    fn config_price_override() {
        let config: GeminiConfig = toml::from_str(
            "[[prices]]\nmodel = \"gemini-3.5-flash\"\ninput_usd_per_mtok = 2.5\noutput_usd_per_mtok = 10.0\n",
        )
        .unwrap();
        let table = config.price_table();
        let price = table.lookup("gemini-3.5-flash", "2026-12-04").unwrap();
        assert_eq!(price.input_usd_per_mtok, 2.5);
    }

    #[test]
    fn config_override_keeps_frame_tokens() {
        let config: GeminiConfig = toml::from_str(
            "[[prices]]\nmodel = \"custom\"\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 1.0\n",
        )
        .unwrap();
        let table = config.price_table();
        let price = table.lookup("custom", "2026-12-04").unwrap();
        assert_eq!(price.frame_tokens, FrameTokens::gemini_3());
    }

    #[test]
    fn api_key_debug_redacted() {
        assert_eq!(format!("{:?}", ApiKey::new("secret")), "ApiKey(<redacted>)");
    }
}
