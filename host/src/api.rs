//! The daemon's HTTP API (axum, JSON):
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /health` | liveness and the store's reachability; needs no token |
//! | `GET /metrics` | Prometheus text |
//! | `GET /scanners`, `GET /scanners/{id}` | stored scanners with version, origin, `paused_reason` |
//! | `POST /scanners` | creates a scanner from a definition (JSON); 409 when the name is taken |
//! | `PATCH /scanners/{id}` | changes fields; the version rises when a result-affecting one changes |
//! | `POST /scanners/{id}/enable`, `/disable` | turns scheduled runs on or off |
//! | `POST /scanners/{id}/observe` | `{session_id, user_id?}`: queues an on-demand run |
//! | `GET /observations?scanner_id=&session_id=&state=&limit=` | newest first |
//! | `GET /observations/{id}` | one observation |
//!
//! Scanners loaded from files are read-only here (409); edit the file and restart instead.
//! Every path but `/health` needs `Authorization: Bearer <token>` when a token is configured;
//! without a token the API only binds to a loopback address.

mod auth;
mod observations;
mod scanners;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::watch;

use crate::daemon::Shared;

pub use auth::Token;

/// A running API server.
pub struct ApiServer {
    /// The address it listens on (useful when the configured port is 0).
    pub address: SocketAddr,
    /// Ends after the stop signal, once open requests are complete.
    pub task: tokio::task::JoinHandle<()>,
}

/// State of the request handlers.
#[derive(Clone)]
pub struct ApiState {
    pub shared: Arc<Shared>,
}

/// An error response: a status and a message in `{"error": ...}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({"error": self.message}));
        (self.status, body).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        tracing::warn!(error = %error, "API request failed in the store");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, format!("{error:#}"))
    }
}

/// Builds the routes, with the token check on every path but `/health`.
pub fn router(shared: Arc<Shared>, token: Option<Token>) -> Router {
    let state = ApiState { shared };
    let protected = Router::new()
        .route("/metrics", get(metrics))
        .route("/scanners", get(scanners::list).post(scanners::create))
        .route(
            "/scanners/{id}",
            get(scanners::get_one).patch(scanners::update),
        )
        .route("/scanners/{id}/enable", post(scanners::enable))
        .route("/scanners/{id}/disable", post(scanners::disable))
        .route("/scanners/{id}/observe", post(scanners::observe))
        .route("/observations", get(observations::list))
        .route("/observations/{id}", get(observations::get_one))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(token),
            auth::require_token,
        ));
    Router::new()
        .route("/health", get(health))
        .merge(protected)
        .with_state(state)
}

/// Binds the configured address and serves until `stop` turns true. Fails when no token is
/// configured and the address is not loopback.
pub async fn serve(
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<ApiServer> {
    let settings = &shared.config.daemon.api;
    let address: SocketAddr = settings.listen.parse().with_context(|| {
        format!(
            "[daemon.api] listen {:?} is not a socket address",
            settings.listen
        )
    })?;
    let token = Token::from_env(&settings.token_env);
    if token.is_none() && !address.ip().is_loopback() {
        anyhow::bail!(
            "the API would listen on {address} without a token; set {} or listen on 127.0.0.1",
            settings.token_env
        );
    }
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let address = listener.local_addr()?;
    let app = router(shared, token);
    let task = tokio::spawn(async move {
        let stopped = async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::warn!(error = %error, "API server stopped with an error");
        }
    });
    Ok(ApiServer { address, task })
}

async fn health(axum::extract::State(state): axum::extract::State<ApiState>) -> Response {
    match state.shared.store.queue_depth().await {
        Ok((depth, _)) => Json(serde_json::json!({
            "status": "ok",
            "worker": state.shared.owner,
            "queue_depth": depth,
        }))
        .into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "health check cannot reach the store");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the store is unreachable")
                .into_response()
        }
    }
}

async fn metrics(
    axum::extract::State(state): axum::extract::State<ApiState>,
) -> Result<Response, ApiError> {
    let text = state
        .shared
        .metrics
        .render_text(&state.shared.store)
        .await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
        .into_response())
}
