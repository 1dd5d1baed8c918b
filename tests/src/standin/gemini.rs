//! The Gemini side of the stand-in: `generateContent` and the Files API (resumable upload,
//! get, list, delete), with the checks the real API makes before it replies.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::reply::{self, gemini_error, Rendered, Tokens};
use super::validate::{check_media, check_schema, decode_base64, field, known_fields};
use super::{FilePlan, Shared, StoredFile, Upload, HANG};

mod files;

/// Tokens the stand-in reports per video part and per image part.
const VIDEO_TOKENS: u64 = 1_000;
const IMAGE_TOKENS: u64 = 258;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1beta/models/{action}", post(generate_content))
        .route("/upload/v1beta/files", post(files::upload))
        .route("/v1beta/files", get(files::list))
        .route("/v1beta/files/{id}", get(files::get).delete(files::delete))
}

pub(crate) fn into_response(rendered: Rendered) -> Response {
    let mut headers = HeaderMap::new();
    for (name, value) in rendered.headers {
        headers.insert(name, value);
    }
    (rendered.status, headers, rendered.body).into_response()
}

/// Checks the key in `x-goog-api-key` or `?key=`. A missing key is 403, a wrong one 400
/// `API_KEY_INVALID`, as the real API replies.
pub(crate) fn check_key(shared: &Shared, headers: &HeaderMap, uri: &Uri) -> Result<(), Rendered> {
    let from_header = headers
        .get("x-goog-api-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let from_query = uri.query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("key=").map(str::to_string))
    });
    match from_header.or(from_query) {
        None => Err(gemini_error(
            403,
            "Method doesn't allow unregistered callers. Please use an API key.",
            Vec::new(),
        )),
        Some(key) if key == shared.key => Ok(()),
        Some(_) => Err(gemini_error(
            400,
            "API key not valid. Please pass a valid API key.",
            vec![
                json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}),
            ],
        )),
    }
}

async fn generate_content(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = check_generate(&shared, &action, &uri, &headers, &body);
    let (model, tokens, schema) = match outcome {
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
    match reply::gemini(&scripted, &model, tokens) {
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
            into_response(gemini_error(504, reply::google_status(504).1, Vec::new()))
        }
    }
}

type Checked = (String, Tokens, Option<Value>);

fn invalid(message: impl Into<String>) -> Rendered {
    gemini_error(400, &message.into(), Vec::new())
}

fn check_generate(
    shared: &Shared,
    action: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Checked, Rendered> {
    let Some(model) = action.strip_suffix(":generateContent") else {
        return Err(gemini_error(
            404,
            &format!("Unknown method {action}."),
            Vec::new(),
        ));
    };

    check_key(shared, headers, uri)?;

    let limit = shared.lock().max_request_bytes;

    if body.len() > limit {
        return Err(invalid(format!(
            "Request payload size exceeds the limit: {limit} bytes."
        )));
    }

    let request: Value = serde_json::from_slice(body)
        .map_err(|error| invalid(format!("Invalid JSON payload received. {error}")))?;
    let object = request
        .as_object()
        .ok_or_else(|| invalid("Invalid JSON payload received. Expected an object."))?;
    known_fields(
        object,
        &[
            "contents",
            "systemInstruction",
            "generationConfig",
            "safetySettings",
            "tools",
            "toolConfig",
            "cachedContent",
        ],
        "",
    )
    .map_err(invalid)?;

    let mut tokens = Tokens::default();

    if let Some(system) = field(&request, "systemInstruction") {
        check_content(shared, system, "system_instruction", false, &mut tokens)?;
    }

    let contents = field(&request, "contents")
        .and_then(Value::as_array)
        .filter(|contents| !contents.is_empty())
        .ok_or_else(|| invalid("* GenerateContentRequest.contents: contents is not specified"))?;
    for (index, content) in contents.iter().enumerate() {
        check_content(
            shared,
            content,
            &format!("contents[{index}]"),
            true,
            &mut tokens,
        )?;
    }

    let schema = match field(&request, "generationConfig") {
        Some(config) => check_generation_config(config)?,
        None => None,
    };

    Ok((model.to_string(), tokens, schema))
}

fn check_content(
    shared: &Shared,
    content: &Value,
    at: &str,
    needs_role: bool,
    tokens: &mut Tokens,
) -> Result<(), Rendered> {
    let role = content.get("role").and_then(Value::as_str);
    if needs_role && !matches!(role, Some("user" | "model")) {
        return Err(invalid(format!(
            "* GenerateContentRequest.{at}.role: Please use a valid role: user, model."
        )));
    }
    let parts = content
        .get("parts")
        .and_then(Value::as_array)
        .filter(|parts| !parts.is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "* GenerateContentRequest.{at}.parts: contents.parts must not be empty."
            ))
        })?;
    for (index, part) in parts.iter().enumerate() {
        check_part(shared, part, &format!("{at}.parts[{index}]"), tokens)?;
    }
    Ok(())
}

