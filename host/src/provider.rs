//! A provider sends one model request (system text, the conversation so far, the session video,
//! the event log and the JSON Schema of the answer) to a vision-language model and returns the
//! answer text with its token usage and cost, or a classified [`ProviderError`].
//!
//! Two protocols are spoken: Gemini's `generateContent` ([`gemini`]) and OpenAI-compatible chat
//! completions ([`openai`], for vLLM, llama.cpp, Ollama, LM Studio and OpenAI). Both go through
//! [`retry`], which retries transient failures with backoff on an injectable clock. [`prices`]
//! and [`estimate`] give the cost of a request before any money is spent.

use std::path::PathBuf;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

mod error;
pub mod estimate;
pub mod gemini;
mod http;
pub mod openai;
pub mod prices;
pub mod retry;

pub use error::{Cause, ErrorKind, ProviderError};

/// A model backend. Implementations are cheap to share between tasks (`Arc<dyn Provider>`).
pub trait Provider: Send + Sync {
    /// Returns the provider's name as stored with an observation (`gemini`, `openai`).
    fn name(&self) -> &str;

    /// Sends the request, retrying transient failures, and returns the model's answer.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Answer, ProviderError>>;
}

/// Everything one model call needs. The video and the event log are attached to the first user
/// turn, before its text, because Gemini's video guide advises putting the text after the video.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// Model id as the API names it, for example `gemini-3.5-flash`.
    pub model: String,
    /// System instruction.
    pub system: String,
    /// The conversation so far. It starts with a user turn and ends with a user turn; model turns
    /// between them carry earlier answers (multi-step scanner types and the re-prompt).
    pub turns: Vec<Turn>,
    /// The rendered session, if any.
    pub video: Option<Video>,
    /// The session's event log as text.
    pub event_log: String,
    /// JSON Schema the answer must follow.
    pub response_schema: serde_json::Value,
    /// Sampling rate and resolution the model should use for the video.
    pub media: MediaSettings,
    /// Name shown for an uploaded file (Gemini Files API); usually the session id.
    pub display_name: String,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", content = "text", rename_all = "snake_case")]
pub enum Turn {
    /// Text written by us.
    User(String),
    /// An earlier answer of the model.
    Model(String),
}

/// A rendered session video: the MP4 file and the frames it was encoded from.
#[derive(Debug, Clone)]
pub struct Video {
    /// H.264 MP4 file.
    pub mp4: PathBuf,
    /// The frames in video order, each with the session instant it shows.
    pub frames: Vec<FrameRef>,
    /// Frames per second of the MP4.
    pub fps: f64,
}

/// One frame image of the video and the session instant it shows. The pipeline fills these
/// from the render's frame files and its `VideoClock`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRef {
    /// JPEG or PNG file of the frame.
    pub path: PathBuf,
    /// Milliseconds since the session start shown by this frame.
    pub session_ms: u64,
}

/// Sampling settings the model applies to the video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MediaSettings {
    /// Frames per second the model samples from the video; Gemini accepts (0, 24], default 1.
    pub fps: f64,
    /// Tokens spent per frame.
    pub resolution: MediaResolution,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            fps: 1.0,
            resolution: MediaResolution::High,
        }
    }
}

/// Gemini's media resolution. Screen recordings are text-heavy, so the default is `High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaResolution {
    /// The model's own default (`MEDIA_RESOLUTION_UNSPECIFIED`).
    Unspecified,
    /// `MEDIA_RESOLUTION_LOW`.
    Low,
    /// `MEDIA_RESOLUTION_MEDIUM`.
    Medium,
    /// `MEDIA_RESOLUTION_HIGH`.
    #[default]
    High,
}

impl MediaResolution {
    /// Returns the API's enum value, or `None` for the model default.
    pub fn api_value(self) -> Option<&'static str> {
        match self {
            Self::Unspecified => None,
            Self::Low => Some("MEDIA_RESOLUTION_LOW"),
            Self::Medium => Some("MEDIA_RESOLUTION_MEDIUM"),
            Self::High => Some("MEDIA_RESOLUTION_HIGH"),
        }
    }
}

impl std::str::FromStr for MediaResolution {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "unspecified" | "default" => Ok(Self::Unspecified),
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            other => Err(format!(
                "invalid media resolution {other:?}; expected low, medium, high or unspecified"
            )),
        }
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The answer text: a JSON document when the schema was honoured.
    pub text: String,
    /// Finish reason as the API sent it (`STOP`, `MAX_TOKENS`, `stop`, `length`...).
    /// `MAX_TOKENS` and `length` mean the JSON is probably truncated.
    pub finish_reason: Option<String>,
    /// Token counts reported by the API.
    pub usage: Usage,
    /// Cost in US dollars from the price table, or `None` when the model has no price entry.
    pub cost_usd: Option<f64>,
    /// Model version the API reports having used, if any.
    pub model_version: Option<String>,
    /// Requests sent, including retries.
    pub attempts: u32,
}

/// Token counts of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens (text, video, images).
    pub input_tokens: u64,
    /// Answer tokens, thinking included (thinking is billed as output).
    pub output_tokens: u64,
    /// Total reported by the API, or input + output when it reports none.
    pub total_tokens: u64,
    /// Prompt tokens by modality (`TEXT`, `VIDEO`, `IMAGE`...), when the API reports them.
    pub input_by_modality: Vec<ModalityTokens>,
}

/// Tokens of one modality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModalityTokens {
    /// Modality as the API names it.
    pub modality: String,
    /// Token count.
    pub tokens: u64,
}
