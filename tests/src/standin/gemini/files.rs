//! The Files API imitation: a resumable upload checked header by header, then a File whose
//! state follows the [`FilePlan`], and get, list and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::{
    check_key, file_resource, header_text, into_response, invalid, new_upload, static_header,
};
use crate::standin::reply::{gemini_error, Rendered};
use crate::standin::validate::{check_media, field};
use crate::standin::{FilePlan, Shared, StoredFile};

/// Computes the state of `stored` and its error message from the polls seen so far.
pub(crate) fn state(stored: &StoredFile, plan: &FilePlan) -> (&'static str, Option<String>) {
    match plan {
        FilePlan::Active { processing_polls } if stored.polls >= *processing_polls => {
            ("ACTIVE", None)
        }
        FilePlan::Failed {
            processing_polls,
            message,
        } if stored.polls >= *processing_polls => ("FAILED", Some(message.clone())),
        _ => ("PROCESSING", None),
    }
}

/// `POST /upload/v1beta/files`: starts an upload, or (with `upload_id`) takes a chunk.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let upload_id = uri.query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("upload_id=").map(str::to_string))
    });
    let rendered = match upload_id {
        None => start(&shared, &uri, &headers, &body),
        Some(id) => chunk(&shared, &id, &headers, &body),
    };
    let rendered = rendered.unwrap_or_else(|error| error);
    shared.record(
        method.as_str(),
        &uri,
        &headers,
        &body,
        rendered.status.as_u16(),
    );
    into_response(rendered)
}

