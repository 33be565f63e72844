//! Evaluation from captures: each vehicle is analysed from what was on the wire — its TBOX pcap,
//! GW pcap and GW CAN log together as one recording, named by its topology file — through the
//! recorder, exactly as `otadiag analyze --topology T CAPTURE…` would, instead of from the bundle
//! the simulator wrote. This scores the capture readers, decoders and the recorder too.

use super::{read_truth, EvalError};
use otadiag_engine::Mode;
use otadiag_model::report::BundleReport;
use otadiag_record::pipeline::{record_captures, Options};
use otadiag_record::Topology;
use otadiag_rules::ir::RuleSet;
use std::path::{Path, PathBuf};

/// Which of the two CAN logs the simulator writes is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CanLog {
    /// `<vehicle>.gw.candump.log`.
    #[default]
    Candump,
    /// `<vehicle>.gw.asc`.
    Asc,
}

impl CanLog {
    fn suffix(self) -> &'static str {
        match self {
            CanLog::Candump => "gw.candump.log",
            CanLog::Asc => "gw.asc",
        }
    }
}

/// The vehicles of a directory: its truth files, sorted by name.
pub fn truths_in(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|e| EvalError::Dir(dir.to_path_buf(), e))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(EvalError::Empty(dir.to_path_buf()));
    }
    Ok(out)
}

/// The capture files of the vehicle whose truth file is `truth` (those that exist: a vehicle
/// without CAN ECUs has no CAN log), and its topology file.
pub fn capture_paths(truth: &Path, can: CanLog) -> (Vec<PathBuf>, PathBuf) {
    let stem = truth.to_string_lossy();
    let stem = stem.strip_suffix(".truth.json").unwrap_or(&stem);
    let files = ["tbox.pcap", "gw.pcap", can.suffix()]
        .iter()
        .map(|s| PathBuf::from(format!("{stem}.{s}")))
        .filter(|p| p.exists())
        .collect();
    (files, PathBuf::from(format!("{stem}.topology.toml")))
}

/// Records one vehicle's captures with its topology and analyses the recording with every unit
/// checked; the report carries the capture summary and the transport findings.
pub fn analyze_vehicle(
    rules: &RuleSet,
    truth: &Path,
    mode: Mode,
    can: CanLog,
) -> Result<BundleReport, EvalError> {
    let (files, topo) = capture_paths(truth, can);
    let fail = |p: &Path, e: String| EvalError::Capture(p.to_path_buf(), e);
    if files.is_empty() {
        return Err(fail(
            truth,
            "no captures next to this truth file (simulate with --captures)".into(),
        ));
    }
    let topology = Topology::load(&topo).map_err(|e| fail(&topo, e.message))?;
    let opts = Options {
        topology,
        strict: true,
    };
    let rec = record_captures(rules, &files, &opts, &mut |_| {})
        .map_err(|e| fail(truth, e.to_string()))?;
    let mut report = otadiag_engine::analyze_with(rules, &rec.bundle, mode, true);
    report.capture = Some(rec.summary);
    report.transport = rec.transport;
    Ok(report)
}

/// Scores one vehicle analysed from its captures.
pub fn score(
    rules: &RuleSet,
    truth: &Path,
    mode: Mode,
    can: CanLog,
) -> Result<crate::Scores, EvalError> {
    let mut t = read_truth(truth)?;
    broken_framing(&mut t);
    let report = analyze_vehicle(rules, truth, mode, can)?;
    Ok(super::score_vehicle(&t, &report))
}

/// The truth as the wire shows it. A SOME/IP response whose length field runs past its bytes
/// breaks TCP framing for its receiver as much as for us: the TBOX never gets a complete answer.
/// The GW's bundle records the header and the analyser calls it `response_format_illegal`; from
/// the capture it is `response_not_sent` (same side, same packet) with a
/// `tcp_incomplete_message` transport finding.
fn broken_framing(t: &mut crate::Truth) {
    for u in &mut t.units {
        if u.detail.as_deref() == Some(crate::deploy::LENGTH_PAST_MESSAGE) {
            u.cause = Some("response_not_sent".into());
            u.parameter = Some("response.sent".into());
            u.fault = Some(BROKEN_FRAMING.into());
        }
    }
}

/// The fault name [`broken_framing`] gives such a unit; it expects a `tcp_incomplete_message`.
pub const BROKEN_FRAMING: &str = "someip_length_past_message";
