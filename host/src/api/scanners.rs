//! Scanners through the API: list, read, create, change (with a version bump when a field that
//! affects results changes), enable and disable, and queue an on-demand run on one session.
//! Scanners loaded from files are read-only here.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiState};
use crate::daemon::scanners::{definition, is_file_scanner};
use crate::scanner::ScannerDefinition;
use crate::store::{StoredScanner, Trigger};

pub async fn list(State(state): State<ApiState>) -> Result<Json<Vec<StoredScanner>>, ApiError> {
    Ok(Json(state.shared.store.scanners().await?))
}

pub async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<StoredScanner>, ApiError> {
    Ok(Json(find(&state, &id).await?))
}

pub async fn create(
    State(state): State<ApiState>,
    Json(body): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    let mut scanner: ScannerDefinition = serde_json::from_value(body).map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("invalid scanner: {error}"))
    })?;
    scanner.version = None;
    if state.shared.store.scanner(&scanner.id()).await?.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "a scanner with id {} exists; change it with PATCH",
                scanner.id()
            ),
        ));
    }
    let stored = save(&state, &scanner).await?;
    tracing::info!(scanner_id = %stored.id, "scanner created through the API");
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

pub async fn update(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Json(changes): Json<serde_json::Value>,
) -> Result<Json<StoredScanner>, ApiError> {
    let stored = find_writable(&state, &id).await?;
    let serde_json::Value::Object(changes) = changes else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object of fields to change",
        ));
    };
    let mut json = definition(&stored)?.to_json();
    for (field, value) in changes {
        json[field] = value;
    }
    let mut scanner: ScannerDefinition = serde_json::from_value(json).map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("invalid scanner: {error}"))
    })?;
    scanner.version = None;
    if scanner.id() != stored.id {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the name cannot change the scanner's id; create a new scanner instead",
        ));
    }
    let saved = save(&state, &scanner).await?;
    tracing::info!(scanner_id = %saved.id, version = saved.version, "scanner changed through the API");
    Ok(Json(saved))
}

pub async fn enable(
    state: State<ApiState>,
    id: Path<String>,
) -> Result<Json<StoredScanner>, ApiError> {
    set_enabled(state, id, true).await
}

pub async fn disable(
    state: State<ApiState>,
    id: Path<String>,
) -> Result<Json<StoredScanner>, ApiError> {
    set_enabled(state, id, false).await
}

async fn set_enabled(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    enabled: bool,
) -> Result<Json<StoredScanner>, ApiError> {
    let stored = find_writable(&state, &id).await?;
    let mut scanner = definition(&stored)?;
    scanner.enabled = enabled;
    scanner.version = None;
    Ok(Json(save(&state, &scanner).await?))
}

/// The body of `POST /scanners/{id}/observe`.
#[derive(Debug, Deserialize)]
pub struct ObserveRequest {
    session_id: String,
    /// Recorded as `triggered_by_user_id`.
    user_id: Option<String>,
}

/// Queues an on-demand run, which ignores `enabled` and sampling. Responds 200 with the
/// observation when the pair is already final, 202 when queued, 402 when a budget paused the
/// scanner, and 404 for an unknown scanner or session.
pub async fn observe(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Json(request): Json<ObserveRequest>,
) -> Result<Response, ApiError> {
    let stored = find(&state, &id).await?;
    let store = &state.shared.store;
    if store.session(&request.session_id).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "session {} not found; no source has seen it",
                request.session_id
            ),
        ));
    }
    if let Some(observation) = store.find_observation(&id, &request.session_id).await? {
        if observation.state.is_final() {
            let body =
                serde_json::json!({"observation_id": observation.id, "state": observation.state});
            return Ok((StatusCode::OK, Json(body)).into_response());
        }
    }
    if let Some(reason) = &stored.paused_reason {
        return Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            format!("scanner {id} is paused: {reason}"),
        ));
    }
    let queued = store
        .enqueue_work(
            &id,
            &request.session_id,
            Trigger::OnDemand,
            request.user_id.as_deref(),
        )
        .await?;
    state.shared.work_ready.notify_waiters();
    tracing::info!(scanner_id = %id, session_id = %request.session_id, queued, "on-demand run requested");
    let body =
        serde_json::json!({"queued": queued, "scanner_id": id, "session_id": request.session_id});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn find(state: &ApiState, id: &str) -> Result<StoredScanner, ApiError> {
    state
        .shared
        .store
        .scanner(id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("scanner {id} not found")))
}

async fn find_writable(state: &ApiState, id: &str) -> Result<StoredScanner, ApiError> {
    let stored = find(state, id).await?;
    if is_file_scanner(&stored) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "scanner {id} comes from {}; edit that file and restart the daemon",
                stored.origin.trim_start_matches("file:")
            ),
        ));
    }
    Ok(stored)
}

/// Checks a definition with its type and stores it with origin `api`.
async fn save(state: &ApiState, scanner: &ScannerDefinition) -> Result<StoredScanner, ApiError> {
    scanner
        .check()
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, message))?;
    let problems = state
        .shared
        .types
        .validate_config(&scanner.scanner_type, &scanner.config)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("{error:#}")))?;
    if let Err(problems) = problems {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("invalid config: {}", problems.join("; ")),
        ));
    }
    state.shared.store.register_scanner(scanner, "api").await?;
    find(state, &scanner.id()).await
}
