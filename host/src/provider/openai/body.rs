//! The JSON body of a chat completions request: a system message, the first user message with
//! the frames (each after a text part giving its session time) or the video, the event log and
//! the prompt, later turns as plain messages, and `response_format` with the JSON Schema.

use std::path::Path;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{OpenAiConfig, VideoMode};
use crate::provider::{Cause, ErrorKind, GenerateRequest, ProviderError, Turn, Video};

/// Builds the body, reading the frame images or the MP4 from disk.
pub async fn request_body(
    request: &GenerateRequest,
    config: &OpenAiConfig,
) -> Result<Value, ProviderError> {
    let mut messages = Vec::with_capacity(request.turns.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for (index, turn) in request.turns.iter().enumerate() {
        let message = match turn {
            Turn::User(text) if index == 0 => {
                json!({"role": "user", "content": first_user_content(request, config, text).await?})
            }
            Turn::User(text) => json!({"role": "user", "content": text}),
            Turn::Model(text) => json!({"role": "assistant", "content": text}),
        };
        messages.push(message);
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert(
        "response_format".into(),
        json!({"type": "json_schema", "json_schema": {
            "name": config.schema_name,
            "strict": config.strict,
            "schema": request.response_schema,
        }}),
    );
    if let Some(max_tokens) = config.max_tokens {
        body.insert("max_tokens".into(), json!(max_tokens));
    }
    if let Some(temperature) = config.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    Ok(Value::Object(body))
}

async fn first_user_content(
    request: &GenerateRequest,
    config: &OpenAiConfig,
    text: &str,
) -> Result<Vec<Value>, ProviderError> {
    let mut parts = Vec::new();
    if let Some(video) = &request.video {
        match config.video_mode {
            VideoMode::Frames => push_frames(&mut parts, video).await?,
            VideoMode::Video => {
                let url = data_url(&video.mp4).await?;
                parts.push(json!({"type": "video_url", "video_url": {"url": url}}));
            }
        }
    }
    if !request.event_log.is_empty() {
        let log = format!("Event log:\n{}", request.event_log);
        parts.push(json!({"type": "text", "text": log}));
    }
    parts.push(json!({"type": "text", "text": text}));
    Ok(parts)
}

async fn push_frames(parts: &mut Vec<Value>, video: &Video) -> Result<(), ProviderError> {
    parts.push(json!({"type": "text", "text": format!(
        "The session as {} frames in order. The text before each frame gives its session time \
         in seconds, the same REC_T value its footer shows.",
        video.frames.len()
    )}));
    for frame in &video.frames {
        let label = format!("t={:.1}s", frame.session_ms as f64 / 1000.0);
        parts.push(json!({"type": "text", "text": label}));
        let url = data_url(&frame.path).await?;
        parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
    }
    Ok(())
}

/// A `data:` URL of the file, with the MIME type read from its first bytes.
async fn data_url(path: &Path) -> Result<String, ProviderError> {
    let bytes = tokio::fs::read(path).await.map_err(|error| {
        ProviderError::new(
            ErrorKind::Rejected,
            Cause::Input,
            format!("cannot read {}: {error}", path.display()),
        )
    })?;
    let mime = sniff_mime(&bytes).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            Cause::Input,
            format!("{} is not a JPEG, PNG or MP4 file", path.display()),
        )
    })?;
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{data}"))
}

fn sniff_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("video/mp4")
    } else {
        None
    }
}