fn check_part(
    shared: &Shared,
    part: &Value,
    at: &str,
    tokens: &mut Tokens,
) -> Result<(), Rendered> {
    let object = part
        .as_object()
        .ok_or_else(|| invalid(format!("{at}: a part must be an object")))?;
    known_fields(
        object,
        &[
            "text",
            "inlineData",
            "fileData",
            "videoMetadata",
            "mediaResolution",
            "thought",
            "thoughtSignature",
        ],
        at,
    )
    .map_err(invalid)?;

    let text = part.get("text");

    let inline = field(part, "inlineData");

    let file = field(part, "fileData");

    let data_fields = [text, inline, file].iter().filter(|f| f.is_some()).count();

    if data_fields != 1 {
        return Err(invalid(format!(
            "* GenerateContentRequest.{at}.data: required oneof field 'data' must have one initialized field"
        )));
    }

    if let Some(text) = text {
        let text = text
            .as_str()
            .ok_or_else(|| invalid(format!("{at}.text must be a string")))?;
        tokens.text += text.len().div_ceil(4) as u64;
    }

    let mime = if let Some(inline) = inline {
        Some(check_inline(inline, at)?)
    } else if let Some(file) = file {
        Some(check_file_data(shared, file, at)?)
    } else {
        None
    };

    match mime.as_deref() {
        Some(mime) if mime.starts_with("video/") => tokens.video += VIDEO_TOKENS,
        Some(_) => tokens.image += IMAGE_TOKENS,
        None => {}
    }

    if let Some(metadata) = field(part, "videoMetadata") {
        if !mime
            .as_deref()
            .is_some_and(|mime| mime.starts_with("video/"))
        {
            return Err(invalid(format!(
                "{at}.video_metadata is only allowed on a video part"
            )));
        }
        if let Some(fps) = metadata.get("fps") {
            let fps = fps.as_f64().unwrap_or(-1.0);
            if !(fps > 0.0 && fps <= 24.0) {
                return Err(invalid(format!(
                    "{at}.video_metadata.fps must be in (0, 24], got {fps}"
                )));
            }
        }
    }

    Ok(())
}

fn check_inline(inline: &Value, at: &str) -> Result<String, Rendered> {
    let mime = field(inline, "mimeType")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid(format!(
                "* GenerateContentRequest.{at}.inline_data.mime_type: required"
            ))
        })?;
    let data = inline.get("data").and_then(Value::as_str).ok_or_else(|| {
        invalid(format!(
            "* GenerateContentRequest.{at}.inline_data.data: required"
        ))
    })?;
    let bytes = decode_base64(data).map_err(|error| {
        invalid(format!(
            "Invalid value at '{at}.inline_data.data' (TYPE_BYTES), {error}"
        ))
    })?;
    check_media(mime, &bytes).map_err(|error| invalid(format!("{at}.inline_data: {error}")))?;
    Ok(mime.to_string())
}

