//! Scores the analyser against the simulator's truth: every bundle of a directory is read,
//! analysed with `otadiag_engine` and compared unit by unit with its truth file, in parallel and
//! streaming (one bundle per worker in memory at a time) — or, with [`Source::Captures`], every
//! vehicle's captures recorded into a bundle first ([`captures`]).

pub mod captures;

pub use captures::CanLog;

use crate::scores::{Miss, Scores};
use crate::truth::{Truth, UnitTruth};
use otadiag_engine::Mode;
use otadiag_model::report::{BundleReport, Finding, TransportFinding, UnitReport};
use otadiag_model::UnitOutcome;
use otadiag_rules::ir::RuleSet;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The directory could not be listed.
    #[error("{0}: {1}")]
    Dir(PathBuf, std::io::Error),
    /// No bundles in the directory.
    #[error("{0}: no *.jsonl bundles to evaluate")]
    Empty(PathBuf),
    /// A bundle could not be read.
    #[error(transparent)]
    Bundle(#[from] otadiag_model::BundleError),
    /// A truth file is missing or malformed.
    #[error("{0}: {1}")]
    Truth(PathBuf, String),
    /// A capture or topology file is missing or could not be recorded.
    #[error("{0}: {1}")]
    Capture(PathBuf, String),
}

/// What the evaluator analyses for each vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The upload bundle `<vehicle>.jsonl`.
    #[default]
    Bundles,
    /// The captures (`--captures`) with the vehicle's topology, recorded as `otadiag analyze`
    /// records them; transport faults are scored too.
    Captures(CanLog),
}

/// The bundles of a directory (`*.jsonl`, sorted by name).
pub fn bundles_in(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|e| EvalError::Dir(dir.to_path_buf(), e))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(EvalError::Empty(dir.to_path_buf()));
    }
    Ok(out)
}

/// The truth file next to a bundle (`V000001.jsonl` → `V000001.truth.json`).
pub fn truth_path(bundle: &Path) -> PathBuf {
    bundle.with_extension("truth.json")
}

/// Reads a truth file.
pub fn read_truth(path: &Path) -> Result<Truth, EvalError> {
    let bytes =
        std::fs::read(path).map_err(|e| EvalError::Truth(path.to_path_buf(), e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| EvalError::Truth(path.to_path_buf(), e.to_string()))
}

/// Analyses every bundle in `dir` and scores the verdicts against the truth files.
pub fn evaluate(rules: &RuleSet, dir: &Path, mode: Mode) -> Result<Scores, EvalError> {
    evaluate_from(rules, dir, mode, Source::Bundles)
}

/// Analyses every vehicle in `dir` from `source` and scores the verdicts against the truth files.
pub fn evaluate_from(
    rules: &RuleSet,
    dir: &Path,
    mode: Mode,
    source: Source,
) -> Result<Scores, EvalError> {
    if let Source::Captures(can) = source {
        return captures::truths_in(dir)?
            .par_iter()
            .map(|t| captures::score(rules, t, mode, can))
            .try_reduce(Scores::default, |a, b| Ok(a.merge(b)));
    }
    bundles_in(dir)?
        .par_iter()
        .map(|p| {
            let truth = read_truth(&truth_path(p))?;
            let bundle = otadiag_model::read_bundle(p)?;
            let report = otadiag_engine::analyze_with(rules, &bundle, mode, true);
            drop(bundle);
            Ok(score_vehicle(&truth, &report))
        })
        .try_reduce(Scores::default, |a, b| Ok(a.merge(b)))
}

/// Scores one vehicle's report against its truth; a report made from captures (it carries a
/// capture summary) has its transport findings scored too.
pub fn score_vehicle(truth: &Truth, report: &BundleReport) -> Scores {
    let mut s = Scores {
        vehicles: 1,
        ..Scores::default()
    };
    if report.capture.is_some() {
        score_transport(truth, report, &mut s);
    }
    for t in &truth.units {
        if t.result == "not_run" {
            s.not_run += 1;
            continue;
        }
        let u = report
            .units
            .iter()
            .find(|u| u.stage == t.stage && u.unit == t.unit);
        let reported_failed = u.is_some_and(|u| u.result == UnitOutcome::Failure);
        let root = u.and_then(|u| u.findings.iter().find(|f| f.root));
        let stage = t.stage.as_str();
        s.units += 1;
        s.reported_failed += reported_failed as usize;
        if t.result != "failure" {
            s.healthy += 1;
            s.false_failures += reported_failed as usize;
            if u.is_some_and(|u| !u.findings.is_empty()) {
                s.noisy_healthy += 1;
                s.noise_add(miss(truth, t, u, root));
            }
            if t.fault.as_deref() == Some("retry_recovered") {
                s.retries += 1;
                s.retries_blamed += reported_failed as usize;
            }
            if reported_failed {
                s.confusion_add("healthy", root.map_or("none", |f| f.cause.as_str()));
                s.miss(miss(truth, t, u, root));
            }
            continue;
        }
        let cause = t.cause.as_deref().unwrap_or("?");
        // A diagnosis counts only when the unit is also reported failed: with `every_unit` the
        // engine checks healthy-looking units too, but a user never sees those findings.
        let root = root.filter(|_| reported_failed);
        let got = root.map_or("none", |f| f.cause.as_str());
        s.confusion_add(cause, got);
        let ok_cause = got == cause;
        let ok_side = root.is_some_and(|f| Some(f.side.as_str()) == t.side.as_deref());
        let ok_loc = root.is_some_and(|f| location_ok(t, f));
        let ok_rec = root.is_some_and(|f| f.request.as_ref().map(|r| r.index) == t.record);
        let row = s
            .by_class
            .entry(format!("{stage}/{}", t.transport))
            .or_default();
        row.failed += 1;
        row.found += reported_failed as usize;
        row.cause += ok_cause as usize;
        row.location += ok_loc as usize;
        s.truth_failed += 1;
        s.true_positive += reported_failed as usize;
        s.diagnosed += root.is_some() as usize;
        s.cause_ok += ok_cause as usize;
        s.side_ok += ok_side as usize;
        s.location_ok += ok_loc as usize;
        s.record_ok += ok_rec as usize;
        if !(reported_failed && ok_cause && ok_side && ok_loc) {
            s.miss(miss(truth, t, u, root));
        }
    }
    s
}

/// The transport finding kind a transport fault must produce.
fn transport_kind(fault: &str) -> Option<&'static str> {
    match fault {
        "isotp_sequence_error" => Some("isotp_sequence_error"),
        "doip_nack" => Some("doip_diag_nack"),
        captures::BROKEN_FRAMING => Some("tcp_incomplete_message"),
        _ => None,
    }
}

