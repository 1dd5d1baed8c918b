//! The OpenAI-compatible side of the stand-in: `POST /v1/chat/completions`, checked as a strict
//! server would check it (bearer key, model, messages and their parts, data URLs holding real
//! images or an MP4, `response_format` with a valid JSON Schema).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use super::gemini::into_response;
use super::reply::{self, openai_error, Rendered, Tokens};
use super::validate::{check_media, check_schema, decode_base64};
use super::{Shared, HANG};

/// Tokens the stand-in reports per image and per video part.
const IMAGE_TOKENS: u64 = 258;
const VIDEO_TOKENS: u64 = 1_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/v1/chat/completions", post(chat_completions))
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (model, tokens, schema) = match check(&shared, &headers, &body) {
        Ok(checked) => checked,
        Err(rendered) => {
            shared.record(
                method.as_str(),
                &uri,
                &headers,
                &body,
                rendered.status.as_u16(),
            );
            return into_response(rendered);
        }
    };
    let scripted = shared.next_reply(schema.as_ref());
    match reply::openai(&scripted, &model, tokens) {
        Some(rendered) => {
            shared.record(
                method.as_str(),
                &uri,
                &headers,
                &body,
                rendered.status.as_u16(),
            );
            into_response(rendered)
        }
        None => {
            shared.record(method.as_str(), &uri, &headers, &body, 0);
            tokio::time::sleep(HANG).await;
            into_response(openai_error(504, "timed out", "server_error"))
        }
    }
}

fn invalid(message: impl Into<String>) -> Rendered {
    openai_error(400, &message.into(), "invalid_request_error")
}

fn check(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Tokens, Option<Value>), Rendered> {
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if bearer != Some(shared.key.as_str()) {
        return Err(openai_error(
            401,
            "Incorrect API key provided.",
            "invalid_request_error",
        ));
    }
    let request: Value = serde_json::from_slice(body).map_err(|error| {
        invalid(format!(
            "We could not parse the JSON body of your request: {error}"
        ))
    })?;
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .filter(|model| !model.is_empty())
        .ok_or_else(|| invalid("you must provide a model parameter"))?;
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|messages| !messages.is_empty())
        .ok_or_else(|| invalid("'messages' must be a non-empty array"))?;
    let mut tokens = Tokens::default();
    for (index, message) in messages.iter().enumerate() {
        check_message(message, index, &mut tokens)?;
    }
    let schema = match request.get("response_format") {
        Some(format) => check_response_format(format)?,
        None => None,
    };
    Ok((model.to_string(), tokens, schema))
}

fn check_message(message: &Value, index: usize, tokens: &mut Tokens) -> Result<(), Rendered> {
    let at = format!("messages[{index}]");
    let role = message.get("role").and_then(Value::as_str);
    if !matches!(role, Some("system" | "user" | "assistant")) {
        return Err(invalid(format!(
            "{at}.role must be system, user or assistant, got {role:?}"
        )));
    }
    match message.get("content") {
        Some(Value::String(text)) => tokens.text += text.len().div_ceil(4) as u64,
        Some(Value::Array(parts)) if !parts.is_empty() => {
            for (number, part) in parts.iter().enumerate() {
                check_part(part, &format!("{at}.content[{number}]"), tokens)?;
            }
        }
        _ => {
            return Err(invalid(format!(
                "{at}.content must be a string or a non-empty array of parts"
            )))
        }
    }
    Ok(())
}

fn check_part(part: &Value, at: &str, tokens: &mut Tokens) -> Result<(), Rendered> {
    match part.get("type").and_then(Value::as_str) {
        Some("text") => {
            let text = part
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("{at}.text must be a string")))?;
            tokens.text += text.len().div_ceil(4) as u64;
        }
        Some("image_url") => {
            let url = part.pointer("/image_url/url").and_then(Value::as_str);
            let mime = check_data_url(url, at)?;
            if !mime.starts_with("image/") {
                return Err(invalid(format!(
                    "{at}.image_url holds {mime}, not an image"
                )));
            }
            tokens.image += IMAGE_TOKENS;
        }
        Some("video_url") => {
            let url = part.pointer("/video_url/url").and_then(Value::as_str);
            let mime = check_data_url(url, at)?;
            if mime != "video/mp4" {
                return Err(invalid(format!(
                    "{at}.video_url holds {mime}, not video/mp4"
                )));
            }
            tokens.video += VIDEO_TOKENS;
        }
        other => {
            return Err(invalid(format!(
                "{at}.type {other:?} is not text, image_url or video_url"
            )))
        }
    }
    Ok(())
}

/// Checks a `data:<mime>;base64,<data>` URL and returns the MIME type. The stand-in fetches no
/// remote URL, so only data URLs pass.
fn check_data_url(url: Option<&str>, at: &str) -> Result<String, Rendered> {
    let url = url.ok_or_else(|| invalid(format!("{at}: the url is missing")))?;
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| invalid(format!("{at}: only data URLs are accepted by the stand-in")))?;
    let (mime, data) = rest
        .split_once(";base64,")
        .ok_or_else(|| invalid(format!("{at}: the data URL is not base64")))?;
    let bytes = decode_base64(data).map_err(|error| invalid(format!("{at}: {error}")))?;
    check_media(mime, &bytes).map_err(|error| invalid(format!("{at}: {error}")))?;
    Ok(mime.to_string())
}

fn check_response_format(format: &Value) -> Result<Option<Value>, Rendered> {
    match format.get("type").and_then(Value::as_str) {
        Some("text" | "json_object") => Ok(None),
        Some("json_schema") => {
            let name = format
                .pointer("/json_schema/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                return Err(invalid(
                    "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$",
                ));
            }
            let schema = format
                .pointer("/json_schema/schema")
                .ok_or_else(|| invalid("response_format.json_schema.schema is missing"))?;
            check_schema(schema)
                .map_err(|error| invalid(format!("response_format.json_schema: {error}")))?;
            Ok(Some(schema.clone()))
        }
        other => Err(invalid(format!(
            "response_format.type {other:?} is not text, json_object or json_schema"
        ))),
    }
}
