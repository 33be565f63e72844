//! Rule-set endpoints (the active revision, the last reload, an on-demand reload), re-analysis of
//! stored bundles under the active revision, and the health check.

use super::view::new_verdict;
use super::{blocking, require_admin, ApiError, AppState};
use crate::reload::ReloadRequest;
use crate::rules::ReloadStatus;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// One file of the active rule set.
#[derive(Debug, Serialize)]
pub struct RuleFile {
    /// Path relative to the rule set root.
    pub path: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// `GET /api/v1/rules`.
#[derive(Debug, Serialize)]
pub struct ActiveAnswer {
    /// `sha256:` content hash of the active set.
    pub revision: String,
    /// Rule directory or `embedded`.
    pub source: String,
    /// When it went live, RFC 3339.
    pub loaded_at: String,
    /// When it went live, unix ms.
    pub loaded_at_ms: i64,
    /// Its `*.rules` files.
    pub files: Vec<RuleFile>,
}

/// `GET /api/v1/rules`
pub async fn active(State(st): State<AppState>) -> Json<ActiveAnswer> {
    let a = st.rules.snapshot();
    Json(ActiveAnswer {
        revision: a.rules.revision.clone(),
        source: a.rules.source.clone(),
        loaded_at: crate::time::rfc3339(a.loaded_at),
        loaded_at_ms: a.loaded_at,
        files: a
            .rules
            .files
            .iter()
            .map(|(p, t)| RuleFile {
                path: p.clone(),
                bytes: t.len(),
            })
            .collect(),
    })
}

/// `GET /api/v1/rules/status`
pub async fn status(State(st): State<AppState>) -> Json<ReloadStatus> {
    Json(st.rules.status())
}

/// `POST /api/v1/rules/reload` (admin): reloads now and answers with the outcome (422 when the
/// new files were rejected; the old set stays active).
pub async fn reload(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    require_admin(&st, &headers)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    st.reload
        .send(ReloadRequest {
            trigger: "api",
            reply: Some(tx),
        })
        .map_err(|_| unavailable())?;
    let s = rx.await.map_err(|_| unavailable())?;
    let code = if s.status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((code, Json(s)).into_response())
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "reload_unavailable",
        "the reload task is not running",
    )
}

/// `?force=` of re-analysis.
#[derive(Debug, Deserialize)]
pub struct ReanalyzeParams {
    /// Re-analyse even bundles whose current verdict already has the active revision.
    #[serde(default)]
    pub force: bool,
}

/// A bundle that could not be re-analysed.
#[derive(Debug, Serialize)]
pub struct ReanalyzeFailure {
    /// Bundle id.
    pub bundle_id: i64,
    /// Why.
    pub error: String,
}

/// Outcome of `POST /api/v1/reanalyze`.
#[derive(Debug, Serialize)]
pub struct ReanalyzeAnswer {
    /// Revision the new verdicts were produced under.
    pub revision: String,
    /// Stored bundles considered.
    pub bundles: usize,
    /// Bundles that got a new current verdict.
    pub reanalysed: usize,
    /// Bundles already analysed under this revision (skipped unless `force`).
    pub unchanged: usize,
    /// Bundles that could not be re-read (should never happen: uploads were validated).
    pub failed: Vec<ReanalyzeFailure>,
}

/// `POST /api/v1/reanalyze` (admin): re-analyses stored bundles under the active revision.
pub async fn reanalyze(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ReanalyzeParams>,
) -> Result<Json<ReanalyzeAnswer>, ApiError> {
    require_admin(&st, &headers)?;
    let answer = blocking(move || {
        let active = st.rules.snapshot();
        let revision = active.rules.revision.clone();
        let all = st.store.bundles_for_reanalysis()?;
        let mut out = ReanalyzeAnswer {
            revision: revision.clone(),
            bundles: all.len(),
            reanalysed: 0,
            unchanged: 0,
            failed: vec![],
        };
        for (id, current) in all {
            if current == revision && !p.force {
                out.unchanged += 1;
                continue;
            }
            let Some(body) = st.store.bundle_body(id)? else {
                continue;
            };
            match otadiag_model::read_bundle_bytes(&format!("bundle {id}"), &body) {
                Ok(mut b) => {
                    b.source = crate::ingest::content_hash(&body);
                    let report = otadiag_engine::analyze(&active.rules, &b, st.mode);
                    st.store
                        .replace_verdict(id, &new_verdict(&report, &revision)?)?;
                    out.reanalysed += 1;
                }
                Err(e) => out.failed.push(ReanalyzeFailure {
                    bundle_id: id,
                    error: e.to_string(),
                }),
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(answer))
}

/// `GET /api/v1/health`: store kind, row counts, active revision.
pub async fn health(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let revision = st.rules.snapshot().rules.revision.clone();
    let store = st.store.clone();
    let counts = blocking(move || Ok(store.counts()?)).await?;
    Ok(Json(serde_json::json!({
        "ok": true,
        "store": st.store.kind(),
        "revision": revision,
        "counts": counts,
    })))
}
