//! `POST /api/v1/bundles` (a vehicle uploads a bundle) and `POST /api/v1/vehicles` (an admin
//! registers a vehicle). The upload is answered only after the bundle bytes and its verdict are
//! committed in one transaction; a resend of the same bytes is recognised by its content hash.

use super::view::{verdict_view, VerdictView};
use super::{blocking, body, require_admin, ApiError, AppState};
use crate::auth::{bearer, hash_token, register_vehicle};
use crate::store::{InsertOutcome, UploadIds, VerdictFilter};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// The answer to an upload: the verdict, and whether the bundle had been stored before.
#[derive(Debug, Serialize)]
pub struct UploadAnswer {
    /// True when the same bytes had already been uploaded (nothing new was stored).
    pub duplicate: bool,
    /// `sha256:` of the uploaded bytes.
    pub content_hash: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: VerdictView,
}

/// Handles a bundle upload.
pub async fn upload(
    State(st): State<AppState>,
    headers: HeaderMap,
    raw: Body,
) -> Result<Response, ApiError> {
    let max = st.max_bundle_bytes;
    let vin = match authenticate(&st, &headers).await {
        Ok(vin) => vin,
        Err(e) => {
            body::drain(&headers, raw, max).await;
            return Err(e);
        }
    };
    let bytes = body::read_limited(&headers, raw, max).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("bad_bundle", "empty request body"));
    }
    let hash = crate::ingest::content_hash(&bytes);

    let st2 = st.clone();
    let (status, answer) = blocking(move || {
        let store = &st2.store;
        if let Some((owner, ids)) = store.find_bundle(&hash)? {
            check_owner(&owner, &vin)?;
            return Ok((StatusCode::OK, answer(&st2, true, &hash, ids)?));
        }
        if let Some(n) = inflates_beyond(&bytes, st2.max_decompressed_bytes) {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the compressed bundle decompresses to more than {n} bytes"),
            ));
        }
        let bundle = otadiag_model::read_bundle_bytes("upload", &bytes)
            .map_err(|e| ApiError::bad_request("bad_bundle", e.to_string()))?;
        let m = &bundle.manifest;
        if m.vin != vin && m.vehicle.as_deref() != Some(vin.as_str()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "vehicle_mismatch",
                format!(
                    "the token belongs to vehicle `{vin}` but the bundle manifest names vin `{}`{}",
                    m.vin,
                    m.vehicle
                        .as_ref()
                        .map(|v| format!(" / vehicle `{v}`"))
                        .unwrap_or_default()
                ),
            ));
        }
        match crate::ingest::analyse_and_insert(&st2, bundle, &bytes, &hash, &vin)? {
            InsertOutcome::Inserted(ids) => {
                Ok((StatusCode::CREATED, answer(&st2, false, &hash, ids)?))
            }
            InsertOutcome::Duplicate(ids) => Ok((StatusCode::OK, answer(&st2, true, &hash, ids)?)),
        }
    })
    .await?;
    Ok((status, Json(answer)).into_response())
}

/// For a gzip or zstd upload, `Some(limit)` when it decompresses to more than `limit` bytes.
/// Stream errors are left to the bundle reader, which reports them with the line.
fn inflates_beyond(bytes: &[u8], limit: u64) -> Option<u64> {
    use std::io::Read;
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(ruzstd::decoding::StreamingDecoder::new(bytes).ok()?)
    } else {
        return None;
    };
    let n = std::io::copy(
        &mut reader.take(limit.saturating_add(1)),
        &mut std::io::sink(),
    )
    .unwrap_or(0);
    (n > limit).then_some(limit)
}

fn check_owner(owner: &str, vin: &str) -> Result<(), ApiError> {
    if owner == vin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "vehicle_mismatch",
            format!("this bundle was uploaded by another vehicle, not `{vin}`"),
        ))
    }
}

fn answer(
    st: &AppState,
    duplicate: bool,
    hash: &str,
    ids: UploadIds,
) -> Result<UploadAnswer, ApiError> {
    let v = st
        .store
        .verdicts(&VerdictFilter::Id(ids.verdict_id), 1)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("verdict {} vanished", ids.verdict_id)))?;
    Ok(UploadAnswer {
        duplicate,
        content_hash: hash.into(),
        verdict: verdict_view(&v)?,
    })
}

/// Resolves the vehicle of the request's bearer token (401 when missing or unknown).
async fn authenticate(st: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing bearer token: send `Authorization: Bearer <vehicle token>`",
        ));
    };
    let h = hash_token(token);
    let store = st.store.clone();
    blocking(move || Ok(store.vehicle_for_token(&h)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown vehicle token",
            )
        })
}

/// Body of `POST /api/v1/vehicles`.
#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    /// Vehicle id (the VIN, or the fleet-side id bundles name in `manifest.vehicle`).
    pub vin: String,
}

/// Registers a vehicle (or rotates its token); admin only. The token is shown once.
pub async fn register(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_admin(&st, &headers)?;
    let req: RegisterRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("bad_request", format!("expected {{\"vin\": \"...\"}}: {e}"))
    })?;
    if !crate::auth::valid_vehicle_id(&req.vin) {
        return Err(ApiError::bad_request(
            "bad_vehicle",
            format!(
                "`{}` is not a valid vehicle id (1-64 printable ASCII characters, no / ? #)",
                req.vin
            ),
        ));
    }
    let store = st.store.clone();
    let vin = req.vin.clone();
    let token = blocking(move || Ok(register_vehicle(&*store, &vin)?)).await?;
    let body = serde_json::json!({ "vin": req.vin, "token": token });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
