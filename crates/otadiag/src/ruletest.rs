//! Rule test cases (`rules/tests/<case>/`): an input bundle, an optional `expect.toml` and a
//! snapshot of the rendered findings (`findings.snap`, insta's format). `cargo test` and
//! `otadiag rules test` run the same cases through this module, so authors need no Rust toolchain.

use otadiag_engine::{analyze, render, Mode};
use otadiag_model::report::BundleReport;
use otadiag_model::UnitOutcome;
use otadiag_rules::RuleSet;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One test case directory.
#[derive(Debug, Clone)]
pub struct Case {
    /// Directory name.
    pub name: String,
    /// The directory.
    pub dir: PathBuf,
}

/// `expect.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expect {
    /// What the case is about.
    #[serde(default)]
    pub description: String,
    /// `first` (default) or `all`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Units that must be reported failed with this root cause; none means a healthy update.
    #[serde(default)]
    pub failed: Vec<ExpectedFailure>,
}

/// One expected failed unit.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedFailure {
    /// Unit name.
    pub unit: String,
    /// `deploy` or `flash`.
    pub stage: String,
    /// Root cause.
    pub cause: String,
    /// `client` or `server`.
    pub side: String,
    /// Expected block, if any.
    pub block: Option<i64>,
    /// Expected packet, if any.
    pub packet: Option<i64>,
}

/// Result of running one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rendered findings (what the snapshot holds).
    pub rendered: String,
    /// Expectation mismatches (empty when the case passes its `expect.toml`).
    pub mismatches: Vec<String>,
}

/// Finds every case directory (holding `bundle.jsonl`) under `root`, sorted by name.
pub fn discover(root: &Path) -> Vec<Case> {
    let mut out: Vec<Case> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("bundle.jsonl").is_file())
                .map(|dir| Case {
                    name: dir.file_name().unwrap().to_string_lossy().to_string(),
                    dir,
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Runs one case: analyse the bundle, render it, compare with `expect.toml`.
pub fn run_case(rules: &RuleSet, case: &Case) -> Result<Outcome, String> {
    let expect = match std::fs::read_to_string(case.dir.join("expect.toml")) {
        Ok(t) => Some(
            toml::from_str::<Expect>(&t).map_err(|e| format!("{}/expect.toml: {e}", case.name))?,
        ),
        Err(_) => None,
    };
    let mode = match expect.as_ref().and_then(|e| e.mode.as_deref()) {
        Some("all") => Mode::All,
        _ => Mode::First,
    };
    let mut bundle =
        otadiag_model::read_bundle(&case.dir.join("bundle.jsonl")).map_err(|e| e.to_string())?;
    bundle.source = format!("tests/{}/bundle.jsonl", case.name);
    let report = analyze(rules, &bundle, mode);
    let mismatches = expect
        .as_ref()
        .map(|e| compare(&report, e))
        .unwrap_or_default();
    Ok(Outcome {
        rendered: render::bundle_text(&report),
        mismatches,
    })
}

/// Differences between a report and the expectations.
pub fn compare(report: &BundleReport, expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    let failed: Vec<_> = report
        .units
        .iter()
        .filter(|u| u.result == UnitOutcome::Failure)
        .collect();
    for want in &expect.failed {
        let Some(u) = failed
            .iter()
            .find(|u| u.unit == want.unit && u.stage.as_str() == want.stage)
        else {
            out.push(format!(
                "{} {}: expected failed, but it is not reported failed",
                want.stage, want.unit
            ));
            continue;
        };
        let Some(root) = u.findings.iter().find(|f| f.root) else {
            out.push(format!(
                "{} {}: failed, but no finding explains it",
                want.stage, want.unit
            ));
            continue;
        };
        let mut check = |what: &str, got: String, exp: String| {
            if got != exp {
                out.push(format!(
                    "{} {}: root {what} is {got}, expected {exp}",
                    want.stage, want.unit
                ));
            }
        };
        check("cause", root.cause.clone(), want.cause.clone());
        check("side", root.side.clone(), want.side.clone());
        if want.block.is_some() {
            check(
                "block",
                format!("{:?}", root.location.block),
                format!("{:?}", want.block),
            );
        }
        if want.packet.is_some() {
            check(
                "packet",
                format!("{:?}", root.location.packet),
                format!("{:?}", want.packet),
            );
        }
    }
    for u in &failed {
        if !expect
            .failed
            .iter()
            .any(|w| w.unit == u.unit && w.stage == u.stage.as_str())
        {
            out.push(format!(
                "{} {}: reported failed, but the case expects it to succeed",
                u.stage.as_str(),
                u.unit
            ));
        }
    }
    out
}

/// The snapshot file of a case.
pub fn snapshot_path(case: &Case) -> PathBuf {
    case.dir.join("findings.snap")
}

/// The contents of an insta snapshot file (header stripped), if it exists.
pub fn read_snapshot(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let body = match text.strip_prefix("---\n") {
        Some(rest) => rest
            .split_once("\n---\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or(text.clone()),
        None => text,
    };
    Some(body.trim_end_matches('\n').to_string())
}

/// Writes a snapshot in insta's file format (so `cargo insta` and `rules test` share it).
pub fn write_snapshot(path: &Path, rendered: &str) -> std::io::Result<()> {
    let text = format!(
        "---\nsource: tests/rule_cases.rs\nexpression: rendered\n---\n{}\n",
        rendered.trim_end_matches('\n')
    );
    std::fs::write(path, text)
}