fn start(
    shared: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Rendered, Rendered> {
    check_key(shared, headers, uri)?;

    let expect = |name: &str, value: &str| match header_text(headers, name) {
        Some(found) if found.eq_ignore_ascii_case(value) => Ok(()),
        found => Err(invalid(format!(
            "header {name} must be {value:?}, got {found:?}"
        ))),
    };
    expect("x-goog-upload-protocol", "resumable")?;
    expect("x-goog-upload-command", "start")?;

    let declared_len: usize = header_text(headers, "x-goog-upload-header-content-length")
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| {
            invalid("header X-Goog-Upload-Header-Content-Length must be a byte count")
        })?;
    let mime = header_text(headers, "x-goog-upload-header-content-type")
        .ok_or_else(|| invalid("header X-Goog-Upload-Header-Content-Type is missing"))?
        .to_string();
    if !header_text(headers, "content-type")
        .is_some_and(|value| value.starts_with("application/json"))
    {
        return Err(invalid(
            "Content-Type must be application/json for the upload start",
        ));
    }

    let metadata: Value = serde_json::from_slice(body)
        .map_err(|error| invalid(format!("Invalid JSON payload received. {error}")))?;
    let display_name = metadata
        .get("file")
        .and_then(|file| field(file, "displayName"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if display_name.chars().count() > 512 {
        return Err(invalid("file.display_name is longer than 512 characters"));
    }

    let mut inner = shared.lock();

    let id = format!("upload-{}", inner.next_id);
    inner.next_id += 1;
    inner
        .uploads
        .insert(id.clone(), new_upload(display_name, mime, declared_len));
    let url = format!(
        "{}/upload/v1beta/files?upload_id={id}&upload_protocol=resumable",
        shared.base_url
    );

    let mut rendered = Rendered::json(200, &json!({}));
    rendered.headers.push((
        "x-goog-upload-url",
        HeaderValue::from_str(&url).expect("ASCII URL"),
    ));
    rendered
        .headers
        .push(("x-goog-upload-status", static_header("active")));
    rendered.headers.push((
        "x-goog-upload-chunk-granularity",
        HeaderValue::from(inner.granularity),
    ));

    Ok(rendered)
}

fn chunk(
    shared: &Shared,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Rendered, Rendered> {
    let command = header_text(headers, "x-goog-upload-command").unwrap_or_default();

    let finalize = match command.replace(' ', "").as_str() {
        "upload" => false,
        "upload,finalize" => true,
        other => {
            return Err(invalid(format!(
                "X-Goog-Upload-Command {other:?} is not upload or upload, finalize"
            )))
        }
    };

    let offset: usize = header_text(headers, "x-goog-upload-offset")
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| invalid("header X-Goog-Upload-Offset must be a byte offset"))?;
    let mut inner = shared.lock();

    let granularity = inner.granularity;

    let upload = inner
        .uploads
        .get_mut(id)
        .ok_or_else(|| gemini_error(404, &format!("Upload {id} does not exist."), Vec::new()))?;
    if offset != upload.received.len() {
        return Err(invalid(format!(
            "X-Goog-Upload-Offset is {offset}, expected {}",
            upload.received.len()
        )));
    }

    if !finalize && !body.len().is_multiple_of(granularity) {
        return Err(invalid(format!(
            "a non-final chunk of {} bytes is not a multiple of {granularity}",
            body.len()
        )));
    }

    upload.received.extend_from_slice(body);

    if !finalize {
        let mut rendered = Rendered::json(200, &json!({}));
        rendered
            .headers
            .push(("x-goog-upload-status", static_header("active")));
        return Ok(rendered);
    }

    let upload = inner.uploads.remove(id).expect("upload present");

    if upload.received.len() != upload.declared_len {
        return Err(invalid(format!(
            "received {} bytes, but X-Goog-Upload-Header-Content-Length declared {}",
            upload.received.len(),
            upload.declared_len
        )));
    }
    check_media(&upload.mime_type, &upload.received).map_err(invalid)?;

    let name = format!("files/standin-{}", inner.next_id);
    inner.next_id += 1;

    let stored = StoredFile {
        display_name: upload.display_name,
        mime_type: upload.mime_type,
        size: upload.received.len(),
        polls: 0,
    };

    let resource = file_resource(shared, &name, &stored, &inner.file_plan);
    inner.files.insert(name, stored);

    let mut rendered = Rendered::json(200, &json!({"file": resource}));
    rendered
        .headers
        .push(("x-goog-upload-status", static_header("final")));
    Ok(rendered)
}

/// `GET /v1beta/files/{id}`: the File, counting the poll.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let rendered = check_key(&shared, &headers, &uri).and_then(|()| {
        let name = format!("files/{id}");
        let mut inner = shared.lock();
        let plan = inner.file_plan.clone();
        let stored = inner.files.get_mut(&name).ok_or_else(|| not_found(&name))?;
        let resource = file_resource(&shared, &name, stored, &plan);
        stored.polls += 1;
        Ok(Rendered::json(200, &resource))
    });
    let rendered = rendered.unwrap_or_else(|error| error);
    shared.record(
        method.as_str(),
        &uri,
        &headers,
        &[],
        rendered.status.as_u16(),
    );
    into_response(rendered)
}

/// `DELETE /v1beta/files/{id}`: `{}`, or 404 for an unknown File.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let rendered = check_key(&shared, &headers, &uri).and_then(|()| {
        let name = format!("files/{id}");
        match shared.lock().files.remove(&name) {
            Some(_) => Ok(Rendered::json(200, &json!({}))),
            None => Err(not_found(&name)),
        }
    });
    let rendered = rendered.unwrap_or_else(|error| error);
    shared.record(
        method.as_str(),
        &uri,
        &headers,
        &[],
        rendered.status.as_u16(),
    );
    into_response(rendered)
}

/// `GET /v1beta/files`: every stored File on one page.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let rendered = check_key(&shared, &headers, &uri).map(|()| {
        let inner = shared.lock();
        let files: Vec<Value> = inner
            .files
            .iter()
            .map(|(name, stored)| file_resource(&shared, name, stored, &inner.file_plan))
            .collect();
        Rendered::json(200, &json!({"files": files}))
    });
    let rendered = rendered.unwrap_or_else(|error| error);
    shared.record(
        method.as_str(),
        &uri,
        &headers,
        &[],
        rendered.status.as_u16(),
    );
    into_response(rendered)
}

fn not_found(name: &str) -> Rendered {
    gemini_error(
        404,
        &format!("You do not have permission to access the File {name} or it may not exist."),
        Vec::new(),
    )
}