fn check_file_data(shared: &Shared, file: &Value, at: &str) -> Result<String, Rendered> {
    let uri = field(file, "fileUri")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid(format!(
                "* GenerateContentRequest.{at}.file_data.file_uri: required"
            ))
        })?;
    let name = uri
        .strip_prefix(&format!("{}/v1beta/", shared.base_url))
        .ok_or_else(|| invalid(format!("{at}.file_data.file_uri {uri} is not a File uri")))?;
    let inner = shared.lock();
    let stored = inner.files.get(name).ok_or_else(|| {
        gemini_error(
            404,
            &format!("File {name} does not exist or has expired."),
            Vec::new(),
        )
    })?;
    if files::state(stored, &inner.file_plan).0 != "ACTIVE" {
        return Err(gemini_error(
            400,
            &format!("The File {name} is not in an ACTIVE state and usage is not allowed."),
            Vec::new(),
        ));
    }
    Ok(field(file, "mimeType")
        .and_then(Value::as_str)
        .unwrap_or(&stored.mime_type)
        .to_string())
}

fn check_generation_config(config: &Value) -> Result<Option<Value>, Rendered> {
    let at = "generation_config";
    let json_schema = field(config, "responseJsonSchema");
    let old_schema = field(config, "responseSchema");
    if json_schema.is_some() && old_schema.is_some() {
        return Err(invalid(
            "responseSchema and responseJsonSchema cannot both be set.",
        ));
    }
    let mime = field(config, "responseMimeType").and_then(Value::as_str);
    if json_schema.is_some() && mime != Some("application/json") {
        return Err(invalid(format!(
            "{at}.response_mime_type must be application/json when a response schema is set"
        )));
    }
    if let Some(schema) = json_schema {
        check_schema(schema)
            .map_err(|error| invalid(format!("{at}.response_json_schema: {error}")))?;
    }
    if let Some(level) = field(config, "mediaResolution") {
        let known = [
            "MEDIA_RESOLUTION_UNSPECIFIED",
            "MEDIA_RESOLUTION_LOW",
            "MEDIA_RESOLUTION_MEDIUM",
            "MEDIA_RESOLUTION_HIGH",
        ];
        if !level.as_str().is_some_and(|level| known.contains(&level)) {
            return Err(invalid(format!(
                "Invalid value at '{at}.media_resolution', {level}"
            )));
        }
    }
    if let Some(temperature) = config.get("temperature") {
        if !temperature
            .as_f64()
            .is_some_and(|t| (0.0..=2.0).contains(&t))
        {
            return Err(invalid(format!("{at}.temperature must be in [0, 2]")));
        }
    }
    if let Some(thinking) = field(config, "thinkingConfig") {
        if field(thinking, "thinkingBudget").is_some() && field(thinking, "thinkingLevel").is_some()
        {
            return Err(invalid(
                "thinking_budget and thinking_level cannot both be set.",
            ));
        }
    }
    Ok(json_schema.cloned())
}

pub(crate) fn file_resource(
    shared: &Shared,
    name: &str,
    stored: &StoredFile,
    plan: &FilePlan,
) -> Value {
    let (state, error) = files::state(stored, plan);
    let mut resource = json!({
        "name": name,
        "displayName": stored.display_name,
        "mimeType": stored.mime_type,
        "sizeBytes": stored.size.to_string(),
        "createTime": "2026-12-04T10:00:00Z",
        "updateTime": "2026-12-04T10:00:00Z",
        "expirationTime": "2026-12-06T10:00:00Z",
        "state": state,
        "uri": format!("{}/v1beta/{name}", shared.base_url),
        "source": "UPLOADED",
    });
    if let Some(message) = error {
        resource["error"] = json!({"code": 400, "message": message});
    }
    resource
}

pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub(crate) fn static_header(text: &'static str) -> HeaderValue {
    HeaderValue::from_static(text)
}

pub(crate) fn new_upload(display_name: String, mime_type: String, declared_len: usize) -> Upload {
    Upload {
        display_name,
        mime_type,
        declared_len,
        received: Vec::new(),
    }
}
