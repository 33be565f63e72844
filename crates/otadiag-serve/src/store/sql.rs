//! SQL text shared by both stores: the query shapes are identical, only placeholders
//! (`?1` for SQLite, `$1` for PostgreSQL) and parameter binding differ.

use super::{FleetQuery, VerdictFilter};

/// A bind parameter of a generated query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A text value.
    Text(String),
}

/// Placeholder style of the target database.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    /// `?1`, `?2`, …
    Sqlite,
    /// `$1`, `$2`, …
    Postgres,
}

impl Dialect {
    fn ph(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

const FLEET_FROM: &str = "FROM findings f JOIN verdicts v ON v.id = f.verdict_id \
     JOIN bundles b ON b.id = v.bundle_id WHERE v.is_current = 1 AND f.is_root = 1";

fn fleet_where(d: Dialect, q: &FleetQuery, params: &mut Vec<Param>) -> String {
    let mut w = String::new();
    let mut add = |cond: &str, p: Param, params: &mut Vec<Param>| {
        params.push(p);
        w.push_str(&format!(" AND {cond} {}", d.ph(params.len())));
    };
    if let Some(from) = q.from {
        add("b.received_at >=", Param::Int(from), params);
    }
    if let Some(to) = q.to {
        add("b.received_at <", Param::Int(to), params);
    }
    if let Some(c) = &q.campaign {
        add("b.campaign =", Param::Text(c.clone()), params);
    }
    if let Some(e) = &q.ecu {
        add("f.unit =", Param::Text(e.clone()), params);
    }
    if let Some(v) = &q.version {
        add("f.version =", Param::Text(v.clone()), params);
    }
    w
}

/// The cause × unit × version × campaign aggregation.
pub fn fleet_causes(d: Dialect, q: &FleetQuery) -> (String, Vec<Param>) {
    let mut params = Vec::new();
    let w = fleet_where(d, q, &mut params);
    let sql = format!(
        "SELECT f.cause, f.unit, f.version, b.campaign, COUNT(*) AS n {FLEET_FROM}{w} \
         GROUP BY f.cause, f.unit, f.version, b.campaign \
         ORDER BY n DESC, f.cause, f.unit, f.version, b.campaign"
    );
    (sql, params)
}

/// Root findings per time bucket and cause.
pub fn fleet_trend(d: Dialect, q: &FleetQuery, bucket_ms: i64) -> (String, Vec<Param>) {
    let mut params = vec![Param::Int(bucket_ms.max(1))];
    let w = fleet_where(d, q, &mut params);
    let b = d.ph(1);
    let sql = format!(
        "SELECT (b.received_at / {b}) * {b} AS bucket, f.cause, COUNT(*) AS n {FLEET_FROM}{w} \
         GROUP BY bucket, f.cause ORDER BY bucket, f.cause"
    );
    (sql, params)
}

/// Current verdicts of a vehicle or campaign, newest first.
pub fn verdicts(d: Dialect, filter: &VerdictFilter, limit: i64) -> (String, Vec<Param>) {
    let (cond, val) = match filter {
        VerdictFilter::Vehicle(v) => ("v.is_current = 1 AND b.vin =", Param::Text(v.clone())),
        VerdictFilter::Campaign(c) => ("v.is_current = 1 AND b.campaign =", Param::Text(c.clone())),
        VerdictFilter::Id(id) => ("v.id =", Param::Int(*id)),
    };
    let sql = format!(
        "SELECT v.id, v.bundle_id, b.vin, b.campaign, b.task, b.received_at, v.revision, \
         v.analysed_at, v.report FROM verdicts v JOIN bundles b ON b.id = v.bundle_id \
         WHERE {cond} {} ORDER BY b.received_at DESC, v.id DESC LIMIT {}",
        d.ph(1),
        d.ph(2)
    );
    (sql, vec![val, Param::Int(limit)])
}

/// Finding ids of one verdict in report order.
pub fn finding_ids(d: Dialect) -> String {
    format!(
        "SELECT id FROM findings WHERE verdict_id = {} ORDER BY ordinal",
        d.ph(1)
    )
}

/// One finding with its verdict's vehicle and revision.
pub fn finding(d: Dialect) -> String {
    format!(
        "SELECT f.id, f.verdict_id, b.vin, f.stage, v.revision, f.finding FROM findings f \
         JOIN verdicts v ON v.id = f.verdict_id JOIN bundles b ON b.id = v.bundle_id \
         WHERE f.id = {}",
        d.ph(1)
    )
}

/// Inserts one finding row.
pub fn insert_finding(d: Dialect) -> String {
    let p: Vec<String> = (1..=8).map(|i| d.ph(i)).collect();
    format!(
        "INSERT INTO findings (verdict_id, ordinal, unit, stage, version, cause, is_root, finding) \
         VALUES ({})",
        p.join(", ")
    )
}

/// Inserts one verdict row (current), returning its id.
pub fn insert_verdict(d: Dialect) -> String {
    let p: Vec<String> = (1..=6).map(|i| d.ph(i)).collect();
    format!(
        "INSERT INTO verdicts (bundle_id, is_current, revision, analysed_at, verdict, failed_stage, report) \
         VALUES ({}, 1, {}) RETURNING id",
        p[0],
        p[1..].join(", ")
    )
}

/// The current verdict of a bundle.
pub fn current_verdict(d: Dialect) -> String {
    format!(
        "SELECT b.vin, b.id, v.id FROM bundles b JOIN verdicts v ON v.bundle_id = b.id \
         AND v.is_current = 1 WHERE b.content_hash = {}",
        d.ph(1)
    )
}
