//! The HTTP API (`/api/v1/...`, documented in `docs/api.md` and `docs/openapi.yaml`): routes,
//! shared state, and the one JSON error shape every 4xx/5xx answer uses.

mod body;
mod query;
mod rules;
mod upload;
pub mod view;

use crate::reload::ReloadSender;
use crate::rules::RulesHandle;
use crate::store::{Store, StoreError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use otadiag_engine::Mode;
use std::sync::Arc;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The verdict store.
    pub store: Arc<dyn Store>,
    /// The live rule set.
    pub rules: Arc<RulesHandle>,
    /// The reload channel (shared with the watcher and SIGHUP).
    pub reload: ReloadSender,
    /// The admin bearer token; admin endpoints answer 403 when none is configured.
    pub admin_token: Option<Arc<str>>,
    /// Largest accepted bundle upload, bytes (as uploaded, before decompression).
    pub max_bundle_bytes: usize,
    /// Largest accepted decompressed size of a gzip/zstd upload (guards against bombs).
    pub max_decompressed_bytes: u64,
    /// Analysis mode for uploads and re-analysis.
    pub mode: Mode,
}

/// The API and dashboard routes over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/bundles", post(upload::upload))
        .route("/api/v1/vehicles", post(upload::register))
        .route(
            "/api/v1/vehicles/{vin}/verdicts",
            get(query::vehicle_verdicts),
        )
        .route(
            "/api/v1/campaigns/{id}/verdicts",
            get(query::campaign_verdicts),
        )
        .route("/api/v1/verdicts/{id}", get(query::verdict))
        .route("/api/v1/fleet/causes", get(query::fleet_causes))
        .route("/api/v1/fleet/trend", get(query::fleet_trend))
        .route("/api/v1/findings/{id}/evidence", get(query::evidence))
        .route("/api/v1/rules", get(rules::active))
        .route("/api/v1/rules/status", get(rules::status))
        .route("/api/v1/rules/reload", post(rules::reload))
        .route("/api/v1/reanalyze", post(rules::reanalyze))
        .route("/api/v1/health", get(rules::health))
        .merge(crate::dashboard::routes())
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .with_state(state)
}

/// An error answer: `{"error": CODE, "message": TEXT}` with an HTTP status.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`bad_bundle`, `unauthorized`, ...).
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        eprintln!("otadiag-serve: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.0)
    }
}

/// Runs blocking work (store calls, analysis) on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("worker failed: {e}"),
        )
    })?
}

/// Rejects a request without the admin token.
pub fn require_admin(state: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    if state.admin_token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "no admin token is configured on this server (set OTADIAG_ADMIN_TOKEN)",
        ));
    }
    if crate::auth::is_admin(headers, state.admin_token.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this endpoint needs the admin bearer token",
        ))
    }
}

/// The `limit` query parameter of listings: default 100, at most 1000.
pub fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(100).clamp(1, 1000)
}
