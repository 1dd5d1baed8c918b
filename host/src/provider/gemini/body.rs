//! The JSON body of a `generateContent` request, built field by field from the protocol:
//! `systemInstruction`, `contents` (the video part with its `videoMetadata`, then the event log
//! and the prompt text in the first user turn) and `generationConfig`.

use serde_json::{json, Map, Value};

use super::GeminiConfig;
use crate::provider::{GenerateRequest, Turn};

/// The video's part in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoPart {
    /// No video.
    None,
    /// The MP4 as standard base64 in an `inlineData` part.
    Inline {
        /// Base64 of the MP4 bytes.
        data_base64: String,
    },
    /// An uploaded file, referenced by its `uri` (not its `name`).
    File {
        /// The File resource's `uri`.
        uri: String,
    },
}

/// Gemini's accepted range for `videoMetadata.fps` is (0, 24].
const MAX_VIDEO_FPS: f64 = 24.0;

/// Builds the `generateContent` body for `request` with the video given as `video`.
pub fn request_body(request: &GenerateRequest, video: &VideoPart, config: &GeminiConfig) -> Value {
    let mut contents = Vec::with_capacity(request.turns.len());
    for (index, turn) in request.turns.iter().enumerate() {
        let content = match turn {
            Turn::User(text) if index == 0 => {
                json!({"role": "user", "parts": first_user_parts(request, video, text)})
            }
            Turn::User(text) => json!({"role": "user", "parts": [{"text": text}]}),
            Turn::Model(text) => json!({"role": "model", "parts": [{"text": text}]}),
        };
        contents.push(content);
    }
    let mut body = Map::new();
    if !request.system.is_empty() {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": request.system}]}),
        );
    }
    body.insert("contents".into(), Value::Array(contents));
    body.insert(
        "generationConfig".into(),
        generation_config(request, config),
    );
    Value::Object(body)
}

fn first_user_parts(request: &GenerateRequest, video: &VideoPart, text: &str) -> Vec<Value> {
    let mut parts = Vec::new();
    let fps = request.media.fps.clamp(f64::MIN_POSITIVE, MAX_VIDEO_FPS);
    match video {
        VideoPart::None => {}
        VideoPart::Inline { data_base64 } => parts.push(json!({
            "inlineData": {"mimeType": "video/mp4", "data": data_base64},
            "videoMetadata": {"fps": fps},
        })),
        VideoPart::File { uri } => parts.push(json!({
            "fileData": {"mimeType": "video/mp4", "fileUri": uri},
            "videoMetadata": {"fps": fps},
        })),
    }
    if !request.event_log.is_empty() {
        parts.push(json!({"text": format!("Event log:\n{}", request.event_log)}));
    }
    parts.push(json!({"text": text}));
    parts
}

fn generation_config(request: &GenerateRequest, config: &GeminiConfig) -> Value {
    let mut generation = Map::new();
    generation.insert("responseMimeType".into(), json!("application/json"));
    generation.insert("responseJsonSchema".into(), request.response_schema.clone());
    if let Some(level) = request.media.resolution.api_value() {
        generation.insert("mediaResolution".into(), json!(level));
    }
    if let Some(temperature) = config.temperature {
        generation.insert("temperature".into(), json!(temperature));
    }
    if let Some(max_tokens) = config.max_output_tokens {
        generation.insert("maxOutputTokens".into(), json!(max_tokens));
    }
    Value::Object(generation)
}
