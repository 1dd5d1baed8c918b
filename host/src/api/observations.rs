//! Reading observations through the API: a filtered list, newest first, and one by id.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiState};
use crate::store::{Observation, ObservationFilter, ObservationState, StoreError};

/// Query parameters of `GET /observations`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    scanner_id: Option<String>,
    session_id: Option<String>,
    state: Option<String>,
    /// At most this many; the default is 100 and the maximum 1000.
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<ApiState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Observation>>, ApiError> {
    let observation_state = match &query.state {
        Some(text) => Some(ObservationState::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "state {text:?} is unknown; expected pending, running, succeeded, failed or \
                     ineligible"
                ),
            )
        })?),
        None => None,
    };
    let filter = ObservationFilter {
        scanner_id: query.scanner_id,
        session_id: query.session_id,
        state: observation_state,
        limit: Some(query.limit.unwrap_or(100).clamp(1, 1000)),
    };
    Ok(Json(state.shared.store.list_observations(&filter).await?))
}

pub async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Observation>, ApiError> {
    match state.shared.store.observation(&id).await {
        Ok(observation) => Ok(Json(observation)),
        Err(StoreError::NotFound { .. }) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("observation {id} not found"),
        )),
        Err(error) => Err(error.into()),
    }
}
