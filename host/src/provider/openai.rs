//! OpenAI-compatible chat completions (`POST {base}/chat/completions`), spoken by vLLM, the
//! llama.cpp server, Ollama, LM Studio and OpenAI. Frames go as `image_url` data URLs, each after
//! a text part with its session time, because every such server accepts images. Servers that
//! take video (vLLM, llama.cpp) can get the MP4 as one `video_url` part instead. The answer is requested
//! with `response_format: {type: "json_schema"}`.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::gemini::{ApiKey, SetupError};
use super::prices::{self, ModelPrice, PriceTable};
use super::retry::{self, Clock, RetryPolicy, TokioClock};
use super::{http, Answer, Cause, ErrorKind, GenerateRequest, Provider, ProviderError, Usage};

mod body;

pub use body::request_body;

/// Video delivery to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoMode {
    /// Each frame as an `image_url` part after a text part with its session time.
    #[default]
    Frames,
    /// The MP4 as one `video_url` data URL part (a vLLM and llama.cpp extension).
    Video,
}

/// Settings of an OpenAI-compatible provider. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenAiConfig {
    /// API root including the version path, e.g. `http://127.0.0.1:8000/v1` for vLLM. The
    /// default is `https://api.openai.com/v1`.
    pub base_url: String,
    /// Environment variable that contains the key. The default is `OPENAI_API_KEY`.
    pub api_key_env: String,
    /// The key itself, used when the variable is unset. Local servers often need none.
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// Video delivery. The default is `frames`.
    pub video_mode: VideoMode,
    /// `json_schema.name` in `response_format`. The default is `observation`.
    pub schema_name: String,
    /// `json_schema.strict`. The default is true.
    pub strict: bool,
    /// `max_tokens`, unset by default.
    pub max_tokens: Option<u32>,
    /// `temperature`, unset by default.
    pub temperature: Option<f64>,
    /// Timeout of one HTTP request, in milliseconds. The default is 600000 (10 minutes), since
    /// a long video can take minutes to process.
    pub request_timeout_ms: u64,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Price entries for the served models; self-hosted models have none by default.
    pub prices: Vec<ModelPrice>,
}

impl OpenAiConfig {
    /// Returns the built-in price table with `prices` applied.
    pub fn price_table(&self) -> PriceTable {
        let mut table = PriceTable::default();
        table.apply_overrides(self.prices.clone());
        table
    }
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".to_string(),
            api_key_env: "OPENAI_API_KEY".to_string(),
            api_key: None,
            video_mode: VideoMode::Frames,
            schema_name: "observation".to_string(),
            strict: true,
            max_tokens: None,
            temperature: None,
            request_timeout_ms: 600_000,
            retry: RetryPolicy::default(),
            prices: Vec::new(),
        }
    }
}

/// The OpenAI-compatible provider.
pub struct OpenAiProvider {
    config: OpenAiConfig,
    key: Option<ApiKey>,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    prices: PriceTable,
}

impl OpenAiProvider {
    /// Builds a provider. The key comes from `config.api_key_env` or `config.api_key`; without
    /// one, no `Authorization` header is sent (local servers).
    pub fn new(config: OpenAiConfig) -> Result<Self, SetupError> {
        let key = std::env::var(&config.api_key_env)
            .ok()
            .filter(|key| !key.is_empty())
            .or_else(|| config.api_key.clone())
            .map(ApiKey::new);
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

    /// Replaces the clock used for backoff (tests pass a `FastClock`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the price table.
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }

    async fn generate_inner(&self, request: &GenerateRequest) -> Result<Answer, ProviderError> {
        let body = request_body(request, &self.config).await?;
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let retried = retry::run(
            &self.config.retry,
            self.clock.as_ref(),
            "chat completions",
            |_| {
                let mut builder = self.client.post(&url).json(&body);
                if let Some(key) = &self.key {
                    builder = builder.bearer_auth(key.expose());
                }
                async move {
                    let reply = http::send(builder).await?;
                    if !reply.is_success() {
                        return Err(reply.into_error());
                    }
                    parse(&reply.json()?)
                }
            },
        )
        .await?;
        let mut answer = retried.value;
        answer.attempts = retried.attempts;
        answer.cost_usd = self
            .prices
            .cost(&request.model, &prices::today(), &answer.usage);
        tracing::info!(
            model = %request.model,
            attempts = answer.attempts,
            input_tokens = answer.usage.input_tokens,
            output_tokens = answer.usage.output_tokens,
            "model answered"
        );
        Ok(answer)
    }
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        "openai"
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Answer, ProviderError>> {
        Box::pin(async move {
            self.generate_inner(request).await.map_err(|mut error| {
                error.provider = "openai";
                error
            })
        })
    }
}

/// Reads `choices[0].message.content`. A refusal or a `content_filter` finish is a rejection.
fn parse(reply: &Value) -> Result<Answer, ProviderError> {
    let choice = reply.pointer("/choices/0");
    let finish_reason = choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let rejected = |cause: Cause, message: String| {
        Err(ProviderError::new(ErrorKind::Rejected, cause, message).with_status(200))
    };
    if finish_reason.as_deref() == Some("content_filter") {
        return rejected(
            Cause::Safety("content_filter".into()),
            "the answer was stopped by the content filter".into(),
        );
    }
    let message = choice.and_then(|c| c.get("message"));
    if let Some(refusal) = message
        .and_then(|m| m.get("refusal"))
        .and_then(Value::as_str)
    {
        return rejected(
            Cause::Safety("refusal".into()),
            format!("the model refused: {refusal}"),
        );
    }
    let text = match message.and_then(|m| m.get("content")) {
        Some(Value::String(text)) => text.clone(),
        // Some servers return content as a list of text parts.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    };
    if text.is_empty() {
        let reason = finish_reason.as_deref().unwrap_or("no choices");
        return rejected(
            Cause::EmptyAnswer,
            format!("the reply has no answer text (finish reason {reason})"),
        );
    }
    Ok(Answer {
        text,
        finish_reason,
        usage: usage(reply.get("usage")),
        cost_usd: None,
        model_version: reply
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string),
        attempts: 1,
    })
}

fn usage(usage: Option<&Value>) -> Usage {
    let Some(usage) = usage else {
        return Usage::default();
    };
    let count = |field: &str| usage.get(field).and_then(Value::as_u64).unwrap_or(0);
    let input_tokens = count("prompt_tokens");
    let output_tokens = count("completion_tokens");
    let total = count("total_tokens");
    Usage {
        input_tokens,
        output_tokens,
        total_tokens: if total > 0 {
            total
        } else {
            input_tokens + output_tokens
        },
        input_by_modality: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_content_string() {
        let reply = json!({"choices": [{"message": {"role": "assistant", "content": "{}"},
            "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}});
        assert_eq!(parse(&reply).unwrap().usage.total_tokens, 5);
    }

    #[test]
    fn parse_refusal() {
        let reply = json!({"choices": [{"message": {"content": null, "refusal": "no"}}]});
        assert_eq!(
            parse(&reply).unwrap_err().cause,
            Cause::Safety("refusal".into())
        );
    }

    #[test]
    fn parse_content_filter() {
        let reply =
            json!({"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]});
        assert_eq!(parse(&reply).unwrap_err().kind, ErrorKind::Rejected);
    }
}
