//! A loopback stand-in for PostHog's recordings API, as the daemon's PostHog source reads it:
//!
//! - `GET /api/projects/{project}/session_recordings?date_from=&limit=&offset=` lists recordings
//!   whose `start_time` is at or after `date_from`, oldest first, in pages with `has_next`;
//! - `GET /api/projects/{project}/session_recordings/{id}/snapshots` lists the blob sources;
//! - the same path with `source=blob_v2&start_blob_key=K&end_blob_key=K` returns blob `K` as
//!   lines of `["<window id>", event]`.
//!
//! Every request needs `Authorization: Bearer <key>`. With `rate_limit_every(n)`, every n-th
//! request gets `429` with `Retry-After: 0`, as PostHog's rate limiter responds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The key the stand-in accepts.
pub const PERSONAL_KEY: &str = "phx_standin";

/// One recording the stand-in serves.
#[derive(Debug, Clone)]
pub struct StoredRecording {
    pub id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Blobs of `["<window id>", event]` lines.
    pub blobs: Vec<String>,
}

#[derive(Default)]
struct Inner {
    recordings: Vec<StoredRecording>,
    rate_limit_every: Option<usize>,
    requests: usize,
    rate_limited: usize,
    paths: Vec<String>,
}

type Shared = Arc<Mutex<Inner>>;

/// A running PostHog stand-in. Dropping it stops the server.
pub struct PostHogStandIn {
    address: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for PostHogStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl PostHogStandIn {
    /// Starts on a random loopback port.
    pub async fn start() -> PostHogStandIn {
        let shared: Shared = Arc::default();
        let app = Router::new()
            .route("/api/projects/{project}/session_recordings", get(list))
            .route(
                "/api/projects/{project}/session_recordings/{id}/snapshots",
                get(snapshots),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the PostHog stand-in on 127.0.0.1");
        let address = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        PostHogStandIn {
            address,
            shared,
            server,
        }
    }

    /// Returns the host to configure, such as `http://127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Adds a recording whose events are split into blobs of `per_blob` events, in window
    /// `window`. Start and end come from the events' timestamps.
    pub fn add_recording(&self, id: &str, window: &str, events: &[Value], per_blob: usize) {
        let times: Vec<i64> = events
            .iter()
            .filter_map(|event| event["timestamp"].as_i64())
            .collect();
        let blobs = events
            .chunks(per_blob.max(1))
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|event| json!([window, event]).to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        let recording = StoredRecording {
            id: id.to_string(),
            start_ms: times.iter().copied().min().unwrap_or(0),
            end_ms: times.iter().copied().max().unwrap_or(0),
            blobs,
        };
        self.lock().recordings.push(recording);
    }

    /// Makes every n-th request fail with `429`.
    pub fn rate_limit_every(&self, n: usize) {
        self.lock().rate_limit_every = Some(n.max(1));
    }

    /// Returns the number of requests rejected with `429` so far.
    pub fn rate_limited(&self) -> usize {
        self.lock().rate_limited
    }

    /// Returns the path and query of every request so far.
    pub fn paths(&self) -> Vec<String> {
        self.lock().paths.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.lock().expect("stand-in state")
    }
}

/// Counts the request and returns its error response, if it gets one.
fn admit(shared: &Shared, headers: &HeaderMap, path: String) -> Option<Response> {
    let mut inner = shared.lock().expect("stand-in state");
    inner.requests += 1;
    inner.paths.push(path);
    let authorized = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {PERSONAL_KEY}"));
    if !authorized {
        let body = Json(json!({"detail": "Authentication credentials were not provided."}));
        return Some((StatusCode::UNAUTHORIZED, body).into_response());
    }
    if inner
        .rate_limit_every
        .is_some_and(|every| inner.requests.is_multiple_of(every))
    {
        inner.rate_limited += 1;
        let body = Json(json!({"detail": "Request was throttled."}));
        return Some((StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], body).into_response());
    }
    None
}

fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .expect("a time in range");
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats")
}

async fn list(
    State(shared): State<Shared>,
    Path(_project): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = admit(&shared, &headers, format!("list {query:?}")) {
        return refusal;
    }
    let from = query
        .get("date_from")
        .and_then(|text| {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or(i64::MIN, |at| {
            (at.unix_timestamp_nanos() / 1_000_000) as i64
        });
    let limit: usize = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let offset: usize = query
        .get("offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let inner = shared.lock().expect("stand-in state");
    let mut matching: Vec<&StoredRecording> = inner
        .recordings
        .iter()
        .filter(|recording| recording.start_ms >= from)
        .collect();
    matching.sort_by_key(|recording| recording.start_ms);
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|recording| {
            json!({
                "id": recording.id,
                "start_time": rfc3339(recording.start_ms),
                "end_time": rfc3339(recording.end_ms),
            })
        })
        .collect();
    let has_next = offset + page.len() < matching.len();
    Json(json!({"results": page, "has_next": has_next})).into_response()
}

async fn snapshots(
    State(shared): State<Shared>,
    Path((_project, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = admit(&shared, &headers, format!("snapshots {id} {query:?}")) {
        return refusal;
    }
    let inner = shared.lock().expect("stand-in state");
    let Some(recording) = inner.recordings.iter().find(|recording| recording.id == id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"detail": "Not found."}))).into_response();
    };
    let Some(key) = query.get("start_blob_key") else {
        let sources: Vec<Value> = (0..recording.blobs.len())
            .map(|index| json!({"source": "blob_v2", "blob_key": index.to_string()}))
            .collect();
        return Json(json!({"sources": sources})).into_response();
    };
    match key
        .parse::<usize>()
        .ok()
        .and_then(|index| recording.blobs.get(index))
    {
        Some(blob) => blob.clone().into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": "No such blob."})),
        )
            .into_response(),
    }
}
