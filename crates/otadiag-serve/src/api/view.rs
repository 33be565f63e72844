//! The JSON shapes the API answers with, and the conversion between an engine `BundleReport`
//! and the rows the store keeps (one verdict, its findings in report order).

use crate::store::{NewFinding, NewVerdict, StoreError, StoredFinding, StoredVerdict};
use otadiag_model::report::{BundleReport, Finding};
use serde::Serialize;

/// A finding in a verdict listing: the essentials plus the id for `/findings/{id}/evidence`.
#[derive(Debug, Clone, Serialize)]
pub struct FindingSummary {
    /// Finding id.
    pub id: i64,
    /// Unit (package or ECU).
    pub unit: String,
    /// `deploy` or `flash`.
    pub stage: String,
    /// Target software version of the unit.
    pub version: Option<String>,
    /// Root finding of its unit.
    pub root: bool,
    /// Cause name.
    pub cause: String,
    /// Failed parameter type.
    pub parameter: String,
    /// `client` or `server`.
    pub side: String,
    /// Blamed role.
    pub role: String,
    /// Rule id.
    pub rule: String,
    /// Rule message.
    pub message: String,
    /// Measured value.
    pub measured: Option<String>,
    /// Limit.
    pub limit: Option<String>,
    /// Negative response code.
    pub nrc: Option<String>,
    /// Problem block.
    pub block: Option<i64>,
    /// Problem packet.
    pub packet: Option<i64>,
}

/// A stored verdict as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictView {
    /// Verdict id.
    pub verdict_id: i64,
    /// Bundle id.
    pub bundle_id: i64,
    /// Vehicle.
    pub vin: String,
    /// Campaign.
    pub campaign: String,
    /// Task.
    pub task: String,
    /// Upload time, RFC 3339.
    pub received_at: String,
    /// Upload time, unix ms.
    pub received_at_ms: i64,
    /// Rule revision the verdict was produced under.
    pub revision: String,
    /// Analysis time, RFC 3339.
    pub analysed_at: String,
    /// `success` or `failure`.
    pub verdict: String,
    /// `deploy`, `flash` or null.
    pub failed_stage: Option<String>,
    /// Findings of every unit, report order.
    pub findings: Vec<FindingSummary>,
    /// The full report of the bundle (docs/report-format.md, `BundleReport`).
    pub report: BundleReport,
}

/// The rows to store for one bundle report.
pub fn new_verdict(report: &BundleReport, revision: &str) -> Result<NewVerdict, StoreError> {
    let mut findings = Vec::new();
    for u in &report.units {
        for f in &u.findings {
            findings.push(NewFinding {
                unit: u.unit.clone(),
                stage: u.stage.as_str().into(),
                version: u.version.clone().unwrap_or_default(),
                cause: f.cause.clone(),
                root: f.root,
                json: serde_json::to_string(f)?,
            });
        }
    }
    Ok(NewVerdict {
        revision: revision.into(),
        analysed_at: crate::time::now_ms(),
        verdict: report.verdict.clone(),
        failed_stage: report.failed_stage.map(|s| s.as_str().to_string()),
        report: serde_json::to_string(report)?,
        findings,
    })
}

/// The API view of a stored verdict; finding ids are matched to the report's findings in order.
pub fn verdict_view(v: &StoredVerdict) -> Result<VerdictView, StoreError> {
    let report: BundleReport = serde_json::from_str(&v.report)?;
    let mut ids = v.finding_ids.iter();
    let mut findings = Vec::new();
    for u in &report.units {
        for f in &u.findings {
            let id = *ids
                .next()
                .ok_or_else(|| StoreError(format!("verdict {} lacks finding rows", v.id)))?;
            findings.push(FindingSummary {
                id,
                unit: u.unit.clone(),
                stage: u.stage.as_str().into(),
                version: u.version.clone(),
                root: f.root,
                cause: f.cause.clone(),
                parameter: f.parameter.clone(),
                side: f.side.clone(),
                role: f.role.clone(),
                rule: f.rule.clone(),
                message: f.message.clone(),
                measured: f.measured.clone(),
                limit: f.limit.clone(),
                nrc: f.nrc.clone(),
                block: f.location.block,
                packet: f.location.packet,
            });
        }
    }
    Ok(VerdictView {
        verdict_id: v.id,
        bundle_id: v.bundle_id,
        vin: v.vin.clone(),
        campaign: v.campaign.clone(),
        task: v.task.clone(),
        received_at: crate::time::rfc3339(v.received_at),
        received_at_ms: v.received_at,
        revision: v.revision.clone(),
        analysed_at: crate::time::rfc3339(v.analysed_at),
        verdict: report.verdict.clone(),
        failed_stage: report.failed_stage.map(|s| s.as_str().to_string()),
        findings,
        report,
    })
}

/// The evidence window of one finding, with the two roles of its exchange for a sequence diagram.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    /// Finding id.
    pub finding_id: i64,
    /// Verdict id.
    pub verdict_id: i64,
    /// Vehicle.
    pub vin: String,
    /// Rule revision of the verdict.
    pub revision: String,
    /// `deploy` or `flash`.
    pub stage: String,
    /// Who sends requests: `TBOX` (deploy) or `GW` (flash).
    pub client_role: String,
    /// Who answers: `GW` (deploy) or `ECU` (flash).
    pub server_role: String,
    /// The whole finding (report format).
    pub finding: Finding,
}

/// Builds the evidence view of a stored finding.
pub fn evidence_view(f: &StoredFinding) -> Result<EvidenceView, StoreError> {
    let finding: Finding = serde_json::from_str(&f.json)?;
    let (mut client, mut server) = match f.stage.as_str() {
        "deploy" => ("TBOX".to_string(), "GW".to_string()),
        _ => ("GW".to_string(), "ECU".to_string()),
    };
    match finding.side.as_str() {
        "client" => client = finding.role.clone(),
        "server" => server = finding.role.clone(),
        _ => {}
    }
    Ok(EvidenceView {
        finding_id: f.id,
        verdict_id: f.verdict_id,
        vin: f.vin.clone(),
        revision: f.revision.clone(),
        stage: f.stage.clone(),
        client_role: client,
        server_role: server,
        finding,
    })
}
