//! Read-only queries: verdicts per vehicle or campaign, one verdict, the fleet aggregation of
//! causes (cause × ECU × version × campaign) and its trend, and one finding's evidence window.

use super::view::{evidence_view, verdict_view, VerdictView};
use super::{blocking, clamp_limit, ApiError, AppState};
use crate::store::{CauseRow, FleetQuery, TrendRow, VerdictFilter};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

/// `?limit=` of the listings.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// At most this many verdicts (default 100, max 1000).
    pub limit: Option<i64>,
}

/// A list of verdicts.
#[derive(Debug, Serialize)]
pub struct VerdictList {
    /// Number of verdicts returned.
    pub count: usize,
    /// Current verdicts, newest upload first.
    pub verdicts: Vec<VerdictView>,
}

async fn list(st: AppState, filter: VerdictFilter, limit: i64) -> Result<VerdictList, ApiError> {
    blocking(move || {
        let rows = st.store.verdicts(&filter, limit)?;
        let verdicts = rows
            .iter()
            .map(verdict_view)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VerdictList {
            count: verdicts.len(),
            verdicts,
        })
    })
    .await
}

/// `GET /api/v1/vehicles/{vin}/verdicts`
pub async fn vehicle_verdicts(
    State(st): State<AppState>,
    Path(vin): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<VerdictList>, ApiError> {
    Ok(Json(
        list(st, VerdictFilter::Vehicle(vin), clamp_limit(p.limit)).await?,
    ))
}

/// `GET /api/v1/campaigns/{id}/verdicts`
pub async fn campaign_verdicts(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<VerdictList>, ApiError> {
    Ok(Json(
        list(st, VerdictFilter::Campaign(id), clamp_limit(p.limit)).await?,
    ))
}

/// `GET /api/v1/verdicts/{id}`
pub async fn verdict(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<VerdictView>, ApiError> {
    let l = list(st, VerdictFilter::Id(id), 1).await?;
    l.verdicts
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no verdict {id}")))
}

/// Filters of the fleet endpoints.
#[derive(Debug, Deserialize)]
pub struct FleetParams {
    /// Earliest upload time (unix ms, `YYYY-MM-DD` or RFC 3339 UTC), inclusive.
    pub from: Option<String>,
    /// Latest upload time, exclusive.
    pub to: Option<String>,
    /// Campaign id.
    pub campaign: Option<String>,
    /// Unit (ECU name or package id).
    pub ecu: Option<String>,
    /// Software version.
    pub version: Option<String>,
    /// Trend bucket: `hour`, `day` (default) or milliseconds.
    pub bucket: Option<String>,
}

fn fleet_query(p: &FleetParams) -> Result<FleetQuery, ApiError> {
    let t = |v: &Option<String>, name: &str| -> Result<Option<i64>, ApiError> {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                crate::time::parse_time(s)
                    .map_err(|m| ApiError::bad_request("bad_query", format!("{name}: {m}")))
            })
            .transpose()
    };
    let s = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    Ok(FleetQuery {
        from: t(&p.from, "from")?,
        to: t(&p.to, "to")?,
        campaign: s(&p.campaign),
        ecu: s(&p.ecu),
        version: s(&p.version),
    })
}

/// The fleet aggregation.
#[derive(Debug, Serialize)]
pub struct CausesAnswer {
    /// Lower time bound used (unix ms) or null.
    pub from: Option<i64>,
    /// Upper time bound used (unix ms, exclusive) or null.
    pub to: Option<i64>,
    /// Sum of `count` over all rows.
    pub total: i64,
    /// Cells, largest count first.
    pub rows: Vec<CauseRow>,
}

/// `GET /api/v1/fleet/causes`
pub async fn fleet_causes(
    State(st): State<AppState>,
    Query(p): Query<FleetParams>,
) -> Result<Json<CausesAnswer>, ApiError> {
    let q = fleet_query(&p)?;
    let (from, to) = (q.from, q.to);
    let rows = blocking(move || Ok(st.store.fleet_causes(&q)?)).await?;
    Ok(Json(CausesAnswer {
        from,
        to,
        total: rows.iter().map(|r| r.count).sum(),
        rows,
    }))
}

/// The fleet trend.
#[derive(Debug, Serialize)]
pub struct TrendAnswer {
    /// Bucket width, ms.
    pub bucket_ms: i64,
    /// (bucket start, cause, count), in time order.
    pub rows: Vec<TrendRow>,
}

/// `GET /api/v1/fleet/trend`
pub async fn fleet_trend(
    State(st): State<AppState>,
    Query(p): Query<FleetParams>,
) -> Result<Json<TrendAnswer>, ApiError> {
    let q = fleet_query(&p)?;
    let bucket_ms = match p.bucket.as_deref().unwrap_or("day") {
        "hour" => 3_600_000,
        "day" => 86_400_000,
        other => other
            .parse::<i64>()
            .ok()
            .filter(|&b| b > 0)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_query",
                    format!("bucket: `{other}`; expected hour, day or a positive number of ms"),
                )
            })?,
    };
    let rows = blocking(move || Ok(st.store.fleet_trend(&q, bucket_ms)?)).await?;
    Ok(Json(TrendAnswer { bucket_ms, rows }))
}

/// `GET /api/v1/findings/{id}/evidence`
pub async fn evidence(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<super::view::EvidenceView>, ApiError> {
    let f = blocking(move || Ok(st.store.finding(id)?))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no finding {id}")))?;
    Ok(Json(evidence_view(&f)?))
}
