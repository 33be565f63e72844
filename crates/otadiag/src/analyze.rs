//! `otadiag analyze`: read bundles, analyse each, print text or JSON, and pick the exit status
//! (0 all succeeded, 1 failures diagnosed, 2 bad input).

use otadiag_engine::{analyze, render, report, Mode};
use otadiag_model::report::Report;
use otadiag_rules::RuleSet;
use std::path::PathBuf;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human report.
    Text,
    /// Stable JSON (docs/report-format.md).
    Json,
}

/// Analyses inputs in command-line order: each bundle on its own; the captures together as one
/// vehicle's recording, reported where the first capture stands (`separate`: each capture on its
/// own, where it stands). Returns the report or the first unreadable input's error.
pub fn run(
    rules: &RuleSet,
    paths: &[PathBuf],
    mode: Mode,
    capture_opts: &otadiag_record::pipeline::Options,
    separate: bool,
) -> Result<Report, String> {
    let captures: Vec<PathBuf> = paths
        .iter()
        .filter(|p| !crate::capture::is_bundle(p))
        .cloned()
        .collect();
    let mut out = Vec::new();
    let mut recording_done = false;
    for p in paths {
        if !captures.contains(p) {
            let bundle = otadiag_model::read_bundle(p).map_err(|e| e.to_string())?;
            out.push(analyze(rules, &bundle, mode));
        } else if separate {
            let one = std::slice::from_ref(p);
            out.push(crate::capture::analyze_captures(
                rules,
                one,
                capture_opts,
                mode,
            )?);
        } else if !recording_done {
            recording_done = true;
            out.push(crate::capture::analyze_captures(
                rules,
                &captures,
                capture_opts,
                mode,
            )?);
        }
    }
    Ok(report(rules, mode, out))
}

/// Prints a report in the chosen format.
pub fn print(report: &Report, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(report).expect("report serialises") + "\n",
        Format::Text => {
            let mut s = String::new();
            for b in &report.bundles {
                s.push_str(&render::bundle_text(b));
                s.push('\n');
            }
            s.push_str(&format!(
                "rules: {} ({} files, {})\n",
                report.ruleset.source, report.ruleset.files, report.ruleset.revision
            ));
            s
        }
    }
}

/// Exit status for a report: 1 when any bundle has a failure.
pub fn status(report: &Report) -> i32 {
    if report.bundles.iter().any(|b| b.verdict != "success") {
        1
    } else {
        0
    }
}