/// Whether a transport finding lies within a second of a truth unit's offending request (the
/// flash stage runs one ECU at a time, so this names the unit).
fn near(f: &TransportFinding, t: &UnitTruth) -> bool {
    matches!((f.ts, t.ts), (Some(a), Some(b)) if (a - b).abs() <= 1_000_000_000)
}

/// Every truth unit with a transport fault must have a transport finding of the matching kind at
/// its offending request; every transport finding must be explained by the truth (a transport
/// fault, or the NACK the DoIP entity sends for a request from an illegal source address).
fn score_transport(truth: &Truth, report: &BundleReport, s: &mut Scores) {
    let mut explained = vec![false; report.transport.len()];
    for t in truth.units.iter().filter(|t| t.result == "failure") {
        let want = t.fault.as_deref().and_then(transport_kind);
        let sender = t.transport == "doip" && t.cause.as_deref() == Some("request_sender_illegal");
        let mut found = false;
        for (f, e) in report.transport.iter().zip(&mut explained) {
            if Some(f.kind.as_str()) == want && near(f, t) {
                found = true;
                *e = true;
            } else if sender && f.kind == "doip_diag_nack" && near(f, t) {
                *e = true;
            }
        }
        if want.is_some() {
            s.transport_faults += 1;
            s.transport_found += found as usize;
            if !found {
                s.miss(Miss {
                    vehicle: truth.vehicle.clone(),
                    unit: format!("{} {}", t.stage.as_str(), t.unit),
                    expected: format!("transport finding {}", want.unwrap_or("?")),
                    got: "none at the offending request".into(),
                });
            }
        }
    }
    for (f, _) in report
        .transport
        .iter()
        .zip(&explained)
        .filter(|(_, e)| !**e)
    {
        s.transport_spurious += 1;
        s.miss(Miss {
            vehicle: truth.vehicle.clone(),
            unit: format!("{} {} -> {}", f.transport, f.src, f.dst),
            expected: "no transport finding".into(),
            got: format!("{}: {}", f.kind, f.detail),
        });
    }
}

fn location_ok(t: &UnitTruth, f: &Finding) -> bool {
    f.location.unit == t.unit
        && f.location.address == t.address
        && f.location.packet == t.packet
        && f.location.block == t.block
}

fn miss(truth: &Truth, t: &UnitTruth, u: Option<&UnitReport>, root: Option<&Finding>) -> Miss {
    let loc = |p: Option<i64>, b: Option<i64>| {
        let mut s = String::new();
        if let Some(p) = p {
            s.push_str(&format!(" packet {p}"));
        }
        if let Some(b) = b {
            s.push_str(&format!(" block 0x{b:02X}"));
        }
        s
    };
    Miss {
        vehicle: truth.vehicle.clone(),
        unit: format!("{} {}", t.stage.as_str(), t.unit),
        expected: match &t.cause {
            Some(c) => format!(
                "{c}/{}{} ({})",
                t.side.as_deref().unwrap_or("?"),
                loc(t.packet, t.block),
                t.detail.as_deref().unwrap_or("")
            ),
            None => format!("success ({})", t.fault.as_deref().unwrap_or("healthy")),
        },
        got: match (u, root) {
            (_, Some(f)) => format!(
                "{}/{}{} rule {}",
                f.cause,
                f.side,
                loc(f.location.packet, f.location.block),
                f.rule
            ),
            (Some(u), None) if u.result == UnitOutcome::Failure => "failure with no finding".into(),
            (Some(_), None) => "success".into(),
            (None, None) => "unit missing from the report".into(),
        },
    }
}
