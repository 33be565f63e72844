//! The otadiag engine: evaluates a checked rule set over an upload bundle and says which units
//! failed, why, who is to blame and where (the method's steps S202–S204).
//!
//! Flow: [`unit`] (units, results, protocol) → [`exchange`] (pairing, timers) → [`run`] (checks
//! and flows in preset order) → [`finding`] (cause, blame, location, evidence) → [`render`].
#![forbid(unsafe_code)]

pub mod eval;
pub mod exchange;
pub mod finding;
mod pool;
pub mod render;
pub mod run;
pub mod unit;

pub use run::Mode;

use otadiag_model::report::{BundleReport, Report, RulesetInfo, UnitReport};
use otadiag_model::{Bundle, Stage, UnitOutcome};
use otadiag_rules::RuleSet;

/// Identity of a rule set for reports.
pub fn ruleset_info(rules: &RuleSet) -> RulesetInfo {
    RulesetInfo {
        source: rules.source.clone(),
        revision: rules.revision.clone(),
        files: rules.files.len(),
    }
}

/// Wraps bundle reports into a full report.
pub fn report(rules: &RuleSet, mode: Mode, bundles: Vec<BundleReport>) -> Report {
    Report {
        format: "otadiag-report".into(),
        version: 1,
        ruleset: ruleset_info(rules),
        mode: match mode {
            Mode::First => "first".into(),
            Mode::All => "all".into(),
        },
        bundles,
    }
}

/// Analyses one bundle: results first (reported or inferred), then the failed units of the first
/// failing stage (deploy before flash), each checked exchange by exchange.
pub fn analyze(rules: &RuleSet, bundle: &Bundle, mode: Mode) -> BundleReport {
    analyze_with(rules, bundle, mode, false)
}

/// Like [`analyze`]; with `every_unit`, successful units are checked too (a rule that fires on a
/// healthy unit is a false positive — the rule tests use this to prove the shipped rules quiet).
pub fn analyze_with(
    rules: &RuleSet,
    bundle: &Bundle,
    mode: Mode,
    every_unit: bool,
) -> BundleReport {
    let mut infos = unit::units(bundle);
    let mut notes = Vec::new();
    let mut units: Vec<(UnitReport, Option<usize>)> = Vec::new();
    let mut views = Vec::new();
    for info in infos.iter_mut() {
        let task = bundle.task_of(info.stage, &info.name);
        let proto = unit::protocol_for(rules, bundle, info.stage, &info.recs);
        if proto.is_none() && !info.recs.is_empty() {
            let t = &bundle.transports[bundle.records[info.recs[0] as usize].transport as usize];
            notes.push(format!(
                "{} {}: no protocol of the rule set handles stage `{}` over `{t}`; its {} records were not checked",
                info.stage.as_str(),
                info.name,
                info.stage.as_str(),
                info.recs.len()
            ));
        }
        let records = info.recs.len();
        let view = proto.map(|p| unit::view(rules, bundle, p, info));
        let mut xs = Vec::new();
        if let Some(v) = &view {
            xs = pool::take(v.recs.len() / 2 + 1);
            exchange::build_into(v, &mut xs);
        }
        let (result, source) = match info.reported {
            Some(r) => (r, "reported"),
            None => (infer(&xs), "inferred"),
        };
        let address = view
            .as_ref()
            .and_then(|v| v.address)
            .or(task.and_then(|t| t.address))
            .filter(|_| info.stage == Stage::Flash);
        units.push((
            UnitReport {
                unit: info.name.clone(),
                stage: info.stage,
                address: address.map(|a| finding::hex(a as i64)),
                package: task.map(|t| t.package.clone()),
                version: task.map(|t| t.version.clone()).filter(|v| !v.is_empty()),
                result,
                result_source: if records == 0 && info.reported.is_none() {
                    "not run"
                } else {
                    source
                }
                .into(),
                result_detail: info.detail.clone(),
                analysed: false,
                records,
                exchanges: xs.len(),
                not_applicable: 0,
                progress: vec![],
                findings: vec![],
            },
            view.as_ref().map(|_| views.len()),
        ));
        views.push((view, xs));
    }
    let failed = |s: Stage| {
        units
            .iter()
            .any(|(u, _)| u.stage == s && u.result == UnitOutcome::Failure)
    };
    let failed_stage = Stage::ALL.into_iter().find(|&s| failed(s));
    for (u, vi) in units.iter_mut() {
        let examined = Some(u.stage) == failed_stage && u.result == UnitOutcome::Failure;
        if !(examined || (every_unit && u.records > 0)) {
            continue;
        }
        let Some(vi) = *vi else { continue };
        let (Some(view), xs) = &views[vi] else {
            continue;
        };
        let mut findings = finding::Findings::new(view);
        u.not_applicable = run::run(view, xs, mode, &mut findings, &mut u.progress);
        u.findings = findings.list;
        u.analysed = true;
        if u.findings.is_empty() && u.result == UnitOutcome::Failure {
            notes.push(format!(
                "{} {} failed, but no rule explains it: every check passed or was not applicable",
                u.stage.as_str(),
                u.unit
            ));
        }
    }
    for (_, xs) in views {
        pool::give_back(xs);
    }
    if failed_stage == Some(Stage::Deploy) && infos.iter().any(|i| i.stage == Stage::Flash) {
        notes.push("the deploy stage failed, so the flash stage was not examined".into());
    }
    BundleReport {
        source: bundle.source.clone(),
        vin: bundle.manifest.vin.clone(),
        campaign: bundle.manifest.campaign.clone(),
        task: bundle.manifest.task.clone(),
        verdict: if failed_stage.is_some() {
            "failure"
        } else {
            "success"
        }
        .into(),
        failed_stage,
        units: units.into_iter().map(|(u, _)| u).collect(),
        notes,
        capture: None,
        transport: vec![],
    }
}

/// A unit without a result line fails when a final negative response was not recovered by a
/// retry, or when its last request was never answered.
fn infer(xs: &[exchange::Xch]) -> UnitOutcome {
    let negative = xs
        .iter()
        .any(|x| x.negative && x.primary.is_some() && x.req.is_some() && !x.recovered);
    let last_unanswered = xs
        .iter()
        .rev()
        .find(|x| x.req.is_some() && !x.silent)
        .is_some_and(|x| x.primary.is_none());
    if negative || last_unanswered {
        UnitOutcome::Failure
    } else {
        UnitOutcome::Success
    }
}
