//! Reading an upload body within the size limit, and answering early rejections politely.
//!
//! A server that answers (401, 413) and closes while the client is still sending makes the
//! client's TCP stack see a reset, and the client may never read the JSON error. So before such
//! an answer the rest of the body is read and dropped, up to one more `max` bytes and 5 seconds.
//! Clients that send `Expect: 100-continue` are answered at once and never send the body.

use super::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;

/// How long an early rejection waits for the client to finish sending.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Whether the client waits for `100 Continue` before sending the body.
pub fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// Reads and drops up to `budget` bytes of the body (bounded in time), unless the client
/// is waiting for `100 Continue`.
pub async fn drain(headers: &HeaderMap, mut body: Body, budget: usize) {
    if expects_continue(headers) {
        return;
    }
    let read = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > budget {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, read).await;
}

/// The 413 answer for a body over `max` bytes.
pub fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the bundle exceeds the upload limit of {max} bytes"),
    )
}

/// Reads the whole body if it has at most `max` bytes; otherwise drains (see module doc) and
/// answers 413. A declared `Content-Length` over the limit is refused before reading.
pub async fn read_limited(
    headers: &HeaderMap,
    mut body: Body,
    max: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        drain(headers, body, max).await;
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request(
                "body_error",
                format!("could not read the request body: {e}"),
            )
        })?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > max {
                drain(headers, body, max).await;
                return Err(too_large(max));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}
